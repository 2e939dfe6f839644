"""Showing answers: escaping, highlighting, relevance, share links, script conversion, chat export (no browser needed)."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence
from urllib.parse import quote

from qa.search.query import MAX_QUESTION_CHARS
from qa.records import Answer, Article, Query
from qa.search.tokens import Analyzer

# Display scripts: 原文 shows the article as written; the others convert what is shown, never what is searched.
ORIGINAL, TRADITIONAL, SIMPLIFIED = "原文", "繁體", "简体"
SCRIPTS = (ORIGINAL, TRADITIONAL, SIMPLIFIED)

# Interface text in both scripts, written by hand (Taiwan usage for Traditional, mainland usage for Simplified).
UI_TEXT: dict[str, tuple[str, str]] = {
    "title": ("文章問答", "文章问答"),
    "tagline": ("用中文提問，從文章裡找出回答問題的句子，並標出它所在的章節。",
                "用中文提问，从文章里找出回答问题的句子，并标出它所在的章节。"),
    "examples": ("試試這些問題", "试试这些问题"),
    "placeholder": ("輸入問題，繁體或簡體都可以", "输入问题，繁体或简体都可以"),
    "no_answer": ("文章裡找不到能回答這個問題的句子。", "文章里找不到能回答这个问题的句子。"),
    "rephrase_sections": ("換個說法再問一次，或看看這些章節：", "换个说法再问一次，或看看这些章节："),
    "rephrase": ("換個說法再問一次，例如用文章裡出現的詞。", "换个说法再问一次，例如用文章里出现的词。"),
    "carried": ("接著上文，沿用了：", "接着上文，沿用了："),
    "keywords": ("找的是：", "找的是："),
    "relevance": ("相關度", "相关度"),
    "rel_high": ("高", "高"),
    "rel_mid": ("中", "中"),
    "rel_low": ("低", "低"),
    "whole_paragraph": ("在原文中查看整段", "在原文中查看整段"),
    "intro": ("開頭", "开头"),
    "truncated": ("問題太長，只用了前 {n} 個字。", "问题太长，只用了前 {n} 个字。"),
    "share": ("分享", "分享"),
    "share_help": ("打開這個連結就會問同一個問題：", "打开这个链接就会问同一个问题："),
    "share_upload_note": ("這個回答來自你上傳的文章：別人打開連結時看不到那篇文章。",
                          "这个回答来自你上传的文章：别人打开链接时看不到那篇文章。"),
    "options": ("選項", "选项"),
    "script": ("顯示字體", "显示字体"),
    "top_k": ("回答數量", "回答数量"),
    "context": ("顯示前後句", "显示前后句"),
    "articles": ("文章", "文章"),
    "article_stats": ("{sections} 個章節 · {sentences} 句", "{sections} 个章节 · {sentences} 句"),
    "upload": ("上傳文章（.txt、.md）", "上传文章（.txt、.md）"),
    "upload_help": ("只在你這次的瀏覽中使用，其他人看不到。", "只在你这次的浏览中使用，其他人看不到。"),
    "upload_ok": ("已加入「{title}」（{sentences} 句）", "已加入「{title}」（{sentences} 句）"),
    "upload_bad": ("無法使用這個檔案：{reason}", "无法使用这个文件：{reason}"),
    "upload_empty": ("{name}：找不到任何句子，請確認這是一篇文章。", "{name}：找不到任何句子，请确认这是一篇文章。"),
    "upload_too_many": ("{name}：沒有加入，每位訪客最多上傳 {n} 篇文章。", "{name}：没有加入，每位访客最多上传 {n} 篇文章。"),
    "upload_too_much": ("{name}：沒有加入，上傳的檔案合計不能超過 {mb} MB。", "{name}：没有加入，上传的文件合计不能超过 {mb} MB。"),
    "upload_too_slow": ("{name}：整理超過 {seconds} 秒仍未完成，已停止；請上傳較短的文章，或分成幾篇。",
                        "{name}：整理超过 {seconds} 秒仍未完成，已停止；请上传较短的文章，或分成几篇。"),
    "upload_failed": ("{name}：整理這篇文章時出錯，請確認它是一般的文字檔。", "{name}：整理这篇文章时出错，请确认它是一般的文字档。"),
    "uploaded": ("上傳", "上传"),
    "clear": ("清除對話", "清除对话"),
    "download": ("下載對話", "下载对话"),
    "download_help": ("存成 Markdown 檔案", "存成 Markdown 文件"),
    "chat_title": ("文章問答：對話記錄", "文章问答：对话记录"),
    "question": ("問", "问"),
    "link": ("連結", "链接"),
    "why_prefix": ("為什麼說", "为什么说"),
    "about_suffix": ("講了什麼？", "讲了什么？"),
    "in_use": ("回答根據：{titles}", "回答根据：{titles}"),
    "more_articles": ("等 {n} 篇文章", "等 {n} 篇文章"),
    "loading": ("正在載入文章…", "正在加载文章…"),
    "no_articles": ("沒有可用的文章。", "没有可用的文章。"),
    "only": ("只從這些文章回答", "只从这些文章回答"),
    "only_help": ("不選就從所有文章回答。", "不选就从所有文章回答。"),
    "only_search": ("只從標題含有這些字的文章回答", "只从标题含有这些字的文章回答"),
    "only_matches": ("{n} 篇文章符合", "{n} 篇文章符合"),
}

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^&\"'])")
_LATIN_END = re.compile(r"[A-Za-z0-9.,;:!?)\]]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9(\[]")
# A heading that states something (has a verb) reads well as "為什麼說…？"; a bare noun phrase does not.
_STATEMENT = re.compile(r"[是為为將将已在有能會会讓让使成變变]")


def ui(key: str, script: str, **values: object) -> str:
    """Interface text for a key in the interface script (Simplified only for 简体)."""
    traditional, simplified = UI_TEXT[key]
    text = simplified if script == SIMPLIFIED else traditional
    return text.format(**values) if values else text


def ui_script(display: str, locale: str | None = None) -> str:
    """The script of the interface: the display script, or for 原文 the visitor's locale (Traditional by default)."""
    if display in (TRADITIONAL, SIMPLIFIED):
        return display
    if locale and re.match(r"zh[-_](cn|sg|hans|my)", locale, re.IGNORECASE):
        return SIMPLIFIED
    return TRADITIONAL


