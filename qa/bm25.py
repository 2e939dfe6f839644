"""BM25 (Okapi, as rank-bm25 computes it) over a compressed inverted index: only sentences holding a query term are touched.

The index is a handful of flat numpy arrays (term-major, like a CSC matrix), not a dict per sentence:
``indptr[t]:indptr[t+1]`` delimits term ``t``'s postings in ``doc_ids`` (ascending), ``tf`` and ``weights``
(the term's whole BM25 contribution to that sentence, precomputed). At a million sentences that is
about 14 bytes per posting and no Python object per sentence or per posting.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class BM25Settings:
    """rank-bm25's BM25Okapi parameters."""

    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25


@dataclass(frozen=True)
class TermCounts:
    """Sentences as term ids, sentence-major: sentence i's distinct terms are rows ``indptr[i]:indptr[i+1]``.

    ``lengths`` counts every token of a sentence (repeats included), as rank-bm25's document length does.
    """

    terms: tuple[str, ...]  # term id → term
    indptr: np.ndarray  # int64, one more than the number of sentences
    term_ids: np.ndarray  # int32, distinct within a sentence
    tf: np.ndarray  # int32, how often the term occurs in the sentence
    lengths: np.ndarray  # int32, tokens per sentence

    @property
    def size(self) -> int:
        return len(self.lengths)

    @classmethod
    def from_documents(cls, documents: Sequence[Sequence[str]]) -> "TermCounts":
        """Count the terms of tokenized sentences."""
        vocabulary: dict[str, int] = {}
        flat: list[int] = []
        lengths = np.zeros(len(documents), dtype=np.int32)
        for i, document in enumerate(documents):
            lengths[i] = len(document)
            flat.extend(vocabulary.setdefault(term, len(vocabulary)) for term in document)
        return cls.from_token_ids(tuple(vocabulary), np.asarray(flat, dtype=np.int32), lengths)

    @classmethod
    def from_token_ids(cls, terms: tuple[str, ...], token_ids: np.ndarray, lengths: np.ndarray) -> "TermCounts":
        """Count already encoded tokens (``token_ids`` holds every sentence's tokens one after another)."""
        lengths = np.asarray(lengths, dtype=np.int32)
        size = len(lengths)
        doc = np.repeat(np.arange(size, dtype=np.int64), lengths)
        # One int64 key per (sentence, term): sorting it groups a sentence's repeats of a term.
        keys, tf = np.unique(doc * max(len(terms), 1) + token_ids, return_counts=True)
        rows_doc = keys // max(len(terms), 1)
        indptr = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows_doc, minlength=size), out=indptr[1:])
        return cls(terms, indptr, (keys % max(len(terms), 1)).astype(np.int32), tf.astype(np.int32), lengths)

    @classmethod
    def concatenate(cls, parts: Sequence["TermCounts"]) -> "TermCounts":
        """One TermCounts of several, sentences in order; term ids are remapped onto one vocabulary."""
        vocabulary: dict[str, int] = {}
        indptrs, term_ids, tfs, lengths = [], [], [], []
        offset = 0
        for part in parts:
            remap = np.fromiter((vocabulary.setdefault(t, len(vocabulary)) for t in part.terms),
                                dtype=np.int32, count=len(part.terms))
            term_ids.append(remap[part.term_ids] if len(part.terms) else part.term_ids)
            tfs.append(part.tf)
            lengths.append(part.lengths)
            indptrs.append(part.indptr[1:] + offset)
            offset += int(part.indptr[-1])
        indptr = np.concatenate([np.zeros(1, dtype=np.int64), *indptrs]) if parts else np.zeros(1, dtype=np.int64)
        # Rows of one sentence stay together but are no longer sorted by the new ids: that is harmless.
        return cls(tuple(vocabulary), indptr,
                   np.concatenate(term_ids) if parts else np.zeros(0, np.int32),
                   np.concatenate(tfs) if parts else np.zeros(0, np.int32),
                   np.concatenate(lengths) if parts else np.zeros(0, np.int32))

    def select(self, sentence_ids: np.ndarray) -> "TermCounts":
        """The counts of some sentences only, in the given order (same vocabulary)."""
        sentence_ids = np.asarray(sentence_ids, dtype=np.int64)
        starts, ends = self.indptr[sentence_ids], self.indptr[sentence_ids + 1]
        sizes = ends - starts
        indptr = np.zeros(len(sentence_ids) + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        rows = np.repeat(starts - indptr[:-1], sizes) + np.arange(indptr[-1])
        return TermCounts(self.terms, indptr, self.term_ids[rows], self.tf[rows], self.lengths[sentence_ids])


class TermValues(Mapping[str, float]):
    """A read-only term → value view over a per-term array (e.g. idf), without a dict of floats."""

    def __init__(self, vocabulary: Mapping[str, int], values: np.ndarray) -> None:
        self._vocabulary = vocabulary
        self._values = values

    def __getitem__(self, term: str) -> float:
        return float(self._values[self._vocabulary[term]])

    def get(self, term: str, default=None):  # noqa: ANN001 - Mapping.get's signature
        term_id = self._vocabulary.get(term)
        return default if term_id is None else float(self._values[term_id])

    def __contains__(self, term: object) -> bool:
        return term in self._vocabulary

    def __iter__(self) -> Iterator[str]:
        return iter(self._vocabulary)

    def __len__(self) -> int:
        return len(self._vocabulary)


class BM25:
    """Inverted index whose scores equal ``rank_bm25.BM25Okapi(documents).get_scores`` on the same tokens."""

    def __init__(self, documents: Sequence[Sequence[str]], settings: BM25Settings = BM25Settings()) -> None:
        self._build(TermCounts.from_documents(documents), settings)

    @classmethod
    def from_counts(cls, counts: TermCounts, settings: BM25Settings = BM25Settings()) -> "BM25":
        """A BM25 over already counted sentences (the corpus builder counts them in worker processes)."""
        bm25 = cls.__new__(cls)
        bm25._build(counts, settings)
        return bm25

    @classmethod
    def from_arrays(cls, terms: Sequence[str], arrays: Mapping[str, np.ndarray], settings: BM25Settings) -> "BM25":
        """A BM25 restored from ``arrays()`` (e.g. loaded from disk): nothing is recomputed."""
        bm25 = cls.__new__(cls)
        bm25.settings = settings
        bm25.vocabulary = {term: i for i, term in enumerate(terms)}
        bm25.term_list = tuple(terms)
        for name in ("indptr", "doc_ids", "tf", "weights", "idf_values", "lengths"):
            setattr(bm25, name, arrays[name])
        bm25._finish()
        return bm25

    def _build(self, counts: TermCounts, settings: BM25Settings) -> None:
        self.settings = settings
        self.term_list = counts.terms
        self.vocabulary = {term: i for i, term in enumerate(counts.terms)}
        self.lengths = counts.lengths
        size, vocabulary_size = len(counts.lengths), len(counts.terms)
        doc = np.repeat(np.arange(size, dtype=np.int32), np.diff(counts.indptr))
        # Term-major order; the sort is stable so each term's sentences stay ascending.
        order = np.argsort(counts.term_ids, kind="stable")
        term_of_row = counts.term_ids[order]
        self.doc_ids = doc[order]
        del doc
        self.tf = counts.tf[order]
        del order
        document_frequency = np.bincount(term_of_row, minlength=vocabulary_size)
        if vocabulary_size and not document_frequency.all():
            # Terms no sentence holds (left by ``select``) would shift the mean idf: rank-bm25 never sees them.
            used = document_frequency > 0
            new_id = np.cumsum(used, dtype=np.int64) - 1
            term_of_row = new_id[term_of_row].astype(np.int32)
            self.term_list = tuple(t for t, keep in zip(counts.terms, used.tolist()) if keep)
            self.vocabulary = {term: i for i, term in enumerate(self.term_list)}
            document_frequency = document_frequency[used]
            vocabulary_size = len(self.term_list)
        self.indptr = np.zeros(vocabulary_size + 1, dtype=np.int64)
        np.cumsum(document_frequency, out=self.indptr[1:])
        self.idf_values = self._idf(document_frequency, size)
        k1, b = settings.k1, settings.b
        avgdl = float(counts.lengths.sum()) / size if size else 0.0
        # Same operations in the same order as rank-bm25, so each term's contribution is bit-identical.
        norm = k1 * (1 - b + b * counts.lengths / avgdl) if avgdl else np.full(size, float(k1))
        tf = self.tf.astype(np.float64)
        self.weights = self.idf_values[term_of_row] * (tf * (k1 + 1) / (tf + norm[self.doc_ids]))
        self._finish()

    def _finish(self) -> None:
        self.size = len(self.lengths)
        self.avgdl = float(self.lengths.sum()) / self.size if self.size else 0.0
        self.idf = TermValues(self.vocabulary, self.idf_values)

    def _idf(self, document_frequency: np.ndarray, size: int) -> np.ndarray:
        """rank-bm25's Okapi idf: log(N-n+.5) - log(n+.5), negatives replaced by epsilon × mean idf."""
        n = document_frequency.astype(np.float64)
        idf = np.log(size - n + 0.5) - np.log(n + 0.5)
        if len(idf):
            idf[idf < 0] = self.settings.epsilon * (idf.sum() / len(idf))
        return idf

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything but the term list, as arrays (what ``from_arrays`` takes back)."""
        return {"indptr": self.indptr, "doc_ids": self.doc_ids, "tf": self.tf, "weights": self.weights,
                "idf_values": self.idf_values, "lengths": self.lengths}

    def counts(self) -> TermCounts:
        """The sentence-major counts this index was built from (to rebuild after some sentences change)."""
        term_of_row = np.repeat(np.arange(len(self.term_list), dtype=np.int32), np.diff(self.indptr))
        order = np.argsort(self.doc_ids, kind="stable")
        indptr = np.zeros(self.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.doc_ids, minlength=self.size), out=indptr[1:])
        return TermCounts(self.term_list, indptr, term_of_row[order], self.tf[order], self.lengths)

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The ids of the sentences holding a term (ascending) and the term's BM25 weight in each."""
        term_id = self.vocabulary.get(term)
        if term_id is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        lo, hi = self.indptr[term_id], self.indptr[term_id + 1]
        return self.doc_ids[lo:hi], self.weights[lo:hi]

    def scores(self, query: Sequence[str], weights: Mapping[str, float] | None = None) -> np.ndarray:
        """BM25 score of every sentence for the query (repeated query terms count again, as in rank-bm25).

        ``weights`` scales a term's contribution (e.g. terms carried over from an earlier question count less).
        """
        scores = np.zeros(self.size)
        for term, count in Counter(query).items():
            ids, term_weights = self.postings(term)
            if len(ids):
                factor = count * (weights.get(term, 1.0) if weights else 1.0)
                # ids are distinct within a term, so a fancy-indexed += adds each weight exactly once.
                scores[ids] += term_weights if factor == 1 else factor * term_weights
        return scores

    def terms_in(self, doc_id: int, terms: Iterable[str]) -> set[str]:
        """Which of ``terms`` the sentence holds (a binary search per term: no re-tokenizing the sentence)."""
        found = set()
        for term in terms:
            ids, _ = self.postings(term)
            position = int(np.searchsorted(ids, doc_id))
            if position < len(ids) and ids[position] == doc_id:
                found.add(term)
        return found

    def document_frequency(self, term: str) -> int:
        """How many sentences hold the term."""
        term_id = self.vocabulary.get(term)
        return 0 if term_id is None else int(self.indptr[term_id + 1] - self.indptr[term_id])

    def top_k(self, query: Sequence[str], k: int,
              weights: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Ids and scores of the k best sentences with a positive score, best first (ties: lower id first)."""
        return select_top_k(self.scores(query, weights), k)


def select_top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids and scores of the k best positive scores, best first (ties: lower id first)."""
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > k:
        part = np.argpartition(-scores[candidates], k - 1)[:k]
        # Keep every candidate tied with the k-th best, so that ties resolve to the lower id, not by chance.
        kth = scores[candidates[part]].min()
        candidates = candidates[scores[candidates] >= kth]
    order = np.lexsort((candidates, -scores[candidates]))
    ids = candidates[order][:k]
    return ids, scores[ids]
