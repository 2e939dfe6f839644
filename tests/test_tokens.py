"""Terms for matching: Simplified and Traditional meet, widths fold, stop and question words drop out."""
from __future__ import annotations

import pytest

from qa.tokens import QUESTION_WORDS, STOP_WORDS, Analyzer


@pytest.mark.parametrize("traditional, simplified", [
    ("京東和阿里的金融科技帶來什麼啟示？", "京东和阿里的金融科技带来什么启示？"),
    ("互聯網模式為什麼被詬病", "互联网模式为什么被诟病"),
    ("供應鏈金融與數字金融", "供应链金融与数字金融"),
])
def test_both_scripts_give_the_same_terms(analyzer: Analyzer, traditional: str, simplified: str) -> None:
    assert analyzer.question_terms(traditional) == analyzer.question_terms(simplified)
    assert analyzer.question_terms(traditional)


def test_widths_fold_and_latin_lowercases(analyzer: Analyzer) -> None:
    assert analyzer.terms("ＡＩ技術與５Ｇ") == analyzer.terms("ai技术与5g")
    assert "ai" in analyzer.terms("AI的不斷進化")


def test_question_words_stop_words_and_punctuation_are_dropped(analyzer: Analyzer) -> None:
    terms = analyzer.question_terms("誰在什麼時候、為什麼、如何做了這件事嗎？！")
    assert not set(terms) & (QUESTION_WORDS | STOP_WORDS)
    assert all(t.strip("，。？！、") for t in terms)
    assert analyzer.question_terms("？？？！！") == []


def test_domain_terms_are_kept_whole_and_in_parts(analyzer: Analyzer) -> None:
    terms = analyzer.terms("透過以京東科技、螞蟻金服為代表的頭部玩家")
    assert {"京东", "科技"} <= set(terms)
    assert "蚂蚁" in terms or "蚂蚁金服" in terms


def test_analyzer_does_not_touch_the_global_jieba(analyzer: Analyzer) -> None:
    import jieba

    assert analyzer.tokenizer is not jieba.dt
