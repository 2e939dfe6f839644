"""A learned re-ranker over the engine's best answers: gradient-boosted trees on what the ranking knows about
each candidate, and on what it does not (how the question's words go with the sentence's: ``associations``).

``answer_question`` (qa/search/fanout.py) builds the engine's ``RankingSettings.rerank_pool`` best answers (10),
then ``rerank`` orders them by the model's score; whether to answer at all is still decided on the engine's own
top answers, so refusals are the engine's. The model is trained on CMRC 2018 train by ``python -m
qa.measure.train`` and ships as plain arrays in ``qa/search/models/rerank.npz`` (``np.load`` without pickle),
loaded once per process.

Features of a candidate (``FEATURES``): the engine's fused score (as a share of the best) and rank; relevance
and own match, and how far each is below the pool's best; the question's character and bigram pieces the
sentence, its neighbours and its paragraph hold (weighted by clause, as the ranking weighs them), and those of
the asked clause alone; whether it holds the time or number a when/how-many question wants; what kind of
question it is; the sentence's length, place in its paragraph, and share of characters the question lacks
(an answer says something new); IBM Model 1 association scores; and, where the index has sentence vectors,
the question's cosine with the candidate (``SEMANTIC_FEATURES``, read by the model trained with them,
``SEMANTIC_MODEL_PATH``). Extra columns come in by name through ``extra``: a model trained without them
ignores them, one trained with them reads NaN where they are absent.

The trees: ``fit`` grows complete binary trees of depth ``depth`` on histogram splits (32 quantile bins a
feature), with a listwise softmax loss over each question's candidates (the gradient of the cross-entropy
between the softmax of the scores and the gold candidates), Newton leaf values, shrinkage ``rate``. The
re-ranking score is the trees' less ``rank_weight`` per rank of the engine's order: the trees learn CMRC's
short one-paragraph articles, and keeping some of the engine's order carries better to other sets (measured on
DRCD and XQuAD dev, see docs/quality.md).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from qa.records import Answer, Closeness
from qa.search.associations import Associations
from qa.search.ranking import coverage
from qa.search.tokens import Analyzer, han_ngrams

if TYPE_CHECKING:  # fanout imports this module
    from qa.search.fanout import Plan

MODEL_PATH = Path(__file__).resolve().parent / "models" / "rerank.npz"
# Trained with the semantic columns too (``python -m qa.measure.train --semantic``): used where every candidate has
# its cosine with the question (the index has sentence vectors and the model loaded), else the lexical one.
SEMANTIC_MODEL_PATH = MODEL_PATH.with_name("rerank_semantic.npz")

FEATURES = (
    "score_share", "rank", "relevance", "own_match", "relevance_gap", "own_gap",
    "chars_cover", "bigrams_cover", "before_cover", "after_cover", "paragraph_cover", "asked_cover",
    "asked_chars_cover", "holds_wanted", "question_kind", "question_terms", "length", "position",
    "lead", "novelty", "m1_logp", "m1_paraphrase", "m1_known", "m1_gap", "m1_context",
)
# The question's cosine with the candidate (``Answer.closeness``), how far it is below the pool's best and below its
# article's best sentence, its rank by cosine in the pool, and the better cosine of the sentences beside it.
SEMANTIC_FEATURES = ("semantic", "semantic_gap", "semantic_rank", "semantic_article_gap", "semantic_beside")

# What a question asks, by its question word (normalised text), in the order tried; the index is a feature.
_KINDS = tuple((name, re.compile(pattern)) for name, pattern in (
    ("why", r"为什么|为何|原因|为甚么"), ("how", r"如何|怎么|怎样|怎麼|方式|方法"),
    ("when", r"哪一?年|何时|什么时候|时间|哪一?天|几月|几日|日期|年代|世纪"),
    ("quantity", r"多少|几|多久|多长|多大|多高|多远|多重|比例"), ("who", r"谁|何人|哪位|哪些人|什么人"),
    ("where", r"哪里|哪儿|何地|何处|哪个国家|哪座城市|哪个城市|什么地方|位于"),
    ("which", r"哪"), ("what", r"什么|啥|何")))


def question_kind(normalized: str) -> int:
    """The kind of the (normalised) question as a number: 1 + its index in ``_KINDS``, 0 for none of them."""
    return next((n for n, (_, pattern) in enumerate(_KINDS, 1) if pattern.search(normalized)), 0)


# ---------------------------------------------------------------------------------------------- the trees

@dataclass(frozen=True)
class Trees:
    """Complete binary trees in heap order: node n's children are 2n + 1 (x <= threshold) and 2n + 2."""

    features: np.ndarray  # int, [trees, 2^depth - 1]
    thresholds: np.ndarray  # float, [trees, 2^depth - 1]
    leaves: np.ndarray  # float, [trees, 2^depth]

    @property
    def depth(self) -> int:
        return int(np.log2(self.leaves.shape[1])) if self.leaves.size else 0

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The model's score for each row of x (NaN counts as smaller than every threshold)."""
        x = np.where(np.isnan(x), -np.inf, x)
        count = len(self.leaves)
        if not count or not len(x):
            return np.zeros(len(x))
        node = np.zeros((len(x), count), dtype=np.int64)
        trees = np.arange(count)
        rows = np.arange(len(x))[:, None]
        for _ in range(self.depth):
            feature = self.features[trees, node]
            node = 2 * node + 1 + (x[rows, feature] > self.thresholds[trees, node])
        return self.leaves[trees, node - (self.leaves.shape[1] - 1)].sum(axis=1)


