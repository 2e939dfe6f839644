"""Train the learned re-ranker (qa/search/rerank.py) on a SQuAD-format training set.

``python -m qa.measure.train --data ../shared/data/cmrc2018_train.json [--semantic] [--out FILE] [--limit N] [--seed 0]``

Each article is indexed on its own, as ``qa.measure.evaluate`` does, and each question asked of it; the engine's
``rerank_pool`` best answers (before re-ranking) are the candidates, a candidate whose span covers a gold answer
start is gold. The IBM Model 1 association table is learned from the question / answer-sentence pairs. So that the
trees do not learn to trust associations learned from the very question they score, the training questions' features
use a table learned on the other half of the training articles (two-fold cross-fitting); the shipped table is
learned from all of them. A share of the articles (``--holdout``, by a fixed seed) is kept out of everything and
reports the engine's hit@1 against the re-ranked one. Never train on a set you report (DRCD dev, CMRC dev, XQuAD).

``--semantic`` trains the model that also reads each candidate's cosine with the question (``SEMANTIC_FEATURES``;
sentence vectors from the disk cache, made where missing: ~20 minutes for CMRC 2018 train's 30k sentences on one
core) and writes it to ``SEMANTIC_MODEL_PATH`` by default.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from qa.measure.evaluate import DataError, load_squad
from qa.records import Answer
from qa.search.associations import Associations, train_model1
from qa.search.fanout import Plan, answer_pool
from qa.search.ranking import RankingSettings
from qa.search.rerank import FEATURES, MODEL_PATH, SEMANTIC_FEATURES, SEMANTIC_MODEL_PATH, Model, features, fit


@dataclass(frozen=True)
class Asked:
    """One training question: the plan, the engine's candidates, which are gold, and the Model 1 pair."""

    article: int
    plan: Plan
    answers: tuple[Answer, ...]
    labels: np.ndarray
    pair: tuple[tuple[str, ...], tuple[str, ...]] | None  # (question words, answer-sentence words)


