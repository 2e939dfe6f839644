"""The ranking's pieces: question clauses and character queries, and the vectorised spread of scores over
paragraphs checked against a plain loop over the same sentences."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from qa.search.ranking import (YEAR_TEXT, ParagraphLayout, RankingSettings, answer_type, carry_time, gram_queries,
                        neighbour_scores, rank_runners_up, spread, spread_at, spread_top_k, year_source)
from qa.records import Query
from qa.search.bm25 import TOP_K_SAMPLE_FROM, sample_bar, select_top_k
from qa.search.tokens import FUNCTION_CHARS, Analyzer


def spread_by_loop(scores: list[float], runs: list[int], leads: list[int], settings: RankingSettings) -> list[float]:
    """The definition, one sentence at a time: own score, a share of each same-paragraph neighbour's, of the
    paragraph's best, and for an article's first sentence of the article's best."""
    out = []
    article_of = np.searchsorted(leads, np.arange(len(scores)), side="right") - 1
    for i, score in enumerate(scores):
        total = score
        if i > 0 and runs[i - 1] == runs[i]:
            total += settings.neighbour_weight * scores[i - 1]
        if i + 1 < len(scores) and runs[i + 1] == runs[i]:
            total += settings.neighbour_weight * scores[i + 1]
        total += settings.paragraph_weight * max(s for s, r in zip(scores, runs) if r == runs[i])
        if i in leads:
            members = [s for s, a in zip(scores, article_of) if a == article_of[i]]
            total += settings.lead_weight * max(members)
        out.append(total)
    return out


@pytest.mark.parametrize("seed", range(5))
def test_spread_equals_the_loop_over_sentences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, size=40)  # paragraphs of 1–5 sentences
    runs = np.repeat(np.arange(len(sizes)), sizes)
    # Articles start at some paragraph starts (always the first).
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    leads = np.sort(np.unique(np.concatenate([[0], rng.choice(starts, size=8)])))
    scores = rng.random(len(runs)) * (rng.random(len(runs)) > 0.3)  # some sentences score 0
    settings = RankingSettings()
    got = spread(scores, ParagraphLayout.from_runs(runs, leads), settings)
    expected = spread_by_loop(scores.tolist(), runs.tolist(), leads.tolist(), settings)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert np.all(got >= scores)


@pytest.mark.parametrize("kind", ["sparse", "dense", "ties", "one hot paragraph", "zeros", "shares off"])
def test_spreading_only_where_the_pool_can_be_equals_spreading_everything(kind: str) -> None:
    """spread_top_k / spread_at read only the paragraphs that can make the top k: the ids and the bits of the
    scores must be those of spread over every sentence, then select_top_k."""
    rng = np.random.default_rng(len(kind))
    # Paragraphs of 1–29 sentences, ~90k sentences: past bm25.TOP_K_SAMPLE_FROM, so the sampled bar is taken too.
    sizes = rng.integers(1, 30, size=6000)
    runs = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    leads = np.unique(np.concatenate([[0], rng.choice(starts, size=800)]))
    layout = ParagraphLayout.from_runs(runs, leads)
    settings = RankingSettings()
    scores = rng.random(len(runs))
    if kind == "sparse":
        scores *= rng.random(len(runs)) < 0.01
    elif kind == "ties":
        scores = rng.integers(0, 4, len(runs)).astype(np.float64)
    elif kind == "one hot paragraph":
        scores = np.zeros(len(runs))
        scores[starts[7]:starts[7] + sizes[7]] = 1.0
    elif kind == "zeros":
        scores = np.zeros(len(runs))
    elif kind == "shares off":
        settings = replace(settings, neighbour_weight=0.0, lead_weight=0.0)
    full = spread(scores, layout, settings)
    sampled = kind not in ("zeros", "one hot paragraph")  # too few scores above 0 for the sample to set a bar
    assert len(runs) >= TOP_K_SAMPLE_FROM and (sample_bar(scores, 3) > 0) == sampled
    for k in (1, 3, 20, 200):
        ids, top = spread_top_k(scores, layout, settings, k)
        want_ids, want_top = select_top_k(full, k)
        assert ids.tolist() == want_ids.tolist() and top.tolist() == want_top.tolist(), (kind, k)
    some = rng.integers(0, len(runs), 500)
    assert spread_at(scores, np.concatenate([some, leads[:50], [0, len(runs) - 1]]), layout, settings).tolist() == \
        full[np.concatenate([some, leads[:50], [0, len(runs) - 1]])].tolist()


