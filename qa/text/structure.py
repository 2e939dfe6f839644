"""Find an article's structure in cleaned text: title, sections, paragraphs, sentences with raw offsets."""
from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text.cleaning import CleanedText
from qa.records import Article, Paragraph, Section, Sentence

# Sentence ends: 。！？!? and ellipses, followed by any closing quotes/brackets. A ；joins the clauses of one sentence
# (GB/T 15834: the semicolon marks a pause inside a complex sentence), so it does not end one.
_SENTENCE_END = re.compile(r"(?:[。！？!?]+|…{2,}|\.{3,}|(?<=[A-Za-z0-9%)\]])\.(?=\s))[」』”’\"'）)\]】》]*")
_STATEMENT_END = re.compile(r"[。；;]")
_FINAL_PUNCT = "。！？!?；;…」』”’\"．.：:，,、"
_CLAUSE_BREAK = re.compile(r"[，,、：:]|\s+")
_WORDY = re.compile(r"[\w\u3400-\u9fff]")
MAX_HEADING_CHARS = 40
MAX_SENTENCE_CHARS = 200


@dataclass(frozen=True)
class _Block:
    """A non-empty line of cleaned text: its stripped text and offsets into the cleaned text."""

    text: str
    start: int
    end: int


def _blocks(text: str) -> list[_Block]:
    blocks = []
    for m in re.finditer(r"[^\n]+", text):
        line = m.group()
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            blocks.append(_Block(stripped, m.start() + lead, m.start() + lead + len(stripped)))
    return blocks


def _markdown_heading(text: str) -> str | None:
    m = re.match(r"^#{1,6}\s+(.+?)\s*#*$", text)
    return m.group(1) if m else None


def _is_heading_shape(text: str) -> bool:
    """A short line that does not end like a sentence and is not a run of sentences: a title may hold one
    exclamation or question inside (停止！！雲雀, Wow! eye Taiwan), not a 。 or ； or two sentence ends."""
    return (len(text) <= MAX_HEADING_CHARS and not text.endswith(tuple(_FINAL_PUNCT))
            and _WORDY.search(text) is not None and not _STATEMENT_END.search(text)
            and len(_SENTENCE_END.findall(text)) <= 1)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) in ``text``; overlong unpunctuated runs are cut at commas or spaces."""
    spans = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((pos, m.end()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    result = []
    for start, end in spans:
        # trim whitespace so offsets point at the sentence itself
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end and _WORDY.search(text, start, end):
            result.extend(_cut_long(text, start, end))
    return result


def _cut_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a span longer than MAX_SENTENCE_CHARS at clause breaks (or hard, if there are none)."""
    pieces = []
    while end - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        cut = None
        for m in _CLAUSE_BREAK.finditer(text, start + MAX_SENTENCE_CHARS // 3, limit):
            cut = m.end()
        cut = cut or limit
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        if piece_end > start:
            pieces.append((start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


def _sentence_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def structure_article(cleaned: CleanedText, name: str) -> Article:
    """Build the article's title, sections, paragraphs and sentences from cleaned text."""
    mapped = cleaned.mapped
    text = mapped.text
    blocks = _blocks(text)
    title = ""
    # The first line is the title when it looks like one and body text follows (a one-line note is body).
    if len(blocks) > 1 and (_markdown_heading(blocks[0].text) or _is_heading_shape(blocks[0].text)):
        title = _markdown_heading(blocks[0].text) or blocks[0].text
        blocks = blocks[1:]

    # Each block is a heading (short, unpunctuated, followed by body text) or a body paragraph.
    kinds = []
    for i, block in enumerate(blocks):
        md = _markdown_heading(block.text)
        following = blocks[i + 1].text if i + 1 < len(blocks) else None
        is_heading = md is not None or (
            _is_heading_shape(block.text) and following is not None
            and (_markdown_heading(following) is None and not _is_heading_shape(following)))
        kinds.append(("heading", md or block.text) if is_heading else ("body", block.text))

    # Collect sentence candidates per paragraph, then drop repeats (e.g. a lead repeated in the body).
    raw_paragraphs: list[tuple[int, list[tuple[str, int, int]]]] = []  # (section index, sentences)
    headings = [""]
    for block, (kind, value) in zip(blocks, kinds):
        if kind == "heading":
            headings.append(value)
            continue
        spans = split_sentences(text[block.start:block.end])
        sentences = []
        for s, e in spans:
            raw_start, raw_end = mapped.raw_span(block.start + s, block.start + e)
            sentences.append((text[block.start + s:block.start + e], raw_start, raw_end))
        if sentences:
            raw_paragraphs.append((len(headings) - 1, sentences))

    keep = _keep_first_or_richest(raw_paragraphs)
    sentences_out: list[Sentence] = []
    paragraphs_out: list[Paragraph] = []
    section_paragraphs: list[list[int]] = [[] for _ in headings]
    for p_index, (section, sentences) in enumerate(raw_paragraphs):
        ids = []
        for s_index, (sentence_text, raw_start, raw_end) in enumerate(sentences):
            if (p_index, s_index) not in keep:
                continue
            ids.append(len(sentences_out))
            sentences_out.append(Sentence(sentence_text, raw_start, raw_end, section, len(paragraphs_out)))
        if ids:
            section_paragraphs[section].append(len(paragraphs_out))
            paragraphs_out.append(Paragraph(section, tuple(ids)))
    sections = tuple(Section(h, tuple(p)) for h, p in zip(headings, section_paragraphs))
    return Article(name=name, title=title or name, raw=cleaned.raw, sections=sections,
                   paragraphs=tuple(paragraphs_out), sentences=tuple(sentences_out), source=cleaned.source)


def _keep_first_or_richest(paragraphs: list[tuple[int, list[tuple[str, int, int]]]]) -> set[tuple[int, int]]:
    """Positions of sentences to keep: of identical sentences, the one with the most paragraph context."""
    best: dict[str, tuple[int, int]] = {}
    for p_index, (_, sentences) in enumerate(paragraphs):
        for s_index, (sentence_text, _, _) in enumerate(sentences):
            key = _sentence_key(sentence_text)
            if key not in best or len(sentences) > len(paragraphs[best[key][0]][1]):
                best[key] = (p_index, s_index)
    return set(best.values())