def pick_script(message: str, script: str) -> str:
    """One half of a bilingual "繁體 / 简体" message, matching the interface script."""
    halves = re.split(r"\s*/\s+", message, maxsplit=1)
    if len(halves) != 2:
        return message
    traditional, simplified = halves
    return simplified.strip() if script == SIMPLIFIED else traditional.strip()


def escape_html(text: str) -> str:
    """Text made safe to place inside HTML: tags, entities and quotes shown as typed."""
    return html.escape(text, quote=True)


def escape_markdown(text: str) -> str:
    """Text made safe for a Markdown label: every Markdown, HTML and math special is backslash-escaped."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text).replace("\n", " ")


def convert(text: str, script: str, analyzer: Analyzer) -> str:
    """Text in the display script (原文 leaves it as written)."""
    if script == TRADITIONAL:
        return analyzer.to_traditional(text)
    if script == SIMPLIFIED:
        return analyzer.to_simplified(text)
    return text


def _folded(text: str, normalize: Callable[[str], str]) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index of the shown character it came from."""
    whole = normalize(text)
    if len(whole) == len(text):  # OpenCC t2s and NFKC keep the length for almost all text: positions map 1:1
        return whole, list(range(len(text)))
    parts, origin = [], []
    for i, char in enumerate(text):
        folded = normalize(char)
        parts.append(folded)
        origin.extend([i] * len(folded))
    return "".join(parts), origin