def ask_all(path: str | Path, limit: int | None = None, progress: bool = True, vectors: bool = False) -> list[Asked]:
    """Every question of the file asked of its own article, with the engine's candidates (``vectors``: with their
    cosines, ``Answer.closeness``; DataError when the model does not load)."""
    from qa.search import semantic
    from qa.search.index import attach_vectors, index_text
    from qa.search.tokens import shared_analyzer

    data = load_squad(path)
    model = semantic.embedder() if vectors else None
    if vectors and model is None:
        raise DataError(f"--semantic needs the sentence model: {semantic.model_notice()}")
    if model is not None:  # every question embedded once, in batches (cached on disk)
        texts = [q.text for q in (data.questions[:limit] if limit else data.questions)]
        model.remember(texts, semantic.cached_vectors(texts, model, questions=True))
    analyzer = shared_analyzer()
    ranking = replace(RankingSettings(), rerank_pool=0)
    pool = RankingSettings().rerank_pool
    by_article: dict[int, list] = {}
    for question in data.questions[:limit] if limit else data.questions:
        by_article.setdefault(question.article, []).append(question)
    asked: list[Asked] = []
    started = time.perf_counter()
    for n, (article, questions) in enumerate(by_article.items()):
        index = index_text(data.articles[article].raw, f"train-{article}", analyzer, ranking)
        if model is not None:
            attach_vectors(index)
        sentences = index.articles[0].sentences
        for question in questions:
            query = index.understand(question.text)
            if not query.terms:
                continue
            vector = model.question(question.text) if model is not None else None
            plan, answers = answer_pool(query, pool, index.parts(), analyzer, ranking, index.sentence_count,
                                        index.fields, vector=vector)
            labels = np.array([any(a.start <= g < a.end for g in question.gold_starts) for a in answers], float)
            gold = next((s for s in sentences if any(s.start <= g < s.end for g in question.gold_starts)), None)
            pair = (tuple(analyzer.question_terms(question.text)), tuple(analyzer.terms(gold.text))) if gold else None
            asked.append(Asked(article, plan, tuple(answers), labels, pair))
        if progress and n % 200 == 199:
            print(f"  asked {len(asked)} questions of {n + 1} articles ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr)
    return asked


def feature_rows(asked: Sequence[Asked], associations: Associations,
                 names: Sequence[str] = FEATURES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature rows (columns ``names``), question numbers and labels of the questions' candidates."""
    from qa.search.tokens import shared_analyzer

    analyzer = shared_analyzer()
    x = [features(a.plan, a.answers, analyzer, associations, names=names) for a in asked]
    groups = [np.full(len(a.answers), n) for n, a in enumerate(asked)]
    labels = [a.labels for a in asked]
    if not x:
        return np.zeros((0, len(names))), np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(x), np.concatenate(groups), np.concatenate(labels)


def hit_at(scores: np.ndarray, groups: np.ndarray, labels: np.ndarray, questions: int, k: int = 1) -> float:
    """Share of ``questions`` with a gold candidate among their ``k`` best-scored (ties: the engine's order)."""
    hits = 0
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        best = rows[np.lexsort((np.arange(len(rows)), -scores[rows]))[:k]]
        hits += bool((labels[best] > 0).any())
    return hits / questions if questions else 0.0


def train(asked: Sequence[Asked], seed: int = 0, holdout: float = 0.1, trees: int = 150, depth: int = 4,
          rate: float = 0.1, rounds: int = 5, min_hessian: float = 5.0,
          rank_weight: float = 0.4, names: Sequence[str] = FEATURES) -> tuple[Model, dict[str, float]]:
    """The model reading features ``names``, and its figures: hit@1 of the engine and of the re-ranker on training
    and held-out questions."""
    articles = sorted({a.article for a in asked})
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(articles).tolist()
    held = set(shuffled[:int(round(holdout * len(articles)))])
    train_set = [a for a in asked if a.article not in held]
    held_set = [a for a in asked if a.article in held]
    fold = {article: n % 2 for n, article in enumerate(a for a in shuffled if a not in held)}
    pairs = lambda items: [a.pair for a in items if a.pair and a.pair[0]]  # noqa: E731
    halves = [[a for a in train_set if fold[a.article] == k] for k in (0, 1)]
    crossed = [train_model1(pairs(halves[1 - k]), rounds) for k in (0, 1)]
    associations = train_model1(pairs(train_set), rounds)
    parts = [feature_rows(halves[k], crossed[k], names) for k in (0, 1)]
    x = np.concatenate([p[0] for p in parts])
    groups = np.concatenate([parts[0][1], parts[1][1] + len(halves[0])])
    labels = np.concatenate([p[2] for p in parts])
    usable = np.isin(groups, np.unique(groups[labels > 0]))  # a question with no gold candidate teaches nothing
    model_trees = fit(x[usable], groups[usable], labels[usable], trees=trees, depth=depth, rate=rate,
                      min_hessian=min_hessian)
    model = Model(model_trees, tuple(names), associations, rank_weight)
    figures = {"train questions": len(train_set), "held-out questions": len(held_set)}
    hx, hg, hl = feature_rows(held_set, associations, names)
    for name, (fx, fg, fl, count) in {"train": (x, groups, labels, len(train_set)),
                                      "held-out": (hx, hg, hl, len(held_set))}.items():
        engine = -np.concatenate([np.arange(np.sum(fg == g)) for g in np.unique(fg)]) if len(fg) else np.zeros(0)
        predicted = model.scores(fx) if not len(fg) else np.concatenate(
            [model.scores(fx[fg == g]) for g in np.unique(fg)])
        for k in (1, 3):
            figures[f"{name} hit@{k}, engine"] = hit_at(engine.astype(float), fg, fl, count, k)
            figures[f"{name} hit@{k}, re-ranked"] = hit_at(predicted, fg, fl, count, k)
        figures[f"{name} gold in the pool"] = len(np.unique(fg[fl > 0])) / count if count else 0.0
    return model, figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.measure.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="SQuAD-format training file, e.g. ../shared/data/cmrc2018_train.json")
    parser.add_argument("--semantic", action="store_true",
                        help="also read each candidate's cosine with the question (sentence vectors)")
    parser.add_argument("--out", help=f"where to write the model (default {MODEL_PATH}, with --semantic "
                                      f"{SEMANTIC_MODEL_PATH})")
    parser.add_argument("--limit", type=int, metavar="N", help="only the first N questions")
    parser.add_argument("--seed", type=int, default=0, help="seed of the held-out split (default 0)")
    parser.add_argument("--holdout", type=float, default=0.1, help="share of articles held out (default 0.1)")
    parser.add_argument("--trees", type=int, help="boosted trees (default 150; with --semantic 300)")
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--min-hessian", type=float, default=5.0, help="a leaf's least hessian (default 5)")
    parser.add_argument("--rank-weight", type=float, default=0.4,
                        help="the engine's order in the score: this much off per rank (default 0.4)")
    args = parser.parse_args(argv)
    if args.trees is None:
        args.trees = 300 if args.semantic else 150
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if not 0 <= args.holdout < 1:
        parser.error("--holdout must be at least 0 and less than 1")
    started = time.perf_counter()
    try:
        asked = ask_all(args.data, args.limit, vectors=args.semantic)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not any(a.labels.any() for a in asked):
        print("error: no question's gold answer is among the engine's candidates: nothing to learn", file=sys.stderr)
        return 2
    asked_seconds = time.perf_counter() - started
    model, figures = train(asked, args.seed, args.holdout, args.trees, args.depth, args.rate,
                           min_hessian=args.min_hessian, rank_weight=args.rank_weight,
                           names=FEATURES + SEMANTIC_FEATURES if args.semantic else FEATURES)
    args.out = args.out or str(SEMANTIC_MODEL_PATH if args.semantic else MODEL_PATH)
    model.save(args.out)
    for name, value in figures.items():
        print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")
    size = Path(args.out).stat().st_size
    print(f"asked in {asked_seconds:.0f} s, trained in {time.perf_counter() - started - asked_seconds:.0f} s; "
          f"{len(model.associations.values):,} associations, {len(model.trees.leaves)} trees; "
          f"wrote {args.out} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
