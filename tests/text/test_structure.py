"""Structure of the seed and of made-up articles: title, headings, paragraphs, sentences with raw offsets."""
from __future__ import annotations

import re

import pytest

import qa
from qa.text.cleaning import clean_text
from qa.text.structure import split_sentences, structure_article

SEED_HEADINGS = [
    "金融科技,業已成為剜除互聯網頑疾的利器",
    "金融科技,業已成為聯通產業前后端的新方式",
    "金融科技,業已成為新物種的競技場",
    "金融科技,業已成為新生態的新基座",
    "結語",
]


def test_seed_title_and_headings(seed_article: qa.Article) -> None:
    assert seed_article.title == "京東、阿里的金融科技新啟示"
    assert [s.heading for s in seed_article.sections] == [""] + SEED_HEADINGS
    assert all(s.paragraph_ids for s in seed_article.sections)


def test_seed_sentences_are_clean(seed_article: qa.Article) -> None:
    texts = [s.text for s in seed_article.sentences]
    assert len(texts) > 50
    for text in texts:
        assert not re.search(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+[)）]", text), text  # no pinyin
        assert "?" not in text and "\ufffd" not in text, text  # no garbles
        assert not re.search(r"[A-Za-z]", text) or "AI" in text, text  # no stray trail-byte letters
        for furniture in ("png", "THEEND", "評論", "本文來自"):
            assert furniture not in text, text
        assert text not in ("更多", "暫無評論")


def test_seed_lead_sentence_appears_once(seed_article: qa.Article) -> None:
    lead = "當互聯網的紅利漸行漸遠,特別是當越來越多的互聯網玩家們開始放棄以往以平臺和中心為主導的發展模式"
    holding = [s for s in seed_article.sentences if s.text.startswith(lead)]
    assert len(holding) == 1
    # the copy kept is the one in the body paragraph, so it has a following sentence for context
    assert len(seed_article.paragraph_sentences(seed_article.sentences.index(holding[0]))) > 1


def test_seed_offsets_point_into_the_raw_text(seed_article: qa.Article, seed_raw: str) -> None:
    assert seed_article.raw == seed_raw
    previous_end = 0
    for sentence in seed_article.sentences:
        raw_span = seed_raw[sentence.start:sentence.end]
        assert sentence.start >= previous_end - 4  # in order (repairs may share a few raw characters)
        previous_end = sentence.end
        # cleaning the raw span gives the sentence back (spans inside a repaired garble excepted)
        if "?" not in seed_raw[max(0, sentence.start - 2):sentence.end]:
            assert clean_text(raw_span).text.strip() == sentence.text
        # the sentence's own characters, as the offset map places them, all lie in its span
        assert raw_span[0] == sentence.text[0] or "?" in seed_raw[max(0, sentence.start - 2):sentence.start + 3]


@pytest.mark.parametrize("text, expected", [
    ("第一句。第二句！第三句？", ["第一句。", "第二句！", "第三句？"]),
    ("他說：「今天很好。」然後走了。", ["他說：「今天很好。」", "然後走了。"]),
    ("問題是什麼?答案在這裡!好的.", ["問題是什麼?", "答案在這裡!", "好的."]),
    # A semicolon joins the clauses of one sentence; the sentence ends at 。
    ("1952年，建立桂西壯族自治區；同年3月5日，自治區成立。其後改制。",
     ["1952年，建立桂西壯族自治區；同年3月5日，自治區成立。", "其後改制。"]),
    ("譬如,供應鏈金融;譬如,數字金融", ["譬如,供應鏈金融;譬如,數字金融"]),
    ("等等……然後呢", ["等等……", "然後呢"]),
    ("價格是3.5元,漲了1,000點。", ["價格是3.5元,漲了1,000點。"]),
    ("It rose. Then it fell.", ["It rose.", "Then it fell."]),
    ("。。。", []),
])
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in split_sentences(text)] == expected


def test_text_without_sentence_punctuation_is_cut_into_readable_pieces() -> None:
    text = "，".join(["金融科技正在改變產業的面貌"] * 60)
    spans = split_sentences(text)
    assert len(spans) > 3
    assert all(e - s <= 200 for s, e in spans)
    assert "".join(text[s:e] for s, e in spans) == text
    hard = "金融" * 500  # no breaks at all
    assert "".join(hard[s:e] for s, e in split_sentences(hard)) == hard


def test_made_up_article_structure() -> None:
    raw = ("# 城市交通的未來\n\n引言段落說明了背景。這是第二句。\n\n## 地鐵\n\n地鐵每天運送數百萬人。它很準時。\n\n"
           "公車\n公車路線覆蓋郊區。\n\n一行不是標題的短句。\n")
    article = structure_article(clean_text(raw), "made-up")
    assert article.title == "城市交通的未來"
    assert [s.heading for s in article.sections] == ["", "地鐵", "公車"]
    assert article.sentences[2].text == "地鐵每天運送數百萬人。"
    assert article.sections[article.sentences[2].section].heading == "地鐵"
    assert article.sentences[-1].text == "一行不是標題的短句。"


