"""Showing answers: escaping, highlighting, relevance, share links, script conversion, chat export (no browser needed)."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence
from urllib.parse import quote

from qa.search import dictionary
from qa.search.query import MAX_QUESTION_CHARS
from qa.records import Answer, Article, Query
from qa.search.tokens import FUNCTION_CHARS, Analyzer

# Display scripts: 原文 shows the article as written; the others convert what is shown, never what is searched.
ORIGINAL, TRADITIONAL, SIMPLIFIED = "原文", "繁體", "简体"
SCRIPTS = (ORIGINAL, TRADITIONAL, SIMPLIFIED)
# The interface script of a reply to a question asked in English: its labels in English (``UI_ENGLISH``).
ENGLISH = "English"

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
    "translated": ("譯成中文：", "译成中文："),
    "regional": ("文章裡的說法：", "文章里的说法："),
    "relevance": ("相關度", "相关度"),
    "rel_high": ("高", "高"),
    "rel_mid": ("中", "中"),
    "rel_low": ("低", "低"),
    "best": ("最相關", "最相关"),
    "read": ("在原文中閱讀", "在原文中阅读"),
    "reader": ("閱讀原文", "阅读原文"),
    "reader_share": ("這段原文的連結：", "这段原文的链接："),
    "reader_missing": ("找不到連結裡的段落：那篇文章不在這裡。", "找不到链接里的段落：那篇文章不在这里。"),
    "reader_cut": ("文章很長，這裡只顯示這一節的一部分。", "文章很长，这里只显示这一节的一部分。"),
    "scope": ("只從{titles}回答", "只从{titles}回答"),
    "empty_question": ("（空白）", "（空白）"),
    "unusable_file": ("有一個檔案無法使用：{problem}", "有一个文件无法使用：{problem}"),
    "intro": ("開頭", "开头"),
    "truncated": ("問題太長，只用了前 {n} 個字。", "问题太长，只用了前 {n} 个字。"),
    "unsearched": ("這部分文章沒有搜尋到（沒有在線的伺服器存有它）：{parts}", "这部分文章没有搜索到（没有在线的服务器存有它）：{parts}"),
    "share": ("分享", "分享"),
    "share_help": ("打開這個連結就會問同一個問題：", "打开这个链接就会问同一个问题："),
    "share_upload_note": ("這個回答來自你上傳的文章：別人打開連結時看不到那篇文章。",
                          "这个回答来自你上传的文章：别人打开链接时看不到那篇文章。"),
    "options": ("選項", "选项"),
    "script": ("文字", "文字"),
    "script_help": ("原文照文章的寫法顯示；繁體、简体只轉換顯示的文字，不影響搜尋。",
                    "原文照文章的写法显示；繁体、简体只转换显示的文字，不影响搜索。"),
    "top_k": ("回答數量", "回答数量"),
    "context": ("顯示前後句", "显示前后句"),
    "articles": ("文章", "文章"),
    "article_stats": ("{sections} 個章節 · {sentences} 句", "{sections} 个章节 · {sentences} 句"),
    "upload": ("上傳文章（.txt、.md）", "上传文章（.txt、.md）"),
    "upload_help": ("只在你這次的瀏覽中使用，其他人看不到。", "只在你这次的浏览中使用，其他人看不到。"),
    "vectors": ("正在為英文提問準備句向量：{done}/{total} 句（中文提問不受影響）",
                "正在为英文提问准备句向量：{done}/{total} 句（中文提问不受影响）"),
    "upload_hint": ("拖放檔案到這裡，或按「選擇檔案」。每個檔案 5 MB 以內，.txt 或 .md。",
                    "拖放文件到这里，或按「选择文件」。每个文件 5 MB 以内，.txt 或 .md。"),
    "upload_button": ("選擇檔案", "选择文件"),
    "upload_ok": ("已加入「{title}」（{sentences} 句）", "已加入「{title}」（{sentences} 句）"),
    "upload_bad": ("無法使用「{name}」：{reason}", "无法使用「{name}」：{reason}"),
    # The engine's LoadError codes (its messages stay English for the command line).
    "load_too_large": ("檔案太大（{size:.1f} MB），每篇文章最多 {limit:.0f} MB。", "文件太大（{size:.1f} MB），每篇文章最多 {limit:.0f} MB。"),
    "load_bad_bom": ("開頭標明是 {encoding} 編碼，內容卻不是；請重新存成 UTF-8 文字檔。",
                     "开头标明是 {encoding} 编码，内容却不是；请重新存成 UTF-8 文字档。"),
    "load_binary": ("這不是文字檔（可能是圖片、PDF 或 Word 檔）；請存成 .txt 或 .md 文字檔再上傳。",
                    "这不是文字档（可能是图片、PDF 或 Word 档）；请存成 .txt 或 .md 文字档再上传。"),
    "load_undecodable": ("無法辨認文字編碼（不是 UTF-8、UTF-16、GB18030 或 Big5）；請存成 UTF-8 文字檔。",
                         "无法辨认文字编码（不是 UTF-8、UTF-16、GB18030 或 Big5）；请存成 UTF-8 文字档。"),
    "load_empty": ("檔案是空的。", "文件是空的。"),
    "load_suffix": ("只能使用 .txt 或 .md 文字檔。", "只能使用 .txt 或 .md 文字档。"),
    "load_folder": ("這是資料夾，不是文字檔。", "这是文件夹，不是文字档。"),
    "load_missing": ("找不到這個檔案或資料夾。", "找不到这个文件或文件夹。"),
    "load_unreadable": ("無法讀取這個檔案。", "无法读取这个文件。"),
    "load_failed": ("處理時出了問題，請確認這是一篇文章的文字檔。", "处理时出了问题，请确认这是一篇文章的文字档。"),
    "store_failed": ("索引無法使用。原因和重建索引的指令如下：", "索引无法使用。原因和重建索引的指令如下："),
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
    "ask_why": ("為什麼{subject}{rest}？", "为什么{subject}{rest}？"),
    "ask_what": ("{subject}是什麼？", "{subject}是什么？"),
    "ask_what_of": ("{subject}的{noun}是什麼？", "{subject}的{noun}是什么？"),
    "ask_found": ("{subject}{verb}了什麼？", "{subject}{verb}了什么？"),
    "ask_who_leads": ("誰是{group}的代表？", "谁是{group}的代表？"),
    "ask_how": ("{subject}怎樣{rest}？", "{subject}怎样{rest}？"),
    "ask_how_plain": ("怎樣{rest}？", "怎样{rest}？"),
    "in_use": ("回答根據：{titles}", "回答根据：{titles}"),
    "more_articles": ("等 {n} 篇文章", "等 {n} 篇文章"),
    "loading": ("正在載入文章…", "正在加载文章…"),
    "no_articles": ("沒有可用的文章。", "没有可用的文章。"),
    "only": ("只從這些文章回答", "只从这些文章回答"),
    "only_help": ("不選就從所有文章回答。", "不选就从所有文章回答。"),
    "only_search": ("只從標題含有這些字的文章回答", "只从标题含有这些字的文章回答"),
    "only_matches": ("{n} 篇文章符合", "{n} 篇文章符合"),
}

# A reply to an English question, in English: every key a reply, its cards and its buttons use.
UI_ENGLISH: dict[str, str] = {
    "no_answer": "No sentence of the article answers this question.",
    "rephrase_sections": "Try other words, or look at these sections:",
    "rephrase": "Try other words, or ask in Chinese.",
    "carried": "Carried over:",
    "keywords": "Looking for:",
    "translated": "In Chinese:",
    "regional": "As the article says it:",
    "relevance": "Relevance",
    "rel_high": "high",
    "rel_mid": "medium",
    "rel_low": "low",
    "best": "best match",
    "read": "Read in the article",
    "scope": "Answering only from {titles}",
    "intro": "Introduction",
    "truncated": "The question is long: only its first {n} characters were used.",
    "unsearched": "Not searched (no live server holds them): {parts}",
    "share": "Share",
    "share_help": "This link asks the same question:",
    "share_upload_note": "This answer comes from an article you uploaded: others opening the link will not see it.",
    "more_articles": " and {n} articles",
    "question": "Q",
    "link": "Link",
}

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^&\"'])")
_LATIN_END = re.compile(r"[A-Za-z0-9.,;:!?)\]]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9(\[]")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Between Han characters (or Chinese quotes and brackets: 「促進劑」,而且): there, ASCII , ; : are typing slips.
_ASCII_BETWEEN_HAN = re.compile(rf"(?<=[{_HAN}」』）》])[ \t]*([,;:])[ \t]*(?=[{_HAN}「『（《])")
_FULL_WIDTH = {",": "，", ";": "；", ":": "："}
_PUNCT_OR_SPACE = re.compile(r"^[\W_]+$")


def ui(key: str, script: str, **values: object) -> str:
    """Interface text for a key in the interface script (Simplified only for 简体; English, where it has the key, for
    ``ENGLISH``)."""
    traditional, simplified = UI_TEXT[key]
    text = simplified if script == SIMPLIFIED else UI_ENGLISH.get(key, traditional) if script == ENGLISH else traditional
    return text.format(**values) if values else text


def reply_script(query: Query | None, ui_script_: str) -> str:
    """The interface script of one reply: English for a question asked in English, else the interface's own."""
    return ENGLISH if query is not None and query.foreign else ui_script_


