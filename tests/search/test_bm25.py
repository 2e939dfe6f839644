"""The fast BM25 (flat inverted index) against the reference, rank_bm25.BM25Okapi, on the same tokens."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
from rank_bm25 import BM25Okapi, BM25Plus

from conftest import ROOT
from qa.search import bm25 as bm25_module
from qa.search.bm25 import BM25, BM25Settings, TermCounts, ones_before, select_top_k, sorted_distinct

DRCD = ROOT / "tests" / "data" / "bm25_slice_drcd.json"  # the first articles of DRCD dev (see tests/data/README.md)
RTOL = 1e-9
OKAPI = BM25Settings(k1=1.5, b=0.75, variant="okapi")  # rank-bm25's BM25Okapi defaults


@pytest.fixture(scope="module")
def drcd_tokens(analyzer) -> tuple[list[list[str]], list[list[str]]]:
    """~3,000 real Wikipedia sentences (DRCD dev, CC BY-SA 3.0 Delta Electronics) and 400 real questions, as terms."""
    data = json.loads(DRCD.read_text(encoding="utf-8"))["data"]
    sentences, questions = [], []
    for article in data:
        for paragraph in article["paragraphs"]:
            sentences += [s for s in re.split(r"(?<=[。！？；])", paragraph["context"]) if s.strip()]
            questions += [qa["question"] for qa in paragraph["qas"]]
        if len(sentences) >= 3000:
            break
    return [analyzer.terms(s) for s in sentences], [analyzer.question_terms(q) for q in questions[:400]]


def reference_top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """The k best positive scores, best first, ties to the lower id: a plain stable sort."""
    order = np.argsort(-scores, kind="stable")
    return order[scores[order] > 0][:k]


def assert_same_ranking(ours: BM25, reference: BM25Okapi, query: list[str], k: int = 10) -> None:
    expected = reference.get_scores(query)
    scores = ours.scores(query)
    np.testing.assert_allclose(scores, expected, rtol=RTOL, atol=1e-12)
    ids, top = ours.top_k(query, k)
    want = reference_top_k(expected, k)
    np.testing.assert_allclose(top, expected[want], rtol=RTOL)
    # Ids must match wherever the reference scores are not tied (a tie may only swap equal scores).
    for mine, theirs in zip(ids, want):
        assert mine == theirs or abs(expected[mine] - expected[theirs]) <= RTOL * abs(expected[theirs])


def test_equals_rank_bm25_on_real_sentences_and_questions(drcd_tokens) -> None:
    documents, questions = drcd_tokens
    assert len(documents) >= 3000 and len(questions) == 400
    ours, reference = BM25(documents, OKAPI), BM25Okapi(documents)
    assert ours.size == reference.corpus_size and ours.avgdl == pytest.approx(reference.avgdl, rel=1e-12)
    for term in ("台湾", "研究", "年"):
        assert ours.idf.get(term) == pytest.approx(reference.idf.get(term), rel=RTOL)
    answered = 0
    for query in questions:
        assert_same_ranking(ours, reference, query)
        answered += bool(len(ours.top_k(query, 1)[0]))
    assert answered > 350  # the questions really hit the sentences


@pytest.mark.parametrize("settings", [BM25Settings(k1=1.2, b=0.5, epsilon=0.1, variant="okapi"),
                                      BM25Settings(k1=2.0, b=0.9, epsilon=0.5, variant="okapi")])
def test_equals_rank_bm25_with_other_settings(drcd_tokens, settings) -> None:
    documents, questions = drcd_tokens
    documents = documents[:1500]
    ours = BM25(documents, settings)
    reference = BM25Okapi(documents, k1=settings.k1, b=settings.b, epsilon=settings.epsilon)
    for query in questions[:100]:
        assert_same_ranking(ours, reference, query)


def test_equals_rank_bm25_on_the_seed(seed_article, analyzer) -> None:
    """Always runs (no data set needed): the seed's sentences, each question in both scripts."""
    documents = [analyzer.terms(s.text) for s in seed_article.sentences]
    ours, reference = BM25(documents, OKAPI), BM25Okapi(documents)
    for question in ("金融科技如何聯通產業前後端？", "金融科技如何联通产业前后端？", "京東和阿里", "互聯網的頑疾",
                     "螞蟻金服 螞蟻金服 科技"):
        assert_same_ranking(ours, reference, analyzer.question_terms(question), k=5)


