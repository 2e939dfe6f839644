"""A question answered from parts of one corpus exactly as one index answers it: the plan, what each part
reports, and how the reports merge.

Every index answers this way, in three steps; one index is the case of a single part (``index.LocalParts``), a
corpus split into shards of whole articles is the case of several (``qa.corpus.shards``, ``qa.corpus.cluster``):

1. ``peaks``: each part scores every field of the question and reports the field's best score (the fusion scales
   each field to the corpus's best sentence) and the idf of the question's bigrams (for relevance);
2. ``candidates``: given the corpus's best scores, each part fuses, spreads and selects its best sentences, with
   what the ranking asks of them later: their neighbours' fused scores, whether they hold the time or number a
   when/how-many question wants, and the sentence before that states the year a which-year candidate lacks;
3. ``rank_candidates`` merges them into the corpus's ranking, and the parts holding the winners build the
   answers (``answers``).

A part scores with the whole corpus's statistics (sentences, mean lengths, idf: ``qa.corpus.shards``) and holds
whole articles, so every number above is made by the same operations on the same inputs as in one index; what
each step needs from outside its part is what the plan and the merged peaks carry. Ties resolve to the lower
global sentence id, as in one index.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Collection, Protocol, Sequence

import numpy as np

from qa.records import Answer, Query
from qa.search.ranking import (YEAR_TEXT, RankingSettings, answer_type, carry_time, gram_queries, rank_runners_up,
                               relevance_floor, term_weight)
from qa.search.rerank import rerank, shipped_model
from qa.search.tokens import FUNCTION_CHARS, STOP_WORDS, Analyzer


@dataclass(frozen=True)
class Plan:
    """What every part needs to rank a question, made once where the question is asked."""

    query: Query
    top_k: int
    ranking: RankingSettings  # every part ranks with the asker's settings
    queries: dict[str, dict[str, float]]  # field → term → weight, in the order the terms are scored
    own: tuple[str, ...]  # a follow-up's own words: an answer must hold one (empty: no such filter)
    select: int  # how many candidates the ranking keeps before the runners-up are re-ranked
    pool: int  # how many candidates each part selects (more than ``select`` for the answer-type boost)
    wanted: object  # the re.Pattern a when/how-many answer holds (``ranking.answer_type``), or None
    rerank: bool  # the runners-up are re-ranked on their neighbours' evidence
    grams: tuple[str, ...]  # the question's content bigrams, weighed by idf in relevance
    word_weights: dict[str, float]  # the question's words, weighed by their rarity in the language
    keep: int = 0  # how many ranked answers are built (more than ``top_k`` for the learned re-ranker; 0: top_k)
    vector: np.ndarray | None = None  # the question's sentence vector (qa.search.semantic), None: lexical only
    foreign: bool = False  # the question shares no script with the corpus (English over Chinese articles)
    key: str = field(default_factory=lambda: uuid.uuid4().hex)  # names the question across the steps

    @property
    def semantic_field(self) -> bool:
        """Whether the cosine is a fused field of the ranking (else the vector only gives answers their cosine,
        which the learned re-ranker reads)."""
        return self.vector is not None and any(name == "semantic" for name, _ in self.ranking.fields)

    @property
    def carries_year(self) -> bool:
        """A which-year question: candidates without a year borrow it from a sentence before."""
        return self.wanted is not None and self.wanted == YEAR_TEXT


def make_plan(query: Query, top_k: int, analyzer: Analyzer, ranking: RankingSettings,
              fields: Collection[str], keep: int = 0, vector: np.ndarray | None = None,
              foreign: bool = False) -> Plan:
    """The plan of an understood question for an index with these scoring fields; ``keep``: how many ranked
    answers to build (at least ``top_k``); with ``vector``, every answer gets its cosines (``Answer.closeness``)
    and, where the ranking weighs it (``RankingSettings.semantic_weight``), the semantic score is one more fused
    field, "semantic"."""
    weight = ranking.foreign_semantic_weight if foreign else ranking.semantic_weight
    if vector is not None and weight:
        ranking = replace(ranking, fields=ranking.fields + (("semantic", weight),))
    queries = gram_queries(query, analyzer, ranking)
    # Terms carried over from an earlier question steer the answer but count less than the question's own.
    queries["words"] = {t: ranking.carried_weight if t in query.carried else 1.0 for t in query.terms}
    for term in query.translated:  # a dictionary's guess at what an English word is in Chinese
        queries["words"][term] = ranking.translation_weight
    own = query.own_terms if query.carried else ()
    rerank = bool(ranking.runner_up_neighbour_weight) and top_k > 1
    keep = max(top_k, keep)
    select = max(keep, ranking.answer_type_pool) if rerank else keep
    wanted = answer_type(analyzer.normalize(query.question)) if ranking.answer_type_weight else None
    pool = max(select, ranking.answer_type_pool) if wanted is not None else select
    # Bigrams with a function character (高的, 是哪) say nothing of the topic: they do not count as covered.
    # (Only Han pairs: a Latin word such as netscape is a piece of its own, and its letters are not 的 or 是.)
    grams = tuple(g for g in queries.get("bigrams", ())
                  if (g not in STOP_WORDS if g.isascii() else not FUNCTION_CHARS.intersection(g))) \
        if "bigrams" in fields else ()
    # Words weigh what they say in the language, not in this index: an article's own subject (張學良 in every
    # other sentence of his article) has a low idf there, yet a question that names it is about it.
    # Carried terms weigh as they rank (``carried_weight``): a follow-up is judged mostly on its own words.
    word_weights = {t: analyzer.language_weight(t) * (ranking.carried_weight if t in query.carried else 1.0)
                    for t in dict.fromkeys(query.terms) if t not in query.translated}
    return Plan(query, top_k, ranking, queries, own, select, pool, wanted, rerank, grams, word_weights, keep, vector,
                foreign)


@dataclass(frozen=True)
class Peaks:
    """A part's best score in each field, and the idf of the question's bigrams it holds."""

    best: dict[str, float]
    idf: dict[str, float]


def merge_peaks(peaks: Sequence[Peaks]) -> Peaks:
    """The corpus's peaks from its parts'."""
    best: dict[str, float] = {}
    idf: dict[str, float] = {}
    for part in peaks:
        for name, value in part.best.items():
            best[name] = max(best.get(name, 0.0), value)
        idf.update(part.idf)  # a term's idf is the corpus's, the same in every part that holds it
    return Peaks(best, idf)


@dataclass(frozen=True)
class Candidates:
    """A part's best sentences for a question (the first ``ranked``, best first), then the sentences they take a
    year from; each with its score, its neighbours' fused scores, whether it holds what is asked, and its year's
    source (-1: none). Ids are global sentence ids."""

    ids: np.ndarray
    scores: np.ndarray
    neighbours: np.ndarray
    holds: np.ndarray
    sources: np.ndarray
    ranked: int


def relevance_of_cosine(cosine: float, ranking: RankingSettings) -> float:
    """A foreign question's relevance (0..1) from a sentence's cosine: 0 at ``semantic_offset``, 1 at
    ``semantic_full``, in a straight line between."""
    span = ranking.semantic_full - ranking.semantic_offset
    return min(1.0, max(0.0, (cosine - ranking.semantic_offset) / span))


class Parts(Protocol):
    """The parts of a corpus, each asked one step at a time (all at once, when they are far away)."""

    def peaks(self, plan: Plan) -> list[Peaks]: ...

    def candidates(self, plan: Plan, best: dict[str, float]) -> list[Candidates]: ...

    def answers(self, plan: Plan, ids: np.ndarray, scores: np.ndarray,
                gram_weights: dict[str, float]) -> list[Answer]: ...


def rank_candidates(plan: Plan, parts: Sequence[Candidates], ranking: RankingSettings) -> tuple[np.ndarray, np.ndarray]:
    """The corpus's top answers (ids, scores) from its parts' candidates, as one index ranks them."""
    ids = np.concatenate([p.ids[:p.ranked] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    scores = np.concatenate([p.scores[:p.ranked] for p in parts]) if parts else np.zeros(0)
    order = np.lexsort((ids, -scores))[:plan.pool]  # best first, ties to the lower id
    ids, scores = ids[order], scores[order]
    rows = {int(i): (p, n) for p in parts for n, i in enumerate(p.ids.tolist())}

    def known(name: str, chosen: np.ndarray) -> np.ndarray:
        return np.array([getattr(rows[i][0], name)[rows[i][1]] for i in chosen.tolist()])

    if plan.wanted is not None and len(ids):
        holds = known("holds", ids).astype(bool)
        pool = scores
        if plan.carries_year and ranking.time_carry_weight:
            added = carry_time(((s, int(source)) for s, source, held in
                                zip(scores.tolist(), known("sources", ids).tolist(), holds.tolist()) if not held),
                               ranking)
            if added:
                ids = np.unique(np.concatenate([ids, np.fromiter(added, dtype=ids.dtype)]))
                pool = known("scores", ids) + np.array([added.get(i, 0.0) for i in ids.tolist()])
                holds = known("holds", ids).astype(bool)
        pool = pool.copy()
        pool[holds] *= 1.0 + ranking.answer_type_weight  # a candidate holding what is asked for rises
        order = np.lexsort((ids, -pool))[:plan.select]
        ids, scores = ids[order], pool[order]
    else:
        ids, scores = ids[:plan.select], scores[:plan.select]
    if plan.rerank and len(ids):
        ids, scores = rank_runners_up(ids, scores, known("neighbours", ids), ranking)
    return ids[:plan.keep], scores[:plan.keep]


def reranks(query: Query, ranking: RankingSettings) -> bool:
    """Whether the learned re-ranker orders this question's answers: a question on its own (a follow-up is
    ranked on the chat's evidence, which the model never saw), with the re-ranker on and its model shipped."""
    return bool(ranking.rerank_pool) and not query.carried and not query.previous and shipped_model() is not None


