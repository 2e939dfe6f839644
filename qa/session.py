"""What a visitor's session decides, without Streamlit: which index serves, indexing uploads, the article filter,
what a turn of the chat holds. ``app.py`` only draws what these return."""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from qa import display as d
from qa.corpus.build import Chunk, CorpusItem, article_names, only_articles, process_items, release_freed_memory
from qa.records import Article, Exchange
from qa.search.bm25 import BM25, TermMerger
from qa.search.index import Index, attach_vectors, load_corpus
from qa.search.query import question_problem, truncate_question
from qa.search.table import ArticleTable
from qa.search.tokens import Analyzer, AnalyzerSettings, shared_analyzer
from qa.text.loading import ARTICLE_SUFFIXES, LoadError, article_files, decode_bytes

MAX_ANSWERS = 5  # cards a reply may show; the sidebar chooses how many
MAX_CANDIDATES = 15  # answers asked for: neighbours join one card, so the cards need more answers than they show
MAX_LINKED = 5  # questions a ?q= link may ask (a follow-up's link holds two)
MAX_LISTED = 30  # articles listed in the sidebar and looked through for examples and suggestions
MAX_CHOICES = 1000  # beyond this many articles the filter is a title search, not a list to pick from
MAX_EXAMPLES = 4
MAX_PILLS = 12  # up to this many articles the filter is a row of buttons, beyond it a list to search
MAX_SECTIONS = 40  # sections listed (as reader buttons) per article in the sidebar
MAX_VIEWS = 200  # replies kept drawn per visitor (turns × display settings)
MAX_READABLE = 100_000  # articles looked through for a reader link's article (a persistent index can hold more)


@dataclass(frozen=True)
class UploadLimits:
    """What one visitor may upload at a time (one file's limit is ``server.maxUploadSize`` in .streamlit/config.toml).

    A 4 MB single-line file took 46 s and +537 MB to index in the server's own process, and ten 4.6 MB files 129 s
    and +1.45 GB (issue 10, D7): indexing now runs in a child process, stopped at ``seconds``.
    """

    files: int = 10  # articles per visitor
    total_bytes: int = 8 * 1024 * 1024  # all of a visitor's files together
    seconds: float = 30.0  # one upload's indexing, in its own process
    processes: int = 2  # uploads indexed at once in the whole server (the others wait, within their seconds)


def limits_from(environ: Mapping[str, str]) -> UploadLimits:
    """The limits, with ``QA_UPLOAD_SECONDS`` (a host's own time limit, say a load test's on a busy machine)."""
    seconds = environ.get("QA_UPLOAD_SECONDS", "").strip()
    try:
        return UploadLimits(seconds=float(seconds)) if seconds and 0 < float(seconds) <= 3600 else UploadLimits()
    except ValueError:
        return UploadLimits()


LIMITS = limits_from(os.environ)
_INDEXING = threading.BoundedSemaphore(LIMITS.processes)


def corpus_key(folder: Path) -> str:
    """A digest of the articles' names and bytes: the shared index is rebuilt only when they change."""
    digest = hashlib.sha256()
    for path in article_files(folder):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def shared_index(index_dir: str, seeds: Path, cluster: str = "") -> Index:
    """The index every visitor shares: the one a Dask cluster serves (``cluster``: its scheduler's address), a
    persistent index (sharded or not; rebuilt first if stale), or the articles in ``seeds``."""
    if cluster:
        from qa.corpus.cluster import connect  # Dask is imported only when a cluster is asked for

        return connect(cluster)
    if index_dir:
        from qa.corpus.shards import is_sharded, open_shards
        from qa.corpus.store import open_index

        return open_shards(index_dir) if is_sharded(index_dir) else open_index(index_dir)
    return load_corpus(seeds)


