"""How sentences are ranked for a question, and whether the best of them answers it at all.

The index holds three fields per sentence (``index.sentence_terms``): jieba ``words`` of the sentence, and the
Han ``chars`` and ``bigrams`` of the sentence with its article title and section heading (a sentence rarely
repeats the topic it is about). Each field is BM25 (rank-bm25's BM25Plus formula, k1 1.2, b 0.3: see
``qa.search.bm25.BM25Settings``). A question is ranked by:

1. its words, and its character pieces clause by clause: the clause holding the question word (什麼,
   哪一年…) is what is asked and weighs fully; the other clauses only set the scene (``side_clause_weight``);
2. BM25 in each field, scaled to the field's best sentence, weighted (``fields``) and added up;
3. a share of the scores of the sentences just before and after in the same paragraph, of the paragraph's
   best sentence (an answer often sits next to the sentence that repeats the question) and, for an
   article's first sentence, of the article's best (``lead_weight``: the lead says what the subject is);
4. for a when / how-many question, a boost to the best candidates that hold a time or a number; for a
   which-year question, a candidate without a year first passes a share to the sentence before that states it
   (``carry_time``);
5. the answers after the first re-ranked with more of their neighbours' evidence (``rank_runners_up``).

Relevance (0..1) is the share of the question's weight that the sentence, its title and heading cover, in
words (each weighed by how rare it is in the language: ``Analyzer.language_weight``) or in content bigrams (by
their idf in the index), whichever is higher; when no answer reaches ``min_relevance`` (raised for answers from
long articles: ``relevance_floor``) the question gets no answer. See docs/quality.md for what each step adds on DRCD and CMRC, and what did not help.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from qa.search.bm25 import BM25, best_of, sample_bar, select_top_k, sorted_distinct
from qa.records import Query
from qa.search.tokens import FUNCTION_CHARS, QUESTION_WORDS, Analyzer, han_ngrams

# Field name → n of its character n-grams.
GRAM_FIELDS = {"chars": 1, "bigrams": 2}
_CLAUSE_BREAK = re.compile(r"[，,；;：:、。！？!?…\s]+")


@dataclass(frozen=True)
class RankingSettings:
    """The ranking's knobs: one set for every corpus and both scripts (measured in docs/quality.md)."""

    fields: tuple[tuple[str, float], ...] = (("words", 0.3), ("chars", 1.0), ("bigrams", 0.5))  # fused, weighted
    side_clause_weight: float = 0.3  # question clauses without the question word
    neighbour_weight: float = 0.1  # share of the previous and next sentence's score (same paragraph)
    paragraph_weight: float = 0.3  # share of the paragraph's best sentence score
    lead_weight: float = 0.3  # share of the article's best score given to its first sentence
    drop_function_chars: bool = True  # the chars field does not look for function characters (的, 是…)
    answer_type_weight: float = 0.3  # boost for candidates that hold what a when/how-many question asks for
    answer_type_pool: int = 20  # how many of the best candidates the answer-type boost and the runners-up re-rank
    time_carry_weight: float = 0.5  # a which-year candidate without a year: share given to the sentence before with one
    time_carry_reach: int = 3  # how many sentences back (same paragraph) that year is looked for
    runner_up_neighbour_weight: float = 0.1  # answers after the first: this much more of their neighbours' scores
    carried_weight: float = 0.5  # terms carried over from an earlier question of the chat
    follow_on_weight: float = 0.5  # a follow-up: boost for sentences next to the earlier answer (its neighbours)
    follow_on_reach: int = 2  # how many sentences either side of the earlier answer (same paragraph) count as next
    repeat_factor: float = 1e-3  # a follow-up: the earlier answers' scores are scaled by this (others come first)
    refuse_missing_names: bool = True  # a question naming what no sentence holds is not answered (grounding.py)
    named_relevance: float = 0.5  # … unless the best answer covers this share of the question anyway
    kind_pool: int = 20  # a when/how-many/price question with none of this many best candidates holding one: refused
    # A question's words the article never holds, answers matching only its title, and none of them this close in
    # meaning (cosine, with sentence vectors): refused (``Index.absent_terms``).
    refuse_absent: bool = True
    absent_cosine: float = 0.87
    semantic_floor: float = 0.84  # with sentence vectors: no sentence of the article this close → not answered
    min_relevance: float = 0.18  # when no answer covers this share of the question's weight, there is none
    floor_step: float = 0.03  # … a share that rises by this much per doubling of the answer's article length
    floor_base: int = 30  # … beyond this many sentences (a long article holds more of any question's words by chance)
    answer_floor: float = 0.0  # answers after the best one are dropped below this share
    rerank_pool: int = 10  # the learned re-ranker (qa/search/rerank.py) orders this many best answers (0: off)
    rerank_semantic: bool = True  # … reading their cosines with the question where the index has sentence vectors
    # The semantic score (qa/search/semantic.py), where the index has sentence vectors and the model loads: each
    # sentence's exp((cosine - 1) / ``semantic_temperature``), scaled to the corpus's best like a field (so
    # exp((cosine - best) / T): e5's cosines sit between 0.7 and 0.95, a sharp scale tells them apart) and fused
    # with ``semantic_weight``; for a question in another script (English over Chinese) with
    # ``foreign_semantic_weight``. A foreign question covers no Chinese word, so ``min_relevance`` cannot judge it:
    # it is answered when its best cosine reaches ``foreign_floor``.
    semantic_weight: float = 0.0
    foreign_semantic_weight: float = 2.0
    semantic_temperature: float = 0.01
    semantic_offset: float = 0.7  # a foreign answer's relevance: 0 at this cosine, 1 at ``semantic_full``
    semantic_full: float = 0.85
    foreign_floor: float = 0.76
    foreign_translations: int = 2  # a foreign question's English words searched as this many Chinese words each
    translation_weight: float = 0.3  # … each weighing this much of a question's own word


