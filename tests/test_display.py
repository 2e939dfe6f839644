"""qa.display: what the app shows, checked without a browser on the seed article and made-up hostile text."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import opencc
import pytest

import qa
from qa import display as d
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


@pytest.mark.parametrize("text, terms, expected", [
    # Traditional text, Simplified terms: positions map one to one.
    ("金融科技聯通產業前後端", ["联通", "产业"], [(4, 8)]),
    ("金融科技聯通產業前後端", ["金融", "科技", "金融科技"], [(0, 4)]),
    ("聯通，產業", ["联通", "产业"], [(0, 2), (3, 5)]),
    ("產業與產業", ["产业"], [(0, 2), (3, 5)]),
    # Case and width fold: ＡＩ and ai are the same term.
    ("ＡＩ金融", ["ai"], [(0, 2)]),
    # NFKC expands ㍿ to four characters: the fallback maps each back to the one shown character.
    ("㍿金融科技", ["金融科技"], [(1, 5)]),
    ("沒有相同的詞", ["火星"], []),
    ("金融", [""], []),
])
def test_highlight_spans(analyzer, text: str, terms: list[str], expected: list[tuple[int, int]]) -> None:
    assert d.highlight_spans(text, terms, analyzer.normalize) == expected


def test_highlight_html_escapes_around_marks(analyzer) -> None:
    html = d.highlight_html("<b>金融</b>科技", ["金融"], analyzer.normalize)
    assert html == "&lt;b&gt;<mark>金融</mark>&lt;/b&gt;科技"


def test_surface_words_are_written_as_asked(analyzer) -> None:
    terms = ("金融", "科技", "金融科技", "联通", "产业", "前后", "端")
    assert d.surface_words(FINTECH_QUESTION, terms, analyzer.normalize) == ["金融科技", "聯通", "產業", "前後", "端"]


@pytest.mark.parametrize("relevance, level, filled", [(1.0, "high", 5), (0.8, "high", 4), (0.6, "mid", 3),
                                                      (0.4, "low", 2), (0.05, "low", 1)])
def test_relevance(relevance: float, level: str, filled: int) -> None:
    assert d.relevance_level(relevance) == level
    html = d.relevance_html(relevance, d.TRADITIONAL)
    assert html.count('qa-dot on"') == filled and html.count("qa-dot") == 5
    assert f"qa-rel-{level}" in html and "相關度" in html and f"{relevance:.0%}" in html


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


def test_answer_html_shows_where_and_marks(fintech_answers: list[Answer], analyzer) -> None:
    answer = next(a for a in fintech_answers if a.section == FINTECH_SECTION)
    html = d.answer_html(answer, d.ORIGINAL, analyzer)
    assert d.escape_html(answer.title) in html and d.escape_html(FINTECH_SECTION) in html
    assert "<mark>" in html and "qa-rel" in html
    marked = re.findall(r"<mark>(.*?)</mark>", html)
    assert any(analyzer.normalize(m) in ("联通", "产业", "金融科技") or "聯通" in m for m in marked)
    if answer.before:
        assert d.escape_html(answer.before) in html
    if len(answer.paragraph) > 1:
        assert "<details" in html and 'class="qa-here"' in html


def test_answer_html_context_off(fintech_answers: list[Answer], analyzer) -> None:
    answer = next(a for a in fintech_answers if a.before or a.after)
    assert "qa-context" in d.answer_html(answer, d.ORIGINAL, analyzer, show_context=True)
    assert "qa-context" not in d.answer_html(answer, d.ORIGINAL, analyzer, show_context=False)


def test_answer_html_in_simplified_keeps_marks(fintech_answers: list[Answer], analyzer) -> None:
    answer = next(a for a in fintech_answers if a.section == FINTECH_SECTION)
    html = d.answer_html(answer, d.SIMPLIFIED, analyzer, ui_script_=d.SIMPLIFIED)
    assert "金融科技,业已成为联通产业前后端的新方式" in html
    assert "<mark>" in html and "相关度" in html
    assert analyzer.to_simplified(answer.text) == answer.text or answer.text not in html


def test_answer_html_of_hostile_text(analyzer) -> None:
    hostile = " ".join(HOSTILE)
    answer = Answer(text=f"金融{hostile}", doc="x.txt", title=HOSTILE[0], section=HOSTILE[1], score=1.0, start=0,
                    end=1, before=HOSTILE[2], after=HOSTILE[3], paragraph=(HOSTILE[2], f"金融{hostile}", HOSTILE[3]),
                    paragraph_index=1, matched=("金融",), relevance=0.9)
    html = d.answer_html(answer, d.ORIGINAL, analyzer)
    assert "<script" not in html and "<img" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "$x^2$" in html  # plain text: st.html does not render math or Markdown


def test_question_and_notice_html_escape() -> None:
    for text in HOSTILE:
        assert d.question_html(text) == f'<div class="qa-question">{d.escape_html(text)}</div>'
        assert "<script" not in d.notice_html(text)


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


def test_no_answer_html(analyzer) -> None:
    html = d.no_answer_html(["金融科技,業已成為新物種的競技場", "<b>x</b>"], d.SIMPLIFIED, analyzer, d.SIMPLIFIED)
    assert "文章里找不到" in html and "换个说法" in html and "新物种的竞技场" in html and "&lt;b&gt;" in html
    assert "例如用文章" in d.no_answer_html([], d.ORIGINAL, analyzer, d.TRADITIONAL)


def test_suggest_sections(seed_index: qa.Index, analyzer) -> None:
    headings = [s.heading for s in seed_index.articles[0].sections if s.heading]
    assert d.suggest_sections("新物種是誰", seed_index.articles, analyzer)[0] == "金融科技,業已成為新物種的競技場"
    unrelated = d.suggest_sections("ZZZ", seed_index.articles, analyzer)
    assert unrelated == headings[:3]


@pytest.mark.parametrize("heading, expected", [
    ("金融科技,業已成為新物種的競技場", "為什麼說金融科技，業已成為新物種的競技場？"),
    ("金融科技已经成为新生态的新基座。", "为什么说金融科技已经成为新生态的新基座？"),
    ("結語", "「結語」講了什麼？"),
])
def test_question_from_heading(analyzer, heading: str, expected: str) -> None:
    assert d.question_from_heading(heading, analyzer) == expected


def test_example_questions_are_answered(seed_index: qa.Index, analyzer) -> None:
    examples = d.example_questions(seed_index.articles, lambda q: seed_index.ask(q, top_k=1), analyzer)
    assert 2 <= len(examples) <= 4
    headings = [s.heading.replace(",", "，") for s in seed_index.articles[0].sections if s.heading]
    for example in examples:
        assert any(h in example for h in headings)
        assert seed_index.ask(example, top_k=1)


def test_sections_html(seed_article: qa.Article, analyzer) -> None:
    html = d.sections_html(seed_article, d.ORIGINAL, analyzer, d.TRADITIONAL)
    assert html.count("<li") == len(seed_article.sections) and "開頭" in html
    assert d.escape_html(FINTECH_SECTION) in html


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
    assert d.escape_markdown(fintech_answers[0].text) in text and d.escape_markdown(FINTECH_SECTION) in text
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