class VectorJob:
    """An index's sentence vectors being made in a background thread (for English questions): the index answers
    lexically meanwhile, and with the semantic score once ``finished``. ``available`` is False without the model.

    One job embeds at a time (``_EMBEDDING``: several at once only share the same model and cores, each holding its
    index the longer); ``cancel`` stops a job at its next batch of sentences — a visitor who leaves, or uploads
    something else, must not leave a thread embedding (and holding) an index nobody will ask."""

    def __init__(self, index: Index) -> None:
        self.total = index.sentence_count
        self.done = 0
        self.finished = False
        self.cancelled = False
        self.available = True
        self.notice = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(index,), name="qa-vectors", daemon=True)
        self._thread.start()

    def _run(self, index: Index) -> None:
        # At a lower priority (os.nice is per thread on Linux): the model works in C without the GIL, in this thread
        # (one OpenMP thread), so answers and uploads' indexing come first; the Python this thread runs while
        # holding the GIL is short (the dictionary is read at the first English question, not here).
        try:
            os.nice(10)
        except OSError:
            pass
        try:
            while not _EMBEDDING.acquire(timeout=0.2):  # waiting its turn, it can still be cancelled
                if self._stop.is_set():
                    raise _Cancelled
            try:
                self.available = attach_vectors(index, self._progress)
            finally:
                _EMBEDDING.release()
        except _Cancelled:
            self.cancelled = True
            self.finished = True
            return
        if not self.available:
            from qa.search.semantic import model_notice

            self.notice = model_notice()
        self.done, self.finished = self.total, True

    def _progress(self, done: int, total: int) -> None:
        if self._stop.is_set():
            raise _Cancelled  # out of attach_vectors before it sets anything: the index stays without vectors
        self.done = done

    def cancel(self) -> None:
        """Stop making the vectors (at the next batch; the index keeps answering lexically)."""
        self._stop.set()

    def wait(self, seconds: float | None = None) -> bool:
        """Wait for the vectors (at most ``seconds``); whether they are done."""
        self._thread.join(seconds)
        return self.finished and not self.cancelled


class _Cancelled(Exception):
    """A vector job was cancelled (raised from its progress report, caught by the job)."""


_EMBEDDING = threading.Lock()  # one vector job embeds at a time


def start_vectors(index: Index) -> VectorJob | None:
    """The index's vector job, started on first call (one per index; None for an index that does not make its own
    vectors: a persistent index has them stored or goes without, a cluster has none)."""
    if not isinstance(index, Index):
        return None
    job = index.__dict__.get("_vector_job")
    if job is None:
        job = index.__dict__["_vector_job"] = VectorJob(index)
    return job


def stop_vectors(index: Index | None) -> None:
    """Cancel the index's vector job, if it has one (its visitor left or uploaded other files)."""
    job = index.__dict__.get("_vector_job") if index is not None else None
    if job is not None:
        job.cancel()


def answerable_examples(articles: Sequence[Article], index: Index) -> tuple[str, ...]:
    """Example questions for these articles, only ones the engine answers from ``index``."""
    return tuple(d.example_questions(articles[:MAX_LISTED], lambda q: index.ask(q, top_k=3), index.analyzer))


@dataclass(frozen=True)
class Uploads:
    """A visitor's uploaded articles, indexed together with the shared ones (never shared with other visitors)."""

    key: tuple[tuple[str, str], ...] = ()  # (name, sha256) of each file: the same files are not indexed twice
    notes: tuple[tuple[str, str, dict], ...] = ()  # (kind "ok"/"error", message key, values) for each file:
    # an error's values hold ``code``, the LoadError code the app words in the visitor's script (d.note_text)
    names: frozenset[str] = frozenset()  # the uploaded articles' names
    index: Index | None = None  # the shared articles and the uploads; None when nothing usable was uploaded
    examples: tuple[str, ...] = ()


def upload_key(files: Sequence[tuple[str, bytes]]) -> tuple[tuple[str, str], ...]:
    """What identifies a set of uploaded files: their names and digests."""
    return tuple((name, hashlib.sha256(data).hexdigest()) for name, data in files)


