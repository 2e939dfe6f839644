"""qa.search.rerank: the boosted trees, the features of real candidates, and the shipped model inside answering."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from conftest import ROOT
from qa.measure.evaluate import load_squad
from qa.records import Closeness
from qa.search.fanout import answer_pool
from qa.search.index import index_text
from qa.search.ranking import RankingSettings
from qa.search.rerank import (FEATURES, MODEL_PATH, SEMANTIC_FEATURES, SEMANTIC_MODEL_PATH, fit, model_for,
                              question_kind, rerank, semantic_columns, shipped_model)
from qa.search.tokens import shared_analyzer

CMRC = ROOT / "tests" / "data" / "quality_slice_cmrc.json"


def test_trees_learn_which_row_of_a_group_is_gold() -> None:
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(300), 5)
    x = rng.normal(size=(len(groups), 3))
    gold = np.array([5 * g + int(np.argmax(x[5 * g:5 * g + 5, 1])) for g in range(300)])  # feature 1 decides
    labels = np.zeros(len(groups))
    labels[gold] = 1
    trees = fit(x, groups, labels, trees=30, depth=2, rate=0.3)
    predicted = trees.predict(x).reshape(300, 5).argmax(axis=1) + 5 * np.arange(300)
    assert np.mean(predicted == gold) > 0.9
    used = trees.features[trees.thresholds < np.inf]
    assert np.bincount(used).argmax() == 1  # it splits mostly on the feature that decides
    x[0, 1] = np.nan  # missing counts as smaller than every threshold
    assert np.isfinite(trees.predict(x[:5])).all()


@pytest.mark.parametrize("question, kind", [("鲁迅是谁？", "who"), ("学校在哪里？", "where"), ("他哪一年出生？", "when"),
                                            ("有多少人？", "quantity"), ("这是什么？", "what"), ("介绍一下", None)])
def test_question_kind(question: str, kind: str | None) -> None:
    from qa.search.rerank import _KINDS

    number = question_kind(question)
    assert (_KINDS[number - 1][0] if number else None) == kind


@pytest.fixture(scope="module")
def cmrc_pools():
    """The engine's 10 best answers (before re-ranking) to the CMRC slice's questions, with which hold the gold."""
    analyzer = shared_analyzer()
    data = load_squad(CMRC)
    ranking = replace(RankingSettings(), rerank_pool=0)
    indexes = {}
    pools = []
    for question in data.questions:
        if question.article not in indexes:
            indexes[question.article] = index_text(data.articles[question.article].raw, "a", analyzer, ranking)
        index = indexes[question.article]
        plan, answers = answer_pool(index.understand(question.text), 10, index.parts(), analyzer, ranking,
                                    index.sentence_count, index.fields)
        pools.append((plan, answers, [any(a.start <= g < a.end for g in question.gold_starts) for a in answers]))
    return pools


def test_features_of_real_candidates(cmrc_pools) -> None:
    from qa.search.rerank import features

    model = shipped_model()
    assert model is not None, f"{MODEL_PATH} is missing: train it with python -m qa.measure.train"
    plan, answers, _ = cmrc_pools[0]
    rows = features(plan, answers, shared_analyzer(), model.associations)
    assert rows.shape == (len(answers), len(FEATURES)) and np.isfinite(rows).all()
    assert rows[:, FEATURES.index("rank")].tolist() == list(range(len(answers)))
    assert rows[0, FEATURES.index("score_share")] == 1.0
    # An extra column comes in by name; one the caller does not give is NaN.
    semantic = features(plan, answers, shared_analyzer(), model.associations, {"semantic": [0.5] * len(answers)},
                        FEATURES + ("semantic", "other"))
    assert semantic[:, -2].tolist() == [0.5] * len(answers) and np.isnan(semantic[:, -1]).all()


def test_a_paragraph_is_covered_by_its_bigrams_alone_whether_or_not_its_sentences_were_seen_whole(cmrc_pools) -> None:
    from qa.search.rerank import _seen, features
    from qa.search.tokens import Analyzer

    model = shipped_model()
    def paragraph_only(answers) -> set[str]:  # sentences the features read only as part of a paragraph
        return {text for a in answers for text in a.paragraph} - {t for a in answers for t in (a.text, a.before, a.after)}

    plan, answers, _ = next(pool for pool in cmrc_pools if paragraph_only(pool[1]))
    fresh = Analyzer()  # nothing cached: the paragraph's sentences are cut into bigrams, never into jieba's terms
    first = features(plan, answers, fresh, model.associations)
    unseen = paragraph_only(answers)
    assert not unseen & set(fresh.__dict__["_rerank_seen"])
    for text in unseen:  # now seen whole, with terms: the paragraph feature must not change
        _seen(fresh, text)
    again = features(plan, answers, fresh, model.associations)
    np.testing.assert_array_equal(first, again)
    assert first[:, FEATURES.index("paragraph_cover")].max() > 0


def test_the_shipped_model_puts_more_gold_answers_first(cmrc_pools) -> None:
    analyzer = shared_analyzer()
    before = after = changed = 0
    for plan, answers, gold in cmrc_pools:
        ordered = rerank(plan, answers, analyzer)
        assert sorted(a.sentence_id for a in ordered) == sorted(a.sentence_id for a in answers)
        changed += ordered[0] is not answers[0]
        before += bool(gold and gold[0])
        after += bool(ordered and gold[answers.index(ordered[0])])
    assert changed  # it does re-order…
    assert after >= before  # …and not for the worse on questions it never saw


def test_refusals_are_the_engines(seed_raw) -> None:
    analyzer = shared_analyzer()
    on = index_text(seed_raw, "seed", analyzer)
    off = index_text(seed_raw, "seed", analyzer, replace(RankingSettings(), rerank_pool=0))
    for question in ("鄭成功在哪一年收復臺灣？", "今天天氣怎麼樣？", "互联网模式为什么被很多人诟病？"):
        assert bool(on.ask(question)) == bool(off.ask(question))
    answers = on.ask("互联网模式为什么被很多人诟病？", top_k=3)
    assert len(answers) == 3 and {a.sentence_id for a in answers} <= {a.sentence_id for a in off.ask(
        "互联网模式为什么被很多人诟病？", top_k=10)}


def test_semantic_columns_rank_a_pool_by_cosine() -> None:
    pool = [Closeness(0.81, 0.90, 0.95), Closeness(0.93, 0.80, 0.95), Closeness(0.87, 0.93, 0.87),
            Closeness(0.93, 0.93, 0.93)]
    columns = semantic_columns(pool)
    assert list(columns) == list(SEMANTIC_FEATURES)
    assert columns["semantic"] == [0.81, 0.93, 0.87, 0.93]
    assert np.allclose(columns["semantic_gap"], [0.12, 0.0, 0.06, 0.0])
    assert columns["semantic_rank"] == [3.0, 0.0, 2.0, 1.0]  # ties: the engine's order
    assert np.allclose(columns["semantic_article_gap"], [0.14, 0.02, 0.0, 0.0])
    assert columns["semantic_beside"] == [0.90, 0.80, 0.93, 0.93]
    # One candidate without its cosine (no vector): the pool has none, and the lexical model orders it.
    assert all(np.isnan(v).all() for v in semantic_columns([pool[0], None]).values())


def test_the_semantic_model_orders_only_pools_whose_every_candidate_has_its_cosine(cmrc_pools) -> None:
    semantic = shipped_model(semantic=True)
    assert semantic is not None, f"{SEMANTIC_MODEL_PATH} is missing: python -m qa.measure.train --semantic"
    assert set(SEMANTIC_FEATURES) <= set(semantic.features) and not set(SEMANTIC_FEATURES) & set(FEATURES)
    _, answers, _ = cmrc_pools[0]
    assert model_for(answers) is shipped_model()  # the slice's pools have no vectors
    with_cosines = [replace(a, closeness=Closeness(0.9 - 0.01 * n, 0.8, 0.9)) for n, a in enumerate(answers)]
    assert model_for(with_cosines) is semantic
    assert model_for(with_cosines[:-1] + [answers[-1]]) is shipped_model()


def test_a_remembered_sentence_costs_about_a_kilobyte_not_eleven() -> None:
    """The features remember 20,000 sentences per analyzer; kept as frozensets of characters and bigrams they took
    ~11 KB each (~220 MB, held after the visitors who asked had gone). Now the text and interned terms."""
    import re
    import tracemalloc

    from qa.search.rerank import SEEN_LIMIT, _seen
    from qa.search.tokens import Analyzer

    sentences = [s for article in load_squad(CMRC).articles for s in re.split(r"(?<=[。！？])", article.raw)
                 if len(s.strip()) > 5][:600]
    fresh = Analyzer()
    for text in sentences[:20]:  # jieba's own start-up is not the cache's
        _seen(fresh, text)
    tracemalloc.start()
    try:
        for text in sentences:
            _seen(fresh, text)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(sentences) >= 200
    assert held / len(sentences) < 2500, held / len(sentences)
    assert SEEN_LIMIT * held / len(sentences) < 50 * 2**20