def test_article_without_title_uses_its_name() -> None:
    article = structure_article(clean_text("這是一篇沒有標題的文章，它只有一段正文。第二句在這裡。"), "note.txt")
    assert article.title == "note.txt"
    assert len(article.sentences) == 2


@pytest.mark.parametrize("raw", [
    "金融科技是什麼？金融科技是新基座。它改變了產業",  # sentences on one line, the last unpunctuated
    "金融科技正在改變產業",  # one short line, no punctuation at all
])
def test_one_line_article_is_body_not_a_title(raw: str) -> None:
    article = structure_article(clean_text(raw), "note.txt")
    assert article.title == "note.txt"
    assert "".join(s.text for s in article.sentences) == raw


def test_first_line_with_sentence_ends_inside_is_not_a_title() -> None:
    raw = "金融科技是新基座。它改變了產業\n\n第二段說明了原因。"
    article = structure_article(clean_text(raw), "note.txt")
    assert article.title == "note.txt"
    assert [s.text for s in article.sentences] == ["金融科技是新基座。", "它改變了產業", "第二段說明了原因。"]


@pytest.mark.parametrize("title", ["停止！！雲雀", "Wow! eye Taiwan全民影音創作大賽", "為什麼？京東的答案"])
def test_a_title_may_hold_one_exclamation_or_question(title: str) -> None:
    article = structure_article(clean_text(f"{title}\n\n正文的第一句。正文的第二句。"), "note.txt")
    assert article.title == title
    assert [s.text for s in article.sentences] == ["正文的第一句。", "正文的第二句。"]


# --- properties (issue 10): whatever the text, every sentence points at its own words in the raw text -------------

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from qa.text.cleaning import garble_finder  # noqa: E402

# Article-like pieces: Han text, sentence ends, quotes, pinyin readings, headings, page furniture, blank lines,
# full-width and ASCII punctuation, spaces of several kinds, Latin words and digits.
PIECES = st.sampled_from([
    "金融科技", "聯通", "产业", "前後端", "互聯網的頑疾", "。", "！", "？", "……", "...", "；", "，", "、", "：",
    "「", "」", "『", "』", "“", "”", "（", "）", "(", ")", "《", "》", "\n", "\n\n", " ", "\u3000", "\t", "\r\n",
    "(lián)", "(dāng)", "(de)", "(AI)", "# ", "## 結語\n", "THE END\n", "本文來自網絡\n", "image.png\n",
    "分享到：微信\n", "相關閱讀\n", "Wow! ", "3.5", "%.", "A.", " ", "\ufeff", "🙂", "\u200b", "ａｂｃ",
])
TEXTS = st.one_of(st.lists(PIECES, max_size=60).map("".join), st.text(max_size=300))


def _is_subsequence(small: str, large: str) -> bool:
    letters = iter(large)
    return all(c in letters for c in small)


def _check_offsets(raw: str, article: qa.Article, text_kept: bool) -> None:
    assert article.raw == raw
    previous = 0
    for number, sentence in enumerate(article.sentences):
        assert 0 <= sentence.start < sentence.end <= len(raw)
        assert sentence.start >= previous  # in the order of the raw text, never overlapping
        previous = sentence.end
        assert sentence.text and sentence.text == sentence.text.strip()
        if text_kept:  # cleaning only deletes: the sentence is its raw span with readings/furniture left out
            span = raw[sentence.start:sentence.end]
            assert _is_subsequence(sentence.text, span), (sentence, span)
            assert span[0] == sentence.text[0] and span[-1] == sentence.text[-1]
        paragraph = article.paragraphs[sentence.paragraph]
        assert number in paragraph.sentence_ids and paragraph.section == sentence.section
    for number, section in enumerate(article.sections):
        assert all(article.paragraphs[p].section == number for p in section.paragraph_ids)
    assert sorted(p for s in article.sections for p in s.paragraph_ids) == list(range(len(article.paragraphs)))
    assert sorted(i for p in article.paragraphs for i in p.sentence_ids) == list(range(len(article.sentences)))


@settings(max_examples=100, deadline=None)
@given(TEXTS)
def test_any_text_structures_into_sentences_at_their_raw_offsets(raw: str) -> None:
    _check_offsets(raw, structure_article(clean_text(raw), "a.txt"), text_kept=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=TEXTS)
def test_offsets_hold_with_the_garble_repair(analyzer, raw: str) -> None:
    """The GBK byte-shift repair replaces text: offsets must still be inside the raw text and in order."""
    cleaned = clean_text(raw, garble_finder(analyzer.vocabulary, analyzer.to_simplified))
    _check_offsets(raw, structure_article(cleaned, "a.txt"), text_kept=False)


@settings(max_examples=100, deadline=None)
@given(TEXTS)
def test_split_sentences_gives_ordered_trimmed_spans(text: str) -> None:
    previous = 0
    for start, end in split_sentences(text):
        assert previous <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        previous = end