def ui_script(display: str, locale: str | None = None) -> str:
    """The script of the interface: the display script, or for 原文 the visitor's locale (Traditional by default)."""
    if display in (TRADITIONAL, SIMPLIFIED):
        return display
    if locale and re.match(r"zh[-_](cn|sg|hans|my)", locale, re.IGNORECASE):
        return SIMPLIFIED
    return TRADITIONAL


def note_text(key: str, values: dict, script: str) -> str:
    """An upload note in the interface script; an error's ``code`` (the engine's LoadError code) is worded here."""
    values = dict(values)
    if code := values.pop("code", None):
        reason = f"load_{code}" if f"load_{code}" in UI_TEXT else "load_failed"
        values = {"name": values.get("name", ""), "reason": ui(reason, script, **values)}
    return ui(key, script, **values)


def pick_script(message: str, script: str) -> str:
    """One half of a bilingual "繁體 / 简体" message, matching the interface script."""
    halves = re.split(r"\s*/\s+", message, maxsplit=1)
    if len(halves) != 2:
        return message
    traditional, simplified = halves
    return simplified.strip() if script == SIMPLIFIED else traditional.strip()


def ui_convert(ui_script_: str) -> str:
    """The display script that writes text in the interface's script (the engine's notices are Traditional)."""
    return SIMPLIFIED if ui_script_ == SIMPLIFIED else ORIGINAL


def escape_html(text: str) -> str:
    """Text made safe to place inside HTML: tags, entities and quotes shown as typed."""
    return html.escape(text, quote=True)


def escape_markdown(text: str) -> str:
    """Text made safe for a Markdown label: every Markdown, HTML and math special is backslash-escaped."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text).replace("\n", " ")


def convert(text: str, script: str, analyzer: Analyzer) -> str:
    """Text in the display script (原文 leaves it as written), its ASCII , ; : between Han characters full width."""
    if script == TRADITIONAL:
        text = analyzer.to_traditional(text)
    elif script == SIMPLIFIED:
        text = analyzer.to_simplified(text)
    return tidy_punctuation(text)


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


def tidy_punctuation(text: str) -> str:
    """ASCII , ; : between Han characters shown full width (，；：), as Chinese text is set; nothing else changes."""
    return _ASCII_BETWEEN_HAN.sub(lambda m: _FULL_WIDTH[m.group(1)], text)


def tagged_words(text: str, analyzer: Analyzer) -> list[tuple[int, int, str, str]]:
    """jieba's words of a shown text: (start, end) in the text as shown, the normalised word, and its part of
    speech in jieba's dictionary ("x" for a word it does not know). The analyzer's own cut, not posseg's
    (ten times slower): a reply's cards are drawn again on every rerun."""
    folded, origin = _folded(text, analyzer.normalize)
    tags = analyzer.word_tags
    words, position = [], 0
    for word in analyzer.tokenizer.cut(folded, HMM=analyzer.settings.hmm):
        start, position = position, position + len(word)
        if word.strip() and not _PUNCT_OR_SPACE.match(word):
            words.append((origin[start], origin[position - 1] + 1, word, tags.get(word, "x")))
    return words