def highlight_spans(text: str, terms: Iterable[str], normalize: Callable[[str], str]) -> list[tuple[int, int]]:
    """Spans of ``text`` whose normalised form equals one of ``terms`` (normalised), merged and sorted."""
    folded, origin = _folded(text, normalize)
    spans: list[tuple[int, int]] = []
    for term in {t for t in terms if t}:
        start = folded.find(term)
        while start != -1:
            spans.append((origin[start], origin[start + len(term) - 1] + 1))
            start = folded.find(term, start + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:  # touching words join into one mark: no gaps inside a phrase
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight_html(text: str, terms: Iterable[str], normalize: Callable[[str], str], tag: str = "mark") -> str:
    """Escaped text with the spans matching ``terms`` wrapped in ``<mark>``."""
    out, last = [], 0
    for start, end in highlight_spans(text, terms, normalize):
        out.append(escape_html(text[last:start]))
        out.append(f"<{tag}>{escape_html(text[start:end])}</{tag}>")
        last = end
    out.append(escape_html(text[last:]))
    return "".join(out)


def relevance_level(relevance: float) -> str:
    """"high", "mid" or "low": how much of the question's weight an answer matched."""
    if relevance >= 0.8:
        return "high"
    if relevance >= 0.55:
        return "mid"
    return "low"


def relevance_html(relevance: float, script: str) -> str:
    """A five-step meter with a word (高/中/低) and the percentage as a tooltip."""
    level = relevance_level(relevance)
    filled = max(1, min(5, round(relevance * 5)))
    dots = "".join(f'<span class="qa-dot{" on" if i < filled else ""}"></span>' for i in range(5))
    label = ui("relevance", script)
    word = ui(f"rel_{level}", script)
    return (f'<span class="qa-rel qa-rel-{level}" title="{label} {relevance:.0%}" '
            f'aria-label="{label} {word} {relevance:.0%}">'
            f'{label}<span class="qa-meter">{dots}</span>{word}</span>')


def _join_sentences(sentences: Sequence[str]) -> list[str]:
    """Separators to put before each sentence: none between Chinese sentences, a space between Latin ones."""
    seps = []
    for i, sentence in enumerate(sentences):
        before = sentences[i - 1] if i else ""
        seps.append(" " if before and _LATIN_END.search(before) and _LATIN_START.search(sentence) else "")
    return seps


def where_text(answer: Answer, script: str, analyzer: Analyzer, ui_script_: str) -> str:
    """"title › section" in the display script (the introduction is named 開頭)."""
    section = answer.section or ui("intro", ui_script_)
    return f"{convert(answer.title, script, analyzer)} › {convert(section, script, analyzer)}"


def answer_html(answer: Answer, script: str, analyzer: Analyzer, show_context: bool = True,
                ui_script_: str = TRADITIONAL) -> str:
    """One answer as an HTML card: where it is, the sentence with matched words marked, its neighbours, the paragraph."""
    norm = analyzer.normalize
    shown = [convert(s, script, analyzer) for s in answer.paragraph] or [convert(answer.text, script, analyzer)]
    text = convert(answer.text, script, analyzer)
    title = escape_html(convert(answer.title, script, analyzer))
    section = escape_html(convert(answer.section, script, analyzer) if answer.section else ui("intro", ui_script_))
    parts = [
        '<div class="qa-card">',
        f'<div class="qa-head"><span class="qa-where"><span class="qa-title">{title}</span>'
        f'<span class="qa-sep">›</span><span class="qa-section">{section}</span></span>'
        f'{relevance_html(answer.relevance, ui_script_)}</div>',
    ]
    if show_context and answer.before:
        parts.append(f'<p class="qa-context">{escape_html(convert(answer.before, script, analyzer))}</p>')
    parts.append(f'<p class="qa-sentence">{highlight_html(text, answer.matched, norm)}</p>')
    if show_context and answer.after:
        parts.append(f'<p class="qa-context">{escape_html(convert(answer.after, script, analyzer))}</p>')
    if len(shown) > 1:
        body = []
        for i, (sep, sentence) in enumerate(zip(_join_sentences(shown), shown)):
            marked = highlight_html(sentence, answer.matched, norm)
            body.append(sep + (f'<span class="qa-here">{marked}</span>' if i == answer.paragraph_index else marked))
        parts.append(f'<details class="qa-more"><summary>{ui("whole_paragraph", ui_script_)}</summary>'
                     f'<p>{"".join(body)}</p></details>')
    parts.append("</div>")
    return "".join(parts)


def surface_words(text: str, terms: Iterable[str], normalize: Callable[[str], str]) -> list[str]:
    """The words of ``text`` as written that match ``terms``, longest first wins (金融科技 covers 金融, 科技)."""
    folded, origin = _folded(text, normalize)
    spans = set()
    for term in {t for t in terms if t}:
        start = folded.find(term)
        while start != -1:
            spans.add((origin[start], origin[start + len(term) - 1] + 1))
            start = folded.find(term, start + 1)
    kept = [s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)]
    return list(dict.fromkeys(text[a:b] for a, b in sorted(kept)))


