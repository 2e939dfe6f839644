"""Index a corpus of many articles: a folder of .txt/.md files (recursively) or JSON Lines, tokenized on all cores.

``scan`` reads a source into items (bytes or text plus a content digest) and reports what it cannot use;
``build_index`` cleans, structures and tokenizes the items in worker processes, with a progress line
(articles/s, ETA), and assembles one ``Index`` whose articles are held as columns (``qa.search.table.ArticleTable``).
Given the previous index, only the articles whose content changed are tokenized again.
"""
from __future__ import annotations

import copy
import ctypes
import hashlib
import json
import multiprocessing
import multiprocessing.pool
import os
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator, Sequence, TextIO

import numpy as np

from qa.search.bm25 import BM25, BM25Settings, RestrictedBM25, TermCounts, TermMerger
from qa.search.index import Index, build_article, sentence_terms
from qa.text.loading import MAX_BYTES, LoadError, article_files, decode_bytes, path_text
from qa.search.table import ArticleTable, article_names  # noqa: F401 - article_names: the app lists articles from here
from qa.search.tokens import Analyzer, AnalyzerSettings, shared_analyzer

JSONL_SUFFIXES = (".jsonl", ".ndjson")
# A chunk sent to a worker: big enough that pickling is cheap, small enough for a smooth progress line.
CHUNK_CHARS = 60_000
CHUNK_ITEMS = 64


@dataclass(frozen=True)
class CorpusItem:
    """One article as found in a source, before cleaning: its name, content and content digest."""

    name: str  # the article's name: path relative to the folder, or a JSON line's url/title
    origin: str  # where it is, for messages: a file path, or file:line
    content: bytes | str  # a file's bytes (decoded in the worker), or a JSON line's text
    title: str = ""  # a JSON line's title ('' = find the title in the text)
    digest: str = ""

    def with_digest(self) -> "CorpusItem":
        h = hashlib.sha256()
        for part in (self.name, self.title):
            h.update(part.encode("utf-8") + b"\0")
        h.update(self.content if isinstance(self.content, bytes) else b"\1" + self.content.encode("utf-8"))
        return replace(self, digest=h.hexdigest())


@dataclass
class Scan:
    """What a source holds: the items to index, the problems met reading it, and a digest of it all."""

    sources: tuple[str, ...]
    items: list[CorpusItem]
    problems: list[str]

    @property
    def content(self) -> str:
        """One digest of every item (and every unreadable file): any change to the corpus changes it."""
        h = hashlib.sha256()
        for item in self.items:
            h.update(item.digest.encode() + b"\n")
        for problem in self.problems:
            h.update(b"!" + problem.encode("utf-8") + b"\n")
        return h.hexdigest()


def scan(sources: str | Path | Iterable[str | Path], keep_content: bool = True) -> Scan:
    """Read a corpus source: folders (their .txt/.md files, recursively), .jsonl files, or single article files.

    ``keep_content=False`` keeps only names and digests (enough to tell whether an index is stale).
    """
    if isinstance(sources, (str, Path)):
        sources = [sources]
    paths = tuple(str(Path(s).resolve()) for s in sources)
    items: list[CorpusItem] = []
    problems: list[str] = []
    for source in map(Path, paths):
        if source.is_file() and source.suffix.lower() in JSONL_SUFFIXES:
            _scan_jsonl(source, items, problems, keep_content)
            continue
        try:
            files = article_files(source)
        except LoadError as error:
            problems.append(str(error))
            continue
        root = source if source.is_dir() else source.parent
        for file in files:
            try:
                size = file.stat().st_size
                if size > MAX_BYTES:
                    raise LoadError(f"{path_text(file)}: too large ({size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB per article)")
                data = file.read_bytes()
            except LoadError as error:
                problems.append(str(error))
                continue
            except OSError as error:
                problems.append(f"{path_text(file)}: cannot read: {error.strerror or error}")
                continue
            name = path_text(file.relative_to(root).as_posix())
            items.append(_kept(CorpusItem(name, path_text(file), data).with_digest(), keep_content))
    return Scan(paths, items, problems)


def _kept(item: CorpusItem, keep_content: bool) -> CorpusItem:
    return item if keep_content else replace(item, content=b"")


