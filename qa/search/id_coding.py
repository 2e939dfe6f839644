"""The sentence ids of a field's postings, term-major and ascending within each term, in as few bytes as they fit.

Each term's postings are cut into runs, one per block of 2**16 sentences it appears in (``block_ptr``,
``block_ids``, ``run_sizes``). Inside a run a posting keeps its sentence id's low 16 bits in one of two ways, the
smaller for the field chosen when it is built (``encode``):

- ``doc_low``: the low 16 bits themselves, 2 bytes a posting — right where a term's sentences lie far apart (most
  words and character pairs: a typical gap is hundreds of sentences);
- ``doc_gaps``: the step from the run's previous posting (the first from -1), one byte a posting when it is
  below 256, else a 0 byte with the step − 1 in ``gap_escapes`` (uint16); ``escape_ptr[t]`` counts the escapes
  before term ``t``'s postings. Single characters recur every few sentences: at a million sentences 92% of their
  steps fit a byte and the field takes 40 MB instead of 68.

Decoding a term is a cumulative sum over its steps (and one correction a run), so scoring reads any slice of
whole terms without touching the others.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

BLOCK_BITS = 16  # a posting keeps its sentence id's low 16 bits; a term's runs per block of 2**16 sentences the rest
BLOCK_MASK = (1 << BLOCK_BITS) - 1
BYTE_STEPS = 256  # a step below this is its own byte; 0 marks an escape
ARRAY_NAMES = ("doc_low", "doc_gaps", "gap_escapes", "escape_ptr", "block_ptr", "block_ids", "run_sizes")


def encode(doc_ids: np.ndarray, indptr: np.ndarray) -> dict[str, np.ndarray]:
    """Term-major sentence ids (ascending within each term; ``indptr`` delimits the terms) as the arrays named in
    ``ARRAY_NAMES``: the runs, and the low bits or the steps, whichever takes fewer bytes (the other is empty)."""
    doc_low, block_ptr, block_ids, run_sizes = encode_runs(doc_ids, indptr)
    arrays = {"block_ptr": block_ptr, "block_ids": block_ids, "run_sizes": run_sizes}
    steps = run_steps(doc_low, run_lengths(run_sizes))
    escaped = steps >= BYTE_STEPS
    escapes = int(np.count_nonzero(escaped))
    terms = len(indptr) - 1
    if len(doc_low) + 2 * escapes + 4 * (terms + 1) < doc_low.nbytes:
        gaps = steps.astype(np.uint8)
        gaps[escaped] = 0
        before = np.zeros(len(steps) + 1, dtype=np.int64)
        np.cumsum(escaped, out=before[1:])
        arrays.update(doc_low=np.zeros(0, np.uint16), doc_gaps=gaps, gap_escapes=(steps[escaped] - 1).astype(np.uint16),
                      escape_ptr=offsets(before[indptr]))
    else:
        arrays.update(doc_low=doc_low, doc_gaps=np.zeros(0, np.uint8), gap_escapes=np.zeros(0, np.uint16),
                      escape_ptr=np.zeros(0, np.int32))
    return arrays


def encode_runs(doc_ids: np.ndarray, indptr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each id's low 16 bits (uint16) and the runs of each term's postings that share a block of 2**16 sentences:
    term ``t``'s runs are ``block_ptr[t]:block_ptr[t+1]``, run ``r`` is block ``block_ids[r]`` and holds
    ``run_sizes[r] + 1`` postings (uint16: a run has 1 to 2**16). At a million sentences a term has at most 16 runs."""
    doc_ids = np.asarray(doc_ids)
    rows, terms = len(doc_ids), len(indptr) - 1
    # A run starts at each term's first posting and wherever the block changes (a few per term: no per-posting
    # temporaries beyond the blocks themselves).
    blocks = doc_ids >> BLOCK_BITS
    changes = np.flatnonzero(blocks[1:] != blocks[:-1]) + 1 if rows else np.zeros(0, dtype=np.int64)
    term_starts = indptr[:-1][np.diff(indptr) > 0]
    first = np.union1d(term_starts, changes).astype(np.int64)
    run_term = np.searchsorted(indptr, first, side="right") - 1
    block_ptr = np.zeros(terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(run_term, minlength=terms), out=block_ptr[1:])
    sizes = np.diff(np.append(first, rows)) - 1
    block_ids = blocks[first].astype(np.uint16 if int(blocks.max(initial=0)) < 2**16 else np.int32)
    del blocks
    return (doc_ids & BLOCK_MASK).astype(np.uint16), offsets(block_ptr), block_ids, sizes.astype(np.uint16)


def run_steps(doc_low: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each posting's step from the previous one in its run (the first's from -1): 1 to 2**16, int32."""
    steps = np.diff(doc_low.astype(np.int32), prepend=np.int32(-1))
    starts = np.cumsum(lengths) - lengths
    steps[starts] = doc_low[starts].astype(np.int32) + 1
    return steps


def run_lengths(run_sizes: np.ndarray) -> np.ndarray:
    """The postings of each run (``encode_runs`` stores one less, so that 2**16 fits two bytes)."""
    lengths = run_sizes.astype(np.int64)
    lengths += 1
    return lengths


def steps_of(gaps: np.ndarray, escapes: np.ndarray) -> np.ndarray:
    """The steps a slice of ``doc_gaps`` stands for (int32), given the slice's own escapes in order."""
    steps = gaps.astype(np.int32)
    if len(escapes):
        steps[np.flatnonzero(gaps == 0)] = escapes.astype(np.int32) + 1
    return steps


def ids_from_steps(steps: np.ndarray, blocks: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Sentence ids (int32, overwriting ``steps``) of consecutive whole runs, from their steps, blocks and lengths."""
    np.cumsum(steps, out=steps)
    if len(blocks) == 1:
        steps += (int(blocks[0]) << BLOCK_BITS) - 1
        return steps
    # Each run restarts its count: take off what the runs before it summed, and add its block's base.
    ends = np.cumsum(lengths)
    before = np.zeros(len(lengths), dtype=np.int64)
    before[1:] = steps[ends[:-1] - 1]
    steps += np.repeat(((blocks.astype(np.int64) << BLOCK_BITS) - before - 1).astype(np.int32), lengths)
    return steps


def decode(arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """Every posting's sentence id (int64), from ``encode``'s arrays (whose shapes must fit together)."""
    lengths = run_lengths(arrays["run_sizes"])
    blocks = np.repeat(arrays["block_ids"].astype(np.int64) << BLOCK_BITS, lengths)
    if len(arrays["doc_gaps"]) or not len(arrays["doc_low"]):
        steps = steps_of(arrays["doc_gaps"], arrays["gap_escapes"]).astype(np.int64)
        np.cumsum(steps, out=steps)
        ends = np.cumsum(lengths)
        before = np.zeros(len(lengths), dtype=np.int64)
        before[1:] = steps[ends[:-1] - 1]
        steps -= np.repeat(before + 1, lengths)
        return blocks + steps
    return blocks + arrays["doc_low"]


def postings(arrays: Mapping[str, np.ndarray]) -> int:
    """How many postings the arrays hold (whichever way their low bits are kept)."""
    return max(len(arrays["doc_low"]), len(arrays["doc_gaps"]))


def offsets(ptr: np.ndarray) -> np.ndarray:
    """Per-term offsets as int32 while they fit (4 bytes a term less), else int64."""
    return ptr.astype(np.int32 if int(ptr[-1]) < 2**31 else np.int64, copy=False)