def word_groups(text: str, terms: Iterable[str], analyzer: Analyzer, phrases: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Spans of the whole words of ``text`` that stand for the question's terms (in either script).

    A word is marked when it is a term or holds a term of two or more characters (前後端 for 前后). A
    one-character term is marked alone only when jieba's dictionary calls it a noun (水, 湖), and joined to a
    marked word it touches when it is a noun or a suffix (玩家+們) — so 說 in 可以說, 們 in 我們, the verbs
    講 and 做 are never marked by themselves. ``phrases`` (normalised) are the question's own word + character
    pieces (前后端 asked as 前後|端): wherever one occurs it is marked whole, whatever jieba cut there.
    """
    terms = {t for t in terms if t}
    longer = [t for t in terms if len(t) >= 2]
    words = tagged_words(text, analyzer)

    def noun(word: str, flag: str) -> bool:
        return flag.startswith("n")

    marked = [w in terms and (len(w) >= 2 or noun(w, flag)) or (len(w) >= 2 and any(t in w for t in longer))
              for _, _, w, flag in words]
    spans: list[tuple[int, int]] = []
    for i, (start, end, word, flag) in enumerate(words):
        if marked[i]:
            spans.append((start, end))
        elif len(word) == 1 and word in terms and (noun(word, flag) or flag == "k"):
            if i > 0 and marked[i - 1] and words[i - 1][1] == start:  # a suffix joins the word before it
                spans[-1] = (spans[-1][0], end)
            elif i + 1 < len(words) and marked[i + 1] and words[i + 1][0] == end:
                marked[i] = True
                spans.append((start, end))
    if phrases:
        folded, origin = _folded(text, analyzer.normalize)
        for phrase in phrases:
            at = folded.find(phrase)
            while at != -1:
                spans.append((origin[at], origin[at + len(phrase) - 1] + 1))
                at = folded.find(phrase, at + 1)
    kept = sorted({_trimmed(text, span, analyzer) for span in spans})
    return [s for s in kept if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in kept)]


def _trimmed(text: str, span: tuple[int, int], analyzer: Analyzer) -> tuple[int, int]:
    """A span without a 的 at its end (jieba's 端的 → 端): 的 is never what was asked."""
    start, end = span
    return (start, end - 1) if end - start > 1 and text[end - 1] == "的" else (start, end)


def question_phrases(query: Query, analyzer: Analyzer) -> tuple[str, ...]:
    """The question's one-character terms with the term next to them, as one piece (前后端 from 前後|端)."""
    terms = set(query.terms)
    words = [(start, end, w) for start, end, w, _ in tagged_words(query.question, analyzer) if w in terms]
    # Only a word followed by a character (前后|端, 玩家|们): 說 in 為什麼說|金融 is the question's frame.
    return tuple(dict.fromkeys(a[2] + b[2] for a, b in zip(words, words[1:])
                               if a[1] == b[0] and len(a[2]) >= 2 and len(b[2]) == 1
                               and not FUNCTION_CHARS.intersection(a[2][-1] + b[2])))


def highlight_html(text: str, terms: Iterable[str], analyzer: Analyzer, phrases: Iterable[str] = (),
                   tag: str = "mark") -> str:
    """Escaped text with the whole words standing for ``terms`` wrapped in ``<mark>`` (touching words in one)."""
    merged: list[tuple[int, int]] = []
    for start, end in word_groups(text, terms, analyzer, phrases):
        if merged and start <= merged[-1][1]:  # touching words join into one mark: no gaps inside a phrase
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out, last = [], 0
    for start, end in merged:
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
    """A five-step meter, a word (高/中/低) and the percentage, all visible (touch screens have no hover)."""
    level = relevance_level(relevance)
    filled = max(1, min(5, round(relevance * 5)))
    dots = "".join(f'<span class="qa-dot{" on" if i < filled else ""}"></span>' for i in range(5))
    label = ui("relevance", script)
    word = ui(f"rel_{level}", script)
    return (f'<span class="qa-rel qa-rel-{level}" aria-label="{label} {word} {relevance:.0%}">'
            f'{label}<span class="qa-meter">{dots}</span>{word}<span class="qa-pct">{relevance:.0%}</span></span>')


@dataclass(frozen=True)
class Passage:
    """One answer card: answers next to each other in one section, shown in article order with their context."""

    doc: str
    title: str
    section: str
    first: int  # sentence id (in its article) of the first sentence shown
    texts: tuple[str, ...]  # the sentences shown, in article order
    roles: tuple[str, ...]  # for each: "best" (the card's best-ranked answer), "answer" or "context"
    breaks: tuple[int, ...]  # positions in ``texts`` where a new paragraph begins
    answers: tuple[Answer, ...]  # the answers it holds, best-ranked first
    figure: float = 0.0  # the relevance shown: its answers' own match, never above the card before it

    @property
    def last(self) -> int:
        return self.first + len(self.texts) - 1

    @property
    def best(self) -> int:
        """Sentence id of the card's best-ranked answer."""
        return self.answers[0].sentence_id

    @property
    def at(self) -> str:
        """Where the passage is, as the reader view's link value (``doc:first-last@best``)."""
        return f"{self.doc}:{self.first}-{self.last}@{self.best}"


MAX_PASSAGE = 6  # sentences one card shows at most: an answer that would make it longer is left out


def _shown_sentences(answer: Answer, context: bool) -> dict[int, tuple[str, int]]:
    """The sentences a card shows for one answer: sentence id → (text, id of its paragraph's first sentence)."""
    paragraph = answer.paragraph or (answer.text,)
    position = answer.paragraph_index if answer.paragraph else 0
    lead = answer.sentence_id - position
    span = range(max(0, position - 1), min(len(paragraph), position + 2)) if context else range(position, position + 1)
    return {lead + i: (paragraph[i], lead) for i in span}


def passages(answers: Sequence[Answer], top_k: int, context: bool = True) -> list[Passage]:
    """Answers (best first) as at most ``top_k`` cards: answers whose shown sentences overlap or touch in one
    section join one card; the next card starts elsewhere, so no sentence is shown twice. Taking answers stops
    at the first that would start a card past ``top_k``. Each card's figure is its answers' best own match,
    lowered to the figure of the card above when higher, so the figures never rise down the list."""
    groups: list[dict] = []
    for answer in answers:
        shown = _shown_sentences(answer, context)
        low, high = min(shown), max(shown)
        touching = [g for g in groups if g["doc"] == answer.doc and g["section"] == answer.section
                    and g["low"] <= high + 1 and low <= g["high"] + 1]
        if not touching:
            # The same words elsewhere (an article repeating a sentence, two copies of one article): shown once.
            elsewhere = {text for g in groups for text, _ in g["sentences"].values()}
            if answer.text in elsewhere:
                continue
            if len(groups) >= top_k:
                break
            shown = {i: v for i, v in shown.items() if i == answer.sentence_id or v[0] not in elsewhere}
            groups.append({"doc": answer.doc, "section": answer.section, "low": min(shown), "high": max(shown),
                           "sentences": dict(shown), "answers": [answer]})
            continue
        if len(set(shown).union(*(g["sentences"] for g in touching))) > MAX_PASSAGE:
            continue  # a card stays readable at a glance; the next answer may still start one elsewhere
        into = touching[0]  # the earliest card: it keeps its place in the list
        for other in touching[1:]:  # an answer between two cards joins them
            into["sentences"].update(other["sentences"])
            into["answers"] += other["answers"]
            groups.remove(other)
        into["sentences"].update(shown)
        into["answers"].append(answer)
        into["low"], into["high"] = min(into["sentences"]), max(into["sentences"])
    cards, ceiling = [], 1.0
    for g in groups:
        ranked = sorted(g["answers"], key=answers.index)
        ids = sorted(g["sentences"])
        answer_ids = {a.sentence_id for a in ranked}
        roles = tuple("best" if i == ranked[0].sentence_id else "answer" if i in answer_ids else "context" for i in ids)
        breaks = tuple(n for n, i in enumerate(ids) if n and g["sentences"][i][1] != g["sentences"][ids[n - 1]][1])
        ceiling = min(ceiling, max(a.own_match for a in ranked))
        first = ranked[0]
        cards.append(Passage(first.doc, first.title, first.section, ids[0],
                             tuple(g["sentences"][i][0] for i in ids), roles, breaks, tuple(ranked), ceiling))
    return cards


def where_text(answer: Answer | Passage, script: str, analyzer: Analyzer, ui_script_: str) -> str:
    """"title › section" in the display script (the introduction is named 開頭)."""
    section = answer.section or ui("intro", ui_script_)
    return f"{convert(answer.title, script, analyzer)} › {convert(section, script, analyzer)}"


def passage_html(passage: Passage, query: Query, script: str, analyzer: Analyzer, ui_script_: str = TRADITIONAL,
                 phrases: Sequence[str] | None = None) -> str:
    """One card: where it is, its relevance, and its sentences in article order — the answers with the question's
    words marked (the same words in every card), the best one flagged, the context quieter."""
    phrases = question_phrases(query, analyzer) if phrases is None else phrases
    title = escape_html(convert(passage.title, script, analyzer))
    section = escape_html(convert(passage.section, script, analyzer) if passage.section else ui("intro", ui_script_))
    parts = [
        f'<div class="qa-card" data-at="{escape_html(passage.at)}">',
        f'<div class="qa-head"><span class="qa-where"><span class="qa-title">{title}</span>'
        f'<span class="qa-sep">›</span><span class="qa-section">{section}</span></span>'
        f'{relevance_html(passage.figure, ui_script_)}</div><div class="qa-passage">',
    ]
    several = passage.roles.count("answer") > 0
    terms = marked_terms(query, passage.texts, analyzer)
    for n, (text, role) in enumerate(zip(passage.texts, passage.roles)):
        shown = convert(text, script, analyzer)
        gap = " qa-gap" if n in passage.breaks else ""
        if role == "context":
            parts.append(f'<p class="qa-context{gap}">{escape_html(shown)}</p>')
        elif role == "best" and several:  # the badge says which of the card's answers ranked first
            parts.append(f'<p class="qa-sentence qa-best{gap}"><span class="qa-badge">{ui("best", ui_script_)}</span>'
                         f'{highlight_html(shown, terms, analyzer, phrases)}</p>')
        else:  # the best of a one-answer card is marked by its bar alone
            best = " qa-best" if role == "best" else ""
            parts.append(f'<p class="qa-sentence{best}{gap}">{highlight_html(shown, terms, analyzer, phrases)}</p>')
    parts.append("</div></div>")
    return "".join(parts)


def marked_terms(query: Query, texts: Sequence[str], analyzer: Analyzer) -> tuple[str, ...]:
    """The words a card marks: the question's terms; for an English question also the card's Chinese words that
    CC-CEDICT glosses with one of its English words (金融 for "finance"; words of two characters or more)."""
    if not query.foreign:
        return tuple(query.terms)
    english = dictionary.english_words(query.question)
    words = [w for text in texts for w in analyzer.terms(text) if len(w) > 1]
    return tuple(query.terms) + tuple(dictionary.matching_words(words, english))


def _words_for(text: str, terms: Sequence[str], analyzer: Analyzer) -> list[str]:
    """The whole words of ``text`` (as written) standing for ``terms``, once each, in order (no lone character
    that is not a noun)."""
    tags = analyzer.word_tags
    words = (text[a:b] for a, b in word_groups(text, terms, analyzer))
    return list(dict.fromkeys(w for w in words if len(w) > 1 or tags.get(analyzer.normalize(w), "").startswith("n")))


def understood_words(query: Query, source: str | None, analyzer: Analyzer) -> tuple[list[str], list[str]]:
    """The question's own search words and the carried-over ones: whole words as written in the questions they
    came from (前後端, not 前後 and 端); a lone one-character verb or suffix (說, 講, 們) is not shown."""
    if query.foreign:  # the English words asked (their Chinese translations are shown apart: ``understood_html``)
        words = re.findall(r"[A-Za-z][A-Za-z'-]*|\d+", query.question)
        return list(dict.fromkeys(w for w in words if w.lower() not in dictionary.STOP_WORDS and len(w) > 1)), []
    carried = set(query.carried)
    own_terms = [t for t in query.terms if t not in carried]
    own = _words_for(query.question, own_terms, analyzer)
    from_source = _words_for(source, query.carried, analyzer) if source else []
    return own, from_source or [t for t in _longest_terms(query.carried) if len(t) > 1]


def _longest_terms(terms: Sequence[str]) -> list[str]:
    """Terms without those contained in a longer one (金融科技 stands for 金融 and 科技)."""
    unique = list(dict.fromkeys(terms))
    return [t for t in unique if not any(t != other and t in other for other in unique)]


def understood_html(query: Query, script: str, analyzer: Analyzer, ui_script_: str, source: str | None = None,
                    written: str = "") -> str:
    """What the engine understood: the question's own words and any carried over (from ``source``, an earlier
    question); for an English question its words and the Chinese ones searched for them, as ``written`` (the
    answers' text) writes them where it holds them."""
    own, carried = understood_words(query, source, analyzer)
    chips = []
    if own:
        words = "".join(f'<span class="qa-chip">{escape_html(convert(w, script, analyzer))}</span>' for w in own)
        chips.append(f'<span class="qa-understood-label">{ui("keywords", ui_script_)}</span>{words}')
    if carried:
        words = "".join(f'<span class="qa-chip qa-carried">{escape_html(convert(w, script, analyzer))}</span>'
                        for w in carried)
        chips.append(f'<span class="qa-understood-label">{ui("carried", ui_script_)}</span>{words}')
    if query.foreign and (translated := _longest_terms(query.translated)):
        translated = list(dict.fromkeys(next(iter(_words_for(written, [t], analyzer)), t) for t in translated))
        words = "".join(f'<span class="qa-chip qa-translated">{escape_html(convert(w, script, analyzer))}</span>'
                        for w in translated)
        chips.append(f'<span class="qa-understood-label">{ui("translated", ui_script_)}</span>{words}')
    if query.regional:  # the question's word as the article says it (軟體 → 软件)
        words = "".join(f'<span class="qa-chip qa-regional">{escape_html(convert(asked, script, analyzer))} → '
                        f'{escape_html(convert(written, script, analyzer))}</span>' for asked, written in query.regional)
        chips.append(f'<span class="qa-understood-label">{ui("regional", ui_script_)}</span>{words}')
    return f'<div class="qa-understood">{"".join(chips)}</div>' if chips else ""


def question_html(question: str, ui_script_: str = TRADITIONAL) -> str:
    """The visitor's question, escaped (shown as typed, never as HTML, Markdown or math); a blank one says so."""
    if not question.strip():
        return f'<div class="qa-question qa-blank">{ui("empty_question", ui_script_)}</div>'
    return f'<div class="qa-question">{escape_html(question)}</div>'


def reply_html(parts: Iterable[str]) -> str:
    """An assistant reply's HTML blocks in one wrapper (the browser tests wait for it)."""
    return f'<div class="qa-reply">{"".join(parts)}</div>'


def notice_html(text: str, kind: str = "note") -> str:
    """A quiet one-line message inside a reply."""
    return f'<div class="qa-notice qa-{kind}">{escape_html(text)}</div>'


def no_answer_html(suggested: bool, ui_script_: str, notice: str = "") -> str:
    """The plain "no answer" reply — the engine's reason when it has one (文章沒有提到「劉強東」。) — suggesting a
    rephrase (the suggested sections are buttons drawn after it)."""
    advice = ui("rephrase_sections" if suggested else "rephrase", ui_script_)
    head = escape_html(notice) if notice else ui("no_answer", ui_script_)
    return f'<div class="qa-none"><p class="qa-none-head">{head}</p><p>{advice}</p></div>'


@dataclass(frozen=True)
class Suggestion:
    """A section to look at when nothing answered: opened in the reader view."""

    doc: str
    section: int  # index into the article's sections
    heading: str

    @property
    def at(self) -> str:
        return section_at(self.doc, self.section)


def section_at(doc: str, section: int) -> str:
    """The reader view's link value for a whole section (``doc:s3``)."""
    return f"{doc}:s{section}"


def suggest_sections(question: str, articles: Sequence[Article], analyzer: Analyzer, limit: int = 3) -> list[Suggestion]:
    """Sections of these articles to suggest when nothing answers: those whose headings share most characters with
    the question (the first few sections when none does)."""
    asked = {c for c in analyzer.normalize(question) if c.isalnum()}
    found, seen = [], set()
    for article in articles:
        for n, section in enumerate(article.sections):
            if section.heading and section.heading not in seen:
                seen.add(section.heading)
                found.append((len(asked & set(analyzer.normalize(section.heading))), -len(found),
                              Suggestion(article.name, n, section.heading)))
    overlapping = [s for score, _, s in sorted(found, key=lambda f: (f[0], f[1]), reverse=True) if score > 0]
    return (overlapping or [s for _, _, s in found])[:limit]


def text_script(text: str, analyzer: Analyzer) -> str:
    """TRADITIONAL or SIMPLIFIED: the script a text is written in (Traditional when it cannot tell)."""
    if analyzer.to_simplified(text) == text and analyzer.to_traditional(text) != text:
        return SIMPLIFIED
    return TRADITIONAL


# Example questions a reader would ask, made from what the article's sentences say (kind, pattern, template).
# Each pattern reads one clause (between ，；：。); the templates are in UI_TEXT, in both scripts.
_CLAUSE = re.compile(r"[^，,；;：:。！!？?\n]+")
_NOT_A_SUBJECT = re.compile(r"(?:^[它他她其此這这那該该]|[不再也都就還还已並并非曾將将])$|^[它他她其此這这那該该]")
_EXAMPLE_PATTERNS: tuple[tuple[str, str, re.Pattern], ...] = (
    ("who", "ask_who_leads", re.compile(r"以.{2,24}?[為为]代表的(?P<group>[^的]{2,8})")),
    ("what", "ask_found", re.compile(r"^(?P<subject>.{2,14}?)(?P<verb>發現|发现|提出|發明|发明|創立|创立|推出|公布|宣布)了?.{2,}$")),
    ("what", "ask_what", re.compile(r"^(?P<subject>[^的]{2,8}?)(?:就是|便是|是)(?:一種|一种|一個|一个|一項|一项|一類|一类).{2,}$")),
    ("what", "ask_what_of", re.compile(r"^(?P<subject>[^的]{2,8})的(?P<noun>[^的是]{2,4})是.{2,}$")),
    ("why", "ask_why", re.compile(r"^(?P<subject>.{2,10}?)之所以(?P<rest>.{2,14})$")),
    ("how", "ask_how_plain", re.compile(r"(?:用|以)(?:一種|一种)?[^，,]{0,8}?(?:方式|方法|途徑|途径)(?:來|来|去)?(?P<rest>[^的]{2,10})$")),
    ("how", "ask_how", re.compile(r"^(?P<subject>.{2,10}?)(?:通過|通过|透過|透过|藉由|借助|依靠)[^來来]{2,12}?[來来](?P<rest>.{2,10})$")),
)
_KINDS = ("who", "what", "why", "how")
MAX_EXAMPLE_CHARS = 20  # longer ones wrap or are cut on a phone


def _ends_in_noun(phrase: str, analyzer: Analyzer) -> bool:
    """Whether a phrase ends in a noun (or a place word: 冰層下), as the subject of a question must."""
    words = tagged_words(phrase, analyzer)
    return bool(words) and (words[-1][3].startswith("n") or words[-1][3] in ("f", "s", "vn", "k"))


def example_candidates(article: Article, analyzer: Analyzer) -> dict[str, list[tuple[str, int]]]:
    """Questions the article's sentences answer, by kind: (question, id of the sentence that answers it)."""
    found: dict[str, list[tuple[str, int]]] = {kind: [] for kind in _KINDS}
    for sentence_id, sentence in enumerate(article.sentences):
        script = text_script(sentence.text, analyzer)
        for clause in _CLAUSE.findall(sentence.text):
            clause = clause.strip()
            for kind, key, pattern in _EXAMPLE_PATTERNS:
                match = pattern.search(clause)
                named = [v for k, v in match.groupdict().items() if k not in ("rest", "verb")] if match else []
                if not match or any(_NOT_A_SUBJECT.search(v) or not _ends_in_noun(v, analyzer) for v in named):
                    continue
                question = ui(key, script, **match.groupdict())
                if len(question) <= MAX_EXAMPLE_CHARS:
                    found[kind].append((question, sentence_id))
    return found


def example_questions(articles: Sequence[Article], ask: Callable[[str], list], analyzer: Analyzer,
                      limit: int = 4, tries: int = 40) -> list[str]:
    """Example questions of different kinds (who, what, why, how) from what the articles say, each kept only when
    the engine answers it with the sentence it was made from (among its first three answers)."""
    pools = {kind: [] for kind in _KINDS}
    for article in articles:
        for kind, candidates in example_candidates(article, analyzer).items():
            pools[kind] += [(q, article.name, i) for q, i in candidates]
    examples: list[str] = []
    while len(examples) < limit and tries > 0 and any(pools.values()):
        for kind in _KINDS:  # one of each kind in turn
            while pools[kind] and tries > 0:
                question, doc, sentence_id = pools[kind].pop(0)
                if question in examples:
                    continue
                tries -= 1
                if any(a.doc == doc and a.sentence_id == sentence_id for a in ask(question)[:3]):
                    examples.append(question)
                    break
            if len(examples) >= limit:
                break
    return examples


def reader_html(article: Article, script: str, analyzer: Analyzer, ui_script_: str, first: int | None = None,
                last: int | None = None, best: int | None = None, section: int | None = None,
                query: Query | None = None, max_sentences: int = 600) -> str:
    """The article with its headings, the passage (sentences ``first``–``last``, ``best`` flagged) or the section
    marked and carrying ``id="qa-at"`` to scroll to. A long article shows only the section around the mark."""
    if first is not None:
        section = article.sentences[first].section
    shown = range(len(article.sections))
    cut = ""
    if len(article.sentences) > max_sentences and section is not None:
        shown = range(section, section + 1)  # a long article: the marked section only (a window of it if long)
        cut = f'<p class="qa-notice">{ui("reader_cut", ui_script_)}</p>'
    centre = first if first is not None else None
    terms, phrases = (query.terms, question_phrases(query, analyzer)) if query else ((), ())
    parts = [f'<div class="qa-reader"><h3 class="qa-reader-title">{escape_html(convert(article.title or article.name, script, analyzer))}</h3>{cut}']
    placed = False
    for n in shown:
        heading = article.sections[n].heading
        here = section is not None and n == section and first is None
        attrs = ' id="qa-at" class="qa-at-heading"' if here else ""
        placed = placed or here
        if heading:
            parts.append(f'<h4{attrs}>{escape_html(convert(heading, script, analyzer))}</h4>')
        elif here:
            parts.append(f'<h4{attrs}>{ui("intro", ui_script_)}</h4>')
        paragraphs = article.sections[n].paragraph_ids
        if len(article.sentences) > max_sentences and centre is not None:  # a window around the passage
            at = next((i for i, p in enumerate(paragraphs) if centre in article.paragraphs[p].sentence_ids), 0)
            paragraphs = paragraphs[max(0, at - 10):at + 10]
        for p in paragraphs:
            body = []
            for i in article.paragraphs[p].sentence_ids:
                text = convert(article.sentences[i].text, script, analyzer)
                if first is not None and first <= i <= (last if last is not None else first):
                    classes = "qa-at qa-at-best" if i == best else "qa-at"
                    anchor = "" if placed else ' id="qa-at"'
                    placed = True
                    body.append(f'<span class="{classes}"{anchor}>{highlight_html(text, terms, analyzer, phrases)}</span>')
                else:
                    body.append(escape_html(text))
            parts.append(f'<p>{"".join(body)}</p>')
    parts.append("</div>")
    return "".join(parts)


# Scrolls the reader view to its mark once drawn (st.html runs it only when the app allows JavaScript there).
READER_SCROLL = """<script>
(() => { const go = () => { const at = document.getElementById("qa-at");
  if (at) at.scrollIntoView({block: "center"}); else setTimeout(go, 50); }; go(); })();
</script>"""


def share_link(base_url: str | None, questions: Sequence[str]) -> str:
    """A ``?q=`` link that asks these questions in order (several when a follow-up needs its earlier question)."""
    base = (base_url or "").split("?", 1)[0].split("#", 1)[0]
    if not base.endswith("/"):
        base += "/" if base else "/"
    query = "&".join(f"q={_quote_readable(q)}" for q in questions)
    return f"{base}?{query}" if questions else base


def reader_link(base_url: str | None, questions: Sequence[str], at: str) -> str:
    """A link that asks ``questions`` (if any) and opens the reader view ``at`` a passage or section."""
    link = share_link(base_url, questions)
    return f"{link}{'&' if questions else '?'}at={_quote_readable(at)}"


def _quote_readable(text: str) -> str:
    """Percent-encode what a URL needs encoded, but keep Chinese characters readable."""
    return "".join(c if ord(c) > 127 and c.isprintable() and not c.isspace() else quote(c, safe="") for c in text)


def share_questions(understand: Callable[[str, Sequence[str]], Query], question: str,
                    history: Sequence[str], query: Query, most: int = 4) -> list[str]:
    """The questions a share link must ask so a follow-up is read the same way: the fewest latest earlier
    questions (up to ``most``) with which the engine reads it as it did, then the question itself."""
    if not (query.carried or query.follow_up):
        return [question]
    for n in range(1, min(len(history), most) + 1):
        earlier = list(history[-n:])
        if understand(question, earlier).terms == query.terms:
            return [*earlier, question]
    return [question]


@dataclass(frozen=True)
class Turn:
    """One exchange of the chat: the question as asked and everything its reply shows."""

    question: str  # as typed (cut to MAX_QUESTION_CHARS when it was longer)
    answers: tuple[Answer, ...] = ()  # best first; more than the cards show, as neighbours join one card
    query: Query | None = None  # None when the question could not be asked
    problem: str = ""  # gentle message for an empty or punctuation-only question
    truncated: bool = False
    share: tuple[str, ...] = ()  # the questions a share link asks
    suggestions: tuple[Suggestion, ...] = ()  # sections suggested when nothing answered
    scope: tuple[str, ...] = ()  # the titles the article filter kept, when it was on
    notice: str = ""  # the engine's reason there is no answer (「文章沒有提到「劉強東」。」), Traditional script
    unsearched: tuple[str, ...] = ()  # parts of a cluster's corpus not searched (no live worker held them)

    @property
    def asked(self) -> bool:
        """Whether the engine was asked (so the question counts as history for follow-ups)."""
        return self.query is not None


def reply_head_html(turn: Turn, script: str, analyzer: Analyzer, uis: str) -> str:
    """The top of an assistant reply: notices (filter, truncation), what was understood, or "no answer"."""
    if turn.problem:
        return reply_html([notice_html(pick_script(turn.problem, uis))])
    uis = reply_script(turn.query, uis)
    parts = [notice_html(truncation_notice(uis))] if turn.truncated else []
    if turn.scope:
        titles = "、".join(f"《{convert(t, script, analyzer)}》" for t in turn.scope[:3])
        more = ui("more_articles", uis, n=len(turn.scope)) if len(turn.scope) > 3 else ""
        parts.append(notice_html(ui("scope", uis, titles=titles + more), "scope"))
    if turn.unsearched:
        parts.append(notice_html(ui("unsearched", uis, parts="；".join(turn.unsearched))))
    source = turn.share[0] if len(turn.share) > 1 else None  # the earlier question a follow-up carried words from
    written = "".join(a.text for a in turn.answers) if turn.query.foreign else ""
    parts.append(understood_html(turn.query, script, analyzer, uis, source, written))
    if not turn.answers:
        parts.append(no_answer_html(bool(turn.suggestions), uis, convert(turn.notice, ui_convert(uis), analyzer)))
    return reply_html(parts)


def turn_html(turn: Turn, script: str, analyzer: Analyzer, uis: str, top_k: int, context: bool) -> str:
    """One assistant reply in one piece: its head and its answer cards."""
    cards = passages(turn.answers, top_k, context)
    phrases = question_phrases(turn.query, analyzer) if cards else ()
    return reply_head_html(turn, script, analyzer, uis) + "".join(
        passage_html(p, turn.query, script, analyzer, reply_script(turn.query, uis), phrases) for p in cards)


def truncation_notice(script: str) -> str:
    """The notice shown when a question was cut to MAX_QUESTION_CHARS."""
    return ui("truncated", script, n=MAX_QUESTION_CHARS)


def chat_markdown(turns: Sequence[Turn], script: str, analyzer: Analyzer, base_url: str | None = None,
                  top_k: int = 3, ui_script_: str = TRADITIONAL, context: bool = True) -> str:
    """The chat as a Markdown document (text escaped, so it renders as written wherever it is opened)."""
    lines = [f"# {ui('chat_title', ui_script_)}", ""]
    for turn in turns:
        lines += [f"## {ui('question', ui_script_)}：{escape_markdown(turn.question)}", ""]
        if turn.problem:
            lines += [escape_markdown(pick_script(turn.problem, ui_script_)), ""]
            continue
        said = reply_script(turn.query, ui_script_)  # an English question's reply is in English
        if turn.truncated:
            lines += [f"*{truncation_notice(said)}*", ""]
        if not turn.answers:
            lines += [escape_markdown(convert(turn.notice, ui_convert(said), analyzer)) or ui("no_answer", said), ""]
        for i, passage in enumerate(passages(turn.answers, top_k, context), 1):
            where = escape_markdown(where_text(passage, script, analyzer, said))
            text = "".join(convert(t, script, analyzer) for t, role in zip(passage.texts, passage.roles)
                           if role != "context")
            lines += [f"{i}. {escape_markdown(text)}",
                      f"   — {where}（{ui('relevance', said)} {passage.figure:.0%}）", ""]
        if base_url is not None and turn.share:
            lines += [f"{ui('link', ui_script_)}：<{share_link(base_url, turn.share)}>", ""]
    return "\n".join(lines).rstrip() + "\n"


def uploader_style(script: str) -> str:
    """CSS putting Chinese on st.file_uploader's drop zone: its English instructions ("Drag and drop files here",
    "Limit 5MB per file • TXT, MD") hidden (the app's own caption says it), its button relabelled. Streamlit
    has no parameter for these texts; the CSS leaves the widget working as before."""
    label = ui("upload_button", script)
    return ("<style>[data-testid='stFileUploaderDropzoneInstructions']{display:none}"
            "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p{font-size:0}"
            "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p::after"
            f"{{content:'{label}';font-size:.875rem}}</style>")


STYLE = """
<style>
.qa-card{border:1px solid rgba(49,51,63,.12);border-radius:.75rem;padding:.8rem 1rem .7rem;margin:.2rem 0 .1rem;
  background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.04)}
.qa-head{display:flex;justify-content:space-between;align-items:baseline;gap:.75rem;margin-bottom:.35rem;
  font-size:.82rem;color:#6b6f76;flex-wrap:wrap}
.qa-where{min-width:0}
.qa-title{color:#6b6f76}
.qa-sep{margin:0 .35rem;color:#b0b3b8}
.qa-section{color:#8a3324;font-weight:600}
.qa-rel{white-space:nowrap;display:inline-flex;align-items:center;gap:.3rem;font-size:.75rem;color:#6b6f76}
.qa-meter{display:inline-flex;gap:2px}
.qa-pct{font-variant-numeric:tabular-nums;color:#4a4f57}
.qa-dot{width:7px;height:7px;border-radius:50%;background:#e3e3e3;display:inline-block}
.qa-rel-high .qa-dot.on{background:#2e7d4f}.qa-rel-mid .qa-dot.on{background:#c28a12}
.qa-rel-low .qa-dot.on{background:#9aa0a6}
.qa-sentence{font-size:1.05rem;line-height:1.75;margin:.15rem 0;color:#1f2328}
.qa-sentence.qa-best{border-left:3px solid #8a3324;padding-left:.55rem;margin-left:-.8rem}
.qa-badge{font-size:.68rem;color:#fff;background:#8a3324;border-radius:.3rem;padding:.02rem .35rem;margin-right:.4rem;
  vertical-align:.12rem}
.qa-context{font-size:.9rem;line-height:1.65;color:#8b8f96;margin:.1rem 0}
.qa-gap{margin-top:.6rem}
.qa-card mark,.qa-reader mark{background:#fdebb3;color:inherit;padding:0 .08em;border-radius:.2em}
.qa-understood{font-size:.8rem;color:#6b6f76;margin:0 0 .5rem;display:flex;flex-wrap:wrap;gap:.3rem;align-items:center}
.qa-understood-label{margin-left:.2rem}
.qa-chip{background:#f1efe9;border-radius:999px;padding:.05rem .55rem;color:#3d4148}
.qa-chip.qa-carried{background:#f6e6e2;color:#8a3324}
.qa-chip.qa-translated{background:#e6eef6;color:#23466b}
.qa-question{white-space:pre-wrap;word-break:break-word;line-height:1.7}
.qa-question.qa-blank{color:#8b8f96}
.qa-notice{font-size:.85rem;color:#8a5a00;background:#fff6e0;border-radius:.5rem;padding:.35rem .7rem;margin-bottom:.5rem}
.qa-notice.qa-scope{color:#3d4148;background:#f1efe9}
.qa-none p{margin:.2rem 0}.qa-none-head{font-weight:600}
.qa-reader{line-height:1.85;font-size:1rem;color:#1f2328}
.qa-reader h3{font-size:1.2rem;margin:.2rem 0 .6rem}.qa-reader h4{font-size:1rem;color:#8a3324;margin:1rem 0 .3rem}
.qa-reader p{margin:.3rem 0 .7rem}
.qa-at{background:rgba(138,51,36,.08);border-bottom:2px solid rgba(138,51,36,.35)}
.qa-at-best{background:rgba(138,51,36,.16)}
.qa-at-heading{background:rgba(138,51,36,.1);border-radius:.3rem;padding:.1rem .3rem}
/* Example questions and filter pills wrap instead of being cut with "…" on a narrow screen. */
[data-testid="stButtonGroup"] button{max-width:100%;height:auto;white-space:normal;text-align:left}
[data-testid="stButtonGroup"] button p{white-space:normal;overflow:visible;text-overflow:clip}
</style>
"""
