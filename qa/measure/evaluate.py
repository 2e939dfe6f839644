"""Answer quality on SQuAD-format reading-comprehension sets: does the first sentence shown hold the answer?

``python -m qa.measure.evaluate DATA.json [--script as-is|t2s|s2t] [--systems ours,ours-no-rerank,naive,bigram]
[--limit N]``

Each article (title + its paragraphs joined by blank lines) is indexed on its own and each question is asked
against its own article. A hit at rank r: the r-th answer's raw ``start``/``end`` span covers the start of a
gold answer. No-answer behaviour: every question is also asked against a different, unrelated article of the
same file (it should get nothing), and the share of answerable questions refused on their own article is
counted (it should be small).

``ours`` is the engine as shipped, ``ours-no-rerank`` the same without the learned re-ranker (qa/search/rerank.py);
``ours+semantic`` the engine with sentence vectors (as the app has them once made: English questions answered from
them, Chinese ones re-ranked with their cosines), ``ours+semantic-lexical-rerank`` with vectors but the lexical
re-ranker, ``ours+semantic-ours-no-rerank`` with vectors and no re-ranker.
The comparison systems are what people usually build:
- ``naive``: split on 。！？ (and line breaks), ``jieba.lcut``, ``rank_bm25.BM25Okapi``, top-k;
- ``bigram``: Lucene's CJK analyzer (width folding, lower case, overlapping Han bigrams, lone Han characters as
  unigrams, Latin/digit words) with Lucene's BM25 (k1=1.2, b=0.75), on the same sentences as ``naive``.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence

import numpy as np
import opencc

from qa.search.bm25 import BM25Settings
from qa.search.ranking import RankingSettings
from qa.search.tokens import AnalyzerSettings

SCRIPTS = ("as-is", "t2s", "s2t")
TOP_K = 5
BLANK_LINE = "\n\n"


@dataclass(frozen=True)
class Question:
    """A question, the raw offsets where its gold answers start, and the article it is about."""

    text: str
    gold_starts: tuple[int, ...]  # offsets into the article's joined raw text
    article: int  # index into the data set's articles


@dataclass(frozen=True)
class EvalArticle:
    """One article as the engine is given it: title and paragraphs joined by blank lines."""

    title: str
    raw: str


@dataclass(frozen=True)
class DataSet:
    name: str
    articles: tuple[EvalArticle, ...]
    questions: tuple[Question, ...]


class DataError(ValueError):
    """The evaluation file cannot be read as a SQuAD-format data set."""


def load_squad(path: str | Path) -> DataSet:
    """Articles and questions of a SQuAD-format file, gold offsets moved into the joined article text."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except FileNotFoundError:
        raise DataError(f"cannot read {path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
        raise DataError(f"cannot read {path}: not a SQuAD-format JSON file ({error})") from None
    articles: list[EvalArticle] = []
    questions: list[Question] = []
    try:
        for entry in data:
            title = entry.get("title", "").strip()
            parts = [title] if title else []
            offset = len(title) + len(BLANK_LINE) if title else 0
            for paragraph in entry["paragraphs"]:
                context = paragraph["context"]
                for qa in paragraph["qas"]:
                    starts = tuple(sorted({offset + a["answer_start"] for a in qa["answers"]
                                           if 0 <= a["answer_start"] < len(context)}))
                    if starts and qa["question"].strip():
                        questions.append(Question(qa["question"].strip(), starts, len(articles)))
                parts.append(context)
                offset += len(context) + len(BLANK_LINE)
            articles.append(EvalArticle(title, BLANK_LINE.join(parts)))
    except (KeyError, TypeError) as error:
        raise DataError(f"cannot read {path}: an article lacks the SQuAD field {error}") from None
    return DataSet(path.stem, tuple(articles), tuple(questions))


def limit_questions(data: DataSet, limit: int | None) -> DataSet:
    """The first ``limit`` questions, with only the articles they need (plus partners for the no-answer test)."""
    if not limit or limit >= len(data.questions):
        return data
    questions = data.questions[:limit]
    keep = sorted({q.article for q in questions})
    renumber = {old: new for new, old in enumerate(keep)}
    return DataSet(data.name, tuple(data.articles[i] for i in keep),
                   tuple(replace(q, article=renumber[q.article]) for q in questions))


def partner(article: int, count: int) -> int:
    """An unrelated article for the no-answer test: the one half the file away (Wikipedia order is not topical)."""
    return (article + count // 2) % count


def detect_script(data: DataSet) -> str:
    """'traditional' or 'simplified': which way OpenCC changes the text less."""
    sample = "".join(a.raw for a in data.articles[:20])[:20000]
    t2s = sum(a != b for a, b in zip(sample, opencc.OpenCC("t2s").convert(sample)))
    s2t = sum(a != b for a, b in zip(sample, opencc.OpenCC("s2t").convert(sample)))
    return "traditional" if t2s > s2t else "simplified"


def question_converter(script: str) -> Callable[[str], str]:
    """A function converting a question to the requested script."""
    if script == "as-is":
        return lambda text: text
    return opencc.OpenCC(script).convert


# ---------------------------------------------------------------------------------------------- systems

class Searcher(Protocol):
    def search(self, question: str, k: int) -> list[tuple[int, int]]:
        """Raw (start, end) spans of the answer sentences, best first; [] for no answer."""


class System(Protocol):
    name: str

    def build(self, raw: str, name: str) -> Searcher:
        """A searcher over one article."""

    def unit_chars(self, searcher: Searcher) -> list[int]:
        """Lengths of the units (sentences) the searcher returns, for comparing granularity."""


class OursSearcher:
    def __init__(self, index) -> None:  # noqa: ANN001 - qa.Index, imported lazily
        self.index = index

    def search(self, question: str, k: int) -> list[tuple[int, int]]:
        return [(a.start, a.end) for a in self.index.ask(question, top_k=k)]


@dataclass
class Ours:
    """The engine as shipped (``qa.index_text`` with one shared analyzer)."""

    name: str = "ours"
    index_options: dict = field(default_factory=dict)
    semantic: bool = False  # sentence vectors attached (qa.search.semantic), made once and cached on disk

    def __post_init__(self) -> None:
        from qa.search.tokens import shared_analyzer

        # An ablation may cut terms another way ("analyzer": AnalyzerSettings); the rest are the Index's options.
        self.index_options = dict(self.index_options)
        settings = self.index_options.pop("analyzer", None)
        self.analyzer = shared_analyzer(settings) if settings is not None else shared_analyzer()
        self.known_vectors: dict = {}  # sentence → vector: the long-article test rejoins articles embedded before

    def build(self, raw: str, name: str) -> OursSearcher:
        from qa.search.index import Index, build_article, index_text

        if not self.index_options:
            index = index_text(raw, name=name, analyzer=self.analyzer)
        else:  # An ablation: the same index with one setting changed.
            index = Index((build_article(raw, name, self.analyzer),), self.analyzer, **self.index_options)
        if self.semantic:
            from qa.search.index import attach_vectors

            attach_vectors(index, known=self.known_vectors)
        return OursSearcher(index)

    def prepare(self, questions: Sequence[str]) -> None:
        """Embed the questions once, in batches (cached on disk like sentences), before they are asked."""
        if not self.semantic:
            return
        from qa.search import semantic

        model = semantic.embedder()
        if model is not None and questions:
            model.remember(questions, semantic.cached_vectors(list(questions), model, questions=True))

    def unit_chars(self, searcher: OursSearcher) -> list[int]:
        return [s.end - s.start for a in searcher.index.articles for s in a.sentences]


_NAIVE_SPLIT = re.compile(r"[^。！？\n]+[。！？]*")


def naive_sentences(raw: str) -> list[tuple[int, int]]:
    """Spans of the pieces between 。！？ (and line breaks), as a tutorial splits text."""
    spans = []
    for m in _NAIVE_SPLIT.finditer(raw):
        if m.group().strip():
            spans.append((m.start(), m.end()))
    return spans


class SpanSearcher:
    """Top-k over a list of sentence spans with some scoring function."""

    def __init__(self, spans: list[tuple[int, int]], score: Callable[[str], np.ndarray]) -> None:
        self.spans = spans
        self.score = score

    def search(self, question: str, k: int) -> list[tuple[int, int]]:
        if not self.spans:
            return []
        scores = np.asarray(self.score(question), dtype=np.float64)
        order = np.lexsort((np.arange(len(scores)), -scores))[:k]
        # A system with nothing matching at all returns nothing (its only way to refuse).
        return [self.spans[i] for i in order if scores[i] > 0]


class Naive:
    """What tutorials build: 。！？ split, ``jieba.lcut``, ``rank_bm25.BM25Okapi``."""

    name = "naive"

    def __init__(self) -> None:
        import jieba

        from qa.search.tokens import shared_analyzer

        shared_analyzer()  # quiets jieba's logging
        self.tokenizer = jieba.Tokenizer()  # the default dictionary, but not the process-global instance
        self.tokenizer.initialize()

    def build(self, raw: str, name: str) -> SpanSearcher:
        from rank_bm25 import BM25Okapi

        spans = naive_sentences(raw)
        if not spans:
            return SpanSearcher([], lambda q: np.zeros(0))
        bm25 = BM25Okapi([self.tokenizer.lcut(raw[s:e]) for s, e in spans])
        return SpanSearcher(spans, lambda q: bm25.get_scores(self.tokenizer.lcut(q)))

    def unit_chars(self, searcher: SpanSearcher) -> list[int]:
        return [e - s for s, e in searcher.spans]


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_HAN_RUN = re.compile(rf"[{_HAN}]+|[^\W_{_HAN}]+")
_HAN_CHAR = re.compile(rf"[{_HAN}]")
# Lucene's English stop set (the CJKAnalyzer default).
_LUCENE_STOP = frozenset("a an and are as at be but by for if in into is it no not of on or such that the their "
                         "then there these they this to was will with".split())


def cjk_bigrams(text: str) -> list[str]:
    """Lucene CJKAnalyzer tokens: overlapping Han bigrams (a lone Han character alone), other words whole."""
    tokens = []
    for m in _HAN_RUN.finditer(unicodedata.normalize("NFKC", text).lower()):
        run = m.group()
        if _HAN_CHAR.match(run):
            tokens.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
        elif run not in _LUCENE_STOP:
            tokens.append(run)
    return tokens


class LuceneBM25:
    """Lucene's BM25 (idf log(1 + (N-n+.5)/(n+.5)), no (k1+1) factor: same ranking as the classic form)."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.tf = [Counter(d) for d in documents]
        lengths = np.array([len(d) for d in documents], dtype=np.float64)
        self.norm = k1 * (1 - b + b * lengths / max(lengths.mean(), 1e-9))
        df = Counter(t for d in self.tf for t in d)
        n = len(documents)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    def scores(self, query: Sequence[str]) -> np.ndarray:
        scores = np.zeros(len(self.tf))
        for term in query:
            idf = self.idf.get(term)
            if idf is None:
                continue
            tf = np.array([d.get(term, 0) for d in self.tf], dtype=np.float64)
            scores += idf * tf / (tf + self.norm)
        return scores


class Bigram:
    """The Lucene CJK-analyzer approach: Han bigrams and BM25 k1=1.2, b=0.75, on the naive sentences."""

    name = "bigram"

    def build(self, raw: str, name: str) -> SpanSearcher:
        spans = naive_sentences(raw)
        bm25 = LuceneBM25([cjk_bigrams(raw[s:e]) for s, e in spans])
        return SpanSearcher(spans, lambda q: bm25.scores(cjk_bigrams(q)))

    def unit_chars(self, searcher: SpanSearcher) -> list[int]:
        return [e - s for s, e in searcher.spans]


# Variants of ours for the ablation table: each turns one method off (see docs/quality.md).
_OURS = RankingSettings()


def _without(field_name: str) -> tuple[tuple[str, float], ...]:
    """The shipped fields and weights, less one field."""
    return tuple((name, weight) for name, weight in _OURS.fields if name != field_name)


ABLATIONS: dict[str, dict] = {
    # with ours+semantic: the cosine mixed into Chinese questions' ranking too (off by default: see docs/semantic.md)
    "zh-semantic": {"ranking": replace(_OURS, semantic_weight=0.3)},
    "no-translations": {"ranking": replace(_OURS, foreign_translations=0)},
    # with ours+semantic: the lexical re-ranker (the one an index without vectors uses), not the semantic one
    "lexical-rerank": {"ranking": replace(_OURS, rerank_semantic=False)},
    "ours-okapi": {"settings": BM25Settings(k1=1.5, b=0.75, variant="okapi")},  # rank-bm25's BM25Okapi defaults
    "ours-words-only": {"ranking": replace(_OURS, fields=(("words", 1.0),))},
    "ours-no-words": {"ranking": replace(_OURS, fields=_without("words"))},
    "ours-no-chars": {"ranking": replace(_OURS, fields=_without("chars"))},
    "ours-no-bigrams": {"ranking": replace(_OURS, fields=_without("bigrams"))},
    "ours-no-clauses": {"ranking": replace(_OURS, side_clause_weight=1.0)},
    "ours-no-spread": {"ranking": replace(_OURS, neighbour_weight=0.0, paragraph_weight=0.0)},
    "ours-no-lead": {"ranking": replace(_OURS, lead_weight=0.0)},
    "ours-function-chars": {"ranking": replace(_OURS, drop_function_chars=False)},
    "ours-no-answer-type": {"ranking": replace(_OURS, answer_type_weight=0.0)},
    "ours-no-time-carry": {"ranking": replace(_OURS, time_carry_weight=0.0)},
    "ours-no-runner-up": {"ranking": replace(_OURS, runner_up_neighbour_weight=0.0)},
    "ours-never-refuse": {"ranking": replace(_OURS, min_relevance=0.0, floor_step=0.0, refuse_missing_names=False,
                                             kind_pool=0)},
    "ours-flat-floor": {"ranking": replace(_OURS, floor_step=0.0)},
    "ours-no-names": {"ranking": replace(_OURS, refuse_missing_names=False)},
    "ours-no-kind": {"ranking": replace(_OURS, kind_pool=0)},
    "ours-no-follow-on": {"ranking": replace(_OURS, follow_on_weight=0.0, repeat_factor=1.0)},
    "ours-no-rerank": {"ranking": replace(_OURS, rerank_pool=0)},  # the engine's own order (qa/search/rerank.py)
    "ours-jieba": {"analyzer": AnalyzerSettings(segmenter="jieba")},  # terms cut by jieba itself, not jieba-rs
}
DEFAULT_SYSTEMS = "ours,ours-no-rerank,naive,bigram"


def make_system(name: str) -> System:
    """A system by name: ours, naive, bigram, or an ablation ``ours-…``."""
    if name == "ours":
        return Ours()
    if name == "ours+semantic":
        return Ours(name=name, semantic=True)
    if name.startswith("ours+semantic-") and name[len("ours+semantic-"):] in ABLATIONS:
        return Ours(name=name, index_options=ABLATIONS[name[len("ours+semantic-"):]], semantic=True)
    if name == "naive":
        return Naive()
    if name == "bigram":
        return Bigram()
    if name in ABLATIONS:
        return Ours(name=name, index_options=ABLATIONS[name])
    raise ValueError(f"unknown system {name!r}: choose from ours, naive, bigram, {', '.join(ABLATIONS)}")


# ---------------------------------------------------------------------------------------------- measuring

@dataclass(frozen=True)
class Result:
    """One system on one data set with questions in one script."""

    system: str
    data: str
    script: str
    questions: int
    hits: tuple[float, float, float]  # hit@1, hit@3, hit@5
    mrr: float
    questions_per_second: float
    refused_wrong_article: float  # share of questions refused when asked of an unrelated article
    refused_answerable: float  # share of questions refused on their own article
    unreachable: float  # share of questions whose gold start lies in no sentence the system can return
    build_seconds: float
    mean_unit_chars: float

    def row(self) -> str:
        return (f"| {self.system} | {self.data} | {self.script} | {self.questions} | "
                + " | ".join(f"{h:.3f}" for h in self.hits)
                + f" | {self.mrr:.3f} | {self.questions_per_second:,.0f} | {self.refused_wrong_article:.1%} | "
                  f"{self.refused_answerable:.1%} | {self.unreachable:.1%} | {self.mean_unit_chars:.0f} |")


HEADER = ("| system | data | questions' script | questions | hit@1 | hit@3 | hit@5 | MRR | questions/s | "
          "refused, wrong article | refused, own article | gold in no unit | mean unit chars |\n"
          "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")


def first_hit(spans: Sequence[tuple[int, int]], gold_starts: Sequence[int]) -> int | None:
    """1-based rank of the first span covering a gold answer start, or None."""
    for rank, (start, end) in enumerate(spans, 1):
        if any(start <= g < end for g in gold_starts):
            return rank
    return None


def evaluate(system: System, data: DataSet, scripts: Sequence[str], progress: bool = False) -> list[Result]:
    """Index every article with the system, then ask every question in each script."""
    started = time.perf_counter()
    searchers = [system.build(article.raw, f"{data.name}-{i}") for i, article in enumerate(data.articles)]
    build_seconds = time.perf_counter() - started
    units = [n for s in searchers for n in system.unit_chars(s)]
    results = []
    for script in scripts:
        convert = question_converter(script)
        if hasattr(system, "prepare"):
            system.prepare(list(dict.fromkeys(convert(q.text) for q in data.questions)))
        ranks: list[int | None] = []
        refused_own = refused_other = 0
        elapsed = 0.0
        for n, question in enumerate(data.questions):
            text = convert(question.text)
            t0 = time.perf_counter()
            spans = searchers[question.article].search(text, TOP_K)
            other = searchers[partner(question.article, len(searchers))].search(text, TOP_K) \
                if len(searchers) > 1 else [(0, 0)]
            elapsed += time.perf_counter() - t0
            ranks.append(first_hit(spans, question.gold_starts))
            refused_own += not spans
            refused_other += not other
            if progress and n % 500 == 499:
                print(f"  {system.name} {script}: {n + 1}/{len(data.questions)}", file=sys.stderr)
        count = len(data.questions)
        results.append(Result(
            system=system.name, data=data.name, script=script, questions=count,
            hits=tuple(sum(r is not None and r <= k for r in ranks) / count for k in (1, 3, 5)),
            mrr=sum(1 / r for r in ranks if r) / count,
            questions_per_second=2 * count / elapsed if elapsed else 0.0,
            refused_wrong_article=refused_other / count if len(searchers) > 1 else 0.0,
            refused_answerable=refused_own / count,
            unreachable=_unreachable(system, searchers, data) / count,
            build_seconds=build_seconds, mean_unit_chars=float(np.mean(units)) if units else 0.0))
    return results


def _unreachable(system: System, searchers: Sequence[Searcher], data: DataSet) -> int:
    """Questions whose gold start lies outside every unit the system can return (a cleaning/structure loss)."""
    spans_of = {}
    missing = 0
    for question in data.questions:
        if question.article not in spans_of:
            spans_of[question.article] = _unit_spans(searchers[question.article])
        spans = spans_of[question.article]
        if not any(s <= g < e for s, e in spans for g in question.gold_starts):
            missing += 1
    return missing


def _unit_spans(searcher: Searcher) -> list[tuple[int, int]]:
    if isinstance(searcher, OursSearcher):
        return [(s.start, s.end) for a in searcher.index.articles for s in a.sentences]
    return list(getattr(searcher, "spans", []))


# ---------------------------------------------------------------------------------------------- long articles

LONG_JOINED = 4  # other articles whose paragraphs are joined to each article for the long-article test


@dataclass(frozen=True)
class LongResult:
    """Refusal on long articles: each article joined with LONG_JOINED others' paragraphs."""

    data: str
    articles: int
    mean_chars: float
    refused_wrong_article: float  # a question of a sixth article, asked of the joined text
    refused_answerable: float  # the article's own questions, asked of the joined text
    hit1: float  # the article's own questions: first answer holds the gold
    system: str = "ours"

    def row(self) -> str:
        return (f"| {self.system} | {self.data} | {self.articles} | {self.mean_chars:,.0f} | {self.refused_wrong_article:.1%} | "
                f"{self.refused_answerable:.1%} | {self.hit1:.3f} |")


LONG_HEADER = ("| system | data | long articles | mean chars | refused, wrong article | refused, own article | hit@1 |\n"
               "| --- | --- | ---: | ---: | ---: | ---: | ---: |")


def evaluate_long(system: System, data: DataSet) -> LongResult:
    """Each article with the paragraphs of the next LONG_JOINED articles after it; asked its own questions and
    one question of the article after those (which it should refuse)."""
    count = len(data.articles)
    by_article: dict[int, list[Question]] = {}
    for question in data.questions:
        by_article.setdefault(question.article, []).append(question)
    wrong = refused_wrong = own = refused_own = hits = 0
    chars = []
    for i, article in enumerate(data.articles):
        if count < LONG_JOINED + 2:
            break
        others = [data.articles[(i + k) % count] for k in range(1, LONG_JOINED + 1)]
        # The other articles' paragraphs without their titles: the joined text reads as one long article.
        raw = BLANK_LINE.join([article.raw] + [o.raw.split(BLANK_LINE, 1)[-1] for o in others])
        chars.append(len(raw))
        searcher = system.build(raw, f"{data.name}-long-{i}")
        asked = by_article.get((i + LONG_JOINED + 1) % count, [])
        if asked:
            wrong += 1
            refused_wrong += not searcher.search(asked[0].text, TOP_K)
        for question in by_article.get(i, []):
            spans = searcher.search(question.text, TOP_K)
            own += 1
            refused_own += not spans
            hits += first_hit(spans[:1], question.gold_starts) == 1
    return LongResult(data.name, len(chars), float(np.mean(chars)) if chars else 0.0,
                      refused_wrong / wrong if wrong else 0.0, refused_own / own if own else 0.0,
                      hits / own if own else 0.0, system.name)


# ---------------------------------------------------------------------------------------------- our question set

CONVERSATIONS = Path(__file__).resolve().parents[2] / "tests" / "data" / "conversations.json"
ANSWERABLE_KINDS = ("follow-up", "regional", "paraphrase", "lexical")
REFUSED_KINDS = ("unanswerable", "off-topic")


@dataclass(frozen=True)
class TurnResult:
    """One question of the set as the engine answered it."""

    kind: str
    article: str
    question: str
    follow_up: bool  # a turn after the first of a chain
    answerable: bool
    rank: int | None  # 1-based rank of the first answer holding a gold snippet
    refused: bool
    notice: str = ""


def load_conversations(path: str | Path = CONVERSATIONS) -> tuple[dict[str, str], list[dict]]:
    """The set's articles (name → raw text) and items (kind, article, turns of question and gold snippets)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        articles = {name: (path.parent / a["path"]).read_text(encoding="utf-8") if "path" in a else a["raw"]
                    for name, a in data["articles"].items()}
        return articles, data["items"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
        raise DataError(f"cannot read {path}: not a question set ({error})") from None


def run_conversations(path: str | Path = CONVERSATIONS, ranking: RankingSettings | None = None,
                      vectors: bool = False) -> list[TurnResult]:
    """Ask every chain of the set in order, each turn with the chat so far as its history (``vectors``: the
    articles with their sentence vectors, as the app has them once they are made)."""
    from qa.records import Exchange
    from qa.search.index import attach_vectors, index_text
    from qa.search.tokens import shared_analyzer

    analyzer = shared_analyzer()
    articles, items = load_conversations(path)
    indexes = {name: index_text(raw, name, analyzer, ranking) for name, raw in articles.items()}
    for index in indexes.values() if vectors else ():
        attach_vectors(index)
    results = []
    for item in items:
        index = indexes[item["article"]]
        history: list = []
        for n, turn in enumerate(item["turns"]):
            reply = index.reply(turn["q"], TOP_K, history)
            golds = [analyzer.normalize(g) for g in turn["gold"]]
            rank = next((r for r, a in enumerate(reply.answers, 1)
                         if any(g in analyzer.normalize(a.text) for g in golds)), None)
            results.append(TurnResult(item["kind"], item["article"], turn["q"], n > 0, bool(golds), rank,
                                      not reply.answers, reply.notice() or reply.refusal))
            history.append(Exchange.of(turn["q"], reply.answers))
    return results


def conversation_table(results: Sequence[TurnResult]) -> str:
    """Our question set by kind: questions, hit@1, hit@3, refused; then the three target figures."""
    lines = ["| kind | questions | hit@1 | hit@3 | refused |", "| --- | ---: | ---: | ---: | ---: |"]

    def row(name: str, turns: Sequence[TurnResult]) -> str:
        if not turns:
            return f"| {name} | 0 | | | |"
        answerable = [t for t in turns if t.answerable]
        hit = lambda k: (f"{sum(t.rank is not None and t.rank <= k for t in answerable) / len(answerable):.3f}"  # noqa: E731
                         if answerable else "–")
        return f"| {name} | {len(turns)} | {hit(1)} | {hit(3)} | {sum(t.refused for t in turns) / len(turns):.1%} |"

    lines.append(row("follow-up (chains' later turns)", [t for t in results if t.follow_up]))
    lines.append(row("follow-up chains' first turns", [t for t in results if t.kind == "follow-up" and not t.follow_up]))
    for kind in ANSWERABLE_KINDS[1:] + REFUSED_KINDS:
        lines.append(row(kind, [t for t in results if t.kind == kind]))
    lines.append(row("**all answerable**", [t for t in results if t.answerable]))
    lines.append(row("**unanswerable + off-topic**", [t for t in results if t.kind in REFUSED_KINDS]))
    return "\n".join(lines)


def default_scripts(data: DataSet) -> list[str]:
    """The questions as given, and converted to the other script."""
    return ["as-is", "t2s" if detect_script(data) == "traditional" else "s2t"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.measure.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="+", help="SQuAD-format JSON file(s), e.g. ../shared/data/DRCD_dev.json")
    parser.add_argument("--script", help="as-is, t2s or s2t, or several joined by commas "
                                         "(default: as given and converted to the other script)")
    parser.add_argument("--systems", default=DEFAULT_SYSTEMS,
                        help="comma-separated: ours, naive, bigram, or an ablation "
                             f"({', '.join(ABLATIONS) or 'none defined'}); default {DEFAULT_SYSTEMS}")
    parser.add_argument("--limit", type=int, metavar="N", help="only the first N questions of each file")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    parser.add_argument("--no-long", action="store_true", help="skip the long-article test (ours only)")
    parser.add_argument("--no-set", action="store_true", help="skip our own question set (tests/data/conversations.json)")
    args = parser.parse_args(argv)
    scripts = None
    if args.script:
        scripts = [s.strip() for s in args.script.split(",") if s.strip()]
        bad = [s for s in scripts if s not in SCRIPTS]
        if bad:
            parser.error(f"unknown --script {', '.join(bad)}: choose from {', '.join(SCRIPTS)}")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    try:
        systems = [make_system(s.strip()) for s in args.systems.split(",") if s.strip()]
    except ValueError as error:
        parser.error(str(error))
    results: list[Result] = []
    sets: list[DataSet] = []
    print(HEADER)
    for path in args.data:
        try:
            data = limit_questions(load_squad(path), args.limit)
        except DataError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        sets.append(data)
        for system in systems:
            for result in evaluate(system, data, scripts or default_scripts(data)):
                results.append(result)
                print(result.row(), flush=True)
    engines = [s for s in systems if isinstance(s, Ours)]  # ours and its ablations
    if engines and not args.no_long:
        print(f"\nLong articles (each joined with {LONG_JOINED} other articles' paragraphs):\n{LONG_HEADER}")
        for data in sets:
            for engine in engines:
                print(evaluate_long(engine, data).row(), flush=True)
    for engine in [s for s in systems if s.name in ("ours", "ours+semantic")] if not args.no_set else ():
        print(f"\nOur question set ({CONVERSATIONS.relative_to(CONVERSATIONS.parents[2])}), {engine.name}:")
        print(conversation_table(run_conversations(vectors=engine.semantic)))
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in results], ensure_ascii=False, indent=1),
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
