"""Posting ids kept as low bits or as steps: each field takes the smaller, and both decode to the same ids."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
from rank_bm25 import BM25Plus

from qa.corpus.integrity import field_problem
from qa.search import id_coding
from qa.search.bm25 import BM25
from tests.search.test_bm25 import DRCD, plus_reference_scores


def term_major(documents: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct term's sentence ids, ascending, term after term (the order BM25 keeps them in)."""
    holding: dict[str, list[int]] = {}
    for i, document in enumerate(documents):
        for term in dict.fromkeys(document):
            holding.setdefault(term, []).append(i)
    lists = list(holding.values())
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([len(ids) for ids in lists], out=indptr[1:])
    return np.concatenate([np.array(ids) for ids in lists]), indptr


@pytest.fixture(scope="module")
def drcd_sentences() -> list[str]:
    """~4,000 real Wikipedia sentences (DRCD dev, CC BY-SA 3.0 Delta Electronics)."""
    sentences = []
    for article in json.loads(DRCD.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            sentences += [s for s in re.split(r"(?<=[。！？；])", paragraph["context"]) if s.strip()]
        if len(sentences) >= 4000:
            return sentences
    return sentences


@pytest.fixture(scope="module")
def many_sentences(drcd_sentences) -> list[list[str]]:
    """Past two blocks of 65,536 sentences: the DRCD sentences' characters, shuffled and repeated."""
    rng = np.random.default_rng(7)
    order = rng.integers(0, len(drcd_sentences), 140_000)
    return [list(drcd_sentences[i]) for i in order]


def test_characters_take_steps_and_words_low_bits_and_both_decode(drcd_sentences, analyzer) -> None:
    chars = [list(s) for s in drcd_sentences]
    words = [analyzer.terms(s) for s in drcd_sentences]
    kept = {}
    for name, documents in (("chars", chars), ("words", words)):
        ids, indptr = term_major(documents)
        arrays = id_coding.encode(ids, indptr)
        np.testing.assert_array_equal(id_coding.decode(arrays), ids)
        kept[name] = arrays
    # Characters recur every few sentences: one byte a posting, a few escapes.
    assert len(kept["chars"]["doc_low"]) == 0 and len(kept["chars"]["doc_gaps"]) > 0
    assert kept["chars"]["doc_gaps"].nbytes + kept["chars"]["gap_escapes"].nbytes < 0.7 * 2 * len(kept["chars"]["doc_gaps"])
    # Words lie far apart: most steps would need an escape, so the low bits are kept.
    assert len(kept["words"]["doc_gaps"]) == 0 and len(kept["words"]["doc_low"]) > 0


def test_every_step_size_round_trips_across_blocks() -> None:
    """Steps of 1, 255, 256 (the first escape), 65,535 and 65,536 (a whole block), across block edges."""
    ids = np.array([0, 1, 256, 512, 65_535, 65_536, 65_791, 131_071, 131_072, 196_607, 5, 65_536 + 5], dtype=np.int64)
    indptr = np.array([0, 10, 12])
    dense = np.concatenate([np.arange(0, 200_000, 3), ids[:10]])
    dense_ptr = np.array([0, 200_000 // 3 + 1, 200_000 // 3 + 11])
    arrays = id_coding.encode(dense, dense_ptr)
    assert len(arrays["doc_gaps"]) == len(dense)
    np.testing.assert_array_equal(id_coding.decode(arrays), dense)
    np.testing.assert_array_equal(id_coding.decode(id_coding.encode(ids, indptr)), ids)


def test_a_stepped_field_over_several_blocks_scores_as_rank_bm25(many_sentences) -> None:
    ours = BM25(many_sentences)
    assert len(ours.doc_gaps) == int(ours.indptr[-1]) and len(ours.doc_low) == 0 and ours.block_ids.max() >= 2
    ids, indptr = term_major(many_sentences)
    order = {term: i for i, term in enumerate(dict.fromkeys(t for d in many_sentences for t in dict.fromkeys(d)))}
    for term in ("的", "台", "颱", many_sentences[-1][0]):
        t = order[term]
        np.testing.assert_array_equal(ours.postings(term)[0], ids[indptr[t]:indptr[t + 1]], err_msg=term)
    reference = BM25Plus(many_sentences, k1=ours.settings.k1, b=ours.settings.b)
    for query in (list("台灣的首都"), list("颱風季節"), many_sentences[99_999][:6]):
        np.testing.assert_allclose(ours.scores(query), plus_reference_scores(reference, query), rtol=1e-12, atol=1e-12)
    assert field_problem("chars", ours.arrays(), len(many_sentences)) == ""


def test_terms_in_reads_one_run_of_steps(many_sentences) -> None:
    ours = BM25(many_sentences)
    rng = np.random.default_rng(3)
    probe = sorted({"的", "台", "颱", "風", "國", "冰", "魚"})
    for doc_id in [0, 65_535, 65_536, 131_072, len(many_sentences) - 1, *rng.integers(0, len(many_sentences), 40)]:
        assert ours.terms_in(int(doc_id), probe) == set(probe) & set(many_sentences[doc_id]), doc_id


def test_the_checker_refuses_steps_that_do_not_fit(many_sentences) -> None:
    bm25 = BM25(many_sentences[:70_000])
    arrays = bm25.arrays()
    assert field_problem("chars", arrays, 70_000) == ""
    # Steps grown in the first run of the commonest character: its last ids spill past the block's 65,536.
    t = bm25.vocabulary["的"]
    lo, first_run = int(bm25.indptr[t]), int(id_coding.run_lengths(bm25.run_sizes[bm25.block_ptr[t]:][:1])[0])
    gaps = arrays["doc_gaps"].copy()
    run = gaps[lo:lo + first_run]
    run[run > 0] = 255
    assert "doc_gaps.npy: a run's steps lead out of its block" in field_problem("chars", {**arrays, "doc_gaps": gaps}, 70_000)
    # An escape dropped: the escapes no longer match the 0 steps.
    assert "escape_ptr.npy: the escapes do not match" in field_problem(
        "chars", {**arrays, "gap_escapes": arrays["gap_escapes"][:-1]}, 70_000)
    # Both ways at once.
    assert "one way, not both" in field_problem(
        "chars", {**arrays, "doc_low": np.zeros(len(gaps), np.uint16)}, 70_000)
