"""A corpus index in shards of whole articles that answer exactly as one index: ``python -m qa index CORPUS --out
DIR --shards N``.

``DIR`` holds ``shard-000/`` … — each an ordinary index folder of ``qa.corpus.store`` (``.npy`` arrays and JSON,
checksummed manifest) over a run of consecutive articles — and ``shards.json``, written last, with what a shard
cannot know alone: the corpus's sentence count and each field's mean sentence length, where each shard's
articles and sentences start, and the source. A shard's idf arrays hold the *corpus's* idf of its terms (from
every shard's document frequencies), and ``load_shard`` gives its scorers the corpus's mean length
(``BM25.as_part``): each sentence then scores with the same operations on the same numbers as in one index, and
``qa.search.fanout`` merges the shards' steps into one index's ranking. An article never spans shards, so
neighbours, paragraphs and an article's lead are always on the shard being asked.

The shards are built one after another (the build's memory is one shard's), then each is given the corpus's
idf. ``open_shards`` answers from all of them in this process; ``qa.corpus.cluster`` serves them from Dask workers.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence, overload

import numpy as np

from qa.corpus.build import Progress, Scan, build_index, only_articles, scan
from qa.corpus.store import (MARKER, Say, StoreError, check, load_index, read_manifest, replace_folder, save_index,
                             term_key, vector_progress)
from qa.records import Article
from qa.search.bm25 import BM25Settings, inverse_document_frequency
from qa.search.fanout import Parts
from qa.search import semantic
from qa.search.index import Asking, Index, LocalParts, attach_vectors
from qa.search.ranking import RankingSettings
from qa.search.table import ArticleTable
from qa.search.tokens import Analyzer, shared_analyzer

LAYOUT = "shards.json"
SHARDS_MARKER = "QA-SHARDS"  # written first: a folder holding it is ours to replace
LAYOUT_FORMAT = 1


class ClusterError(StoreError):
    """The index a cluster serves cannot be used (unreachable, serving nothing); the message says what to do.
    Defined here, not with the cluster, so that the app can tell it without importing Dask."""


@dataclass(frozen=True)
class Shard:
    """One shard: its folder's name, and where its articles and sentences start in the corpus."""

    name: str
    first_article: int
    articles: int
    first_sentence: int
    sentences: int
    key: str  # its store manifest's key: a shard folder from another build is refused

    def describe(self, total_articles: int) -> str:
        """Which part of the corpus it holds, for messages."""
        return (f"{self.name} (articles {self.first_article + 1:,}–{self.first_article + self.articles:,} of "
                f"{total_articles:,}, {self.sentences:,} sentences)")


@dataclass(frozen=True)
class Layout:
    """What ``shards.json`` says: the shards in order and the corpus-wide statistics they score with."""

    shards: tuple[Shard, ...]
    sentences: int
    articles: int
    fields: tuple[str, ...]
    avgdl: dict[str, float]  # field → the corpus's mean sentence length in that field
    sources: tuple[str, ...] = ()
    content: str = ""
    problems: tuple[str, ...] = ()
    vectors: str = ""  # the model whose sentence vectors every shard stores ("" without: lexical answers)

    def to_json(self) -> dict:
        return {"format": LAYOUT_FORMAT, "shards": [vars(s) for s in self.shards], "sentences": self.sentences,
                "articles": self.articles, "fields": list(self.fields), "avgdl": self.avgdl,
                "sources": list(self.sources), "content": self.content, "problems": list(self.problems),
                **({"vectors": self.vectors} if self.vectors else {})}

    @classmethod
    def from_json(cls, value: dict) -> "Layout":
        return cls(tuple(Shard(**s) for s in value["shards"]), int(value["sentences"]), int(value["articles"]),
                   tuple(value["fields"]), {k: float(v) for k, v in value["avgdl"].items()},
                   tuple(value.get("sources", ())), str(value.get("content", "")), tuple(value.get("problems", ())),
                   str(value.get("vectors", "")))

    @property
    def has_vectors(self) -> bool:
        """Whether every shard stores sentence vectors of the installed model (another's are not comparable)."""
        return bool(self.vectors) and self.vectors == semantic.installed_model()


def is_sharded(path: str | Path) -> bool:
    """Whether a folder is a sharded index (as opposed to one index folder, or nothing)."""
    return (Path(path) / SHARDS_MARKER).exists()