def _scan_jsonl(path: Path, items: list[CorpusItem], problems: list[str], keep_content: bool = True) -> None:
    """Items from a JSON Lines file, one article per line; each bad line is reported and skipped."""
    try:
        handle = path.open("rb")
    except OSError as error:
        problems.append(f"{path_text(path)}: cannot read: {error.strerror or error}")
        return
    with handle:
        for number, line in enumerate(handle, 1):
            where = f"{path_text(path)}:{number}"
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as error:
                problems.append(f"{where}: not UTF-8 (byte {error.start}); JSON Lines must be UTF-8")
                continue
            problem, item = _json_item(text, where)
            if problem:
                problems.append(f"{where}: {problem}")
            else:
                items.append(_kept(item, keep_content))


def _json_item(line: str, where: str) -> tuple[str, CorpusItem | None]:
    """One JSON line as an item, or the reason it cannot be one."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return f"not valid JSON ({error.msg} at column {error.colno})", None
    if not isinstance(record, dict):
        return 'expected a JSON object like {"title": …, "text": …, "url": …}', None
    text, title, url = record.get("text"), record.get("title", ""), record.get("url", "")
    if not isinstance(text, str) or not text.strip():
        return 'no "text": each line needs the article text as a non-empty string', None
    if not isinstance(title, str) or not isinstance(url, str):
        return '"title" and "url" must be strings', None
    if len(text.encode("utf-8")) > MAX_BYTES:
        return f"text too large (the limit is {MAX_BYTES / 1e6:.0f} MB per article)", None
    name = url.strip() or title.strip() or where.rsplit("/", 1)[-1]
    return "", CorpusItem(name, where, text, title.strip()).with_digest()


# --- tokenizing in worker processes ---------------------------------------------------------------------------

@dataclass
class Chunk:
    """A worker's output for some items: their articles as a table, each field's term counts, problems."""

    table: ArticleTable
    counts: dict[str, TermCounts]
    problems: list[str]
    items: int
    chars: int
    kept: list[int] = field(default_factory=list)  # which of the chunk's items became an article


_WORKER_ANALYZER: Analyzer | None = None


def _init_worker(settings: AnalyzerSettings) -> None:
    global _WORKER_ANALYZER
    # Under fork the parent's analyzer is inherited ready-made; under spawn each worker loads jieba once.
    if _WORKER_ANALYZER is None or _WORKER_ANALYZER.settings != settings:
        _WORKER_ANALYZER = shared_analyzer(settings)


def process_items(items: Sequence[CorpusItem], analyzer: Analyzer) -> Chunk:
    """Decode, clean, structure and tokenize some items (what a worker does with one chunk)."""
    articles, digests, problems, kept = [], [], [], []
    chars = 0
    for position, item in enumerate(items):
        try:
            text = item.content if isinstance(item.content, str) else decode_bytes(item.content, item.origin)
        except LoadError as error:
            problems.append(str(error))
            continue
        chars += len(text)
        article = build_article(text, item.name, analyzer)
        if not article.sentences:
            problems.append(f"{item.origin}: no sentences found in the text")
            continue
        if item.title:
            article = replace(article, title=item.title)
        articles.append(article)
        digests.append(item.digest)
        kept.append(position)
    fields = sentence_terms(articles, analyzer)
    counts = {name: TermCounts.from_documents(documents) for name, documents in fields.items()}
    return Chunk(ArticleTable.from_articles(articles, digests), counts, problems, len(items), chars, kept)


def _worker(items: list[CorpusItem]) -> Chunk:
    assert _WORKER_ANALYZER is not None
    return process_items(items, _WORKER_ANALYZER)


def _chunks(items: list[CorpusItem | None], positions: Sequence[int]) -> Iterator[list[CorpusItem]]:
    """The items at ``positions`` in worker-sized chunks; each item is dropped from ``items`` once handed out."""
    chunk: list[CorpusItem] = []
    chars = 0
    for position in positions:
        item = items[position]
        items[position] = None  # the parent keeps no copy of what the workers are tokenizing
        assert item is not None
        chunk.append(item)
        chars += len(item.content)
        if len(chunk) >= CHUNK_ITEMS or chars >= CHUNK_CHARS:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _pool(workers: int, analyzer: Analyzer) -> multiprocessing.pool.Pool:
    """Worker processes holding an analyzer with the same settings."""
    global _WORKER_ANALYZER
    # fork shares the parent's loaded jieba dictionary; it is only safe while no other thread runs
    # (e.g. inside a Streamlit server), so then the workers start fresh and load their own.
    forking = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    _WORKER_ANALYZER = analyzer  # what forked workers inherit
    context = multiprocessing.get_context("fork" if forking else "spawn")
    return context.Pool(workers, initializer=_init_worker, initargs=(analyzer.settings,))


def tokenize_items(items: list[CorpusItem | None], positions: Sequence[int], analyzer: Analyzer,
                   workers: int | None = None, progress: "Progress | None" = None) -> Iterator[Chunk]:
    """Process the items at ``positions`` in order, on ``workers`` processes; yields one Chunk per chunk."""
    workers = workers or default_workers()
    if progress:
        progress.start(len(positions))
    chunks = _chunks(items, positions)
    if workers <= 1 or len(positions) <= CHUNK_ITEMS:
        for chunk in chunks:
            result = process_items(chunk, analyzer)
            if progress:
                progress.advance(result.items, result.chars)
            yield result
    else:
        with _pool(workers, analyzer) as pool:
            for result in pool.imap(_worker, chunks):
                if progress:
                    progress.advance(result.items, result.chars)
                yield result
    if progress:
        progress.finish()


# --- building the index ---------------------------------------------------------------------------------------

def build_index(scanned: Scan, analyzer: Analyzer | None = None, settings: BM25Settings = BM25Settings(),
                workers: int | None = None, progress: "Progress | None" = None,
                previous: Index | None = None) -> Index:
    """One index over every item of a scan; articles already in ``previous`` (same digest) are not re-tokenized.

    ``previous`` must come from the same analyzer and term pipeline (``qa.corpus.store`` checks that). The scan's
    items are consumed (dropped as they are handed to the workers) to keep memory down.
    """
    analyzer = analyzer or shared_analyzer()
    items: list[CorpusItem | None] = list(scanned.items)
    scanned.items = []
    reusable: dict[str, int] = {}
    if previous is not None and isinstance(previous.articles, ArticleTable):
        for article_id, digest in enumerate(previous.articles.digests):
            if digest:
                reusable.setdefault(digest, article_id)
    # Where each item's article comes from: ("old", article id) or ("new", chunk number, position in chunk).
    sources: list[tuple] = []
    todo: list[int] = []
    for position, item in enumerate(items):
        assert item is not None
        if item.digest in reusable:
            sources.append(("old", reusable[item.digest]))
        else:
            sources.append(("new", len(todo)))
            todo.append(position)
    problems = list(scanned.problems)
    tables: list[ArticleTable] = []
    # One vocabulary per field; each chunk's counts are moved onto it as they arrive (no vocabulary per chunk).
    mergers = {name: TermMerger() for name in sentence_terms((), analyzer)}
    counts: dict[str, list[TermCounts]] = {name: [] for name in mergers}
    new_article: dict[int, tuple[int, int]] = {}  # position in todo → (chunk number, article in chunk)
    done = 0
    for chunk_number, chunk in enumerate(tokenize_items(items, todo, analyzer, workers, progress)):
        problems.extend(chunk.problems)
        tables.append(chunk.table)
        for name, field_counts in chunk.counts.items():
            counts[name].append(mergers[name].remap(field_counts))
        for article_in_chunk, position_in_chunk in enumerate(chunk.kept):
            new_article[done + position_in_chunk] = (chunk_number, article_in_chunk)
        done += chunk.items
    if previous is not None and reusable:
        if set(previous.scorers) != set(mergers):
            raise ValueError("the previous index has other scoring fields; rebuild it from scratch")
        old_counts = {name: mergers[name].remap(scorer.counts()) for name, scorer in previous.scorers.items()}
        tables, counts = _assemble(sources, new_article, previous.articles, old_counts, tables, counts)
    release_freed_memory()
    table = ArticleTable.concatenate(tables)
    del tables
    release_freed_memory()
    scorers = {}
    for name in list(mergers):
        # The merger's term → id dict is dropped once its field is counted (the BM25 makes its own).
        # Handed over in a box, the only reference: BM25 frees the counts as soon as they are sorted.
        box = [mergers.pop(name).concatenate(counts.pop(name), remapped=True)]
        scorers[name] = BM25.consuming(box, settings)
        release_freed_memory()
    return Index.from_parts(table, analyzer, scorers, settings, tuple(problems))


def release_freed_memory() -> None:
    """Give freed heap pages back to the operating system (glibc keeps them), so the next step's peak starts
    lower: the chunks of a million-sentence build leave hundreds of MB of holes once they are merged."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def _assemble(sources: list[tuple], new_article: dict[int, tuple[int, int]], old_table: ArticleTable,
              old_counts: dict[str, TermCounts], new_tables: list[ArticleTable],
              new_counts: dict[str, list[TermCounts]]) -> tuple[list[ArticleTable], dict[str, list[TermCounts]]]:
    """Tables and counts in source order, taking runs of reused articles from the old index."""
    # Runs of consecutive articles from one table: (table key, [article ids]); key -1 is the old index.
    runs: list[tuple[int, list[int]]] = []
    for source in sources:
        if source[0] == "old":
            key, article = -1, source[1]
        elif source[1] in new_article:
            key, article = new_article[source[1]]
        else:
            continue  # an item that gave no article (its problem is already reported)
        if runs and runs[-1][0] == key:
            runs[-1][1].append(article)
        else:
            runs.append((key, [article]))
    tables: list[ArticleTable] = []
    counts: dict[str, list[TermCounts]] = {name: [] for name in old_counts}
    for key, articles in runs:
        table = old_table if key == -1 else new_tables[key]
        ids = np.asarray(articles, dtype=np.int64)
        tables.append(table.select(ids))
        ptr = table.arrays["article_sentences"]
        sentence_ids = np.concatenate([np.arange(ptr[a], ptr[a + 1]) for a in articles])
        for name in counts:
            source_counts = old_counts[name] if key == -1 else new_counts[name][key]
            counts[name].append(source_counts.select(sentence_ids))
    return tables, counts