def _softmax_gradients(scores: np.ndarray, groups: np.ndarray, labels: np.ndarray,
                       group_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and hessian of each group's softmax cross-entropy against its gold rows (spread evenly)."""
    top = np.full(group_count, -np.inf)
    np.maximum.at(top, groups, scores)
    e = np.exp(scores - top[groups])
    p = e / np.bincount(groups, weights=e, minlength=group_count)[groups]
    gold = labels / np.bincount(groups, weights=labels, minlength=group_count)[groups]
    return p - gold, np.maximum(p * (1.0 - p), 1e-6)


def fit(x: np.ndarray, groups: np.ndarray, labels: np.ndarray, trees: int = 150, depth: int = 3,
        rate: float = 0.1, bins: int = 32, l2: float = 1.0, min_hessian: float = 1.0) -> Trees:
    """Boosted trees ranking each group's rows (every group holds at least one gold row: ``labels`` 1)."""
    x = np.where(np.isnan(x), -np.inf, np.asarray(x, dtype=np.float64))
    rows, width = x.shape
    groups = np.unique(groups, return_inverse=True)[1]
    group_count = int(groups.max()) + 1 if rows else 0
    labels = np.asarray(labels, dtype=np.float64)
    # Split candidates: up to bins - 1 quantiles of each feature; a row's bin is how many lie below its value.
    cuts = []
    for f in range(width):
        finite = x[:, f][np.isfinite(x[:, f])]
        values = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])) if len(finite) else np.zeros(0)
        cuts.append(values)
    binned = np.stack([np.searchsorted(cuts[f], x[:, f], side="left") for f in range(width)], axis=1)
    inner, leaf_count = 2 ** depth - 1, 2 ** depth
    out_features = np.zeros((trees, inner), dtype=np.int64)
    out_thresholds = np.full((trees, inner), np.inf)
    out_leaves = np.zeros((trees, leaf_count))
    scores = np.zeros(rows)
    offsets = np.arange(width) * bins
    for t in range(trees):
        g, h = _softmax_gradients(scores, groups, labels, group_count)
        node = np.zeros(rows, dtype=np.int64)  # the row's node within the current level
        for level in range(depth):
            nodes = 2 ** level
            at = (node[:, None] * width * bins + offsets[None, :] + binned).ravel()
            size = nodes * width * bins
            hist_g = np.bincount(at, weights=np.repeat(g, width), minlength=size).reshape(nodes, width, bins)
            hist_h = np.bincount(at, weights=np.repeat(h, width), minlength=size).reshape(nodes, width, bins)
            left_g, left_h = np.cumsum(hist_g, axis=2), np.cumsum(hist_h, axis=2)
            total_g, total_h = left_g[:, :, -1:], left_h[:, :, -1:]
            right_g, right_h = total_g - left_g, total_h - left_h
            gain = left_g ** 2 / (left_h + l2) + right_g ** 2 / (right_h + l2) - total_g ** 2 / (total_h + l2)
            gain[(left_h < min_hessian) | (right_h < min_hessian)] = -np.inf
            for f in range(width):  # a bin past the feature's last cut splits nothing
                gain[:, f, len(cuts[f]):] = -np.inf
            go_right = np.zeros(rows, dtype=bool)
            for n in range(nodes):
                best = np.unravel_index(int(np.argmax(gain[n])), gain[n].shape)
                heap = nodes - 1 + n
                if gain[n][best] > 1e-12:
                    f, k = int(best[0]), int(best[1])
                    out_features[t, heap], out_thresholds[t, heap] = f, cuts[f][k]
                    mine = node == n
                    go_right[mine] = binned[mine, f] > k
            node = 2 * node + go_right
        leaf_g = np.bincount(node, weights=g, minlength=leaf_count)
        leaf_h = np.bincount(node, weights=h, minlength=leaf_count)
        out_leaves[t] = -rate * leaf_g / (leaf_h + l2)
        scores += out_leaves[t][node]
    return Trees(out_features, out_thresholds, out_leaves)


