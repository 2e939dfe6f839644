"""Plain, frozen records passed between the pipeline's steps (safe to share across sessions)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article: cleaned text plus its span in the raw text as given."""

    text: str
    start: int  # offset into the raw text (inclusive)
    end: int  # offset into the raw text (exclusive)
    section: int  # index into Article.sections
    paragraph: int  # index into Article.paragraphs


@dataclass(frozen=True)
class Paragraph:
    """A paragraph: the ids (indexes into Article.sentences) of its sentences, in order."""

    section: int
    sentence_ids: tuple[int, ...]


@dataclass(frozen=True)
class Section:
    """A section: its heading ('' for the introduction) and its paragraphs' indexes."""

    heading: str
    paragraph_ids: tuple[int, ...]


@dataclass(frozen=True)
class Article:
    """A structured article: title, sections, paragraphs and sentences, with the raw text kept for citing."""

    name: str
    title: str
    raw: str
    sections: tuple[Section, ...]
    paragraphs: tuple[Paragraph, ...]
    sentences: tuple[Sentence, ...]
    source: str = ""  # provenance line such as 本文來自…, kept as metadata, never answered

    def section_of(self, sentence_id: int) -> Section:
        """The section a sentence belongs to."""
        return self.sections[self.sentences[sentence_id].section]

    def paragraph_sentences(self, sentence_id: int) -> tuple[Sentence, ...]:
        """The sentences of the paragraph a sentence belongs to, in order."""
        paragraph = self.paragraphs[self.sentences[sentence_id].paragraph]
        return tuple(self.sentences[i] for i in paragraph.sentence_ids)


@dataclass(frozen=True)
class Closeness:
    """Cosines of the question's sentence vector with an answer's sentence and those around it."""

    sentence: float
    beside: float  # the better of the sentences just before and after it in its article (its own when it has none)
    article_best: float  # the best of its article's sentences


@dataclass(frozen=True)
class Query:
    """A question as the engine understood it."""

    question: str
    terms: tuple[str, ...]  # content terms used for matching (normalised to Simplified)
    carried: tuple[str, ...] = ()  # terms carried over from earlier questions in the chat
    shown_terms: tuple[str, ...] = field(default=())  # the question's own words as written, for highlighting
    carried_from: str = ""  # the earlier question the carried terms came from ("" when nothing was carried)
    follow_up: str = ""  # how it follows on: "pronoun" (它/這/他…, or too short to stand alone), "contrast" (那X呢？), ""
    frame: str = ""  # a contrast follow-up: the earlier question whose frame (what is asked) it takes
    previous: tuple[int, ...] = ()  # a follow-up: global sentence ids the earlier question was answered with
    matching: str = ""  # normalised text matched against the index when it differs from the question's
    regional: tuple[tuple[str, str], ...] = ()  # (the question's word, the index's word) for regional vocabulary
    names: tuple[str, ...] = ()  # the names, Latin words and numbers the question itself asks about (normalised)
    translated: tuple[str, ...] = ()  # a foreign question: Chinese words the dictionary gives for its words
    foreign: bool = False  # written in another script than the articles' (an English question): answered from
    #                        sentence vectors (qa/search/semantic.py), its notices in English
    answered: tuple[tuple[str, int], ...] = ()  # a follow-up: the earlier best answer as (doc, sentence id)
    direction: int = 0  # a follow-up asking what came after (後來…: 1) or before (在那之前…: -1) the earlier answer
    resolved: tuple[tuple[str, str], ...] = ()  # (the question's phrase, the earlier answer's word): 那座城 → 普羅民遮城
    parallel: str = ""  # a contrast follow-up: the earlier answer with the new topic in place of the old (normalised)

    @property
    def own_terms(self) -> tuple[str, ...]:
        """The terms of the question itself, without those carried over from the chat."""
        return tuple(t for t in self.terms if t not in self.carried)