# --- answering from some articles only ---------------------------------------------------------------------

def only_articles(index: Index, article_ids: Iterable[int]) -> Index:
    """The same index answering only from some of its articles (positions in ``index.articles``).

    Nothing is re-tokenized or copied: every scorer is wrapped to score 0 outside those articles' sentences;
    idf and sentence lengths stay the whole corpus's, as with a search server's filter clause.
    """
    ids = np.fromiter(article_ids, dtype=np.int64)
    if len(ids) and (ids.min() < 0 or ids.max() >= len(index.articles)):
        raise ValueError(f"article ids must be between 0 and {len(index.articles) - 1}")
    chosen = np.zeros(len(index.articles), dtype=bool)
    chosen[ids] = True
    keep = chosen[index.refs[:, 0]] if len(index.refs) else np.zeros(0, dtype=bool)
    filtered = copy.copy(index)  # shares the articles and everything derived from them
    filtered.scorers = {name: RestrictedBM25(scorer, keep)
                        for name, scorer in index.scorers.items()}
    filtered.vector_keep = keep if index.vector_keep is None else keep & index.vector_keep
    return filtered


# --- progress -------------------------------------------------------------------------------------------------

class Progress:
    """A one-line progress report on stderr: articles done, articles/s, chars/s and the time left."""

    def __init__(self, out: TextIO | None = None, label: str = "indexing", every: float = 0.2) -> None:
        self.out = out or sys.stderr
        self.label = label
        self.tty = hasattr(self.out, "isatty") and self.out.isatty()
        # Without a terminal (a log file) a line every few seconds is enough.
        self.every = every if self.tty else 5.0
        self.total = self.done = self.chars = 0
        self.started = self.shown = 0.0

    def start(self, total: int) -> None:
        self.total, self.done, self.chars = total, 0, 0
        self.started = self.shown = time.perf_counter()

    def advance(self, articles: int, chars: int) -> None:
        self.done += articles
        self.chars += chars
        now = time.perf_counter()
        if now - self.shown >= self.every:
            self.shown = now
            self._show(end="\r" if self.tty else "\n")

    def line(self) -> str:
        """The progress line as it stands."""
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else float("inf")
        eta = "?" if left == float("inf") else f"{int(left) // 60}:{int(left) % 60:02d}"
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        return (f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done:,}/{self.total:,} articles  "
                f"{rate:,.0f} articles/s  {self.chars / elapsed / 1e3:,.0f}k chars/s  ETA {eta}")

    def _show(self, end: str) -> None:
        self.out.write(self.line() + end)
        self.out.flush()

    def finish(self) -> None:
        elapsed = time.perf_counter() - self.started
        self.out.write(self.line().split("  ETA")[0] + f"  done in {elapsed:.1f} s" + " " * 8 + "\n")
        self.out.flush()