def test_spread_of_nothing_and_of_one_sentence() -> None:
    settings = RankingSettings()
    empty = ParagraphLayout.from_runs(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    assert spread(np.zeros(0), empty, settings).shape == (0,)
    one = ParagraphLayout.from_runs(np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64))
    # Alone in its paragraph and its article: its own score plus the paragraph's and article's shares of itself.
    assert spread(np.array([2.0]), one, settings)[0] == pytest.approx(2.0 * (1 + settings.paragraph_weight
                                                                             + settings.lead_weight))


def test_spread_with_every_share_off_is_the_scores() -> None:
    settings = replace(RankingSettings(), neighbour_weight=0.0, paragraph_weight=0.0, lead_weight=0.0)
    scores = np.array([0.5, 0.0, 3.0, 1.0])
    layout = ParagraphLayout.from_runs(np.array([0, 0, 1, 1]), np.array([0]))
    assert spread(scores, layout, settings).tolist() == scores.tolist()


def test_character_query_leaves_out_function_characters(analyzer: Analyzer) -> None:
    question = "金融科技的嬗變是在什麼時候發生的？"
    queries = gram_queries(Query(question=question, terms=("x",)), analyzer, RankingSettings())
    assert not FUNCTION_CHARS.intersection(queries["chars"])
    assert {"金", "融", "嬗", "变"} <= set(queries["chars"])  # content characters, in Simplified
    assert "的嬗" in queries["bigrams"]  # pairs keep them: 的嬗 is as rare as 嬗
    kept = gram_queries(Query(question=question, terms=("x",)), analyzer,
                        replace(RankingSettings(), drop_function_chars=False))
    assert {"的", "是"} <= set(kept["chars"])


def test_side_clauses_weigh_less_than_the_asked_one(analyzer: Analyzer) -> None:
    queries = gram_queries(Query(question="在互聯網時代，金融科技有什麼作用？", terms=("x",)), analyzer,
                           RankingSettings())
    settings = RankingSettings()
    assert queries["bigrams"]["互联"] == settings.side_clause_weight
    assert queries["bigrams"]["作用"] == 1.0


@pytest.mark.parametrize("question", ["柏林圍牆在哪一年倒塌？", "江青等人在哪年发动了批林批孔运动?", "此事發生於何年？"])
def test_a_which_year_question_wants_a_year_spelt_out(question: str, analyzer: Analyzer) -> None:
    wanted = answer_type(analyzer.normalize(question))
    assert wanted is YEAR_TEXT
    for text in ["1974年5月，癌细胞扩散。", "民国38年，国民政府退守四川。", "昭和四十九年10月，文艺春秋刊出报道。",
                 "1980年代，台湾名列亚洲四小龙。"]:
        assert wanted.search(text), text
    for text in ["同年9月将勐遮县并入勐海县。", "也正是在这一年，报纸开始刊登新闻。", "9月2日，委员会同意建校。",
                 "田中在同年十一月宣布辞职。"]:
        assert not wanted.search(text), text


def test_other_time_questions_take_any_time(analyzer: Analyzer) -> None:
    wanted = answer_type(analyzer.normalize("早田擔任園長直到什麼時候？"))
    assert wanted is not YEAR_TEXT and wanted.search("9月2日")


def test_a_candidate_without_the_year_passes_score_to_the_sentence_before_with_one() -> None:
    texts = ["1972年8月9日，委员会批复。", "其后校舍扩建。", "9月2日，委员会同意建校。",  # one paragraph
             "同年秋天开学。"]  # the next paragraph: its year is not looked for across the break
    layout = ParagraphLayout.from_runs(np.array([0, 0, 0, 1]), np.array([0]))
    scores = np.array([0.2, 0.1, 1.0, 0.8])
    settings = RankingSettings()
    holds = lambda i: bool(YEAR_TEXT.search(texts[i]))  # noqa: E731
    sources = {i: year_source(i, holds, layout, settings) for i in (2, 3)}  # 0 holds its year
    assert sources == {2: 0, 3: -1}
    added = carry_time([(scores[i], sources[i]) for i in (2, 3)], settings)
    assert added == {0: pytest.approx(settings.time_carry_weight * 1.0)}
    assert year_source(2, holds, layout, replace(settings, time_carry_reach=1)) == -1


def test_neighbour_scores_add_the_same_paragraph_sentences_either_side() -> None:
    layout = ParagraphLayout.from_runs(np.array([0, 0, 0, 1, 1]), np.array([0]))
    fused = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    got = neighbour_scores(np.array([0, 1, 2, 3, 4]), fused, layout)
    assert got.tolist() == [2.0, 5.0, 2.0, 16.0, 8.0]  # 2 and 3 are in different paragraphs