def read_layout(path: str | Path) -> Layout:
    """The layout of a sharded index folder; StoreError when it is missing, incomplete or malformed."""
    path = Path(path)
    if not is_sharded(path):
        raise StoreError(f"no sharded index at {path} (build one with: python -m qa index SOURCE --out {path} "
                         "--shards N)")
    try:
        value = json.loads((path / LAYOUT).read_text(encoding="utf-8"))
        if value.get("format") != LAYOUT_FORMAT:
            raise StoreError(f"{path}/{LAYOUT} has format {value.get('format')!r}; this version reads {LAYOUT_FORMAT}")
        layout = Layout.from_json(value)
    except FileNotFoundError:
        raise StoreError(f"{path} is incomplete (no {LAYOUT}: the build was interrupted); rebuild it") from None
    except StoreError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise StoreError(f"{path}/{LAYOUT} is unreadable or malformed ({type(error).__name__}: {error})") from None
    if not layout.shards:
        raise StoreError(f"{path}/{LAYOUT} lists no shards")
    return layout


# --- building -------------------------------------------------------------------------------------------------

def split_items(sizes: Sequence[int], count: int) -> list[range]:
    """Runs of consecutive items, ``count`` of them, each of about the same total size (none empty)."""
    if not 1 <= count <= len(sizes):
        raise ValueError(f"cannot split {len(sizes):,} articles into {count} shards")
    ends = np.cumsum(np.asarray(sizes, dtype=np.float64))
    cuts = [0]
    for n in range(1, count):
        # The first item past n/count of the content, but leaving every later shard at least one item.
        cut = int(np.searchsorted(ends, ends[-1] * n / count, side="left")) + 1
        cuts.append(min(max(cut, cuts[-1] + 1), len(sizes) - (count - n)))
    cuts.append(len(sizes))
    return [range(a, b) for a, b in zip(cuts, cuts[1:])]