def plus_reference_scores(reference: BM25Plus, query: list[str]) -> np.ndarray:
    """rank-bm25's BM25Plus scores less what it adds to every sentence alike (idf × delta per query term)."""
    return reference.get_scores(query) - sum(reference.idf.get(t) or 0.0 for t in query) * reference.delta


@pytest.mark.parametrize("size", [2, 3, 40, 3000])
def test_the_engines_variant_equals_rank_bm25_plus(drcd_tokens, size: int) -> None:
    """The engine's default (BM25Plus, k1 1.2, b 0.3) ranks and scores as rank-bm25's BM25Plus, also on a
    two-sentence article where Okapi's idf is 0 for every term held by one of the two."""
    documents, questions = drcd_tokens
    documents = documents[:size]
    settings = BM25Settings()
    assert settings.variant == "plus"
    ours = BM25(documents, settings)
    reference = BM25Plus(documents, k1=settings.k1, b=settings.b)
    queries = [sorted(set(documents[0]))[:3]] + questions[:100]
    for query in queries:
        expected = plus_reference_scores(reference, query)
        np.testing.assert_allclose(ours.scores(query), expected, rtol=RTOL, atol=1e-12)
    assert ours.scores(queries[0])[0] > 0  # a short article still answers


def test_edge_cases_follow_the_reference() -> None:
    # Empty sentences, repeated terms in sentence and query, a term in more than half of the sentences
    # (negative idf → epsilon × mean idf), a term nobody has.
    documents = [["貓", "狗", "貓"], [], ["狗"], ["狗", "魚"], ["狗", "鳥", "鳥", "鳥"], ["貓"]]
    ours, reference = BM25(documents, OKAPI), BM25Okapi(documents)
    default = BM25Settings()
    plus, plus_reference = BM25(documents), BM25Plus(documents, k1=default.k1, b=default.b)
    for query in (["狗"], ["貓", "貓"], ["鳥", "魚", "狗"], ["沒有"], []):
        np.testing.assert_allclose(ours.scores(query), reference.get_scores(query), rtol=RTOL, atol=1e-12)
        np.testing.assert_allclose(plus.scores(query), plus_reference_scores(plus_reference, query),
                                   rtol=RTOL, atol=1e-12)
    assert ours.document_frequency("狗") == 4 and ours.document_frequency("沒有") == 0
    assert "狗" in ours.idf and ours.idf.get("沒有") is None


def test_weights_scale_a_terms_contribution() -> None:
    documents = [["金融", "科技"], ["金融"], ["科技", "產業"], ["產業"]]
    bm25 = BM25(documents)
    plain = bm25.scores(["金融", "產業"])
    half = bm25.scores(["金融", "產業"], {"產業": 0.5})
    only_finance = bm25.scores(["金融"])
    np.testing.assert_allclose(half, only_finance + 0.5 * (plain - only_finance))


def test_each_terms_contribution_is_bit_identical_to_rank_bm25(drcd_tokens) -> None:
    """Contributions are computed per query, not stored: with rank-bm25's operations in its order, so a
    one-term query's scores are the reference's exactly, repeated terms in a sentence (tf > 1) included."""
    documents = drcd_tokens[0][:2000]
    ours, reference = BM25(documents, OKAPI), BM25Okapi(documents)
    several = {t for d in documents for t in set(d) if d.count(t) > 1}
    terms = sorted(several)[:40] + ["台湾", "研究", "年", "的"]
    assert len(several) > 40
    for term in terms:
        ids, weights = ours.postings(term)
        expected = reference.get_scores([term])
        np.testing.assert_array_equal(weights, expected[ids], err_msg=term)
        np.testing.assert_array_equal(ours.scores([term]), expected, err_msg=term)


def test_top_k_breaks_ties_by_lower_id() -> None:
    scores = np.array([0.0, 2.0, 1.0, 2.0, 2.0, -1.0, 3.0])
    ids, top = select_top_k(scores, 3)
    assert ids.tolist() == [6, 1, 3] and top.tolist() == [3.0, 2.0, 2.0]
    assert select_top_k(scores, 10)[0].tolist() == [6, 1, 3, 4, 2]  # only positive scores
    assert select_top_k(np.zeros(4), 2)[0].tolist() == []