def index_uploads(files: Sequence[tuple[str, bytes]], base: Index, limits: UploadLimits = LIMITS) -> Uploads:
    """Index uploaded (name, bytes) files with the shared articles; each file gets a note saying how it went.

    Files beyond the visitor's limits are refused with a note; the rest are cleaned and tokenized in a child
    process (the server's threads keep answering other visitors at full speed, and the child's peak memory goes
    with it), stopped after ``limits.seconds``.
    """
    notes: list[tuple[str, str, dict]] = []
    items: list[CorpusItem] = []
    total = 0
    for name, data in files:
        if Path(name).suffix.lower() not in ARTICLE_SUFFIXES:
            notes.append(("error", "upload_bad", {"name": name, "code": "suffix"}))
        elif problem := _undecodable(data, name):  # told here, with its code, before a child process is started
            notes.append(("error", "upload_bad", {"name": name, "code": problem.code or "failed", **problem.values}))
        elif len(items) >= limits.files:
            notes.append(("error", "upload_too_many", {"name": name, "n": limits.files}))
        elif total + len(data) > limits.total_bytes:
            notes.append(("error", "upload_too_much", {"name": name, "mb": f"{limits.total_bytes / 2**20:g}"}))
        else:
            total += len(data)
            items.append(CorpusItem(name, name, data))
            notes.append(("pending", name, {}))
    chunk, failure = _index_elsewhere(items, base.analyzer.settings, limits.seconds) if items else (None, "")
    kept = dict(zip(chunk.kept, range(len(chunk.kept)))) if chunk else {}
    problems = iter(chunk.problems if chunk else ())
    position = 0
    for i, (kind, name, _) in enumerate(notes):
        if kind != "pending":
            continue
        if failure:
            notes[i] = ("error", failure, {"name": name, "seconds": f"{limits.seconds:g}"})
        elif position in kept:
            article = chunk.table[kept[position]]
            notes[i] = ("ok", "upload_ok", {"title": article.title or name, "sentences": len(article.sentences)})
        else:
            problem = next(problems, "")
            notes[i] = (("error", "upload_empty", {"name": name}) if problem.endswith("no sentences found in the text")
                        else ("error", "upload_bad", {"name": name, "code": "failed"}))
        position += 1
    key = upload_key(files)
    if not chunk or not len(chunk.table):
        return Uploads(key, tuple(notes))
    index = with_articles(base, chunk)
    weakref.finalize(index, release_freed_memory)  # when a session ends or a newer upload replaces this one
    return Uploads(key, tuple(notes), frozenset(chunk.table.names), index,
                   answerable_examples(chunk.table, index))


def _undecodable(data: bytes, name: str) -> LoadError | None:
    """Why an upload's bytes are not an article's text (too large, binary, empty, not decodable), or None."""
    try:
        decode_bytes(data, name)
    except LoadError as error:
        return error
    return None


def with_articles(base: Index, chunk: Chunk) -> Index:
    """The shared articles and a chunk's (already tokenized) articles as one index, the same one
    ``Index(base.articles + articles)`` would make, without tokenizing anything again."""
    tables = [base.articles if isinstance(base.articles, ArticleTable) else ArticleTable.from_articles(base.articles),
              chunk.table]
    scorers = {}
    for name, scorer in base.scorers.items():
        merger = TermMerger()
        parts = [merger.remap(scorer.counts()), merger.remap(chunk.counts[name])]
        scorers[name] = BM25.consuming([merger.concatenate(parts, remapped=True)], base.settings)
    return Index.from_parts(ArticleTable.concatenate(tables), base.analyzer, scorers, base.settings)


