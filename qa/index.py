"""One searchable index over the sentences of many articles, and the answers it gives."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .bm25 import BM25, BM25Settings, select_top_k
from .cleaning import clean_text, garble_finder
from .loading import LoadError, article_files, read_article
from .query import understand
from .records import Answer, Article, Query
from .structure import structure_article
from .table import sentence_refs
from .tokens import Analyzer, AnalyzerSettings, shared_analyzer

# A sentence must match at least this share of the question's term weight (idf) to count as an answer.
MIN_RELEVANCE = 0.34
CARRIED_WEIGHT = 0.5


def build_article(raw: str, name: str, analyzer: Analyzer) -> Article:
    """Clean and structure one raw article."""
    cleaned = clean_text(raw, garble_finder(analyzer.vocabulary, analyzer.to_simplified))
    return structure_article(cleaned, name)


def sentence_terms(articles: Sequence[Article], analyzer: Analyzer) -> dict[str, list[list[str]]]:
    """Each scoring field's terms for every sentence, in global sentence order."""
    return {"words": [analyzer.terms(sentence.text) for article in articles for sentence in article.sentences]}


@dataclass
class Index:
    """Articles, and BM25 scorers (one per field) over all their sentences.

    Build it with ``index_text``/``load_corpus``; a saved index is restored with ``Index.from_parts``.
    """

    articles: tuple[Article, ...]
    analyzer: Analyzer
    settings: BM25Settings = field(default_factory=BM25Settings)
    problems: tuple[str, ...] = ()  # files that could not be used, one line each
    scorers: dict[str, BM25] = field(default_factory=dict)  # field name → BM25 over all sentences

    def __post_init__(self) -> None:
        # Global sentence id → (article index, sentence index within the article).
        # ``articles`` is a tuple of Article, or a qa.table.ArticleTable (columns, for large corpora).
        self.refs = sentence_refs(self.articles)
        if not self.scorers:
            self.scorers = {name: BM25(documents, self.settings)
                            for name, documents in sentence_terms(self.articles, self.analyzer).items()}

    @classmethod
    def from_parts(cls, articles: tuple[Article, ...], analyzer: Analyzer, scorers: dict[str, BM25],
                   settings: BM25Settings = BM25Settings(), problems: tuple[str, ...] = ()) -> "Index":
        """An index from already built scorers (e.g. loaded from disk): no re-tokenizing."""
        return cls(articles, analyzer, settings, problems, scorers)

    @property
    def bm25(self) -> BM25:
        """The word-level scorer."""
        return self.scorers["words"]

    @property
    def sentence_count(self) -> int:
        return len(self.refs)

    def understand(self, question: str, history: Sequence[str] = ()) -> Query:
        """How the engine reads a question (its terms and any carried over from history)."""
        return understand(question, self.analyzer, history)

    def _term_weight(self, term: str) -> float:
        """idf of a term; a term no sentence has weighs as much as the rarest possible term."""
        idf = self.bm25.idf.get(term)
        return idf if idf is not None else math.log((self.bm25.size + 0.5) / 0.5)

    def ask(self, question: str, top_k: int = 3, history: Sequence[str] = ()) -> list[Answer]:
        """The top_k answer sentences for a question, best first; [] when nothing answers it."""
        query = self.understand(question, history)
        return self.answer(query, top_k)

    def answer(self, query: Query, top_k: int = 3) -> list[Answer]:
        """Answers for an already understood query."""
        if not query.terms or top_k <= 0 or not self.sentence_count:
            return []
        # Terms carried over from an earlier question steer the answer but count less than the question's own.
        weights = {term: CARRIED_WEIGHT for term in query.carried}
        scores = self.bm25.scores(query.terms, weights)
        own = [t for t in query.terms if t not in query.carried]
        if query.carried and own:
            # The follow-up's own words say what is asked now: an answer must match one of them.
            scores[self.bm25.scores(own) <= 0] = 0.0
        ids, scores = select_top_k(scores, top_k)
        unique_terms = list(dict.fromkeys(query.terms))
        total_weight = sum(self._term_weight(t) for t in unique_terms)
        answers = []
        for global_id, score in zip(ids.tolist(), scores.tolist()):
            article_index, sentence_id = self.refs[global_id]
            article = self.articles[article_index]
            # Only membership of the question's terms matters here: ask the index instead of re-tokenizing.
            terms = self.bm25.terms_in(global_id, unique_terms)
            matched = tuple(t for t in unique_terms if t in terms)
            # The sentence's heading and title count as context: questions often name the topic there.
            context = terms | self._heading_terms(int(article_index), int(sentence_id))
            covered = [t for t in unique_terms if t in context]
            relevance = sum(self._term_weight(t) for t in covered) / total_weight if total_weight else 0.0
            if relevance < MIN_RELEVANCE:
                continue
            answers.append(make_answer(article, int(sentence_id), score, matched, relevance))
        return answers

    def _heading_terms(self, article_index: int, sentence_id: int) -> frozenset[str]:
        article = self.articles[article_index]
        section = article.sentences[sentence_id].section
        # Titles and headings are few and asked about again and again: tokenize each once (bounded cache).
        cache = self.__dict__.setdefault("_heading_cache", {})
        key = (article_index, section)
        if key not in cache:
            if len(cache) >= 4096:
                cache.clear()
            cache[key] = frozenset(self.analyzer.terms(article.title + "\n" + article.sections[section].heading))
        return cache[key]

    def bm25_terms(self, global_id: int) -> list[str]:
        """The terms of one sentence (re-derived: the index keeps no per-sentence term lists)."""
        article_index, sentence_id = self.refs[global_id]
        return self.analyzer.terms(self.articles[article_index].sentences[sentence_id].text)


def make_answer(article: Article, sentence_id: int, score: float, matched: tuple[str, ...], relevance: float) -> Answer:
    """An answer record for one sentence of an article, with its section and neighbours."""
    sentence = article.sentences[sentence_id]
    paragraph = article.paragraph_sentences(sentence_id)
    position = next(i for i, s in enumerate(paragraph) if s is sentence)
    return Answer(
        text=sentence.text, doc=article.name, title=article.title,
        section=article.sections[sentence.section].heading, score=float(score),
        start=sentence.start, end=sentence.end,
        before=paragraph[position - 1].text if position > 0 else "",
        after=paragraph[position + 1].text if position + 1 < len(paragraph) else "",
        sentence_id=sentence_id, paragraph=tuple(s.text for s in paragraph), paragraph_index=position,
        matched=matched, relevance=relevance,
    )


def index_text(raw: str, name: str = "article", analyzer: Analyzer | None = None) -> Index:
    """Index one article given as a string."""
    analyzer = analyzer or shared_analyzer()
    return Index((build_article(raw, name, analyzer),), analyzer)


def load_corpus(paths: str | Path | Iterable[str | Path] = "seeds", analyzer: Analyzer | None = None) -> Index:
    """Index every article file in the given folders/files; unusable files are listed in ``index.problems``."""
    analyzer = analyzer or shared_analyzer()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    articles: list[Article] = []
    problems: list[str] = []
    for path in paths:
        try:
            files = article_files(path)
        except LoadError as error:
            problems.append(str(error))
            continue
        for file in files:
            try:
                raw = read_article(file)
            except LoadError as error:
                problems.append(str(error))
                continue
            article = build_article(raw, file.name, analyzer)
            if article.sentences:
                articles.append(article)
            else:
                problems.append(f"{file}: no sentences found in the text")
    return Index(tuple(articles), analyzer, problems=tuple(problems))