def test_contributions_without_the_length_table_are_the_same(drcd_tokens, monkeypatch) -> None:
    """A field whose (length, tf) table would be too big computes each contribution per posting: same bits."""
    documents, questions = drcd_tokens
    documents = documents[:1500]
    tabled = BM25(documents)
    monkeypatch.setattr("qa.search.bm25.TABLE_LIMIT", 0)
    direct = BM25(documents)
    assert tabled._table is not None and direct._table is None
    for query in questions[:100]:
        np.testing.assert_array_equal(direct.scores(query), tabled.scores(query))


@pytest.mark.parametrize("kind", ["ties", "mostly zero", "all equal", "few positive", "negative"])
def test_top_k_of_many_scores_equals_a_full_sort(kind) -> None:
    """Past TOP_K_SAMPLE_FROM scores a sample sets a first bar: the result must be the full sort's."""
    rng = np.random.default_rng(7)
    size = 300_000
    if kind == "ties":
        scores = rng.integers(0, 50, size).astype(np.float64)  # every value shared by thousands
    elif kind == "mostly zero":
        scores = np.where(rng.random(size) < 0.001, rng.random(size), 0.0)
    elif kind == "all equal":
        scores = np.full(size, 2.5)
    elif kind == "few positive":
        scores = np.zeros(size)
        scores[[5, 70_000, 299_999]] = [1.0, 3.0, 1.0]
    else:
        scores = rng.normal(-1.0, 1.0, size)
    for k in (1, 3, 10, 250):
        ids, top = select_top_k(scores, k)
        want = reference_top_k(scores, k)
        assert ids.tolist() == want.tolist(), (kind, k)
        assert top.tolist() == scores[want].tolist()


def test_counts_rebuild_the_same_index_and_a_subset_equals_a_fresh_reference(drcd_tokens) -> None:
    """What an incremental rebuild relies on: stored counts give back the index; selected sentences
    re-indexed score as rank-bm25 does on just those sentences."""
    documents = drcd_tokens[0][:2000]
    bm25 = BM25(documents, OKAPI)
    again = BM25.from_counts(bm25.counts(), OKAPI)
    assert again.term_list == bm25.term_list
    for name, array in bm25.arrays().items():
        np.testing.assert_array_equal(again.arrays()[name], array, err_msg=name)
    keep = np.r_[1500:2000, 0:700]
    counts = bm25.counts()
    merged = TermCounts.concatenate([counts.select(keep[:500]), TermCounts.from_documents([documents[i] for i in keep[500:]])])
    subset = BM25.from_counts(merged, OKAPI)
    reference = BM25Okapi([documents[i] for i in keep])
    for query in drcd_tokens[1][:50]:
        assert_same_ranking(subset, reference, query)


def test_token_ids_and_documents_count_alike() -> None:
    documents = [["a", "b", "a"], ["c"], [], ["b", "b"]]
    by_documents = TermCounts.from_documents(documents)
    by_ids = TermCounts.from_token_ids(("a", "b", "c"), np.array([0, 1, 0, 2, 1, 1], dtype=np.int32),
                                       np.array([3, 1, 0, 2]))
    for counts in (by_documents, by_ids):
        rows = [sorted((counts.terms[t], int(f)) for t, f in zip(counts.term_ids[lo:hi], counts.tf[lo:hi]))
                for lo, hi in zip(counts.indptr[:-1], counts.indptr[1:])]
        assert rows == [[("a", 2), ("b", 1)], [("c", 1)], [], [("b", 2)]]
        assert counts.lengths.tolist() == [3, 1, 0, 2]


@pytest.mark.parametrize("setting, value", [("KEY_LIMIT", 0), ("SLICE_SENTENCES", 7)])
def test_the_big_corpus_paths_build_the_same_index(drcd_tokens, monkeypatch, setting, value) -> None:
    """Corpora too big for one int64 sort key take a stable argsort; big ones are counted and sorted in
    slices of sentences: the same arrays, bit for bit."""
    documents = drcd_tokens[0][:1000]
    fast = BM25(documents)
    monkeypatch.setattr(f"qa.search.bm25.{setting}", value)
    slow = BM25(documents)
    assert slow.term_list == fast.term_list
    for name, array in fast.arrays().items():
        np.testing.assert_array_equal(slow.arrays()[name], array, err_msg=name)