# ---------------------------------------------------------------------------------------------- the model

@dataclass(frozen=True)
class Model:
    """The trees, the feature names they read (columns in this order) and the association table."""

    trees: Trees
    features: tuple[str, ...]
    associations: Associations
    rank_weight: float = 0.0  # the engine's order counts too: this much off the score per rank down

    def scores(self, x: np.ndarray) -> np.ndarray:
        """The re-ranking score of feature rows in the engine's order (row n: the engine's n-th answer)."""
        return self.trees.predict(x) - self.rank_weight * np.arange(len(x))

    def save(self, path: str | Path) -> None:
        """Plain arrays in one .npz (``load_model`` reads it without pickle)."""
        np.savez_compressed(path, tree_features=self.trees.features.astype(np.int16),
                            tree_thresholds=self.trees.thresholds,
                            tree_leaves=self.trees.leaves,
                            feature_names=np.array("\n".join(self.features)), rank_weight=np.array(self.rank_weight),
                            **self.associations.to_arrays())


def load_model(path: str | Path) -> Model:
    """A model ``Model.save`` wrote."""
    with np.load(path, allow_pickle=False) as arrays:
        trees = Trees(arrays["tree_features"].astype(np.int64), arrays["tree_thresholds"].astype(np.float64),
                      arrays["tree_leaves"].astype(np.float64))
        return Model(trees, tuple(str(arrays["feature_names"]).split("\n")), Associations.from_arrays(arrays),
                     float(arrays["rank_weight"]) if "rank_weight" in arrays else 0.0)


def shipped_model(semantic: bool = False) -> Model | None:
    """The model shipped with the engine (``semantic``: the one reading the candidates' cosines), loaded once per
    process; None when the file is missing."""
    return _loaded(SEMANTIC_MODEL_PATH if semantic else MODEL_PATH)


@cache
def _loaded(path: Path) -> Model | None:
    return load_model(path) if path.exists() else None


# ---------------------------------------------------------------------------------------------- features

@dataclass(frozen=True)
class _Seen:
    """What the features read of one sentence's text, worked out once (``_seen``): its normalised text and its
    terms. Its characters and bigrams are made again when read (a few µs): kept as frozensets they took ~11 KB a
    sentence, ~220 MB for the 20,000 a process remembers (measured with tracemalloc on DRCD sentences)."""

    normalized: str
    terms: tuple[str, ...]  # interned: the same word in many sentences is one string

    @property
    def chars(self) -> frozenset[str]:
        return frozenset(han_ngrams(self.normalized, 1))

    @property
    def grams(self) -> frozenset[str]:
        return frozenset(han_ngrams(self.normalized, 2))


SEEN_LIMIT = 20_000  # sentences remembered per analyzer (~1 KB each)
NORMALIZED_LIMIT = 4096  # paragraph sentences' normalised texts remembered (a few articles' paragraphs)


def _seen(analyzer: Analyzer, text: str) -> _Seen:
    """The sentence's normalised text and terms, remembered per analyzer (bounded): a pool's neighbours are other
    pools' candidates, and an article is asked about again and again."""
    cache = analyzer.__dict__.setdefault("_rerank_seen", {})
    seen = cache.get(text)
    if seen is None:
        if len(cache) >= SEEN_LIMIT:
            cache.clear()
        seen = cache[text] = _Seen(analyzer.normalize(text) if text else "",
                                   tuple(map(sys.intern, analyzer.terms(text))) if text else ())
    return seen


def _grams(analyzer: Analyzer, text: str) -> frozenset[str]:
    """A sentence's bigrams alone (from ``_seen``'s text when it was seen whole): a candidate's paragraph needs no
    more, and cutting each of its sentences with jieba for terms nobody reads was most of a re-ranked ask at a
    million sentences (~60 ms of ~110). Its normalised text is remembered (normalising is most of the cost)."""
    seen = analyzer.__dict__.get("_rerank_seen", {}).get(text)
    if seen is not None:
        return seen.grams
    cache = analyzer.__dict__.setdefault("_rerank_normalized", {})
    normalized = cache.get(text)
    if normalized is None:
        if len(cache) >= NORMALIZED_LIMIT:
            cache.clear()
        normalized = cache[text] = analyzer.normalize(text) if text else ""
    return frozenset(han_ngrams(normalized, 2))


