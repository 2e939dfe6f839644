"""Terms for matching: Simplified and Traditional meet, widths fold, stop and question words drop out."""
from __future__ import annotations

import math

import pytest

from qa.search.tokens import QUESTION_WORDS, STOP_WORDS, Analyzer


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


def test_dictionary_read_from_the_cache_is_jiebas_own(analyzer: Analyzer) -> None:
    import jieba

    reference = jieba.Tokenizer()
    reference.initialize()
    assert analyzer.tokenizer.initialized
    assert analyzer.tokenizer.total == reference.total
    assert analyzer.tokenizer.FREQ == reference.FREQ
    text = "透過以京東科技、螞蟻金服為代表的頭部玩家們的探索和實踐"
    assert analyzer.tokenizer.lcut(text) == reference.lcut(text)


@pytest.mark.parametrize("cache_bytes", [None, b"", b"not marshal data", b"\xe9\x00\x00\x00\x00"])
def test_dictionary_without_a_usable_cache_is_built_by_jieba(tmp_path, cache_bytes: bytes | None) -> None:
    import jieba

    from qa.search.tokens import load_dictionary

    if cache_bytes is not None:
        (tmp_path / "jieba.cache").write_bytes(cache_bytes)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(tmp_path)
    load_dictionary(tokenizer)
    assert tokenizer.initialized and len(tokenizer.FREQ) > 300_000
    assert tokenizer.lcut("金融科技") == jieba.Tokenizer().lcut("金融科技")
    # jieba wrote a fresh cache where it was missing or broken; the next load reads it.
    again = jieba.Tokenizer()
    again.tmp_dir = str(tmp_path)
    load_dictionary(again)
    assert again.FREQ == tokenizer.FREQ


def test_language_weight_is_higher_for_rarer_words_and_highest_for_unknown_ones(analyzer: Analyzer) -> None:
    common, rarer, unknown = (analyzer.language_weight(w) for w in ("中国", "嬗变", "螞蟻金服京東科技"))
    assert 0 < common < rarer < unknown
    assert unknown == pytest.approx(math.log(analyzer.tokenizer.total))


@pytest.fixture(scope="module")
def jieba_itself() -> Analyzer:
    from qa.search.tokens import AnalyzerSettings

    return Analyzer(AnalyzerSettings(segmenter="jieba"))


@pytest.mark.parametrize("text", [
    "韓國製造業經歷了1962-1971年的勞動密集型產業，哪種人種占80-90%？",
    "網址是www.google.com，寄e-mail給formula_1車隊",
    "超過2公里後每公里2.48元，全長80mm",
])
def test_jieba_rs_cuts_latin_and_digit_runs_as_jieba_does(analyzer: Analyzer, jieba_itself: Analyzer,
                                                          text: str) -> None:
    assert analyzer.settings.segmenter == "rjieba"
    assert sorted(analyzer.terms(text)) == sorted(jieba_itself.terms(text))


def test_jieba_rs_gives_jiebas_terms_for_nearly_every_sentence(analyzer: Analyzer, jieba_itself: Analyzer) -> None:
    from conftest import ROOT
    from qa.measure.evaluate import load_squad

    data = load_squad(ROOT / "tests" / "data" / "quality_slice_drcd.json")
    sentences = [s for article in data.articles for s in analyzer.normalize(article.raw).split("。") if s.strip()]
    same = sum(sorted(analyzer.normalized_terms(s)) == sorted(jieba_itself.normalized_terms(s)) for s in sentences)
    assert len(sentences) > 200 and same / len(sentences) >= 0.98


def test_an_unknown_segmenter_is_refused() -> None:
    from qa.search.tokens import AnalyzerSettings

    with pytest.raises(ValueError, match="unknown segmenter"):
        Analyzer(AnalyzerSettings(segmenter="spaces"))


def test_word_tags_are_jiebas_own_for_every_tag_the_engine_reads() -> None:
    """The analyzer's word → tag table is jieba.posseg's for the nouns, names, place and direction words, verbal nouns
    and suffixes (all that the display and the name check read), holds no other word, and is read once."""
    import re

    import jieba.posseg

    from qa.search.tokens import shared_analyzer

    analyzer = shared_analyzer()
    full = jieba.posseg.POSTokenizer(analyzer.tokenizer).word_tag_tab
    read = re.compile(r"^(n[a-z]*|s|f|vn|k)$")
    assert analyzer.word_tags == {word: tag for word, tag in full.items() if read.match(tag)}
    assert analyzer.word_tags["水"] == "n" and analyzer.word_tags["毕加索"] == "nr" and "说" not in analyzer.word_tags
    assert analyzer.word_tags is analyzer.word_tags