def build_shards(sources: str | Path | Iterable[str | Path], path: str | Path, count: int,
                 analyzer: Analyzer | None = None, settings: BM25Settings = BM25Settings(),
                 workers: int | None = None, progress: Progress | None = None, reuse: bool = True,
                 say: Say | None = None, vectors: bool = False) -> Layout:
    """Build the sharded index of a corpus in ``path`` (``count`` shards); an up-to-date one is left as it is.

    With ``reuse``, each shard of an earlier build lends the articles it holds whose content is unchanged. With
    ``vectors``, every shard stores its sentences' vectors (cached per article, as ``store.build`` makes them).
    """
    analyzer = analyzer or shared_analyzer()
    say = say or (lambda message: None)
    path = Path(path)
    if count < 1:
        raise StoreError("--shards must be at least 1")
    if path.exists() and not is_sharded(path) and (not path.is_dir() or any(path.iterdir())) \
            and not (path / MARKER).exists():
        raise StoreError(f"{path} exists and is not an index folder; choose another folder for the index")
    scanned = scan(sources)
    content = scanned.content  # (the build consumes the items)
    old = _old_layout(path) if reuse else None
    if old is not None and old.sources == scanned.sources and old.content == content \
            and len(old.shards) == count and (not vectors or old.has_vectors) and _intact(path, old, analyzer, settings):
        say(f"{path} is up to date")
        return old
    items = scanned.items
    if count > len(items):
        raise StoreError(f"cannot split {len(items):,} articles into {count} shards; ask for at most {len(items):,}")
    temporary = path.parent / f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary.mkdir()
    try:
        (temporary / SHARDS_MARKER).write_text(json.dumps({"what": "a sharded article-QA index (python -m qa index "
                                                           "--shards)", "sources": list(scanned.sources)}),
                                               encoding="utf-8")
        groups = split_items([len(item.content) for item in items], count)
        frequencies: list[dict[str, tuple[tuple[str, ...], np.ndarray]]] = []
        lengths: dict[str, int] = {}
        built: list[tuple[int, int]] = []  # (articles, sentences) of each shard
        problems = list(scanned.problems)
        for number, group in enumerate(groups):
            name = f"shard-{number:03d}"
            part = Scan((), [items[i] for i in group], [])
            part_content = part.content
            for i in group:
                items[i] = None  # the shard's items are handed over: this list keeps no copy of their text
            previous = _previous_shard(path, old, number, analyzer) if old is not None else None
            say(f"{name}: {len(group):,} articles")
            index = build_index(part, analyzer, settings, workers, progress, previous)
            del previous
            if vectors and not attach_vectors(index, vector_progress(say)):  # no model: no shard gets vectors
                say(f"no sentence vectors: {semantic.model_notice()}")
                vectors = False
            problems.extend(index.problems)
            frequencies.append({field: (scorer.term_list, np.diff(scorer.indptr))
                                for field, scorer in index.scorers.items()})
            for field, scorer in index.scorers.items():
                lengths[field] = lengths.get(field, 0) + int(scorer.lengths.sum())
            built.append((len(index.articles), index.sentence_count))
            save_index(index, temporary / name, (), part_content)
            del index
        items.clear()
        sentences = sum(s for _, s in built)
        if not sentences:
            raise StoreError("no usable articles in " + ", ".join(scanned.sources))
        # The corpus's idf of every term, from every shard's document frequencies (terms in order of first
        # appearance, as one index would number them), then each shard's terms' share of it.
        idf = {field: _corpus_idf([f[field] for f in frequencies], sentences, settings) for field in frequencies[0]}
        del frequencies
        shards, first_article, first_sentence = [], 0, 0
        for number, (articles, shard_sentences) in enumerate(built):
            name = f"shard-{number:03d}"
            index = load_index(temporary / name, analyzer, verify=False)
            for field, scorer in index.scorers.items():
                terms, values = idf[field]
                scorer.idf_values = values[np.fromiter((terms[t] for t in scorer.term_list), dtype=np.int64,
                                                       count=len(scorer.term_list))]
            save_index(index, temporary / name, (), read_manifest(temporary / name).get("content", ""))
            del index
            shards.append(Shard(name, first_article, articles, first_sentence, shard_sentences,
                                read_manifest(temporary / name)["key"]))
            first_article, first_sentence = first_article + articles, first_sentence + shard_sentences
        fields = tuple(idf)
        layout = Layout(tuple(shards), sentences, first_article, fields,
                        {field: float(lengths[field]) / sentences for field in fields},
                        scanned.sources, content, tuple(problems),
                        semantic.installed_model() if vectors else "")
        (temporary / LAYOUT).write_text(json.dumps(layout.to_json(), ensure_ascii=False), encoding="utf-8")
        replace_folder(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return layout


def _corpus_idf(parts: list[tuple[tuple[str, ...], np.ndarray]], sentences: int,
                settings: BM25Settings) -> tuple[dict[str, int], np.ndarray]:
    """The corpus's idf of each term (term → position in the idf array) from each shard's (terms, frequencies)."""
    frequency: dict[str, int] = {}
    for terms, counts in parts:
        for term, n in zip(terms, counts.tolist()):
            frequency[term] = frequency.get(term, 0) + n
    positions = {term: i for i, term in enumerate(frequency)}
    return positions, inverse_document_frequency(np.fromiter(frequency.values(), dtype=np.int64,
                                                             count=len(frequency)), sentences, settings)


def _old_layout(path: Path) -> Layout | None:
    try:
        return read_layout(path)
    except StoreError:
        return None


def _intact(path: Path, layout: Layout, analyzer: Analyzer, settings: BM25Settings) -> bool:
    """Every shard of a layout is there, unchanged, and made by this version's term pipeline."""
    for shard in layout.shards:
        status = check(path / shard.name, analyzer.settings, settings, source=False)
        if not status.ok or (status.manifest or {}).get("key") != shard.key:
            return False
    return True


def _previous_shard(path: Path, old: Layout, number: int, analyzer: Analyzer) -> Index | None:
    """Shard ``number`` of the earlier build, to lend its unchanged articles (None when it cannot)."""
    if number >= len(old.shards):
        return None
    folder = path / old.shards[number].name
    try:
        if read_manifest(folder).get("term_key") != term_key(analyzer.settings):
            return None
        return load_index(folder, analyzer)
    except StoreError:
        return None


# --- loading and answering ------------------------------------------------------------------------------------

def load_shard(path: str | Path, number: int, analyzer: Analyzer | None = None, layout: Layout | None = None) -> Index:
    """Shard ``number`` of a sharded index, scoring as part of the whole corpus (checksums verified)."""
    path = Path(path)
    layout = layout or read_layout(path)
    if not 0 <= number < len(layout.shards):
        raise StoreError(f"{path} has shards 0–{len(layout.shards) - 1}, not {number}")
    shard = layout.shards[number]
    index = load_index(path / shard.name, analyzer)
    manifest = read_manifest(path / shard.name)
    if manifest.get("key") != shard.key or index.sentence_count != shard.sentences \
            or tuple(index.scorers) != layout.fields:
        raise StoreError(f"{path / shard.name} is not the shard {LAYOUT} lists (another build's?); rebuild the index")
    index.scorers = {field: scorer.as_part(layout.avgdl[field]) for field, scorer in index.scorers.items()}
    return index


class JoinedArticles(Sequence[Article]):
    """The articles of several shards' tables as one sequence, in corpus order (articles built when asked for)."""

    def __init__(self, tables: Sequence[Sequence[Article]]) -> None:
        self.tables = list(tables)
        self.starts = np.cumsum([0] + [len(t) for t in self.tables])

    def __len__(self) -> int:
        return int(self.starts[-1])

    @overload
    def __getitem__(self, index: int) -> Article: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Article, ...]: ...

    def __getitem__(self, index):  # noqa: ANN001 - see the overloads
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        index = int(index) + (len(self) if int(index) < 0 else 0)
        if not 0 <= index < len(self):
            raise IndexError(f"article {index} out of range (the index holds {len(self)})")
        table = int(np.searchsorted(self.starts, index, side="right")) - 1
        return self.tables[table][index - int(self.starts[table])]

    def __iter__(self) -> Iterator[Article]:
        return (self[i] for i in range(len(self)))

    @property
    def names(self) -> list[str]:
        return [name for t in self.tables for name in _column(t, "names")]

    @property
    def titles(self) -> list[str]:
        return [title for t in self.tables for title in _column(t, "titles")]