def features(plan: "Plan", answers: Sequence[Answer], analyzer: Analyzer, associations: Associations,
             extra: Mapping[str, Sequence[float]] | None = None,
             names: Sequence[str] = FEATURES) -> np.ndarray:
    """The feature rows (columns ``names``) of a question's candidate answers, best-ranked first."""
    question = analyzer.normalize(plan.query.question)
    chars = plan.queries.get("chars", {})
    bigrams = plan.queries.get("bigrams", {})
    asked = {g: w for g, w in bigrams.items() if w >= 1.0}
    asked_chars = {g: w for g, w in chars.items() if w >= 1.0}
    q_terms = analyzer.question_terms(plan.query.question)
    q_chars = set(question)
    kind = question_kind(question)
    top = max((a.score for a in answers), default=0.0)
    seen = [_seen(analyzer, a.text) for a in answers]
    before = [_seen(analyzer, a.before) for a in answers]
    after = [_seen(analyzer, a.after) for a in answers]
    sentences = [s.terms for s in seen]
    logp, paraphrase, known = associations.score_many(q_terms, sentences)
    context, _, _ = associations.score_many(q_terms, [s.terms + b.terms + f.terms
                                                      for s, b, f in zip(seen, before, after)])
    columns: dict[str, list[float]] = {name: [] for name in FEATURES}
    for rank, (answer, own, prior, next_) in enumerate(zip(answers, seen, before, after)):
        paragraph = frozenset().union(*(_grams(analyzer, text) for text in answer.paragraph))
        own_chars, own_grams = own.chars, own.grams
        row = {
            "score_share": answer.score / top if top > 0 else 0.0, "rank": rank,
            "relevance": answer.relevance, "own_match": answer.own_match,
            "chars_cover": coverage(chars, own_chars), "bigrams_cover": coverage(bigrams, own_grams),
            "before_cover": coverage(bigrams, prior.grams), "after_cover": coverage(bigrams, next_.grams),
            "paragraph_cover": coverage(bigrams, paragraph), "asked_cover": coverage(asked, own_grams),
            "asked_chars_cover": coverage(asked_chars, own_chars),
            "holds_wanted": -1.0 if plan.wanted is None else float(bool(plan.wanted.search(own.normalized))),
            "question_kind": kind, "question_terms": len(q_terms), "length": len(own.normalized),
            "position": answer.paragraph_index, "lead": float(answer.sentence_id == 0),
            "novelty": sum(c not in q_chars for c in own_chars) / len(own_chars) if own_chars else 0.0,
            "m1_logp": logp[rank], "m1_paraphrase": paraphrase[rank], "m1_known": known,
            "m1_context": context[rank],
        }
        for name in FEATURES:
            if name in row:
                columns[name].append(float(row[name]))
    best_relevance = max(columns["relevance"], default=0.0)
    best_own = max(columns["own_match"], default=0.0)
    best_logp = max(columns["m1_logp"], default=0.0)
    columns["relevance_gap"] = [best_relevance - v for v in columns["relevance"]]
    columns["own_gap"] = [best_own - v for v in columns["own_match"]]
    columns["m1_gap"] = [best_logp - v for v in columns["m1_logp"]]
    if any(name in names for name in SEMANTIC_FEATURES):
        columns.update(semantic_columns([a.closeness for a in answers]))
    for name, values in (extra or {}).items():
        columns[name] = [float(v) for v in values]
    nan = [float("nan")] * len(answers)
    return np.array([columns.get(name, nan) for name in names], dtype=np.float64).T.reshape(len(answers), len(names))


def semantic_columns(closeness: Sequence[Closeness | None]) -> dict[str, list[float]]:
    """``SEMANTIC_FEATURES`` of a pool from its candidates' cosines (NaN for all where one is missing)."""
    if not closeness or any(c is None for c in closeness):
        return {name: [float("nan")] * len(closeness) for name in SEMANTIC_FEATURES}
    values = np.array([c.sentence for c in closeness], dtype=np.float64)
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    return {"semantic": values.tolist(), "semantic_gap": (values.max() - values).tolist(),
            "semantic_rank": ranks.tolist(),
            "semantic_article_gap": [c.article_best - c.sentence for c in closeness],
            "semantic_beside": [c.beside for c in closeness]}


def model_for(answers: Sequence[Answer]) -> Model | None:
    """The shipped model for a pool: the semantic one where every candidate has its cosine and it is shipped."""
    semantic = bool(answers) and all(a.closeness is not None for a in answers)
    return (shipped_model(True) if semantic else None) or shipped_model()


def rerank(plan: "Plan", answers: Sequence[Answer], analyzer: Analyzer, model: Model | None = None,
           extra: Mapping[str, Sequence[float]] | None = None) -> list[Answer]:
    """The candidate answers (the engine's best first) in the model's order (by default ``model_for`` them); ties
    keep the engine's order."""
    model = model or model_for(answers)
    if model is None or len(answers) < 2:
        return list(answers)
    scores = model.scores(features(plan, answers, analyzer, model.associations, extra, model.features))
    order = np.lexsort((np.arange(len(answers)), -scores))
    return [answers[i] for i in order.tolist()]