# A question asking when, or how many/much, is answered by a sentence holding a time or a number; the
# sentence that merely repeats the question's words often does not (the date sits in the sentence before).
# Patterns are on normalised (Simplified, NFKC) text, so they serve both scripts.
_TIME_QUESTION = re.compile(r"哪一?年|何年|什么时候|什么时间|何时|哪一?天|何日|几月|几日|几号|"
                            r"哪一?个?(?:世纪|朝代|年代|时期|时代|月份)")
_QUANTITY_QUESTION = re.compile(r"多少|几[个名位人次座只条种项倍岁年天成]|多久|多长|多高|多大|多重|多远|多快|多深|"
                                r"多宽|多厚|百分之几")
_TIME_TEXT = re.compile(r"\d\s*(?:年|月|日|世纪|年代)|[〇零一二三四五六七八九十百千两]+(?:年|月|日|世纪)|"
                        r"世纪|年代|朝|时期|时代|[春夏秋冬][季天]")
_NUMBER_TEXT = re.compile(r"\d|[二三四五六七八九十百千万亿两半]|一[^\W\d_]")
# A which-year question wants a year spelt out (1974年, 民国38年, 昭和四十九年, 1980年代), not 同年/这一年/9月2日:
# those take their year from a sentence before, which is where the answer is.
_YEAR_QUESTION = re.compile(r"哪一?个?年份?|何年|什么年份")
YEAR_TEXT = re.compile(r"\d{2,4}\s*年|(?<![同这那该当次翌前去明今本上下])[〇零一二三四五六七八九十百千]{2,}年|元年")


def answer_type(question: str) -> re.Pattern | None:
    """What a sentence must hold to answer the (normalised) question: a year, a time, a number, or no telling."""
    if _YEAR_QUESTION.search(question):
        return YEAR_TEXT
    if _TIME_QUESTION.search(question):
        return _TIME_TEXT
    if _QUANTITY_QUESTION.search(question):
        return _NUMBER_TEXT
    return None


def question_clauses(question: str, analyzer: Analyzer) -> list[tuple[str, bool]]:
    """The question's clauses as normalised text with the question words blanked out, and whether each held one."""
    clauses = []
    for clause in _CLAUSE_BREAK.split(analyzer.normalize(question)):
        if not clause:
            continue
        # Blank out whole question words (jieba's accurate cut), not substrings: 任何 keeps its 何.
        words = analyzer.tokenizer.lcut(clause, HMM=analyzer.settings.hmm)
        asked = any(w in QUESTION_WORDS for w in words)
        clauses.append(("".join(" " if w in QUESTION_WORDS else w for w in words), asked))
    return clauses