def _longest_terms(terms: Sequence[str]) -> list[str]:
    """Terms without those contained in a longer one (金融科技 stands for 金融 and 科技)."""
    unique = list(dict.fromkeys(terms))
    return [t for t in unique if not any(t != other and t in other for other in unique)]


def understood_words(query: Query, source: str | None, normalize: Callable[[str], str]) -> tuple[list[str], list[str]]:
    """The question's own search words and the carried-over ones, as written in the questions they came from."""
    carried = set(query.carried)
    own_terms = [t for t in query.terms if t not in carried]
    own = surface_words(query.question, own_terms, normalize) or list(query.shown_terms) or _longest_terms(own_terms)
    from_source = surface_words(source, query.carried, normalize) if source else []
    return own, from_source or _longest_terms(query.carried)


def understood_html(query: Query, script: str, analyzer: Analyzer, ui_script_: str, source: str | None = None) -> str:
    """What the engine understood: the question's own words and any carried over (from ``source``, an earlier question)."""
    own, carried = understood_words(query, source, analyzer.normalize)
    chips = []
    if own:
        words = "".join(f'<span class="qa-chip">{escape_html(convert(w, script, analyzer))}</span>' for w in own)
        chips.append(f'<span class="qa-understood-label">{ui("keywords", ui_script_)}</span>{words}')
    if carried:
        words = "".join(f'<span class="qa-chip qa-carried">{escape_html(convert(w, script, analyzer))}</span>'
                        for w in carried)
        chips.append(f'<span class="qa-understood-label">{ui("carried", ui_script_)}</span>{words}')
    return f'<div class="qa-understood">{"".join(chips)}</div>' if chips else ""


def sections_html(article: Article, script: str, analyzer: Analyzer, ui_script_: str) -> str:
    """An article's section headings as a list for the sidebar."""
    items = "".join(
        f'<li>{escape_html(convert(s.heading, script, analyzer))}</li>' if s.heading
        else f'<li class="qa-intro">{ui("intro", ui_script_)}</li>'
        for s in article.sections)
    return f'<ul class="qa-sidebar-sections">{items}</ul>'


def question_html(question: str) -> str:
    """The visitor's question, escaped (shown as typed, never as HTML, Markdown or math)."""
    return f'<div class="qa-question">{escape_html(question)}</div>'


def reply_html(parts: Iterable[str]) -> str:
    """An assistant reply's HTML blocks in one wrapper (the browser tests wait for it)."""
    return f'<div class="qa-reply">{"".join(parts)}</div>'


def notice_html(text: str, kind: str = "note") -> str:
    """A quiet one-line message inside a reply."""
    return f'<div class="qa-notice qa-{kind}">{escape_html(text)}</div>'


def no_answer_html(sections: Sequence[str], script: str, analyzer: Analyzer, ui_script_: str) -> str:
    """The plain "no answer" reply, suggesting a rephrase or some sections to look at."""
    parts = [f'<div class="qa-none"><p class="qa-none-head">{ui("no_answer", ui_script_)}</p>']
    if sections:
        names = "".join(f'<li>{escape_html(convert(s, script, analyzer))}</li>' for s in sections)
        parts.append(f'<p>{ui("rephrase_sections", ui_script_)}</p><ul class="qa-sections">{names}</ul>')
    else:
        parts.append(f'<p>{ui("rephrase", ui_script_)}</p>')
    parts.append("</div>")
    return "".join(parts)


def suggest_sections(question: str, articles: Sequence[Article], analyzer: Analyzer, limit: int = 3) -> list[str]:
    """Section headings to suggest when nothing answers: those sharing most characters with the question."""
    asked = {c for c in analyzer.normalize(question) if c.isalnum()}
    headings = [s.heading for a in articles for s in a.sections if s.heading]
    scored = [(len(asked & set(analyzer.normalize(h))), -i, h) for i, h in enumerate(dict.fromkeys(headings))]
    overlapping = [h for score, _, h in sorted(scored, reverse=True) if score > 0]
    return (overlapping or [h for _, _, h in sorted(scored, key=lambda s: -s[1])])[:limit]


