"""Understand a question: check it, find its content terms, carry terms over from the chat's earlier questions."""
from __future__ import annotations

import re
from typing import Sequence

from qa.records import Query
from qa.search.tokens import Analyzer
from qa.text.loading import replace_surrogates

MAX_QUESTION_CHARS = 500
# Words that point back to something said before: 它/其/该/这/那… ("what does it do for industry?").
_ANAPHORA = re.compile(r"^(?:那|那么|那麼|而|還有|还有|另外|此外|以及)|它|其|該|该|這個|这个|那個|那个|這種|这种|此|他們|他们|她們|她们|他|她")
FOLLOW_UP_MAX_TERMS = 2


def question_problem(question: str) -> str | None:
    """A gentle message when a question cannot be asked (empty, only punctuation), else None."""
    if not question or not question.strip():
        return "請輸入問題。/ 请输入问题。"
    if not re.search(r"[\w\u3400-\u9fff]", question):
        return "問題只有標點符號，請用文字提問。/ 问题只有标点符号，请用文字提问。"
    return None


def truncate_question(question: str) -> tuple[str, bool]:
    """The question cut to MAX_QUESTION_CHARS, and whether it was cut."""
    question = question.strip()
    if len(question) > MAX_QUESTION_CHARS:
        return question[:MAX_QUESTION_CHARS], True
    return question, False


def understand(question: str, analyzer: Analyzer, history: Sequence[str] = ()) -> Query:
    """The question's own content terms, plus the previous question's when this one is a short follow-up."""
    # Lone surrogates (a caller's broken string) cannot be normalised or tokenized: they become U+FFFD.
    question, _ = truncate_question(replace_surrogates(question))
    history = [replace_surrogates(h) for h in history]
    own = list(dict.fromkeys(analyzer.question_terms(question)))
    carried: list[str] = []
    if history and (len(own) <= FOLLOW_UP_MAX_TERMS or _ANAPHORA.search(question)):
        for earlier in reversed(history):
            earlier_terms = [t for t in dict.fromkeys(analyzer.question_terms(truncate_question(earlier)[0]))
                             if t not in own]
            if earlier_terms:
                carried = earlier_terms
                break
    return Query(question=question, terms=tuple(own + carried), carried=tuple(carried),
                 shown_terms=shown_words(question, own, analyzer))


def shown_words(question: str, terms: Sequence[str], analyzer: Analyzer) -> tuple[str, ...]:
    """The question's terms as the user wrote them (產業 for the term 产业), longest first, for highlighting."""
    normalized = analyzer.normalize(question)
    if len(normalized) != len(question):  # width folding changed the length: fall back to the original's words
        return tuple(w for w in analyzer.tokenizer.lcut(question) if w.strip() and analyzer.normalize(w) in terms)
    shown = []
    for term in sorted(terms, key=len, reverse=True):
        start = normalized.find(term)
        if start >= 0:
            shown.append(question[start:start + len(term)])
    return tuple(dict.fromkeys(shown))