def gram_queries(query: Query, analyzer: Analyzer, settings: RankingSettings) -> dict[str, dict[str, float]]:
    """For each character field: the question's pieces and the weight of each."""
    clauses = question_clauses(query.matching or query.question, analyzer)
    any_asked = any(asked for _, asked in clauses)
    if query.parallel:  # a contrast follow-up's earlier answer, reworded for the new topic: scene, not question
        clauses += [(clause, False) for clause in _CLAUSE_BREAK.split(query.parallel) if clause]
    queries: dict[str, dict[str, float]] = {}
    for name, n in GRAM_FIELDS.items():
        # 的, 是, 在… are in most sentences: they rank nothing, and at a million sentences their postings
        # were most of a question's work.
        skip = FUNCTION_CHARS if n == 1 and settings.drop_function_chars else frozenset()
        weights: dict[str, float] = {}
        for text, asked in clauses:
            weight = 1.0 if asked or not any_asked else settings.side_clause_weight
            for gram in han_ngrams(text, n):
                if gram not in skip:
                    weights[gram] = max(weights.get(gram, 0.0), weight)
        for term in query.carried:
            for gram in han_ngrams(term, n):
                if gram not in skip:
                    weights.setdefault(gram, settings.carried_weight)
        queries[name] = weights
    return queries


class FieldScores(dict):
    """Each weighted field's BM25 scores (field name → one score per sentence), and for a field whose postings
    touched few sentences, their ids (``touched``, repeats allowed; every other sentence scores 0 there): its best
    score, its scaling and its sum into the fused scores read only those."""

    def __init__(self, *args: object, touched: dict[str, np.ndarray] | None = None) -> None:
        super().__init__(*args)
        self.touched: dict[str, np.ndarray] = dict(touched or {})


def field_scores(scorers: Mapping[str, BM25], queries: Mapping[str, Mapping[str, float]],
                 settings: RankingSettings) -> FieldScores:
    """Each weighted field's BM25 scores for its part of the question (the fields ``fuse`` adds up)."""
    raw = FieldScores()
    for name, field_weight in settings.fields:
        weights = queries.get(name)
        if weights and field_weight:
            raw[name], touched = scorers[name].scores_touched(list(weights), weights)
            if touched is not None:
                raw.touched[name] = touched
    return raw


def _touched(raw: Mapping[str, np.ndarray], name: str) -> np.ndarray | None:
    return raw.touched.get(name) if isinstance(raw, FieldScores) else None