def text_script(text: str, analyzer: Analyzer) -> str:
    """TRADITIONAL or SIMPLIFIED: the script a text is written in (Traditional when it cannot tell)."""
    if analyzer.to_simplified(text) == text and analyzer.to_traditional(text) != text:
        return SIMPLIFIED
    return TRADITIONAL


def question_from_heading(heading: str, analyzer: Analyzer) -> str:
    """An example question made from a section heading, in the heading's own script."""
    heading = heading.strip().rstrip("。．.！!？?：:，,；;")
    heading = re.sub(r"(?<=[\u3400-\u9fff])\s*,\s*(?=[\u3400-\u9fff])", "，", heading)  # ASCII comma reads oddly in Chinese
    script = text_script(heading, analyzer)
    if _STATEMENT.search(heading):
        return f"{ui('why_prefix', script)}{heading}？"
    return f"「{heading}」{ui('about_suffix', script)}"


def example_questions(articles: Sequence[Article], ask: Callable[[str], list], analyzer: Analyzer,
                      limit: int = 4) -> list[str]:
    """Example questions from the articles' section headings, keeping only those the engine answers."""
    examples: list[str] = []
    for article in articles:
        for section in article.sections:
            if not section.heading or len(section.heading) > 30:
                continue
            question = question_from_heading(section.heading, analyzer)
            if question not in examples and ask(question):
                examples.append(question)
            if len(examples) >= limit:
                return examples
    return examples


def share_link(base_url: str | None, questions: Sequence[str]) -> str:
    """A ``?q=`` link that asks these questions in order (several when a follow-up needs its earlier question)."""
    base = (base_url or "").split("?", 1)[0].split("#", 1)[0]
    if not base.endswith("/"):
        base += "/" if base else "/"
    query = "&".join(f"q={_quote_readable(q)}" for q in questions)
    return f"{base}?{query}" if questions else base


def _quote_readable(text: str) -> str:
    """Percent-encode what a URL needs encoded, but keep Chinese characters readable."""
    return "".join(c if ord(c) > 127 and c.isprintable() and not c.isspace() else quote(c, safe="") for c in text)


def share_questions(understand: Callable[[str, Sequence[str]], Query], question: str,
                    history: Sequence[str], query: Query) -> list[str]:
    """The questions a share link must ask so a follow-up is understood the same way: its source, then itself."""
    if not query.carried:
        return [question]
    for earlier in reversed(history):
        if understand(question, [earlier]).carried == query.carried:
            return [earlier, question]
    return [question]


@dataclass(frozen=True)
class Turn:
    """One exchange of the chat: the question as asked and everything its reply shows."""

    question: str  # as typed (cut to MAX_QUESTION_CHARS when it was longer)
    answers: tuple[Answer, ...] = ()
    query: Query | None = None  # None when the question could not be asked
    problem: str = ""  # gentle message for an empty or punctuation-only question
    truncated: bool = False
    share: tuple[str, ...] = ()  # the questions a share link asks
    suggestions: tuple[str, ...] = ()  # section headings suggested when nothing answered

    @property
    def asked(self) -> bool:
        """Whether the engine was asked (so the question counts as history for follow-ups)."""
        return self.query is not None


def turn_html(turn: Turn, script: str, analyzer: Analyzer, uis: str, top_k: int, context: bool) -> str:
    """One assistant reply: notices, what was understood, the answer cards (or the "no answer" reply)."""
    if turn.problem:
        return reply_html([notice_html(pick_script(turn.problem, uis))])
    parts = [notice_html(truncation_notice(uis))] if turn.truncated else []
    source = turn.share[0] if len(turn.share) > 1 else None  # the earlier question a follow-up carried words from
    parts.append(understood_html(turn.query, script, analyzer, uis, source))
    if turn.answers:
        parts += [answer_html(a, script, analyzer, context, uis) for a in turn.answers[:top_k]]
    else:
        parts.append(no_answer_html(turn.suggestions, script, analyzer, uis))
    return reply_html(parts)


def truncation_notice(script: str) -> str:
    """The notice shown when a question was cut to MAX_QUESTION_CHARS."""
    return ui("truncated", script, n=MAX_QUESTION_CHARS)


