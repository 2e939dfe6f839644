"""BM25 (Okapi, as rank-bm25 computes it) over a compressed inverted index: only sentences holding a query term are touched.

The index is a handful of flat numpy arrays (term-major, like a CSC matrix), not a dict per sentence:
``indptr[t]:indptr[t+1]`` delimits term ``t``'s postings: their sentence ids, ascending within a term, in 1 or 2
bytes a posting plus 4 a run of postings in one block of 65,536 sentences (``qa.search.id_coding``), and the term
frequencies (a bit a posting, and the count of each posting whose sentence repeats the term: ``encode_tf``). That
is 1.2–2.2 bytes per posting and no Python object per sentence or per posting. A term's BM25 contribution to a sentence is computed when a query asks for the term, with the same
floating-point operations in the same order as rank-bm25 (so scores stay bit-identical per term): storing it
would cost 8 bytes more per posting, and with the character fields a million sentences hold ~85 M postings.
"""
from __future__ import annotations

import hashlib
import threading
import copy
from collections import Counter, defaultdict
from itertools import chain
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from qa.search import id_coding
from qa.search.id_coding import BLOCK_BITS, BLOCK_MASK, offsets, run_lengths
from qa.search.table import StringColumn


@dataclass(frozen=True)
class BM25Settings:
    """The BM25 variant and its parameters, as rank-bm25 names them (defaults: the engine's, see docs/quality.md).

    ``okapi`` is rank-bm25's ``BM25Okapi``; ``plus`` its ``BM25Plus``: idf log((N+1)/n), always positive, and
    the same tf part (rank-bm25 adds idf × delta to *every* sentence alike, which ranks nothing differently, so it
    is left out). Okapi's idf is 0 or negative for a term in half the sentences or more: in a short article
    (two or three sentences) nothing could score.
    """

    k1: float = 1.2
    b: float = 0.3  # sentences are short and alike in length: length matters less than in documents
    epsilon: float = 0.25  # okapi only: negative idf replaced by epsilon × mean idf
    variant: str = "plus"  # "okapi" or "plus"


@dataclass(frozen=True)
class QueryTerm:
    """One distinct term of a query, as an index holds it: its postings ``lo:hi``, idf, and weight × repeats."""

    term_id: int
    lo: int
    hi: int
    idf: float
    factor: float


