"""Understand a question: check it, find its content terms, and what it takes over from the chat's earlier turns."""
from __future__ import annotations

import re
from typing import Callable, Sequence

from qa.records import Exchange, Query
from qa.search.tokens import DEMONSTRATIVE, FUNCTION_CHARS, QUESTION_WORDS, Analyzer
from qa.text.loading import replace_surrogates

MAX_QUESTION_CHARS = 500
# Words that point back to something said before: 它/其/该/这/那… ("what does it do for industry?").
_ANAPHORA = re.compile(r"^(?:那|那么|那麼|而|還有|还有|另外|此外|以及)|它|其|該|该|這個|这个|那個|那个|這種|这种|這些|这些|那些|此|他們|他们|她們|她们|他|她")
FOLLOW_UP_MAX_TERMS = 2
# 後來/然後…: what happened after the earlier answer; 在那之前/此前…: before it (on normalised text). Bare 之後/以前
# are left out: 「北伐失敗之後…」 names its own event.
_AFTER = re.compile(r"后来|然后|接着|随后|此后|事后|接下来|那之后|这之后|最后")
_BEFORE = re.compile(r"那之前|这之前|此前|在此之前|先前|起初|原先")
_POINTER = frozenset("这那该此")  # 這/那 + a word (那城): the word is something the earlier answer named


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


# 那科技方面呢？/ 那第三代呢？/ 在美國呢？: the earlier question asked again of another topic.
# A short topic and 呢: 「虛擬現實技術的發展如何？」 is a question of its own, not a contrast.
_CONTRAST = re.compile(r"^(?:那麼|那么|那|而|至於|至于|還有|还有|換成|换成)?\s*(.{1,12}?)\s*(方面|的話|的话)?\s*"
                       r"(?:怎麼樣|怎么样)?呢[？?。！!\s]*$")
HISTORY_DEPTH = 3  # how many earlier turns a follow-up may reach back through (a chain of follow-ups)


def as_exchange(turn: str | Exchange) -> Exchange:
    """An earlier turn as an Exchange (a bare question string has no answers), lone surrogates replaced."""
    turn = turn if isinstance(turn, Exchange) else Exchange(str(turn))
    return Exchange(replace_surrogates(turn.question), turn.answers, tuple(map(replace_surrogates, turn.texts)))