def chat_markdown(turns: Sequence[Turn], script: str, analyzer: Analyzer, base_url: str | None = None,
                  top_k: int = 3, ui_script_: str = TRADITIONAL) -> str:
    """The chat as a Markdown document (text escaped, so it renders as written wherever it is opened)."""
    lines = [f"# {ui('chat_title', ui_script_)}", ""]
    for turn in turns:
        lines += [f"## {ui('question', ui_script_)}：{escape_markdown(turn.question)}", ""]
        if turn.problem:
            lines += [escape_markdown(pick_script(turn.problem, ui_script_)), ""]
            continue
        if turn.truncated:
            lines += [f"*{truncation_notice(ui_script_)}*", ""]
        if not turn.answers:
            lines += [ui("no_answer", ui_script_), ""]
        for i, answer in enumerate(turn.answers[:top_k], 1):
            where = escape_markdown(where_text(answer, script, analyzer, ui_script_))
            lines += [f"{i}. {escape_markdown(convert(answer.text, script, analyzer))}",
                      f"   — {where}（{ui('relevance', ui_script_)} {answer.relevance:.0%}）", ""]
        if base_url is not None and turn.share:
            lines += [f"{ui('link', ui_script_)}：<{share_link(base_url, turn.share)}>", ""]
    return "\n".join(lines).rstrip() + "\n"


STYLE = """
<style>
.qa-card{border:1px solid rgba(49,51,63,.12);border-radius:.75rem;padding:.8rem 1rem .7rem;margin:.2rem 0 .75rem;
  background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.04)}
.qa-head{display:flex;justify-content:space-between;align-items:baseline;gap:.75rem;margin-bottom:.35rem;
  font-size:.82rem;color:#6b6f76}
.qa-where{min-width:0}
.qa-title{color:#6b6f76}
.qa-sep{margin:0 .35rem;color:#b0b3b8}
.qa-section{color:#8a3324;font-weight:600}
.qa-rel{white-space:nowrap;display:inline-flex;align-items:center;gap:.3rem;font-size:.75rem;color:#6b6f76}
.qa-meter{display:inline-flex;gap:2px}
.qa-dot{width:7px;height:7px;border-radius:50%;background:#e3e3e3;display:inline-block}
.qa-rel-high .qa-dot.on{background:#2e7d4f}.qa-rel-mid .qa-dot.on{background:#c28a12}
.qa-rel-low .qa-dot.on{background:#9aa0a6}
.qa-sentence{font-size:1.05rem;line-height:1.75;margin:.15rem 0;color:#1f2328}
.qa-context{font-size:.9rem;line-height:1.65;color:#8b8f96;margin:.1rem 0}
.qa-card mark,.qa-more mark{background:#fdebb3;color:inherit;padding:0 .08em;border-radius:.2em}
.qa-more{margin-top:.45rem;font-size:.88rem;color:#4a4f57}
.qa-more summary{cursor:pointer;color:#8a3324;font-size:.8rem;list-style-position:inside}
.qa-more p{line-height:1.75;margin:.4rem 0 0;padding:.5rem .75rem;background:#faf7f2;border-radius:.5rem}
.qa-here{background:rgba(138,51,36,.08);border-bottom:2px solid rgba(138,51,36,.45)}
.qa-understood{font-size:.8rem;color:#6b6f76;margin:0 0 .5rem;display:flex;flex-wrap:wrap;gap:.3rem;align-items:center}
.qa-understood-label{margin-left:.2rem}
.qa-chip{background:#f1efe9;border-radius:999px;padding:.05rem .55rem;color:#3d4148}
.qa-chip.qa-carried{background:#f6e6e2;color:#8a3324}
.qa-question{white-space:pre-wrap;word-break:break-word;line-height:1.7}
.qa-notice{font-size:.85rem;color:#8a5a00;background:#fff6e0;border-radius:.5rem;padding:.35rem .7rem;margin-bottom:.5rem}
.qa-none p{margin:.2rem 0}.qa-none-head{font-weight:600}
.qa-sections{margin:.3rem 0 0 1.1rem;padding:0;color:#8a3324}
.qa-sidebar-sections{margin:.1rem 0 .2rem 1rem;padding:0;font-size:.85rem;color:#4a4f57;line-height:1.6}
.qa-sidebar-sections li.qa-intro{color:#8b8f96}
</style>
"""