def field_peaks(raw: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Each field's best score (0 for an empty index); of the touched sentences alone where they are known (the
    others score 0, and no score is below 0): the same number."""
    peaks = {}
    for name, scores in raw.items():
        ids = _touched(raw, name)
        if ids is not None:
            peaks[name] = max(float(scores[ids].max()), 0.0) if len(ids) else 0.0
        else:
            peaks[name] = float(scores.max()) if len(scores) else 0.0
    return peaks


def fuse(raw: Mapping[str, np.ndarray], peaks: Mapping[str, float], settings: RankingSettings, size: int) -> np.ndarray:
    """Each field's scores scaled to its best sentence (``peaks``: the whole corpus's, when ``raw`` scores a part
    of it), weighted and added. ``raw``'s arrays are scaled in place. A field whose touched sentences are known is
    scaled and added at those alone: the same products and sums for them, and x + 0 = x for the rest — the same bits
    (at a million sentences each pass over every score costs ~0.3–0.6 ms)."""
    total = None
    for name, field_weight in settings.fields:
        scores, best = raw.get(name), peaks.get(name, 0.0)
        if scores is not None and best > 0:
            ids = _touched(raw, name)
            if ids is None:
                scores *= field_weight / best  # in place: at a million sentences each temporary costs ~1 ms
            else:
                scores[ids] *= field_weight / best  # a repeated id is scaled once: gathered, then stored
            if total is None:
                total = scores  # 0 + x is x: the first field's scaled scores are the sum so far, no zeros to add to
            elif ids is None:
                total += scores
            else:
                total[ids] += scores[ids]  # (once per id, repeats included: the sums are gathered, then stored)
    return np.zeros(size) if total is None else total


def paragraph_runs(articles: Sequence, refs: np.ndarray) -> np.ndarray:
    """A run number per global sentence, the same for the sentences of one paragraph (they are contiguous)."""
    if hasattr(articles, "arrays"):  # a qa.search.table.ArticleTable: its columns already say it
        local = articles.sentence_paragraphs()  # global paragraph numbers: they change where the local ones do
    else:
        local = np.fromiter((s.paragraph for a in articles for s in a.sentences), dtype=np.int64, count=len(refs))
    if not len(refs):
        return np.zeros(0, dtype=np.int64)
    changes = (refs[1:, 0] != refs[:-1, 0]) | (local[1:] != local[:-1])
    return np.concatenate([[0], np.cumsum(changes)]).astype(np.int64)


@dataclass(frozen=True)
class ParagraphLayout:
    """Where the paragraphs and articles of an index start: what ``spread`` needs, computed once per index."""

    same: np.ndarray  # float64, one per pair of consecutive sentences: 1.0 when they share a paragraph
    starts: np.ndarray  # first sentence of each paragraph
    sizes: np.ndarray  # sentences in each paragraph
    leads: np.ndarray  # first sentence of each article

    @classmethod
    def from_runs(cls, runs: np.ndarray, leads: np.ndarray) -> "ParagraphLayout":
        """The layout of sentences numbered by paragraph runs (``paragraph_runs``), articles starting at ``leads``."""
        runs = np.asarray(runs)
        same = (runs[1:] == runs[:-1]).astype(np.float64)
        starts = np.flatnonzero(np.concatenate([[True], runs[1:] != runs[:-1]])) if len(runs) else \
            np.zeros(0, dtype=np.int64)
        sizes = np.diff(np.append(starts, len(runs)))
        return cls(same, starts, sizes, np.asarray(leads, dtype=np.int64))


def spread(scores: np.ndarray, layout: ParagraphLayout, settings: RankingSettings) -> np.ndarray:
    """Scores plus a share of the neighbours' (same paragraph) and of the paragraph's best sentence; an
    article's first sentence also gets a share of the article's best."""
    out = scores.copy()
    if not len(scores):
        return out
    if len(scores) > 1 and settings.neighbour_weight:
        weighted = layout.same * settings.neighbour_weight
        out[1:] += weighted * scores[:-1]
        out[:-1] += np.multiply(weighted, scores[1:], out=weighted)
    if settings.paragraph_weight:
        best = np.maximum.reduceat(scores, layout.starts)
        best *= settings.paragraph_weight
        out += np.repeat(best, layout.sizes)
    if settings.lead_weight and len(layout.leads):
        # The first sentence of an article usually says what its subject is: questions about the subject
        # itself (what it is also called, where it is) are answered there.
        out[layout.leads] += settings.lead_weight * np.maximum.reduceat(scores, layout.leads)
    return out


def spread_at(scores: np.ndarray, ids: np.ndarray, layout: ParagraphLayout, settings: RankingSettings) -> np.ndarray:
    """``spread(scores, layout, settings)[ids]``, reading only the paragraphs and articles of ``ids``: the same
    operations on the same values, in the same order, so the same bits."""
    ids = np.asarray(ids, dtype=np.int64)
    out = scores[ids]
    size = len(scores)
    if not len(ids):
        return out
    if size > 1 and settings.neighbour_weight:
        same = layout.same
        before, after = ids >= 1, ids <= size - 2
        link = np.maximum(ids - 1, 0)
        out[before] += (same[link[before]] * settings.neighbour_weight) * scores[ids[before] - 1]
        out[after] += (same[ids[after]] * settings.neighbour_weight) * scores[ids[after] + 1]
    if settings.paragraph_weight:
        paragraph = np.searchsorted(layout.starts, ids, side="right") - 1
        best = _range_max(scores, layout.starts[paragraph], layout.starts[paragraph] + layout.sizes[paragraph])
        best *= settings.paragraph_weight
        out += best
    if settings.lead_weight and len(layout.leads):
        article = np.searchsorted(layout.leads, ids, side="right") - 1
        lead = layout.leads[article] == ids
        if lead.any():
            ends = np.append(layout.leads[1:], size)
            out[lead] += settings.lead_weight * _range_max(scores, ids[lead], ends[article[lead]])
    return out


def _range_rows(starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of the ranges starts[i]:starts[i]+sizes[i], one after another, and where each range begins."""
    offsets = np.zeros(len(sizes), dtype=np.int64)
    np.cumsum(sizes[:-1], out=offsets[1:])
    return np.repeat(starts - offsets, sizes) + np.arange(int(sizes.sum()), dtype=np.int64), offsets