@dataclass(frozen=True)
class TermCounts:
    """Sentences as term ids, sentence-major: sentence i's distinct terms are rows ``indptr[i]:indptr[i+1]``.

    ``lengths`` counts every token of a sentence (repeats included), as rank-bm25's document length does.
    """

    terms: tuple[str, ...]  # term id → term
    indptr: np.ndarray  # int64, one more than the number of sentences
    term_ids: np.ndarray  # int32, distinct within a sentence
    tf: np.ndarray  # unsigned or int32: how often the term occurs in the sentence
    lengths: np.ndarray  # int32, tokens per sentence

    @property
    def size(self) -> int:
        return len(self.lengths)

    @classmethod
    def from_documents(cls, documents: Sequence[Sequence[str]]) -> "TermCounts":
        """Count the terms of tokenized sentences."""
        lengths = np.fromiter(map(len, documents), dtype=np.int32, count=len(documents))
        # Ids in order of first appearance, straight into an int32 array (a Python list of ids would cost 36 bytes
        # per token on the way), with no Python frame per token: see ``_numbering``.
        vocabulary = _numbering()
        token_ids = np.fromiter(map(vocabulary.__getitem__, chain.from_iterable(documents)), dtype=np.int32,
                                count=int(lengths.sum()))
        return cls.from_token_ids(tuple(vocabulary), token_ids, lengths)

    @classmethod
    def from_token_ids(cls, terms: tuple[str, ...], token_ids: np.ndarray, lengths: np.ndarray) -> "TermCounts":
        """Count already encoded tokens (``token_ids`` holds every sentence's tokens one after another)."""
        lengths = np.asarray(lengths, dtype=np.int32)
        size, width = len(lengths), max(len(terms), 1)
        ends = np.cumsum(lengths, dtype=np.int64)
        indptr = np.zeros(size + 1, dtype=np.int64)
        ids, tfs = [], []
        # A slice of sentences at a time (each sentence is counted on its own), so temporaries stay small.
        for first in range(0, size, SLICE_SENTENCES):
            last = min(first + SLICE_SENTENCES, size)
            lo, hi = (int(ends[first - 1]) if first else 0), int(ends[last - 1])
            doc = np.repeat(np.arange(first, last, dtype=np.int64), lengths[first:last])
            # One int64 key per (sentence, term): sorting it groups a sentence's repeats of a term.
            keys, tf = np.unique(doc * width + token_ids[lo:hi], return_counts=True)
            indptr[first + 1:last + 1] = np.bincount(keys // width - first, minlength=last - first)
            ids.append((keys % width).astype(np.int32))
            tfs.append(smallest_counts(tf))
        np.cumsum(indptr, out=indptr)
        return cls(terms, indptr, np.concatenate(ids) if ids else np.zeros(0, np.int32),
                   smallest_counts(np.concatenate(tfs)) if tfs else np.zeros(0, np.uint8), lengths)

    @classmethod
    def concatenate(cls, parts: list["TermCounts"]) -> "TermCounts":
        """One TermCounts of several, sentences in order, on one vocabulary (the list is consumed)."""
        return TermMerger().concatenate(parts)

    def select(self, sentence_ids: np.ndarray) -> "TermCounts":
        """The counts of some sentences only, in the given order (same vocabulary)."""
        sentence_ids = np.asarray(sentence_ids, dtype=np.int64)
        starts, ends = self.indptr[sentence_ids], self.indptr[sentence_ids + 1]
        sizes = ends - starts
        indptr = np.zeros(len(sentence_ids) + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        rows = np.repeat(starts - indptr[:-1], sizes) + np.arange(indptr[-1])
        return TermCounts(self.terms, indptr, self.term_ids[rows], self.tf[rows], self.lengths[sentence_ids])


def _numbering() -> defaultdict:
    """A dict that numbers keys as they are first looked up (0, 1, 2…): a missing key gets the dict's size, and
    ``map(numbering.__getitem__, keys)`` then runs in C (~3× faster than a generator calling setdefault)."""
    numbering: defaultdict = defaultdict()
    numbering.default_factory = numbering.__len__
    return numbering


def smallest_counts(tf: np.ndarray) -> np.ndarray:
    """Term frequencies in the smallest type that holds them (sentences rarely repeat a term 255 times)."""
    top = int(tf.max()) if len(tf) else 0
    return tf.astype(np.uint8 if top < 2**8 else np.uint16 if top < 2**16 else np.int32, copy=False)


class TermMerger:
    """Puts the term ids of many TermCounts (each with its own vocabulary) onto one vocabulary.

    The corpus builder remaps each worker's chunk as it arrives, so that the parent never holds a
    vocabulary per chunk.
    """

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = _numbering()

    def remap(self, counts: TermCounts) -> TermCounts:
        """The same counts with ids into this merger's vocabulary (their ``terms`` left empty)."""
        remap = np.fromiter(map(self.vocabulary.__getitem__, counts.terms), dtype=np.int32, count=len(counts.terms))
        term_ids = remap[counts.term_ids] if len(counts.terms) else counts.term_ids.astype(np.int32)
        return TermCounts((), counts.indptr, term_ids, smallest_counts(counts.tf), counts.lengths)

    def concatenate(self, parts: list[TermCounts], remapped: bool = False) -> TermCounts:
        """One TermCounts of several, sentences in order. ``remapped``: the parts come from ``remap``.

        The list is consumed: each part is dropped once copied, so the peak is the result plus one part.
        """
        rows = sum(len(p.term_ids) for p in parts)
        size = sum(p.size for p in parts)
        indptr = np.zeros(size + 1, dtype=np.int64)
        term_ids = np.empty(rows, dtype=np.int32)
        tf = np.empty(rows, dtype=np.result_type(np.uint8, *(p.tf.dtype for p in parts)))
        lengths = np.empty(size, dtype=np.int32)
        row = sentence = 0
        parts.reverse()  # pop() from the end walks them in order
        while parts:
            part = parts.pop()
            if not remapped:
                part = self.remap(part)
            n, m = len(part.term_ids), part.size
            # Rows of one sentence stay together but are no longer sorted by the new ids: that is harmless.
            term_ids[row:row + n] = part.term_ids
            tf[row:row + n] = part.tf
            lengths[sentence:sentence + m] = part.lengths
            indptr[sentence + 1:sentence + m + 1] = part.indptr[1:] + row
            row, sentence = row + n, sentence + m
        return TermCounts(tuple(self.vocabulary), indptr, term_ids, smallest_counts(tf), lengths)


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


def term_hash(encoded: bytes) -> int:
    """A stable 64-bit hash of a term's UTF-8 (Python's own ``hash`` changes with every process)."""
    return int.from_bytes(hashlib.blake2b(encoded, digest_size=8).digest(), "little")


class TermTable(Mapping[str, int]):
    """Term → id over four arrays: the terms' UTF-8 in id order (``term_bytes``, ``term_ptr``) and a hash table
    (``term_hash`` sorted, ``term_order`` the id of each). Memory-mapped, it answers at once where a dict of
    half a million terms takes ~0.3 s to build at every load; a lookup is a binary search plus one comparison."""

    CACHE = 4096  # recent lookups kept (questions repeat their terms across the fields' calls)

    def __init__(self, term_bytes: np.ndarray, term_ptr: np.ndarray, term_hash: np.ndarray,
                 term_order: np.ndarray) -> None:
        self.terms = StringColumn(term_bytes, term_ptr)
        self._hash, self._order = term_hash, term_order
        self._cache: dict[str, int] = {}

    @classmethod
    def of(cls, terms: Sequence[str]) -> "TermTable":
        """The table of a term list (ids are positions in it)."""
        column = StringColumn.of(terms)
        hashes = np.fromiter((term_hash(column.encoded(i)) for i in range(len(column))), dtype=np.uint64,
                             count=len(column))
        order = np.argsort(hashes, kind="stable").astype(np.int32)
        return cls(*column.arrays(), hashes[order], order)

    def arrays(self) -> dict[str, np.ndarray]:
        blob, ptr = self.terms.arrays()
        return {"term_bytes": blob, "term_ptr": ptr, "term_hash": self._hash, "term_order": self._order}

    def get(self, term: str, default=None):  # noqa: ANN001 - Mapping.get's signature
        found = self._cache.get(term)
        if found is None:
            found = self._find(term)
            if len(self._cache) >= self.CACHE:
                self._cache.clear()  # dict operations are atomic: threads may share the cache
            self._cache[term] = found
        return default if found < 0 else found

    def _find(self, term: str) -> int:
        encoded = term.encode("utf-8")
        key = np.uint64(term_hash(encoded))
        at = int(np.searchsorted(self._hash, key))
        while at < len(self._hash) and self._hash[at] == key:  # a 64-bit collision: compare the terms
            term_id = int(self._order[at])
            if self.terms.encoded(term_id) == encoded:
                return term_id
            at += 1
        return -1

    def __getitem__(self, term: str) -> int:
        found = self.get(term)
        if found is None:
            raise KeyError(term)
        return found

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.get(term) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)


class BM25:
    """Inverted index whose scores equal rank-bm25's (``BM25Okapi`` or ``BM25Plus``, per the settings) on the same
    tokens; for Plus, less the constant rank-bm25 adds to every sentence (idf × delta of each query term)."""

    def __init__(self, documents: Sequence[Sequence[str]], settings: BM25Settings = BM25Settings()) -> None:
        self._build([TermCounts.from_documents(documents)], settings)

    @classmethod
    def from_counts(cls, counts: TermCounts, settings: BM25Settings = BM25Settings()) -> "BM25":
        """A BM25 over already counted sentences (the corpus builder counts them in worker processes)."""
        bm25 = cls.__new__(cls)
        bm25._build([counts], settings)
        return bm25

    @classmethod
    def consuming(cls, box: list[TermCounts], settings: BM25Settings = BM25Settings()) -> "BM25":
        """``from_counts`` of the counts in a one-item list that holds the only reference to them (``box`` is
        emptied): their postings are freed as soon as they are sorted, not once the index is made — at a
        million sentences that is 5 bytes a posting off the build's peak."""
        bm25 = cls.__new__(cls)
        bm25._build(box, settings)
        return bm25

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], settings: BM25Settings) -> "BM25":
        """A BM25 restored from ``arrays()`` (e.g. memory-mapped from disk): nothing is recomputed per term or
        per posting — the terms are looked up in the stored hash table, not put back into a dict."""
        bm25 = cls.__new__(cls)
        bm25.settings = settings
        terms = TermTable(*(arrays[name] for name in TERM_ARRAYS))
        bm25.vocabulary, bm25.term_list = terms, terms.terms
        for name in ARRAY_NAMES:
            setattr(bm25, name, arrays[name])
        bm25._finish(int(arrays["tf_max"][0]))
        return bm25

    def _build(self, box: list[TermCounts], settings: BM25Settings) -> None:
        counts = box.pop()
        self.settings = settings
        self.lengths = counts.lengths
        terms, size, vocabulary_size = counts.terms, counts.size, len(counts.terms)
        columns = {"indptr": counts.indptr, "term_ids": counts.term_ids, "tf": counts.tf}
        del counts  # from here ``columns`` may hold the postings' last references: _term_major drops them
        # Term-major order, each term's sentences ascending; then decode the rows a slice at a time.
        term_of_row, doc_ids, tf = _term_major(columns, size, vocabulary_size)
        self.tf_more, self.tf_values = encode_tf(tf)
        del tf
        document_frequency = np.zeros(vocabulary_size, dtype=np.int64)
        for lo, hi in _slices(len(doc_ids)):
            document_frequency += np.bincount(term_of_row(lo, hi), minlength=vocabulary_size)
        del term_of_row  # it holds the sort key (8 bytes a posting): free it before the vocabulary is made
        # Terms no sentence holds (left by ``select``) would shift the mean idf: rank-bm25 never sees them.
        used = document_frequency > 0
        self.term_list = tuple(t for t, keep in zip(terms, used.tolist()) if keep)
        self.vocabulary = {term: i for i, term in enumerate(self.term_list)}
        document_frequency = document_frequency[used]
        self.indptr = np.zeros(len(self.term_list) + 1, dtype=np.int64)
        np.cumsum(document_frequency, out=self.indptr[1:])
        self.tf_rank = tf_ranks(self.tf_more, self.indptr)
        self.lengths = smallest_lengths(self.lengths)
        for name, values in id_coding.encode(doc_ids, self.indptr).items():
            setattr(self, name, values)
        del doc_ids
        self.idf_values = self._idf(document_frequency, size)
        self._finish()

    def as_part(self, avgdl: float) -> "BM25":
        """This index scoring as one part of a larger corpus whose sentences have mean length ``avgdl`` (its
        ``idf_values`` must already be the corpus's: ``qa.corpus.shards``): each sentence then scores exactly as
        in one index of the whole corpus. The arrays are shared, not copied."""
        part = copy.copy(self)
        part._finish(self.tf_max, avgdl)
        return part

    def _finish(self, tf_max: int | None = None, avgdl: float | None = None) -> None:
        self.size = len(self.lengths)
        self.avgdl = avgdl if avgdl is not None else float(self.lengths.sum()) / self.size if self.size else 0.0
        self.idf = TermValues(self.vocabulary, self.idf_values)
        # A contribution is idf × a value that depends only on (tf, sentence length): tabulate that value for
        # every length the corpus has and every tf, so a query looks it up instead of dividing per posting.
        # (A loaded index is told the largest tf: reading every posting's tf to find it would page them all in.)
        self.tf_max = tf_max if tf_max is not None else max(int(self.tf_values.max(initial=1)), 1) \
            if self.indptr[-1] else 0
        top = self.tf_max + 1
        # The distinct lengths and each sentence's rank among them (np.unique's, without its sort).
        present = np.bincount(self.lengths) > 0 if self.size else np.zeros(0, dtype=bool)
        lengths = np.flatnonzero(present)
        self._shortest = int(lengths[0]) if len(lengths) else 0  # the shortest sentence's tokens (``_bound``)
        if top <= 256 and len(lengths) * top <= TABLE_LIMIT:
            tf = np.tile(np.arange(top, dtype=np.float64), len(lengths))
            self._table = self._tf_part(tf, np.repeat(lengths, top))
            row_of_length = ((np.cumsum(present) - 1) * top).astype(np.int32)
            self._row = row_of_length[self.lengths]  # sentence → its length's row of the table
        else:  # a sentence repeats a term 256+ times, or lengths vary wildly: compute per posting instead
            self._table = self._row = None

    def _tf_part(self, tf: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)), in rank-bm25's order of operations (``tf`` is
        float64 and overwritten)."""
        k1, b = self.settings.k1, self.settings.b
        norm = k1 * (1 - b + b * lengths / self.avgdl) if self.avgdl else np.full(len(lengths), float(k1))
        denominator = tf + norm
        tf *= k1 + 1
        tf /= denominator
        return tf

    def _ids(self, term_id: int, lo: int, hi: int) -> np.ndarray:
        """The sentence ids of term ``term_id``'s postings lo:hi (all of them), ascending: each posting keeps the
        low 16 bits (or the step to them, see ``qa.search.id_coding``), and the term's runs of postings in one
        block of 65,536 sentences give the rest."""
        e0, e1 = int(self.block_ptr[term_id]), int(self.block_ptr[term_id + 1])
        if len(self.doc_gaps):
            x0, x1 = int(self.escape_ptr[term_id]), int(self.escape_ptr[term_id + 1])
            steps = id_coding.steps_of(self.doc_gaps[lo:hi], self.gap_escapes[x0:x1])
            return id_coding.ids_from_steps(steps, self.block_ids[e0:e1], run_lengths(self.run_sizes[e0:e1]))
        low = self.doc_low[lo:hi]
        if e1 - e0 == 1:
            ids = low.astype(np.int32)
            base = int(self.block_ids[e0]) << BLOCK_BITS
            if base:
                ids += base
            return ids
        ids = np.repeat(self.block_ids[e0:e1].astype(np.int32) << BLOCK_BITS, run_lengths(self.run_sizes[e0:e1]))
        ids += low
        return ids

    def _tf(self, term_id: int, lo: int, hi: int) -> np.ndarray | int:
        """The term frequencies of term ``term_id``'s postings lo:hi (all of them): 1, unless the posting's bit in
        ``tf_more`` is set, then the next of the term's ``tf_values``; a plain 1 when the term has no repeats."""
        r0, r1 = int(self.tf_rank[term_id]), int(self.tf_rank[term_id + 1])
        if r0 == r1:
            return 1
        first = lo >> 3
        bits = np.unpackbits(self.tf_more[first:(hi + 7) >> 3], bitorder="little")[lo - 8 * first:hi - 8 * first]
        tf = np.ones(hi - lo, dtype=self.tf_values.dtype)
        tf[bits.view(bool)] = self.tf_values[r0:r1]
        return tf

    def _weights(self, term: QueryTerm, ids: np.ndarray) -> np.ndarray:
        """The BM25 contribution of a query term's postings (all of them, at sentences ``ids``) to their sentences,
        times its factor."""
        tf = self._tf(term.term_id, term.lo, term.hi)
        if self._table is None:
            return self._contributions(term, np.broadcast_to(tf, ids.shape).astype(np.float64), ids)
        cell = self._row.take(ids)
        cell += tf
        if term.hi - term.lo > len(self._table):
            # A common term: multiply the table, not every posting — (tf part × idf) × factor either way,
            # the same products of the same numbers, so the same bits.
            scaled = self._table * term.idf
            if term.factor != 1:
                scaled *= term.factor
            return scaled.take(cell)
        weights = self._table.take(cell)
        weights *= term.idf  # idf × tf part, as rank-bm25 multiplies (IEEE products commute exactly)
        if term.factor != 1:
            weights *= term.factor
        return weights

    def _idf(self, document_frequency: np.ndarray, size: int) -> np.ndarray:
        return inverse_document_frequency(document_frequency, size, self.settings)

    def doc_ids(self) -> np.ndarray:
        """Every posting's sentence id, term after term (decoded: 4 bytes a posting)."""
        return id_coding.decode({name: getattr(self, name) for name in id_coding.ARRAY_NAMES})

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything, the terms included, as arrays (what ``from_arrays`` takes back)."""
        terms = self.vocabulary if isinstance(self.vocabulary, TermTable) else TermTable.of(self.term_list)
        return {**{name: getattr(self, name) for name in ARRAY_NAMES}, **terms.arrays(),
                "tf_max": np.array([self.tf_max], dtype=np.int64)}

    def counts(self) -> TermCounts:
        """The sentence-major counts this index was built from (to rebuild after some sentences change)."""
        term_of_row = np.repeat(np.arange(len(self.term_list), dtype=np.int32), np.diff(self.indptr))
        doc_ids = self.doc_ids()
        order = np.argsort(doc_ids, kind="stable")
        indptr = np.zeros(self.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(doc_ids, minlength=self.size), out=indptr[1:])
        del doc_ids
        return TermCounts(self.term_list, indptr, term_of_row[order], decode_tf(self.tf_more, self.tf_values,
                                                                                int(self.indptr[-1]))[order], self.lengths)

    def _span(self, term: str) -> tuple[int, int, int]:
        """A term's id and the bounds of its postings; (-1, 0, 0) when no sentence holds it."""
        term_id = self.vocabulary.get(term)
        if term_id is None:
            return -1, 0, 0
        return term_id, int(self.indptr[term_id]), int(self.indptr[term_id + 1])

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The ids of the sentences holding a term (ascending) and the term's BM25 weight in each."""
        term_id, lo, hi = self._span(term)
        if term_id < 0:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        return self._term_postings(QueryTerm(term_id, lo, hi, float(self.idf_values[term_id]), 1.0))

    def scores(self, query: Sequence[str], weights: Mapping[str, float] | None = None) -> np.ndarray:
        """BM25 score of every sentence for the query (repeated query terms count again, as in rank-bm25).

        ``weights`` scales a term's contribution (e.g. terms carried over from an earlier question count less).
        """
        scores = np.zeros(self.size)
        self._accumulate(scores, self._query_terms(query, weights))
        return scores

    def scores_touched(self, query: Sequence[str],
                       weights: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """``scores``, and the ids of the sentences the query's postings touched (repeats allowed; every other
        sentence scores 0) when they are few (one posting in ``DENSE_FROM`` sentences or fewer), else None: a
        field's best score, its scaling and its sum into the fused scores then need only those (``ranking.fuse``)."""
        scores = np.zeros(self.size)
        touched = self._accumulate(scores, self._query_terms(query, weights))
        if sum(map(len, touched)) * DENSE_FROM > self.size:
            return scores, None
        return scores, (np.concatenate(touched) if touched else np.zeros(0, dtype=np.int64))

    def _query_terms(self, query: Sequence[str], weights: Mapping[str, float] | None) -> list[QueryTerm]:
        """The query's terms this index holds, once each in query order, with their postings and factors."""
        terms = []
        for term, count in Counter(query).items():
            term_id, lo, hi = self._span(term)
            if hi > lo:
                terms.append(QueryTerm(term_id, lo, hi, float(self.idf_values[term_id]),
                                       count * (weights.get(term, 1.0) if weights else 1.0)))
        return terms

    def _term_postings(self, term: QueryTerm) -> tuple[np.ndarray, np.ndarray]:
        """A query term's sentence ids and its weighted contribution to each."""
        ids = self._ids(term.term_id, term.lo, term.hi)
        return ids, self._weights(term, ids)

    def _accumulate(self, scores: np.ndarray, terms: list[QueryTerm]) -> list[np.ndarray]:
        """Add the query terms' contributions into ``scores``; returns the sentence ids each term touched."""
        touched = []
        for term in terms:
            ids, term_weights = self._term_postings(term)
            # ids are distinct within a term, so each weight is added exactly once (add.at: the fast scatter).
            np.add.at(scores, ids, term_weights)
            touched.append(ids)
        return touched

    def _scratch(self) -> np.ndarray:
        """This thread's all-zero score buffer (Streamlit answers sessions from several threads)."""
        return self._thread_buffer("scores", lambda: np.zeros(self.size))

    def _thread_buffer(self, name: str, make: Callable[[], np.ndarray]) -> np.ndarray:
        """This thread's buffer ``name``, one a sentence, made by ``make`` on first use (and for a new size)."""
        local = self.__dict__.get("_local")
        if local is None:
            local = self.__dict__.setdefault("_local", threading.local())
        buffer = getattr(local, name, None)
        if buffer is None or len(buffer) != self.size:
            buffer = make()
            setattr(local, name, buffer)
        return buffer

    def top_k(self, query: Sequence[str], k: int,
              weights: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Ids and scores of the k best sentences with a positive score, best first (ties: lower id first).

        The same as ``select_top_k(self.scores(query, weights), k)``, in time proportional to the postings read,
        not to the corpus: scores go into a reused buffer, only the sentences a term touched are candidates, and
        only they are set back to 0 (allocating, zeroing and scanning a million scores was most of the time).
        """
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        terms = self._query_terms(query, weights)
        pruned = self.pruned_top_k(terms, k)
        if pruned is not None:
            return pruned
        scores = self._scratch()
        try:
            touched = self._accumulate(scores, terms)
        except BaseException:
            scores.fill(0.0)  # interrupted half-way: the buffer must be all zeros for the next query
            raise
        postings = sum(len(ids) for ids in touched)
        if postings * DENSE_FROM > self.size:
            # Common terms touch much of the corpus: then a pass over every score is cheaper than over the postings.
            try:
                return select_top_k(scores, k)
            finally:
                scores.fill(0.0)
        try:
            if not touched:
                return np.zeros(0, dtype=np.int64), np.zeros(0)
            ids = touched[0] if len(touched) == 1 else np.concatenate(touched)
            return select_among(scores, ids, k, len(touched))
        finally:
            for ids in touched:
                scores[ids] = 0.0

    def pruned_top_k(self, terms: list[QueryTerm], k: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``top_k`` without scoring every posting of the common terms (MaxScore), or None where that cannot be
        shown to give the same result (then every posting is scored).

        The rare terms are scored first; the k-th best of those partial scores is a floor the true k-th best
        reaches. A common term adds at most its bound (``_bound``) to any sentence: while the bounds of some
        common terms add up to less than the floor, a sentence none of the scored terms holds cannot make the top
        k, nor can one whose partial score plus those bounds stays below the floor. Only the sentences left are
        looked up in the left-out terms' postings, and their scores are summed term by term in query order, as
        ``scores`` sums them: the same bits, so the same ids, scores and ties. (Scoring a common term's repeated
        postings too, to bound the rest at tf 1, was slower: in the benchmark's corpus a fifth of 年's repeat.)
        """
        common = [n for n, term in enumerate(terms) if (term.hi - term.lo) * COMMON_FROM > self.size]
        if not common or len(common) == len(terms) or any(t.idf < 0 or t.factor < 0 for t in terms):
            return None
        scores = self._scratch()
        postings: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # a scored term's place in the query → its postings
        try:
            floor, touched = self._score_into(scores, terms, [n for n in range(len(terms)) if n not in common],
                                              postings, k)
            if floor is None:
                return None
            left_out, reach = [], 0.0
            for bound, n in sorted((self._bound(terms[n]), n) for n in common):  # the loosest bounds last
                if (reach + bound) * (1 + PRUNE_MARGIN) >= floor:
                    break
                left_out.append(n)
                reach += bound
            if not left_out:
                return None
            scored = [n for n in common if n not in left_out]
            if scored:
                floor, touched = self._score_into(scores, terms, scored, postings, k)
            reachable = touched[scores[touched] + reach * (1 + PRUNE_MARGIN) >= floor * (1 - PRUNE_MARGIN)]
            total = np.zeros(len(reachable))
            slots = self._slots(reachable)
            try:
                for n, term in enumerate(terms):  # in query order, as ``scores`` adds them: the same sums
                    if n in postings:
                        ids, weights = postings[n]
                        rows, at = _matches(ids, reachable, slots)
                        total[rows] += weights[at]
                    else:
                        rows, weights = self._postings_among(term, reachable, slots)
                        total[rows] += weights
            finally:
                slots[reachable] = -1
            scores[reachable] = total
            return best_of(scores, reachable[total > 0], k)
        finally:
            for ids, _ in postings.values():
                scores[ids] = 0.0

    def _slots(self, ids: np.ndarray) -> np.ndarray:
        """This thread's sentence → row map (-1 elsewhere) with ``ids``' rows set; the caller sets them back to -1."""
        slots = self._thread_buffer("slots", lambda: np.full(self.size, -1, dtype=np.int32))
        slots[ids] = np.arange(len(ids), dtype=np.int32)
        return slots

    def _score_into(self, scores: np.ndarray, terms: list[QueryTerm], places: list[int], postings: dict,
                    k: int) -> tuple[float | None, np.ndarray]:
        """Add the query terms at ``places`` into ``scores``, keeping their postings in ``postings``; the k-th best
        score so far (None when fewer than k sentences score) and the sentences scored so far (ascending)."""
        for n in places:
            ids, weights = postings[n] = self._term_postings(terms[n])
            np.add.at(scores, ids, weights)
        touched = sorted_distinct(np.concatenate([ids for ids, _ in postings.values()]))
        values = scores[touched]
        values = values[values > 0]
        if len(values) < k:
            return None, touched
        return float(np.partition(values, len(values) - k)[len(values) - k]), touched

    def _bound(self, term: QueryTerm) -> float:
        """The most a term can add to a sentence's score: the best of its tf parts over every tf it has, in the
        shortest sentence that can repeat it so (tf tokens at least, and no shorter than the corpus's shortest)."""
        r0, r1 = int(self.tf_rank[term.term_id]), int(self.tf_rank[term.term_id + 1])
        top = int(self.tf_values[r0:r1].max()) if r1 > r0 else 1
        tf = np.arange(1, top + 1, dtype=np.float64)
        part = float(self._tf_part(tf.copy(), np.maximum(tf, self._shortest)).max())
        return part * term.idf * term.factor

    def _postings_among(self, term: QueryTerm, ids: np.ndarray, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which of the sentences ``ids`` (ascending; ``slots`` maps them to their rows) a term's postings hold, as
        rows of ``ids``, and its contribution to each."""
        rows, at = _matches(self._ids(term.term_id, term.lo, term.hi), ids, slots)
        ids = ids[rows]
        tf = np.ones(len(at))
        r0, r1 = int(self.tf_rank[term.term_id]), int(self.tf_rank[term.term_id + 1])
        if r1 > r0 and len(at):
            position = at + term.lo  # in the field's bits: one a posting, set when its sentence repeats the term
            repeated = (self.tf_more[position >> 3] >> (position & 7)) & 1 == 1
            if repeated.any():
                # A repeated posting's count is the next of the term's values: its rank among the term's set bits.
                tf[repeated] = self.tf_values[r0 + ones_before(self.tf_more, position[repeated], term.lo)]
        return rows, self._contributions(term, tf, ids)

    def _contributions(self, term: QueryTerm, tf: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """A term's weighted contribution to sentences ``ids``, which hold it ``tf`` times (float64, overwritten):
        the operations ``_weights`` does, in its order, so the same bits."""
        weights = self._tf_part(tf, self.lengths.take(ids))
        weights *= term.idf
        if term.factor != 1:
            weights *= term.factor
        return weights

    def terms_in(self, doc_id: int, terms: Iterable[str]) -> set[str]:
        """Which of ``terms`` the sentence holds (a binary search per term: no re-tokenizing the sentence)."""
        found = set()
        block, low = doc_id >> BLOCK_BITS, doc_id & BLOCK_MASK
        for term in terms:
            term_id, lo, hi = self._span(term)
            if term_id < 0:
                continue
            # The term's run in the sentence's block, then the low bits inside it: nothing decoded.
            e0, e1 = int(self.block_ptr[term_id]), int(self.block_ptr[term_id + 1])
            blocks = self.block_ids[e0:e1]
            run = int(np.searchsorted(blocks, block))
            if run == e1 - e0 or int(blocks[run]) != block:
                continue
            lengths = run_lengths(self.run_sizes[e0:e0 + run + 1])
            start = lo + int(lengths[:-1].sum())
            lows = self._run_lows(term_id, lo, start, int(lengths[-1]))
            position = int(np.searchsorted(lows, low))
            if position < len(lows) and int(lows[position]) == low:
                found.add(term)
        return found

    def _run_lows(self, term_id: int, lo: int, start: int, length: int) -> np.ndarray:
        """The low 16 bits of the ids of one run of term ``term_id`` (its postings ``start:start + length``; the
        term's begin at ``lo``)."""
        if not len(self.doc_gaps):
            return self.doc_low[start:start + length]
        gaps = self.doc_gaps[start:start + length]
        first = int(self.escape_ptr[term_id]) + int(np.count_nonzero(self.doc_gaps[lo:start] == 0))
        steps = id_coding.steps_of(gaps, self.gap_escapes[first:first + int(np.count_nonzero(gaps == 0))])
        np.cumsum(steps, out=steps)
        steps -= 1
        return steps

    def document_frequency(self, term: str) -> int:
        """How many sentences hold the term."""
        term_id = self.vocabulary.get(term)
        return 0 if term_id is None else int(self.indptr[term_id + 1] - self.indptr[term_id])


def inverse_document_frequency(document_frequency: np.ndarray, size: int, settings: BM25Settings) -> np.ndarray:
    """rank-bm25's idf of terms held by ``document_frequency`` of ``size`` sentences: Okapi's log(N-n+.5) - log(n+.5)
    (negatives replaced by epsilon × the mean idf of all the terms given), or Plus's log((N + 1) / n)."""
    n = document_frequency.astype(np.float64)
    if settings.variant == "plus":
        return np.log((size + 1) / n)
    idf = np.log(size - n + 0.5) - np.log(n + 0.5)
    if len(idf):
        idf[idf < 0] = settings.epsilon * (idf.sum() / len(idf))
    return idf


COMMON_FROM = 64  # pruned_top_k: a term in more than one sentence in this many is scored last, if at all
PRUNE_MARGIN = 1e-9  # pruned_top_k: bounds are compared with this much room for rounding
SEARCH_COST = 32  # pruned_top_k: a binary search among a term's postings costs about this many reads of them
DENSE_FROM = 8  # top_k: past one posting in this many sentences, select over every score, not the postings
TABLE_LIMIT = 1 << 20  # cells of the (length, tf) table of a field (8 bytes each)
class RestrictedBM25(BM25):
    """Another BM25's index, scoring only some sentences (the others score 0): an article filter.

    Like a search server's filter clause it changes no score: idf, lengths and the mean length stay those of
    the whole corpus. The arrays are shared, not copied.
    """

    def __init__(self, base: BM25, keep: np.ndarray) -> None:
        base = getattr(base, "base", base)  # filtering a filtered index starts again from the whole one
        self.__dict__.update(base.__dict__)
        self.base = base
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (base.size,):
            raise ValueError(f"keep must hold one flag per sentence ({base.size}), not {keep.shape}")
        self.keep = keep
        self._drop = ~keep

    def scores(self, query: Sequence[str], weights: Mapping[str, float] | None = None) -> np.ndarray:
        """As ``BM25.scores``, with 0 for every sentence outside the kept ones."""
        scores = super().scores(query, weights)
        np.copyto(scores, 0.0, where=self._drop)
        return scores

    def top_k(self, query: Sequence[str], k: int,
              weights: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """As ``BM25.top_k``, among the kept sentences only."""
        return select_top_k(self.scores(query, weights), k)

    def scores_touched(self, query: Sequence[str],
                       weights: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """As ``BM25.scores_touched``; the sentences touched are not told (every score is read, as before)."""
        return self.scores(query, weights), None


ARRAY_NAMES = ("indptr", *id_coding.ARRAY_NAMES, "tf_more", "tf_values", "tf_rank",
               "idf_values", "lengths")  # postings and statistics
TERM_ARRAYS = ("term_bytes", "term_ptr", "term_hash", "term_order")  # the terms (TermTable)
STORED = (*ARRAY_NAMES, *TERM_ARRAYS, "tf_max")  # what ``arrays`` gives and a store keeps
KEY_LIMIT = 2**62  # (terms × sentences × top tf) must fit one int64 key for the fast term-major sort
SLICE_SENTENCES = 1 << 15  # sentences per slice when building: bounds the temporaries


def smallest_lengths(lengths: np.ndarray) -> np.ndarray:
    """Sentence lengths in tokens as uint16 while they fit (a sentence of 65,536 tokens or more: int32)."""
    top = int(lengths.max()) if len(lengths) else 0
    return lengths.astype(np.uint16 if top < 2**16 else np.int32, copy=False)


def encode_tf(tf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Term frequencies (most are 1) as one bit a posting — set when the sentence repeats the term — and the
    counts of those postings only, in order: ~1.2 bits a posting where a byte each took 86 MB at a million
    sentences."""
    more = np.asarray(tf) > 1
    return np.packbits(more, bitorder="little"), smallest_counts(np.asarray(tf)[more])


def tf_ranks(tf_more: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """For each term, how many repeated postings come before its first (where its ``tf_values`` start)."""
    bits = np.unpackbits(tf_more, bitorder="little")[:int(indptr[-1])]
    before = np.zeros(len(bits) + 1, dtype=np.int64)
    np.cumsum(bits, out=before[1:])
    return offsets(before[indptr])


def _matches(held: np.ndarray, ids: np.ndarray, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``ids`` (ascending) that the ascending ``held`` holds, as (their rows in ids, their places in held).

    A few ids are looked up in ``held`` (a binary search each); many are found by reading ``slots`` (sentence →
    row of ids, -1 elsewhere) at every one of ``held``: a pass over it costs less than ``SEARCH_COST`` searches."""
    if len(ids) * SEARCH_COST < len(held):
        at, found = _places(held, ids)
        return np.flatnonzero(found), at[found]
    rows = slots.take(held)
    at = np.flatnonzero(rows >= 0)
    return rows[at], at


def _places(held: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``ids`` is in the ascending ``held`` (0 where it is not there), and whether it is."""
    at = np.searchsorted(held, ids)
    at[at == len(held)] = 0
    return at, (held[at] == ids if len(held) else np.zeros(len(ids), dtype=bool))


def ones_before(bits: np.ndarray, positions: np.ndarray, start: int) -> np.ndarray:
    """How many bits are set in ``start:p`` of the packed (little-endian) ``bits``, for each p of ``positions``
    (at or past ``start``): a popcount of whole bytes, then of the last byte's low bits."""
    first, last = start >> 3, (int(positions.max()) >> 3) + 1
    ones = np.zeros(last - first + 1, dtype=np.int64)
    np.cumsum(np.bitwise_count(bits[first:last]), out=ones[1:])
    byte = positions >> 3
    below = np.bitwise_count(bits[byte] & ((1 << (positions & 7)) - 1).astype(np.uint8))
    return ones[byte - first] + below - int(np.bitwise_count(bits[first] & np.uint8((1 << (start & 7)) - 1)))


def decode_tf(tf_more: np.ndarray, tf_values: np.ndarray, rows: int) -> np.ndarray:
    """Every posting's term frequency, from ``encode_tf``'s arrays."""
    tf = np.ones(rows, dtype=np.result_type(np.uint8, tf_values.dtype))
    tf[np.unpackbits(tf_more, bitorder="little")[:rows].view(bool)] = tf_values
    return tf


def doc_id_type(size: int) -> type:
    """Sentence ids take 4 bytes a posting while they fit (up to 2**31 sentences), 8 beyond."""
    return np.int32 if size < 2**31 else np.int64


def _slices(rows: int, step: int = 1 << 20) -> Iterator[tuple[int, int]]:
    return ((lo, min(lo + step, rows)) for lo in range(0, rows, step))


def _term_major(columns: dict[str, np.ndarray], sentences: int,
                vocabulary_size: int) -> tuple[Callable[[int, int], np.ndarray], np.ndarray, np.ndarray]:
    """The rows of sentence-major counts (``columns``: a TermCounts' ``indptr``, ``term_ids``, ``tf``, taken out
    of the dict) in term-major order, sentences ascending within a term.

    Returns a function giving the term ids of rows lo:hi, the sentence ids, and the term frequencies.
    Each row becomes one int64 key (term, sentence, tf) sorted in place: 8 bytes a row, where an argsort
    would need the same for its order plus copies of every column. The input columns are let go once the
    key holds them.
    """
    indptr, term_ids, tf_in = columns.pop("indptr"), columns.pop("term_ids"), columns.pop("tf")
    size, rows = max(sentences, 1), len(term_ids)
    top = int(tf_in.max()) + 1 if rows else 1
    per_term = size * top
    if vocabulary_size * per_term < KEY_LIMIT:
        key = np.empty(rows, dtype=np.int64)
        for first in range(0, sentences, SLICE_SENTENCES):  # a slice of sentences at a time: small temporaries
            last = min(first + SLICE_SENTENCES, sentences)
            lo, hi = int(indptr[first]), int(indptr[last])
            doc = np.repeat(np.arange(first, last, dtype=np.int64), np.diff(indptr[first:last + 1]))
            key[lo:hi] = (term_ids[lo:hi].astype(np.int64) * size + doc) * top + tf_in[lo:hi]
        tf_type = tf_in.dtype
        del indptr, term_ids, tf_in
        key.sort()
        doc_ids = np.empty(rows, dtype=doc_id_type(size))
        tf = np.empty(rows, dtype=tf_type)
        for lo, hi in _slices(rows):
            doc_ids[lo:hi] = key[lo:hi] // top % size
            tf[lo:hi] = key[lo:hi] % top
        return (lambda lo, hi: key[lo:hi] // per_term), doc_ids, tf
    # Too many terms × sentences for one int64 key: a stable argsort does the same with more memory.
    order = np.argsort(term_ids, kind="stable")
    doc = np.repeat(np.arange(sentences, dtype=doc_id_type(sentences)), np.diff(indptr))
    terms = term_ids[order]
    return (lambda lo, hi: terms[lo:hi]), doc[order], tf_in[order]


SAMPLE_STRIDE = 32  # select_top_k: one score in this many sets a first bar (only past TOP_K_SAMPLE_FROM scores)
TOP_K_SAMPLE_FROM = 1 << 16


def select_top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids and scores of the k best positive scores, best first (ties: lower id first)."""
    if k <= 0:
        return np.zeros(0, dtype=np.int64), scores[:0]
    bar = sample_bar(scores, k)
    candidates = np.flatnonzero(scores >= bar) if bar > 0 else np.flatnonzero(scores > 0)
    return best_of(scores, candidates, k)


def sample_bar(scores: np.ndarray, k: int) -> float:
    """A score the k-th best of ``scores`` reaches (0.0: no telling). With the character fields nearly every
    sentence scores above 0, and a partition of all of them costs ~10 ms at a million: the k-th best of a sample
    (one score in ``SAMPLE_STRIDE``) is reached by at least k scores (the sample's own), so every score of the true
    top k, ties included, is at or above it."""
    if len(scores) < TOP_K_SAMPLE_FROM:
        return 0.0
    sample = scores[::SAMPLE_STRIDE]
    return float(np.partition(sample, len(sample) - k)[len(sample) - k]) if len(sample) > k else 0.0


def best_of(scores: np.ndarray, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best of some candidate ids (ascending, distinct) by score, best first, ties to the lower id."""
    if len(candidates) > k:
        part = np.argpartition(-scores[candidates], k - 1)[:k]
        # Keep every candidate tied with the k-th best, so that ties resolve to the lower id, not by chance.
        kth = scores[candidates[part]].min()
        candidates = candidates[scores[candidates] >= kth]
    order = np.lexsort((candidates, -scores[candidates]))
    ids = candidates[order][:k]
    return ids, scores[ids]


def sorted_distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` for a flat array: sorted, each value once. NumPy 2.4's ``np.unique`` hashes and then
    sorts, 10–16× slower than a sort and a comparison of neighbours on 30 to 30,000 ids (measured here).

    Every caller passes a few ascending runs (posting lists, concatenated): the stable sort (timsort) merges runs,
    3× faster than the default quicksort on 30,000 ids in 6 runs (and 2.4× slower on random ones)."""
    ordered = np.sort(values, kind="stable")
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def select_among(scores: np.ndarray, ids: np.ndarray, k: int, repeats: int) -> tuple[np.ndarray, np.ndarray]:
    """``select_top_k(scores, k)`` when only ``ids`` can score above 0 (each listed at most ``repeats`` times)."""
    values = scores[ids]
    limit = k * repeats
    if len(ids) > limit:
        # At most k - 1 sentences beat the k-th best, each listed at most ``repeats`` times: the limit-th largest
        # listed value is a bar the k-th best reaches, so every score of the true top k, ties included, passes it.
        bar = np.partition(values, len(values) - limit)[len(values) - limit]
        keep = (values >= bar) & (values > 0)
    else:
        keep = values > 0
    return best_of(scores, sorted_distinct(ids[keep]).astype(np.int64, copy=False), k)