def test_runners_up_rise_with_their_neighbours_evidence_and_the_first_stays() -> None:
    # One paragraph: sentence 3 matches best. Of the runners-up, 4 sits between two sentences that match.
    layout = ParagraphLayout.from_runs(np.zeros(6, dtype=int), np.array([0]))
    fused = np.array([0.5, 0.1, 0.0, 1.0, 0.5, 0.9])
    ids, scores = np.array([3, 5, 0, 4]), np.array([1.0, 0.9, 0.5, 0.5])
    settings = RankingSettings(runner_up_neighbour_weight=0.5)
    neighbours = neighbour_scores(ids, fused, layout)
    new_ids, new_scores = rank_runners_up(ids, scores, neighbours, settings)
    assert new_ids.tolist() == [3, 4, 5, 0]
    # 4 has 0.5 + 0.5 × 1.9 = 1.45 and 5 has 0.9 + 0.5 × 0.5 = 1.15: both shown as the first's 1.0 (best first)
    assert new_scores.tolist() == pytest.approx([1.0, 1.0, 1.0, 0.5 + 0.5 * 0.1])
    off = rank_runners_up(ids, scores, neighbours, replace(settings, runner_up_neighbour_weight=0.0))
    assert off[0].tolist() == [3, 5, 0, 4]


def test_follow_on_lifts_the_side_the_question_points_to_and_sets_the_earlier_answer_last() -> None:
    from qa.search.ranking import follow_on

    layout = ParagraphLayout.from_runs(np.zeros(7, dtype=np.int64), np.array([0]))  # one paragraph of 7
    scores = np.ones(7)
    settings = RankingSettings()
    after = follow_on(scores, np.array([3, 5]), layout, settings, direction=1)
    assert after[4] == 1.5 and after[2] == 1.25 and after[3] < 0.01  # 後來: after fully, before at half
    assert after[5] > 1.0  # an earlier runner-up is not set back
    # When nothing else matches what is asked now, the earlier answer keeps its score.
    alone = follow_on(scores, np.array([3]), layout, settings, answering=np.arange(7) == 3)
    assert alone[3] == 1.0


def test_the_relevance_floor_rises_with_the_articles_length() -> None:
    from qa.search.ranking import relevance_floor

    settings = RankingSettings()
    assert relevance_floor(10, settings) == relevance_floor(settings.floor_base, settings) == settings.min_relevance
    assert relevance_floor(4 * settings.floor_base, settings) == pytest.approx(settings.min_relevance
                                                                               + 2 * settings.floor_step)


def test_fields_fused_at_their_touched_sentences_give_every_score_and_peak_of_the_full_passes() -> None:
    """A field whose postings touched few sentences is peaked, scaled and added at those alone (``FieldScores``):
    bit for bit the fused scores of the passes over every sentence, on real questions over ~40 DRCD articles."""
    import json

    from conftest import ROOT
    from qa.search.fanout import make_plan
    from qa.search.index import Index, build_article
    from qa.search.ranking import FieldScores, field_peaks, field_scores, fuse
    from qa.search.tokens import shared_analyzer

    analyzer = shared_analyzer()
    data = json.loads((ROOT / "tests" / "data" / "bm25_slice_drcd.json").read_text(encoding="utf-8"))["data"]
    index = Index(tuple(build_article("\n\n".join(p["context"] for p in a["paragraphs"]), f"a{n}", analyzer)
                        for n, a in enumerate(data)), analyzer)
    questions = [qa["question"] for a in data for p in a["paragraphs"] for qa in p["qas"]][:150]
    sparse = dense = 0
    for question in questions:
        plan = make_plan(index.understand(question), 3, analyzer, index.ranking, index.fields)
        raw = field_scores(index.scorers, plan.queries, plan.ranking)
        assert isinstance(raw, FieldScores)
        full = {name: scores.copy() for name, scores in raw.items()}  # a plain dict: every sentence read
        sparse += len(raw.touched)
        dense += len(raw) - len(raw.touched)
        peaks = field_peaks(raw)
        assert peaks == field_peaks(full)
        np.testing.assert_array_equal(fuse(raw, peaks, plan.ranking, index.sentence_count),
                                      fuse(full, peaks, plan.ranking, index.sentence_count))
    assert sparse >= 100 and dense >= 50, (sparse, dense)  # both ways were taken, many times