def _column(articles: Sequence[Article], name: str) -> list[str]:
    if isinstance(articles, ArticleTable):
        return articles.strings[name]
    return [getattr(a, name[:-1]) for a in articles]


class PartedIndex(Asking):
    """An index whose sentences are in shards (here or on a cluster): it reads, ranks and replies as ``Index`` does
    (``qa.search.index.Asking``), each step asked of every shard."""

    def __init__(self, layout: Layout, analyzer: Analyzer, articles: Sequence[Article]) -> None:
        self.layout = layout
        self.analyzer = analyzer
        self.articles = articles
        self.problems = layout.problems
        self.ranking = RankingSettings()
        self._numbers: dict[str, int] | None = None
        self._starts: np.ndarray | None = None

    @property
    def sentence_count(self) -> int:
        return self.layout.sentences

    @property
    def fields(self) -> tuple[str, ...]:
        return self.layout.fields

    def _global_id(self, answer: tuple[str, int]) -> int:
        """The global sentence id of (article name, sentence id), or -1 when the index has no such sentence."""
        if self._numbers is None or self._starts is None:
            self._numbers = {name: i for i, name in enumerate(self.articles.names)}
            counts = np.concatenate([np.asarray(c) for c in self.sentence_counts()])
            self._starts = np.concatenate([[0], np.cumsum(counts)])
        doc, sentence_id = answer
        article = self._numbers.get(doc)
        if article is None or not 0 <= sentence_id < self._starts[article + 1] - self._starts[article]:
            return -1
        return int(self._starts[article]) + int(sentence_id)

    def sentence_counts(self) -> list[np.ndarray]:
        """Each shard's sentences per article."""
        raise NotImplementedError

    def split_articles(self, article_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Shard number → the given articles (positions in ``articles``) it holds, as its own positions."""
        ids = np.asarray(sorted(set(int(i) for i in article_ids)), dtype=np.int64)
        if len(ids) and (ids[0] < 0 or ids[-1] >= self.layout.articles):
            raise ValueError(f"article ids must be between 0 and {self.layout.articles - 1}")
        starts = np.array([s.first_article for s in self.layout.shards])
        of = np.searchsorted(starts, ids, side="right") - 1
        return {n: ids[of == n] - starts[n] for n in range(len(starts))}


class ShardedIndex(PartedIndex):
    """A sharded index with every shard loaded in this process."""

    def __init__(self, layout: Layout, shards: Sequence[Index], analyzer: Analyzer) -> None:
        super().__init__(layout, analyzer, JoinedArticles([s.articles for s in shards]))
        self.shards = list(shards)

    def parts(self) -> Parts:
        return LocalParts(self.shards)

    @property
    def has_vectors(self) -> bool:
        return bool(self.shards) and all(shard.has_vectors for shard in self.shards)

    def held_grams(self, grams: Sequence[str]) -> set[str]:
        return set().union(*(shard.held_grams(grams) for shard in self.shards))

    def holds(self, text: str) -> bool:
        return any(shard.holds(text) for shard in self.shards)  # a sentence is whole on one shard

    def sentence_counts(self) -> list[np.ndarray]:
        return [shard.articles.sentence_counts() for shard in self.shards]

    def only(self, article_ids: Sequence[int]) -> "ShardedIndex":
        """The same shards answering only from some articles (positions in ``articles``)."""
        keep = self.split_articles(article_ids)
        view = ShardedIndex(self.layout, [only_articles(shard, keep[n]) for n, shard in enumerate(self.shards)],
                            self.analyzer)
        view.articles = self.articles
        return view


def open_shards(path: str | Path, analyzer: Analyzer | None = None) -> ShardedIndex:
    """Every shard of a sharded index, in this process (for one machine; a cluster loads one shard a worker)."""
    layout = read_layout(path)
    analyzer = analyzer or shared_analyzer()
    return ShardedIndex(layout, [load_shard(path, n, analyzer, layout) for n in range(len(layout.shards))], analyzer)