def _index_elsewhere(items: list[CorpusItem], settings: AnalyzerSettings, seconds: float) -> tuple[Chunk | None, str]:
    """``process_items`` in a child process, within ``seconds`` (waiting for a free slot included): its result,
    or None and the note's key ("upload_too_slow", "upload_failed")."""
    deadline = time.monotonic() + seconds
    if not _INDEXING.acquire(timeout=seconds):
        return None, "upload_too_slow"
    try:
        context = multiprocessing.get_context("forkserver")  # never fork the server's threads
        # Nothing preloaded: by default the fork server imports __main__, which under Streamlit is app.py itself.
        context.set_forkserver_preload([])
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(items, settings, send), daemon=True)
        try:
            child.start()
        except OSError:  # the fork server could not start it (or it died at once): told, never a traceback
            receive.close()
            send.close()
            return None, "upload_failed"
        send.close()
        try:
            if not receive.poll(max(0.0, deadline - time.monotonic())):
                return None, "upload_too_slow"
            outcome = receive.recv()
        except (EOFError, OSError):  # the child died (killed for memory, say) before it answered
            return None, "upload_failed"
        finally:
            receive.close()
            if child.is_alive():
                child.kill()
            child.join()
        return (outcome, "") if isinstance(outcome, Chunk) else (None, "upload_failed")
    finally:
        _INDEXING.release()


def _child(items: list[CorpusItem], settings: AnalyzerSettings, send: "multiprocessing.connection.Connection") -> None:
    """In the child process: tokenize the items and send back their Chunk (or the error's text)."""
    os.nice(10)  # the server's own threads (other visitors' answers) come first
    try:
        outcome: object = process_items(items, shared_analyzer(settings))
    except Exception as error:  # an upload is untrusted input: any failure is its problem, told plainly
        outcome = f"{type(error).__name__}: {error}"
    send.send(outcome)
    send.close()


def answer_turn(question: str, index: Index, turns: Sequence[d.Turn], chosen: Sequence[int] | None = None) -> d.Turn:
    """Ask the engine one question of the chat (earlier asked questions are its history) and return the turn.

    ``index`` answers (the filtered one when the filter is on); ``chosen`` are the filter's articles, which the
    "no answer" suggestions come from and the reply names.
    """
    if problem := question_problem(question):
        return d.Turn(question=question if not question.strip() else truncate_question(question)[0], problem=problem)
    text, cut = truncate_question(question)
    # Earlier questions with the answers they were given: a follow-up weighs the sentences next to them.
    history = [Exchange.of(t.question, t.answers[:MAX_ANSWERS]) for t in turns if t.asked]
    reply = index.reply(text, top_k=MAX_ANSWERS, history=history)  # whether to answer: the engine's call, as asked
    query = reply.query
    # More answers than cards: neighbours join one card. The first MAX_ANSWERS are the reply's own.
    answers = index.respond(query, MAX_CANDIDATES).answers if reply.answers else ()
    share = tuple(d.share_questions(index.understand, text, [t.question for t in turns if t.asked], query,
                                    MAX_LINKED - 1))
    searched = index.articles[:MAX_LISTED] if chosen is None else [index.articles[i] for i in chosen[:MAX_LISTED]]
    suggestions = () if answers else tuple(d.suggest_sections(text, searched, index.analyzer))
    scope = () if chosen is None else tuple(index.articles[i].title or index.articles[i].name for i in chosen)
    return d.Turn(text, answers, query, "", cut, share, suggestions, scope, reply.notice(), reply.unsearched)


@dataclass(frozen=True)
class Reading:
    """What the reader view shows: an article, and the passage (sentence ids) or the section it marks."""

    article: int  # index into the index's articles
    first: int | None = None
    last: int | None = None
    best: int | None = None
    section: int | None = None


_AT_PASSAGE = re.compile(r"^(?P<doc>.+):(?P<first>\d+)-(?P<last>\d+)(?:@(?P<best>\d+))?$")
_AT_SECTION = re.compile(r"^(?P<doc>.+):s(?P<section>\d+)$")