def test_consuming_counts_empties_the_box_and_builds_the_same_index(drcd_tokens) -> None:
    documents = drcd_tokens[0][:2000]
    bm25 = BM25(documents, OKAPI)
    box = [bm25.counts()]
    taken = BM25.consuming(box, OKAPI)
    assert box == []
    assert taken.term_list == bm25.term_list
    for name, array in bm25.arrays().items():
        np.testing.assert_array_equal(taken.arrays()[name], array, err_msg=name)


def test_top_k_over_the_postings_equals_the_full_selection_and_leaves_no_trace(drcd_tokens) -> None:
    """top_k scores into a reused buffer and looks only at the sentences the terms touched: same result as
    selecting over every score, with repeated terms, weights and k past the candidates; the buffer ends all 0."""
    documents, questions = drcd_tokens
    ours = BM25(documents)
    for n, query in enumerate(questions[:150]):
        query = query + query[:1]  # a repeated term counts twice
        weights = {query[0]: 0.5} if n % 2 and query else None
        for k in (1, 3, 10, 250):
            ids, top = ours.top_k(query, k, weights)
            want_ids, want_top = select_top_k(ours.scores(query, weights), k)
            assert ids.tolist() == want_ids.tolist() and top.tolist() == want_top.tolist(), (query, k)
        assert not ours._scratch().any()
    assert ours.top_k(["不在任何句子里的词"], 5)[0].tolist() == []


@pytest.mark.parametrize("search_cost", [0, 32, 10**9])  # always a pass over the postings; either; always searched
def test_top_k_that_leaves_common_terms_out_gives_every_id_score_and_tie_of_the_full_selection(
        drcd_tokens, search_cost: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """MaxScore (``pruned_top_k``): where the common terms' bounds stay below the rare terms' k-th best, their
    postings are only looked up for the sentences that can still make the top k (by binary search or through the
    sentence → row map, ``bm25._matches``). The result is the full selection's, bit for bit — with sentences
    repeated (exact ties), repeated query terms, weights and any k — and it is taken for many real questions (else
    it would prove nothing), and the buffers end all 0 / all -1."""
    monkeypatch.setattr(bm25_module, "SEARCH_COST", search_cost)
    documents, questions = drcd_tokens
    ours = BM25(documents + documents[:500])  # the first 500 sentences twice: ties to break by the lower id
    pruned = 0
    for n, query in enumerate(questions[:300]):
        query = query + query[-1:]  # a repeated term counts twice
        weights = {query[0]: 0.5} if n % 3 == 1 and query else None
        for k in (1, 3, 10):
            want_ids, want_top = select_top_k(ours.scores(query, weights), k)
            found = ours.pruned_top_k(ours._query_terms(query, weights), k)
            if found is not None:
                pruned += 1
                assert found[0].tolist() == want_ids.tolist() and found[1].tolist() == want_top.tolist(), (query, k)
            ids, top = ours.top_k(query, k, weights)
            assert ids.tolist() == want_ids.tolist() and top.tolist() == want_top.tolist(), (query, k)
        assert not ours._scratch().any()
        assert (ours._slots(np.zeros(0, dtype=np.int64)) == -1).all()
    assert pruned >= 100, pruned


def test_ones_before_counts_the_set_bits_from_a_start_to_each_position() -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        bits = rng.random(int(rng.integers(1, 300))) < 0.3
        start = int(rng.integers(0, len(bits)))
        positions = rng.choice(np.arange(start, len(bits)), size=min(6, len(bits) - start), replace=False)
        want = [int(bits[start:p].sum()) for p in positions]
        assert ones_before(np.packbits(bits, bitorder="little"), positions, start).tolist() == want


def test_sorted_distinct_is_numpys_unique() -> None:
    rng = np.random.default_rng(3)
    for size in (0, 1, 2, 50, 5000):
        values = rng.integers(0, 40, size).astype(np.int32)
        assert sorted_distinct(values).tolist() == np.unique(values).tolist()
        assert sorted_distinct(values).dtype == values.dtype
