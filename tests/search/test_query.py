"""qa.search.query: checking a question, cutting an endless one, and the words shown for highlighting."""
from __future__ import annotations

import pytest

from qa.search.query import MAX_QUESTION_CHARS, question_problem, truncate_question, understand


@pytest.mark.parametrize("question", ["", "   \n", "？？！", "...,,,", "「」『』"])
def test_empty_and_punctuation_only_questions_get_a_message(question: str) -> None:
    assert question_problem(question)


@pytest.mark.parametrize("question", ["金融科技是什麼？", "what is fintech?", "2020"])
def test_real_questions_pass(question: str) -> None:
    assert question_problem(question) is None


def test_an_endless_question_is_cut_with_notice() -> None:
    question, cut = truncate_question("金融" * 5000)
    assert cut and len(question) == MAX_QUESTION_CHARS
    assert truncate_question("  短問題？ ") == ("短問題？", False)


def test_shown_words_are_as_written_in_either_script(analyzer) -> None:
    traditional = understand("對產業有什麼作用？", analyzer)
    simplified = understand("对产业有什么作用？", analyzer)
    assert traditional.terms == simplified.terms  # matching is script-blind ...
    assert set(traditional.shown_terms) == {"產業", "作用"}  # ... highlighting uses what the user typed
    assert set(simplified.shown_terms) == {"产业", "作用"}
    assert "什麼" not in traditional.shown_terms


def test_shown_words_survive_width_folding(analyzer) -> None:
    query = understand("ＡＰＰ與金融科技有什麼關係？", analyzer)
    assert "ＡＰＰ" in query.shown_terms and "金融" in query.shown_terms


def test_question_words_after_which_are_not_terms(analyzer) -> None:
    # 哪一座 asks "which one": 一座 is part of the question word, not the topic.
    assert understand("台灣最高的山是哪一座？", analyzer).terms == ("台湾", "最高", "山")


def test_lone_surrogates_through_the_api_are_answered_not_raised(seed_index) -> None:
    """A caller's broken string (issue 10, D6): the surrogate becomes U+FFFD and the rest is asked."""
    answers = seed_index.ask("金融\ud800科技有哪些新形態？", history=("\udcff金融",))
    assert answers and "科技新形態" in answers[0].text