def reading_at(at: str, index: Index) -> Reading | None:
    """The reader view an ``?at=`` value asks for (``doc:first-last@best`` or ``doc:sN``); None if it names
    nothing in this index (another visitor's upload, an old link)."""
    match = _AT_PASSAGE.match(at or "") or _AT_SECTION.match(at or "")
    if not match:
        return None
    found = next((i for i, a in enumerate(index.articles[:MAX_READABLE]) if a.name == match["doc"]), None)
    if found is None:
        return None
    article = index.articles[found]
    values = {k: int(v) for k, v in match.groupdict().items() if k != "doc" and v is not None}
    if "section" in values:
        return Reading(found, section=values["section"]) if values["section"] < len(article.sections) else None
    first, last = values["first"], values["last"]
    best = values.get("best", first)
    if not first <= best <= last < len(article.sentences) or last - first >= 50:
        return None
    return Reading(found, first, last, best)


def titles_matching(titles: Sequence[str], search: str, index: Index) -> list[int]:
    """Positions of the (normalised) titles holding the title search's words."""
    folded = index.analyzer.normalize(search.strip())
    return [i for i, title in enumerate(titles) if folded in title] if folded else []


def normalised_titles(index: Index) -> tuple[str, ...]:
    """The articles' titles (or names) as the title search compares them."""
    return tuple(index.analyzer.normalize(title or name) for name, title in article_names(index.articles))


def answering_index(index: Index, chosen: Sequence[int] | None) -> Index:
    """The index the questions go to: all articles, or only the chosen ones."""
    if chosen is None:
        return index
    # A sharded index (here or on a cluster) filters on each shard; one index wraps its scorers.
    return index.only(list(chosen)) if hasattr(index, "only") else only_articles(index, list(chosen))


def in_use_caption(index: Index, chosen: Sequence[int] | None, script: str, uis: str) -> str:
    """"Answering from 《…》…": the first few articles in use (all, or the filter's), in the display script."""
    in_use = index.articles[:3] if chosen is None else [index.articles[i] for i in chosen[:3]]
    count = len(index.articles) if chosen is None else len(chosen)
    titles = "、".join(f"《{d.convert(a.title or a.name, script, index.analyzer)}》" for a in in_use)
    more = d.ui("more_articles", uis, n=count) if count > 3 else ""
    return d.ui("in_use", uis, titles=titles + more)


def examples_shown(uploads: Uploads, shared: tuple[str, ...]) -> tuple[str, ...]:
    """The example questions to offer: a visitor's uploads first (they most likely want to ask about them)."""
    return (uploads.examples + shared)[:MAX_EXAMPLES] if uploads.index else shared


def turn_asking(turns: Sequence[d.Turn], question: str | None) -> d.Turn | None:
    """The latest asked turn of this question (the reader view marks its words and links to it), if any."""
    return next((t for t in reversed(turns) if t.asked and t.question == question), None) if question else None


@dataclass(frozen=True)
class ReplyView:
    """A reply as drawn: its head's HTML and, for each card, its HTML and its reader link value."""

    head: str
    cards: tuple[tuple[str, str], ...] = ()


def reply_view(cache: dict, turn: d.Turn, script: str, analyzer: Analyzer, uis: str, top_k: int,
               context: bool) -> ReplyView:
    """A turn's reply drawn once per turn and display settings (``cache`` lives in the visitor's session):
    every rerun draws the whole chat again, and marking whole words costs ~5 ms a card."""
    key = (id(turn), script, uis, top_k, context)
    held = cache.get(key)
    if held is None or held[0] is not turn:  # an id is reused only after its turn is gone
        cards = d.passages(turn.answers, top_k, context)
        phrases = d.question_phrases(turn.query, analyzer) if cards else ()
        view = ReplyView(d.reply_head_html(turn, script, analyzer, uis),
                         tuple((d.passage_html(p, turn.query, script, analyzer, d.reply_script(turn.query, uis), phrases),
                                p.at) for p in cards))
        if len(cache) >= MAX_VIEWS:
            cache.clear()
        held = cache[key] = (turn, view)
    return held[1]