def _range_max(scores: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The largest score in each range starts[i]:ends[i] (non-empty ranges)."""
    rows, offsets = _range_rows(starts, ends - starts)
    return np.maximum.reduceat(scores[rows], offsets) if len(rows) else np.zeros(0)


def spread_top_k(scores: np.ndarray, layout: ParagraphLayout, settings: RankingSettings,
                 k: int) -> tuple[np.ndarray, np.ndarray]:
    """``select_top_k(spread(scores, layout, settings), k)`` without spreading every sentence's score.

    With scores of 0 or more, a sentence's spread score is at most (1 + 2 × neighbour + paragraph weight) times
    its paragraph's best score, and a lead's at most that plus the lead weight times its article's best. The
    spread scores of the k best raw sentences give a bar the k-th best spread score reaches; only paragraphs
    (and articles, for their leads) holding a raw score that could lift a sentence over it are spread. At a
    million sentences that is a few thousand, where ``spread`` makes five passes over all of them.
    """
    if k <= 0 or not len(scores) or float(scores.min()) < 0:  # below 0 the bound does not hold
        return select_top_k(spread(scores, layout, settings), k)
    reach = 1.0 + 2.0 * settings.neighbour_weight + settings.paragraph_weight
    lead = settings.lead_weight if len(layout.leads) else 0.0
    margin = 1.0 - 1e-9  # the float sums may pass the exact bound by a few units in the last place
    # One pass over every score (each is ~1 ms at a million, most of it reading memory) finds what the seeds and
    # the hot sentences below are chosen from: every bar they use is at least ``first`` / (reach + lead), as the
    # spread bar is at least the k-th best raw score, which ``first`` is at most.
    first = sample_bar(scores, k)
    pool = np.flatnonzero(scores >= first / (reach + lead) * margin) if first > 0 else np.flatnonzero(scores > 0)
    seeds, _ = best_of(scores, pool[scores[pool] >= first] if first > 0 else pool, k)  # = select_top_k's
    if len(seeds) < k:  # too little scores to set a bar
        return select_top_k(spread(scores, layout, settings), k)
    bar = float(np.partition(spread_at(scores, seeds, layout, settings), 0)[0])
    if bar <= 0:
        return select_top_k(spread(scores, layout, settings), k)
    hot = pool[scores[pool] >= bar / reach * margin]
    paragraphs = sorted_distinct(np.searchsorted(layout.starts, hot, side="right") - 1)
    candidates = [_range_rows(layout.starts[paragraphs], layout.sizes[paragraphs])[0]]
    if lead:
        hot = pool[scores[pool] >= bar / (reach + lead) * margin]
        candidates.append(layout.leads[sorted_distinct(np.searchsorted(layout.leads, hot, side="right") - 1)])
    candidates = sorted_distinct(np.concatenate(candidates))
    values = spread_at(scores, candidates, layout, settings)
    positive = values > 0
    candidates, values = candidates[positive], values[positive]
    order = np.lexsort((candidates, -values))[:k]
    return candidates[order], values[order]


def year_source(candidate: int, holds: Callable[[int], bool], layout: ParagraphLayout,
                settings: RankingSettings) -> int:
    """The sentence a which-year candidate without a year takes it from, or -1 (see ``carry_time``)."""
    before = candidate - 1
    while before >= 0 and candidate - before <= settings.time_carry_reach and layout.same[before]:
        if holds(before):
            return before
        before -= 1
    return -1


def carry_time(candidates: Iterable[tuple[float, int]], settings: RankingSettings) -> dict[int, float]:
    """Score to add, by sentence id, when a which-year question's candidates lack the year.

    Narrative text states a year once and goes on with 同年, 这一年 or a bare 9月2日: a candidate without a year
    gives a share of its score to the nearest sentence before it, in the same paragraph and within
    ``time_carry_reach`` sentences, that does hold one (``year_source``). ``candidates``: (score, source) of each
    candidate lacking a year, source -1 when there is none.
    """
    added: dict[int, float] = {}
    for score, source in candidates:
        if source >= 0:
            share = settings.time_carry_weight * float(score)
            added[source] = max(added.get(source, 0.0), share)
    return added


def near_answer(answer: int, layout: ParagraphLayout, reach: int, direction: int = 0) -> list[tuple[int, int]]:
    """(sentence id, distance) of the sentences within ``reach`` of an answer in its paragraph; ``direction`` 1:
    only those after it, -1: only those before, 0: both."""
    near = []
    last = len(layout.same)  # the index's last sentence id
    for step in ((-1, 1) if not direction else (direction,)):
        at = answer
        for distance in range(1, reach + 1):
            link = at - 1 if step < 0 else at  # layout.same[i] links sentences i and i + 1
            if not 0 <= at + step <= last or not layout.same[link]:
                break
            at += step
            near.append((at, distance))
    return near


def follow_on(scores: np.ndarray, previous: np.ndarray, layout: ParagraphLayout, settings: RankingSettings,
              direction: int = 0, answering: np.ndarray | None = None,
              can_answer: Callable[[int], bool] | None = None) -> np.ndarray:
    """A follow-up's scores: sentences near the earlier answer weigh more, the earlier answer itself least.

    The answer to 「那要怎麼破解這個痛點？」 is most often next to the answer that named the 痛點 (after it, for
    後來…; before it, for 在那之前…: ``direction``); and a follow-up asks for something new, so the sentence
    already given as the answer comes after every other one that scores (it stays, for when nothing else does).
    The earlier runners-up keep their scores: they were shown, not taken as the answer, and are often what is
    asked next. ``answering`` (a mask): the sentences that count as something else answering (default: any
    that scores); ``can_answer``: whether a neighbour holds the kind of answer asked for (a time, a number), when
    the question asks for one — one that does not is not lifted.
    """
    out = scores.copy()
    # Only sentences that match what is asked now rise (when some do): a neighbour that merely follows the earlier
    # answer is kept, not lifted over one that answers.
    lift = answering if answering is not None and answering.any() else np.ones(len(scores), dtype=bool)
    for answer in previous[:1].tolist():  # the best earlier answer is the one the follow-up is about
        for at, distance in near_answer(answer, layout, settings.follow_on_reach):
            if lift[at] and (can_answer is None or can_answer(at)):
                # 後來/在那之前 say which side; the other side still counts (the earlier answer may sum up an
                # event told before it), at half.
                side = 1.0 if not direction or (at - answer) * direction > 0 else 0.5
                out[at] *= 1.0 + side * settings.follow_on_weight / distance
    others = out > 0 if answering is None else (out > 0) & answering
    others[previous[:1]] = False
    if others.any():
        out[previous[:1]] *= settings.repeat_factor
    return out


def neighbour_scores(ids: np.ndarray, scores: np.ndarray, layout: ParagraphLayout) -> np.ndarray:
    """For each sentence id: the scores of the sentences just before and after it in its paragraph, added."""
    last = len(scores) - 1
    if last < 1:
        return np.zeros(len(ids))
    before, after = np.maximum(ids - 1, 0), np.minimum(ids + 1, last)
    # layout.same[i] links sentences i and i + 1
    has_before = (ids > 0) & (layout.same[before] > 0)
    has_after = (ids < last) & (layout.same[np.minimum(ids, last - 1)] > 0)
    return np.where(has_before, scores[before], 0.0) + np.where(has_after, scores[after], 0.0)


def rank_runners_up(ids: np.ndarray, scores: np.ndarray, neighbours: np.ndarray,
                    settings: RankingSettings) -> tuple[np.ndarray, np.ndarray]:
    """Candidates (best first) with the ones after the first re-ranked on more of their neighbours' evidence.

    The first answer stands on its own words. Should it not be the answer, the answer is most often a sentence
    next to one that matches (the question repeats one sentence and asks about the next), so the runners-up
    weigh their neighbours' fused scores (``neighbours``, one sum per id: ``neighbour_scores``) by a further
    ``runner_up_neighbour_weight``.
    """
    if len(ids) < 3:
        return ids, scores
    rest = scores[1:] + settings.runner_up_neighbour_weight * np.asarray(neighbours)[1:]
    order = np.lexsort((ids[1:], -rest))
    # A runner-up's score never passes the first answer's: scores stay best first.
    return np.concatenate([ids[:1], ids[1:][order]]), np.concatenate([scores[:1], np.minimum(rest[order], scores[0])])


def term_weight(idf: float | None, size: int) -> float:
    """A term's weight: its idf; a term no sentence of the ``size`` has weighs as much as the rarest possible term."""
    return idf if idf is not None else math.log((size + 0.5) / 0.5)


def relevance_floor(article_sentences: int, settings: RankingSettings) -> float:
    """The share of the question an answer from an article of this many sentences must cover (``min_relevance``,
    raised for long articles: each of their sentences is no likelier to match, but there are more of them to
    match a stray word of an unrelated question)."""
    if article_sentences <= settings.floor_base or not settings.floor_step:
        return settings.min_relevance
    return settings.min_relevance + settings.floor_step * math.log2(article_sentences / settings.floor_base)


def coverage(weights: Mapping[str, float], present: set[str] | frozenset[str]) -> float:
    """Share of the terms' weight (``weights``: term → weight) that is present."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in present) / total if total > 0 else 0.0