def answer_pool(query: Query, keep: int, parts: Parts, analyzer: Analyzer, ranking: RankingSettings, size: int,
                fields: Collection[str], top_k: int | None = None, vector: np.ndarray | None = None,
                foreign: bool = False) -> tuple[Plan, list[Answer]]:
    """The plan and the engine's ``keep`` best answers (best first), before any re-ranking or refusal."""
    plan = make_plan(query, top_k or keep, analyzer, ranking, fields, keep, vector, foreign)
    peaks = merge_peaks(parts.peaks(plan))
    ids, scores = rank_candidates(plan, parts.candidates(plan, peaks.best), ranking)
    gram_weights = {g: term_weight(peaks.idf.get(g), size) for g in plan.grams}
    return plan, parts.answers(plan, ids, scores, gram_weights)


@dataclass(frozen=True)
class Answered:
    """A question's answers as shown (the re-ranker's order) and the engine's own best ones: whether the article
    answers at all is judged on those (relevance, and the name and kind checks of ``Index.respond``), so the
    re-ranker orders answers and never decides whether there are any."""

    shown: list[Answer]
    engine: list[Answer]


def answer_question(query: Query, top_k: int, parts: Parts, analyzer: Analyzer, ranking: RankingSettings,
                    size: int, fields: Collection[str], vector: np.ndarray | None = None,
                    foreign: bool = False) -> Answered:
    """The top_k answers to an understood question from the parts of a corpus of ``size`` sentences (``vector``:
    the question's sentence vector, when every part has sentence vectors; ``foreign``: it is in another script)."""
    if not (query.terms or vector is not None) or top_k <= 0 or not size:
        return Answered([], [])
    # The learned re-ranker reads Chinese words: a question in another script keeps the engine's order.
    keep = max(top_k, ranking.rerank_pool) if reranks(query, ranking) and not foreign else top_k
    plan, answers = answer_pool(query, keep, parts, analyzer, ranking, size, fields, top_k, vector, foreign)
    # Whether to answer at all is decided on the best-covered of the engine's own top_k answers, as without
    # the re-ranker (qa/search/rerank.py: its order, not its score, is what it adds); the answers then keep
    # their rank, unless they cover almost nothing of the question. A question in another script covers no
    # Chinese word: its answers' relevance is their cosine's (``Index.answers``), judged against the foreign floor.
    # Answers from long articles must cover more (``ranking.relevance_floor``).
    def floor(answer: Answer) -> float:
        if plan.foreign:
            return relevance_of_cosine(ranking.foreign_floor, ranking)
        return relevance_floor(answer.article_sentences, ranking)

    if not answers or not any(a.relevance >= floor(a) for a in answers[:top_k]):
        return Answered([], [])
    first = lambda ordered: [a for a in ordered[:top_k] if a.relevance >= ranking.answer_floor]  # noqa: E731
    engine = first(answers)
    return Answered(first(rerank(plan, answers, analyzer)) if keep > top_k else engine, engine)