@dataclass(frozen=True)
class Exchange:
    """One earlier turn of a chat, as a follow-up needs it: what was asked, and which sentences answered it."""

    question: str
    answers: tuple[tuple[str, int], ...] = ()  # (Answer.doc, Answer.sentence_id) of the answers shown, best first
    texts: tuple[str, ...] = ()  # the answers' sentences, in the same order (what a follow-up's 它/那座城 point to)

    @classmethod
    def of(cls, question: str, answers: "Sequence[Answer]" = ()) -> "Exchange":
        """The exchange of a question and the answers it was given."""
        return cls(question, tuple((a.doc, a.sentence_id) for a in answers), tuple(a.text for a in answers))


@dataclass(frozen=True)
class Answer:
    """One answer sentence with everything needed to show, cite and check it."""

    text: str
    doc: str
    title: str
    section: str
    score: float
    start: int
    end: int
    before: str = ""
    after: str = ""
    sentence_id: int = 0  # index into the article's sentences
    paragraph: tuple[str, ...] = ()  # the whole paragraph's sentences, for checking in place
    paragraph_index: int = 0  # position of this sentence inside ``paragraph``
    matched: tuple[str, ...] = ()  # query terms this sentence matched (normalised form)
    relevance: float = 0.0  # 0..1: share of the question's weight this sentence, its heading and title matched
    own_match: float = 0.0  # 0..1: the same share matched by the sentence's own text (no heading, no title)
    article_sentences: int = 0  # how many sentences the answer's article has (the relevance floor rises with it)
    closeness: "Closeness | None" = None  # how close in meaning the question is to it (sentence vectors); None without

    def to_dict(self) -> dict:
        """A JSON-ready dict of the answer."""
        return {
            "text": self.text, "doc": self.doc, "title": self.title, "section": self.section,
            "score": round(self.score, 6), "start": self.start, "end": self.end,
            "before": self.before, "after": self.after, "matched": list(self.matched),
            "relevance": round(self.relevance, 4), "own_match": round(self.own_match, 4),
        }


@dataclass(frozen=True)
class Reply:
    """The engine's reply to one question: how it read it, its answers, and why there are none when there are none."""

    query: Query
    answers: tuple[Answer, ...] = ()
    refusal: str = ""  # why nothing answers: "missing" (see ``missing``), "absent" (the answers match only the
    #                    article's title, and words of the question no sentence holds are in ``missing``), "kind"
    #                    (no sentence holds the kind of answer asked for: see ``kind``), "relevance" (too little of
    #                    the question matched), or ""
    missing: tuple[str, ...] = ()  # names/numbers (or words: "absent") the question asks about that no article
    #                                mentions, as written
    kind: str = ""  # the kind of answer asked for and not found: "date", "number" or "price"
    unsearched: tuple[str, ...] = ()  # parts of a sharded corpus no live worker held, so not searched (a cluster)
    semantic: bool = False  # the semantic score (sentence vectors) took part in the ranking

    def notice(self) -> str:
        """A plain sentence saying why there is no answer (Traditional script; English for an English question),
        or "" when there are answers."""
        if self.query.foreign:
            return self._english_notice()
        if self.refusal in ("missing", "absent"):
            return "文章沒有提到" + "、".join(f"「{name}」" for name in self.missing) + "。"
        if self.refusal == "kind":
            return "文章沒有提到" + _KIND_TEXT.get(self.kind, "可以回答這個問題的內容") + "。"
        return ""


    def _english_notice(self) -> str:
        if self.refusal == "missing":
            return "The article does not mention " + ", ".join(f"“{name}”" for name in self.missing) + "."
        if self.refusal == "kind":
            return f"The article does not say {_KIND_ENGLISH.get(self.kind, 'what answers this question')}."
        if self.refusal == "relevance":
            return ("No sentence of the article answers this question."
                    + ("" if self.semantic else " (Questions in English are answered from sentence vectors, which "
                                                 "this index does not have yet: ask in Chinese, or wait for them.)"))
        return ""


_KIND_ENGLISH = {"date": "when this happened", "number": "this number", "price": "the price"}
_KIND_TEXT = {"date": "這件事的時間", "number": "這個數量", "price": "價格"}
