"""BM25 (Okapi, as rank-bm25 computes it) over an inverted index: only sentences holding a query term are touched."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class BM25Settings:
    """rank-bm25's BM25Okapi parameters."""

    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25


class BM25:
    """Term → (sentence ids, precomputed BM25 weights); scores equal ``rank_bm25.BM25Okapi.get_scores``."""

    def __init__(self, documents: Sequence[Sequence[str]], settings: BM25Settings = BM25Settings()) -> None:
        self.settings = settings
        self.size = len(documents)
        lengths = np.fromiter((len(d) for d in documents), dtype=np.float64, count=self.size)
        self.avgdl = float(lengths.sum() / self.size) if self.size else 0.0
        postings: dict[str, list[tuple[int, int]]] = {}
        for doc_id, document in enumerate(documents):
            for term, tf in Counter(document).items():
                postings.setdefault(term, []).append((doc_id, tf))
        self.idf = self._idf({term: len(p) for term, p in postings.items()})
        k1, b = settings.k1, settings.b
        norm = k1 * (1 - b + b * lengths / self.avgdl) if self.avgdl else np.full(self.size, k1)
        self.terms: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, plist in postings.items():
            ids = np.fromiter((d for d, _ in plist), dtype=np.int64, count=len(plist))
            tf = np.fromiter((t for _, t in plist), dtype=np.float64, count=len(plist))
            weights = self.idf[term] * (tf * (k1 + 1) / (tf + norm[ids]))
            self.terms[term] = (ids, weights)

    def _idf(self, document_frequency: dict[str, int]) -> dict[str, float]:
        """rank-bm25's Okapi idf: log((N-n+.5)/(n+.5)), negatives replaced by epsilon × mean idf."""
        idf: dict[str, float] = {}
        negative = []
        total = 0.0
        for term, n in document_frequency.items():
            value = math.log(self.size - n + 0.5) - math.log(n + 0.5)
            idf[term] = value
            total += value
            if value < 0:
                negative.append(term)
        floor = self.settings.epsilon * total / len(idf) if idf else 0.0
        for term in negative:
            idf[term] = floor
        return idf

    def scores(self, query: Sequence[str], weights: Mapping[str, float] | None = None) -> np.ndarray:
        """BM25 score of every sentence for the query (repeated query terms count again, as in rank-bm25).

        ``weights`` scales a term's contribution (e.g. terms carried over from an earlier question count less).
        """
        scores = np.zeros(self.size)
        for term, count in Counter(query).items():
            entry = self.terms.get(term)
            if entry is not None:
                scores[entry[0]] += count * (weights.get(term, 1.0) if weights else 1.0) * entry[1]
        return scores

    def document_frequency(self, term: str) -> int:
        entry = self.terms.get(term)
        return 0 if entry is None else len(entry[0])

    def top_k(self, query: Sequence[str], k: int,
              weights: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Ids and scores of the k best sentences with a positive score, best first (ties: lower id first)."""
        return select_top_k(self.scores(query, weights), k)


def select_top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids and scores of the k best positive scores, best first (ties: lower id first)."""
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > k:
        part = np.argpartition(-scores[candidates], k - 1)[:k]
        candidates = candidates[part]
    order = np.lexsort((candidates, -scores[candidates]))
    ids = candidates[order]
    return ids, scores[ids]