def understand(question: str, analyzer: Analyzer, history: Sequence[str | Exchange] = (),
               regional: Callable[[str], tuple[str, tuple[tuple[str, str], ...]]] | None = None) -> Query:
    """The question's own content terms, plus what it takes over from the chat when it is a follow-up.

    - a contrast follow-up (那科技方面呢？) asks the earlier question again of a new topic: its own terms are the
      topic, the earlier question's terms (less the topic it replaces) are carried, and its frame says what is asked;
    - a pronoun or zero-subject follow-up (它/這/他…, or too short to stand alone) carries the earlier question's
      terms (its ``previous`` answers are set by the index, which knows their sentence ids).
    ``regional`` rewrites the question into the index's regional vocabulary (``Grounding.regional``).
    """
    # Lone surrogates (a caller's broken string) cannot be normalised or tokenized: they become U+FFFD.
    question, _ = truncate_question(replace_surrogates(question))
    matching, pairs = regional(question) if regional else (analyzer.normalize(question), ())
    own = list(dict.fromkeys(analyzer.question_terms(matching)))
    base = dict(question=question, shown_terms=shown_words(question, own, analyzer), regional=pairs,
                matching=matching if matching != analyzer.normalize(question) else "")
    turns = [as_exchange(t) for t in history][-HISTORY_DEPTH:]
    if not turns:
        return Query(terms=tuple(own), **base)
    earlier = understand(turns[-1].question, analyzer, turns[:-1], regional)
    contrast = _CONTRAST.match(matching)
    if contrast and earlier.terms and not any(w in QUESTION_WORDS for w in analyzer.tokenizer.lcut(contrast.group(1))):
        topic_text = re.sub(r"^(?:在|對於|对于|關於|关于)", "", contrast.group(1))
        topic = list(dict.fromkeys(analyzer.question_terms(topic_text))) or own
        replaced = _replaced_terms(topic, earlier, bool(contrast.group(2)), analyzer)
        carried = [t for t in earlier.terms if t not in topic and t not in replaced]
        frame = earlier.frame or earlier.question
        # Matched as the earlier question asked of the new topic: 科技方面出现了哪些新物种.
        earlier_text = earlier.matching or analyzer.normalize(earlier.question)
        for term in replaced:
            earlier_text = earlier_text.replace(term, topic_text, 1) if term in earlier_text else earlier_text
        base["matching"] = earlier_text if replaced and topic_text in earlier_text else f"{topic_text} {earlier_text}"
        # The answer to 那科技方面呢 is most often worded like the earlier answer (對于金融來講…金融新物種的出現 →
        # 對于科技來講…科技新形態的出現): that answer with the new topic in place of the old is matched too.
        parallel = analyzer.normalize(turns[-1].texts[0]) if turns[-1].texts and replaced else ""
        for term in replaced:
            parallel = parallel.replace(term, topic_text)
        return Query(terms=tuple(topic + carried), carried=tuple(carried), carried_from=earlier.question,
                     follow_up="contrast", frame=frame, parallel=parallel if topic_text in parallel else "", **base)
    after, before = bool(_AFTER.search(matching)), bool(_BEFORE.search(matching))
    if len(own) <= FOLLOW_UP_MAX_TERMS or _ANAPHORA.search(question) or after or before:
        resolved = resolve_pointers(matching, own, turns[-1].texts[:1], analyzer)
        for phrase, word in resolved:  # matched as the question with the earlier answer's word: 普羅民遮城什麼時候投降的
            own += [t for t in analyzer.terms(word) if t not in own]
            base["matching"] = (base["matching"] or matching).replace(phrase, word, 1)
        carried = [t for t in earlier.terms if t not in own]
        if carried:
            return Query(terms=tuple(own + carried), carried=tuple(carried), carried_from=earlier.question,
                         follow_up="pronoun", direction=int(after) - int(before), resolved=resolved, **base)
    return Query(terms=tuple(own), **base)


def resolve_pointers(matching: str, own: Sequence[str], answers: Sequence[str],
                     analyzer: Analyzer) -> tuple[tuple[str, str], ...]:
    """The follow-up's pointing phrases (那座城, 該公司) and the earlier answer's fuller word each points to.

    A demonstrative, perhaps with a classifier, then a word of the question: the earlier answer's name for it is
    the run of characters that ends in that word there (…防禦薄弱的普羅民遮城 → 普羅民遮城), up to a function
    character or a break. Nothing when the answer only repeats the bare word (…的聯通).
    """
    if not answers:
        return ()
    text = analyzer.normalize(answers[0])
    words = analyzer.tokenizer.lcut(matching)
    found: list[tuple[str, str]] = []
    for pointer, head in zip(words, words[1:]):
        if not (DEMONSTRATIVE.match(pointer) or pointer in _POINTER) or head not in own:
            continue
        best = ""
        for at in (m.start() for m in re.finditer(re.escape(head), text)):
            start = at
            while start > 0 and at - start < 6 and "\u3400" <= text[start - 1] <= "\u9fff" \
                    and text[start - 1] not in FUNCTION_CHARS:
                start -= 1
            if at - start > len(best) - len(head):
                best = text[start:at + len(head)]
        if len(best) > len(head):
            found.append((pointer + head, best))
    return tuple(found)


def _replaced_terms(topic: Sequence[str], earlier: Query, aspect: bool, analyzer: Analyzer) -> set[str]:
    """The earlier question's terms a contrast follow-up's topic takes the place of.

    第三代 replaces 第二代 (they share characters); with 方面 (那科技方面呢？) the term before the earlier 方面
    (金融方面…); otherwise nothing — 那鄭鴻逵呢？ adds a topic to the earlier question.
    """
    replaced = {t for t in earlier.terms for new in topic if t != new and len(set(t) & set(new)) >= min(2, len(new))}
    if aspect and not replaced:
        words = analyzer.tokenizer.lcut(analyzer.normalize(earlier.question))
        for before, word in zip(words, words[1:]):
            if word == "方面" and before in earlier.terms:
                replaced.add(before)
    return replaced - set(topic)


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
