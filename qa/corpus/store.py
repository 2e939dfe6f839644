"""A persistent index on disk: numpy ``.npy`` arrays and JSON (no pickles), a manifest with checksums, atomic writes.

An index folder is keyed by its content and by everything that shapes its terms and scores: the analyzer's
settings, the scoring fields (their names, and the terms each makes of a probe article), the BM25 settings,
a fingerprint of the term pipeline's source code, and the store format. An index lacking a field the engine
ranks with is stale, and ``load_index`` refuses it. Opening
it checks, in order: that it is complete (written to a temporary folder, renamed into place, manifest last),
that every file has the size and SHA-256 the manifest lists, that the settings and code match, and that its
source (folder or JSON Lines file, recorded in the manifest) has not changed. A stale or broken index is
rebuilt from its source — re-tokenizing only the articles that changed when the term pipeline is the same —
and is never used silently.

Use ``open_index(path)`` to get an ``Index`` (this is what ``QA_INDEX=path streamlit run app.py`` does),
``build(sources, path)`` to make one, ``check(path)`` to ask whether one is usable.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import stat
import time
import uuid
from dataclasses import asdict, dataclass, fields as dataclass_fields
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from qa.search.bm25 import ARRAY_NAMES, BM25, BM25Settings
from qa.corpus.build import Progress, Scan, build_index, scan
from qa.corpus.integrity import (FIELD_KINDS, MANIFEST, StoreError, duplicate_terms, field_problem, manifest_problem,
                                 npy_problem, plain_file, read_manifest_file, read_plain, required_files, table_problem)
from qa.search.index import Index, build_article, sentence_terms
from qa.search.table import ARRAYS, STRINGS, ArticleTable
from qa.search.tokens import Analyzer, AnalyzerSettings, shared_analyzer

FORMAT = 2  # 2: no stored weights (computed per query), scoring fields in the key
MARKER = "QA-INDEX"  # written first: a folder holding it is ours to replace, even when half-written
# Source files whose code decides an index's articles and terms: any change to them makes saved terms stale.
TERM_PIPELINE = ("text/loading.py", "text/cleaning.py", "text/garble.py", "text/edits.py", "text/structure.py",
                 "search/tokens.py", "search/index.py", "corpus/build.py", "records.py")
# ... and those that decide how terms become stored arrays and scores.
INDEX_CODE = ("search/bm25.py", "search/table.py", "corpus/store.py")
# Memory-mapped on load: only the articles being answered from are ever read.
MAPPED = ("raw_bytes", "text_bytes")
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_]+$")

Say = Callable[[str], None]


@dataclass(frozen=True)
class Status:
    """What ``check`` found: ``state`` is ok, missing, corrupt or stale, with a one-line reason.

    ``intact``: the index itself is sound and fits this engine — only its source changed or is gone — so it can
    still answer as it was built when a rebuild is impossible or would lose every article.
    """

    state: str
    reason: str = ""
    manifest: dict | None = None
    intact: bool = False

    @property
    def ok(self) -> bool:
        return self.state == "ok"


@lru_cache(maxsize=1)
def _code_fingerprints() -> tuple[str, str]:
    """SHA-256 of the term pipeline's code (with jieba and OpenCC versions), and of the index code."""
    import importlib.metadata as metadata

    here = Path(__file__).parents[1]  # qa/

    def digest(names: Iterable[str], extra: str = "") -> str:
        h = hashlib.sha256(extra.encode())
        for name in names:
            path = here / name
            h.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"<missing>") + b"\0")
        return h.hexdigest()

    versions = []
    for package in ("jieba", "OpenCC"):
        try:
            versions.append(f"{package}=={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package}==?")
    return digest(TERM_PIPELINE, ";".join(versions)), digest(INDEX_CODE, f"format {FORMAT}")


def _analyzer(settings: AnalyzerSettings) -> Analyzer:
    """The process's shared analyzer for these settings (``shared_analyzer()`` and ``shared_analyzer(settings)``
    are different cache entries even for equal settings: asking the same way as the app avoids a second jieba)."""
    return shared_analyzer() if settings == AnalyzerSettings() else shared_analyzer(settings)


def _hash_json(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


# A small made-up article run through the term pipeline when keying an index: what each scoring field makes of
# it is part of the key, so a change in how fields are made is caught even when its code lives elsewhere
# (e.g. the character n-gram sizes in ranking.py, which also holds query-time knobs that must not cause rebuilds).
PROBE = "標題：城市與颱風\n\n颱風季節通常在夏天和秋天，帶來強風和豪雨。\n\n## 交通\n\n地鐵每天運送 300 萬名乘客（Metro）！"


def scoring_fields(analyzer_settings: AnalyzerSettings) -> list[str]:
    """The scoring fields this version of the engine stores for every sentence, in order."""
    return list(sentence_terms((), _analyzer(analyzer_settings)))


@lru_cache(maxsize=8)
def _probe_digest(analyzer_settings: AnalyzerSettings) -> str:
    """SHA-256 of each scoring field's terms for the probe article."""
    analyzer = _analyzer(analyzer_settings)
    return _hash_json(sentence_terms([build_article(PROBE, "probe", analyzer)], analyzer))


def term_key(analyzer_settings: AnalyzerSettings) -> str:
    """What the stored articles and term counts depend on: the analyzer's settings, the pipeline's code, the
    scoring fields and what they make of a probe article."""
    return _hash_json({"analyzer": asdict(analyzer_settings), "pipeline": _code_fingerprints()[0],
                       "fields": scoring_fields(analyzer_settings), "probe": _probe_digest(analyzer_settings)})


def index_key(analyzer_settings: AnalyzerSettings, settings: BM25Settings, content: str) -> str:
    """The key of a whole index: its terms, its BM25 settings, the store code, and the corpus content."""
    return _hash_json({"terms": term_key(analyzer_settings), "bm25": asdict(settings),
                       "code": _code_fingerprints()[1], "content": content})


# --- writing --------------------------------------------------------------------------------------------------

def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def save_index(index: Index, path: str | Path, sources: Sequence[str] = (), content: str = "") -> Path:
    """Write an index to a folder atomically (temporary folder, then rename); returns the folder.

    ``sources`` and ``content`` (from ``qa.corpus.build.scan``) let a later ``open_index`` notice a changed corpus.
    """
    path = Path(path)
    table = index.articles if isinstance(index.articles, ArticleTable) else ArticleTable.from_articles(index.articles)
    if not len(table):
        raise StoreError(f"not writing {path}: the index holds no articles (an existing index there is kept)")
    for name in index.scorers:
        if not _FIELD_NAME.match(name):
            raise ValueError(f"scoring field name {name!r} cannot be a file name; use letters, digits and _")
    try:
        _refuse_foreign(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(path)
        temporary = path.parent / f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        temporary.mkdir()
    except OSError as error:
        raise StoreError(f"cannot write an index at {path} ({error.strerror or error}); "
                         f"choose a folder you can write to with --out") from None
    try:
        _write(index, table, temporary, sources, content)
        _replace(temporary, path)
    except BaseException as error:
        shutil.rmtree(temporary, ignore_errors=True)
        if isinstance(error, OSError):
            raise StoreError(f"cannot write an index at {path} ({error.strerror or error}); the previous index "
                             f"there is kept — free space or choose another folder with --out") from None
        raise
    _record_sources(path, sources)
    return path


def _write(index: Index, table: ArticleTable, temporary: Path, sources: Sequence[str], content: str) -> None:
    """Every file of an index into a fresh folder, the manifest last."""
    (temporary / MARKER).write_text(json.dumps({"what": "an article-QA index folder (python -m qa index)"}),
                                    encoding="utf-8")
    files: dict[str, dict] = {}

    def put_array(name: str, array: np.ndarray) -> None:
        np.save(temporary / name, np.ascontiguousarray(array), allow_pickle=False)

    def put_json(name: str, value: object) -> None:
        (temporary / name).write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")

    for name, array in table.arrays.items():
        put_array(f"table.{name}.npy", array)
    put_json("table.strings.json", {name: table.strings[name] for name in STRINGS})
    for field_name, scorer in index.scorers.items():
        for name, array in scorer.arrays().items():
            put_array(f"field.{field_name}.{name}.npy", array)
        put_json(f"field.{field_name}.terms.json", list(scorer.term_list))
    for file in sorted(temporary.iterdir()):
        if file.name != MARKER:
            files[file.name] = {"bytes": file.stat().st_size, "sha256": _file_digest(file)}
    manifest = {
        "format": FORMAT,
        "key": index_key(index.analyzer.settings, index.settings, content),
        "term_key": term_key(index.analyzer.settings),
        "analyzer": asdict(index.analyzer.settings),
        "bm25": asdict(index.settings),
        "content": content,
        "sources": list(sources),
        "fields": list(index.scorers),
        "articles": len(table),
        "sentences": index.sentence_count,
        "problems": list(index.problems),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "files": files,
    }
    if set(files) != required_files(list(index.scorers)):  # the loader accepts exactly these files
        raise ValueError(f"an index writes {sorted(files)}, the loader expects {sorted(required_files(list(index.scorers)))}")
    # The manifest is the last file written: without it the folder is known to be incomplete. ASCII-escaped: a
    # source path may hold bytes that are not UTF-8 (kept as surrogates, which only escapes can carry).
    (temporary / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _refuse_foreign(path: Path) -> None:
    """Never replace a folder that is not an index (say, a mistyped --out pointing at the articles)."""
    if path.exists() and (not path.is_dir() or (any(path.iterdir()) and not (path / MARKER).exists())):
        raise StoreError(f"{path} exists and is not an index folder; choose another folder for the index")


def _remove_leftovers(path: Path) -> None:
    """Delete temporary folders of earlier saves whose process died (killed mid-build, power cut)."""
    for leftover in path.parent.glob(f".{path.name}.*-*-*"):
        match = re.fullmatch(rf"\.{re.escape(path.name)}\.(?:tmp|old)-(\d+)-[0-9a-f]{{8}}", leftover.name)
        if not match or not leftover.is_dir():
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)  # signal 0: only asks whether the process exists
            alive = True
        except ProcessLookupError:
            alive = False
        except PermissionError:  # it exists, under another user
            alive = True
        if not alive:
            shutil.rmtree(leftover, ignore_errors=True)


def _replace(new: Path, path: Path) -> None:
    """Move a finished folder into place; an existing index is renamed away first, then deleted."""
    old = None
    if path.exists():
        old = path.parent / f".{path.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        os.rename(path, old)
    os.rename(new, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)  # a process still reading it keeps its open files


# --- checking and reading -------------------------------------------------------------------------------------

def read_manifest(path: str | Path) -> dict:
    """The manifest of an index folder, checked against the schema and the file list before anything else is read;
    StoreError when there is none or it cannot be trusted."""
    path = Path(path)
    if not path.is_dir():
        raise StoreError(f"no index at {path}")
    manifest = read_manifest_file(path)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise StoreError(f"{path} has index format {found!r}; this version reads format {FORMAT} — "
                         f"rebuild it with: python -m qa index SOURCE --out {path}")
    if problem := manifest_problem(manifest):
        raise StoreError(f"{path / MANIFEST} is malformed: {problem}; rebuild it with: python -m qa index SOURCE --out {path}")
    return manifest


def check(path: str | Path, analyzer_settings: AnalyzerSettings = AnalyzerSettings(),
          settings: BM25Settings = BM25Settings(), verify: bool = True, source: bool = True) -> Status:
    """Whether an index folder is usable as it is: complete, intact (checksums and the arrays' values), same
    settings, same source.

    The source compared is the one recorded outside the folder when the index was built (``recorded_sources``),
    never the manifest's own list, which anyone who can write the folder can change.
    """
    return _check(Path(path), analyzer_settings, settings, verify, source, values=verify)


def _check(path: Path, analyzer_settings: AnalyzerSettings, settings: BM25Settings, verify: bool, source: bool,
           values: bool) -> Status:
    """``check``; ``values=False`` leaves the arrays' values to the ``load_index`` that follows."""
    if not path.exists():
        return Status("missing", f"no index at {path}")
    try:
        manifest = read_manifest(path)
        if verify:
            _verify_files(path, manifest)
        if values:
            _read_parts(path, manifest, BM25Settings(**manifest["bm25"]), text=verify)
    except StoreError as error:
        return Status("corrupt", str(error))
    fields = scoring_fields(analyzer_settings)
    if manifest["fields"] != fields:
        return Status("stale", _fields_reason(manifest["fields"], fields), manifest)
    if manifest["term_key"] != term_key(analyzer_settings):
        return Status("stale", "the tokenizer's settings or code, or the terms a scoring field makes, changed since "
                                "the index was built", manifest)
    expected = index_key(analyzer_settings, settings, manifest["content"])
    if manifest["key"] != expected:
        return Status("stale", "the BM25 settings or the index code changed since the index was built", manifest)
    recorded = recorded_sources(path)
    if source and recorded is not None:
        if manifest["sources"] != recorded:
            return Status("corrupt", f"{path / MANIFEST} names other sources than were recorded when it was built "
                                     f"({', '.join(recorded)})", manifest)
        scanned = scan(recorded, keep_content=False)
        if scanned.content != manifest["content"]:
            return Status("stale", _what_changed(path, manifest, scanned), manifest, intact=verify)
    return Status("ok", "", manifest, intact=True)


def _fields_reason(stored: object, needed: list[str]) -> str:
    stored_text = ", ".join(map(str, stored)) if isinstance(stored, list) else repr(stored)
    return f"it holds the scoring fields {stored_text}; this version of the engine needs {', '.join(needed)}"


def _what_changed(path: Path, manifest: dict, scanned: Scan) -> str:
    """How the source differs from what the index holds, counted in articles."""
    if not scanned.items and scanned.problems:
        return f"its source is unusable ({scanned.problems[0]})"
    try:
        indexed = set(json.loads(read_plain(plain_file(path, "table.strings.json")))["digests"])
    except (OSError, ValueError, KeyError, TypeError, StoreError):
        return "its source changed since it was built"
    current = {item.digest for item in scanned.items}
    added, removed = len(current - indexed), len(indexed - current)
    return f"its source changed since it was built ({added:,} new or changed articles, {removed:,} gone or changed)"


def _verify_files(path: Path, manifest: dict) -> None:
    """Every file the index needs (as its scoring fields say, not as the manifest's list says) is a plain file in
    the folder with the size and SHA-256 the manifest lists."""
    for name in sorted(required_files(manifest["fields"])):
        meta = manifest["files"][name]
        file = plain_file(path, name)
        size = os.lstat(file).st_size
        if size != meta["bytes"]:
            raise StoreError(f"{file} has {size} bytes, the manifest says {meta['bytes']} (truncated or changed); "
                             f"rebuild the index")
        if _file_digest(file) != meta["sha256"]:
            raise StoreError(f"{file} does not match its checksum (corrupt or changed); rebuild the index")


def load_index(path: str | Path, analyzer: Analyzer | None = None, verify: bool = True) -> Index:
    """Read an index folder as it is (checksums verified, settings taken from its manifest); StoreError if broken.

    Every array's header is checked before it is read (dtype, one dimension, size), and the arrays' values
    are checked to fit together (offsets inside their texts, ids inside their tables) before the index is returned.
    """
    return _load(Path(path), analyzer, verify, text=verify)


def _load(path: Path, analyzer: Analyzer | None, verify: bool, text: bool) -> Index:
    """``load_index``; ``text`` decodes the texts too (a pass over their bytes, paid where checksums are)."""
    manifest = read_manifest(path)
    try:
        if verify:
            _verify_files(path, manifest)
        analyzer = analyzer or _analyzer(AnalyzerSettings(**manifest["analyzer"]))
        settings = BM25Settings(**manifest["bm25"])
        # The ranking reads every field this version makes: an index lacking one must never be answered from.
        fields = list(sentence_terms((), analyzer))
        if manifest["fields"] != fields:
            raise StoreError(f"{path} cannot be used: {_fields_reason(manifest['fields'], fields)}; "
                             f"rebuild it with: python -m qa index SOURCE --out {path}")

        table, scorers = _read_parts(path, manifest, settings, text=text)
    except StoreError:
        raise
    except (OSError, ValueError, KeyError, TypeError, IndexError, MemoryError, RecursionError) as error:
        raise _corrupt(path, error) from None
    return Index.from_parts(table, analyzer, scorers, settings, tuple(manifest["problems"]))


def _corrupt(path: Path, error: BaseException) -> StoreError:
    """An unexpected failure reading an index, as one line (UnicodeDecodeError and JSONDecodeError are ValueErrors)."""
    reason = str(error).splitlines()[0][:160] if str(error) else ""
    return StoreError(f"{path} is corrupt ({type(error).__name__}: {reason}); rebuild the index")


def _read_parts(path: Path, manifest: dict, settings: BM25Settings,
                text: bool) -> tuple[ArticleTable, dict[str, BM25]]:
    """The article table and the scoring fields of an index folder whose manifest is valid, every array's header
    and values checked; StoreError naming the file when one does not fit.

    ``text``: decode the texts too (UTF-8, sentence offsets inside them) — a pass over every byte, done with the
    checksums (open_index's check verifies both before its load).
    """
    try:
        def get_array(name: str, kinds: str, dtype: type | None = None, mapped: bool = False) -> np.ndarray:
            file = plain_file(path, name)
            if problem := npy_problem(file, kinds, dtype):
                raise StoreError(f"{file}: {problem}; rebuild the index")
            return np.load(file, allow_pickle=False, mmap_mode="r" if mapped else None)

        def get_json(name: str) -> object:
            return json.loads(read_plain(plain_file(path, name)).decode("utf-8"))

        arrays = {name: get_array(f"table.{name}.npy", np.dtype(dtype).kind, dtype, name in MAPPED)
                  for name, dtype in ARRAYS.items()}
        strings = get_json("table.strings.json")
        if not isinstance(strings, dict):
            raise StoreError(f"{path}/table.strings.json is not an object; rebuild the index")
        if problem := table_problem(arrays, strings, text):
            raise StoreError(f"{path} is corrupt: {problem}; rebuild the index")
        table = ArticleTable(arrays, strings)
        sentences = int(arrays["article_sentences"][-1])
        if (len(table), sentences) != (manifest["articles"], manifest["sentences"]):
            raise StoreError(f"{path} is corrupt: it holds {len(table):,} articles and {sentences:,} sentences, "
                             f"its manifest says {manifest['articles']:,} and {manifest['sentences']:,}; rebuild the index")
        scorers = {}
        for field_name in manifest["fields"]:
            terms = get_json(f"field.{field_name}.terms.json")
            field_arrays = {name: get_array(f"field.{field_name}.{name}.npy", FIELD_KINDS[name]) for name in ARRAY_NAMES}
            if problem := field_problem(field_name, terms, field_arrays, sentences):
                raise StoreError(f"{path} is corrupt: {problem}; rebuild the index")
            scorer = scorers[field_name] = BM25.from_arrays(terms, field_arrays, settings)
            if problem := duplicate_terms(field_name, terms, scorer.vocabulary):
                raise StoreError(f"{path} is corrupt: {problem}; rebuild the index")
    except StoreError:
        raise
    except (OSError, ValueError, KeyError, TypeError, IndexError, MemoryError, RecursionError) as error:
        raise _corrupt(path, error) from None
    return table, scorers


# --- where each index's source is recorded --------------------------------------------------------------------

def _registry() -> Path:
    """The per-user file that remembers each index folder's sources, outside every index folder."""
    base = os.environ.get("QA_STATE_DIR") or os.path.join(
        os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state"), "qa")
    return Path(base) / "index-sources.json"


def _read_registry() -> dict[str, list[str]]:
    try:
        value = json.loads(_registry().read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def recorded_sources(path: str | Path) -> list[str] | None:
    """The sources an index folder was built from, as recorded by this user's builds (None: not recorded here)."""
    sources = _read_registry().get(str(Path(path).resolve()))
    if isinstance(sources, list) and sources and all(isinstance(s, str) for s in sources):
        return sources
    return None


def _record_sources(path: Path, sources: Sequence[str]) -> None:
    """Remember where an index came from (best effort: without a record, a stale index is not rebuilt by itself)."""
    if not sources:
        return
    registry = _registry()
    entries = _read_registry()
    entries[str(path.resolve())] = list(sources)
    try:
        registry.parent.mkdir(parents=True, exist_ok=True)
        temporary = registry.with_name(f".{registry.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}")
        temporary.write_text(json.dumps(entries, indent=0), encoding="utf-8")
        os.replace(temporary, registry)
    except OSError:
        pass


# --- the entry points -----------------------------------------------------------------------------------------

def build(sources: str | Path | Iterable[str | Path], path: str | Path, analyzer: Analyzer | None = None,
          settings: BM25Settings = BM25Settings(), workers: int | None = None, progress: Progress | None = None,
          reuse: bool = True, say: Say | None = None) -> Index:
    """Build (or bring up to date) the index of a corpus in ``path`` and return it.

    An index already in ``path`` that is intact and up to date for these sources and settings is loaded,
    not rebuilt. With ``reuse``, an intact earlier index built by the same term pipeline lends the articles
    whose content is unchanged, so only new or changed articles are tokenized.
    """
    analyzer = analyzer or shared_analyzer()
    say = say or (lambda message: None)
    scanned = scan(sources)
    if reuse and (Path(path) / MANIFEST).exists():
        status = check(path, analyzer.settings, settings, source=False)
        manifest = status.manifest or {}
        if (status.ok and manifest.get("sources") == list(scanned.sources)
                and manifest.get("content") == scanned.content):
            say(f"{path} is up to date")
            _record_sources(Path(path), scanned.sources)
            return load_index(path, analyzer, verify=False)
    previous = _previous(Path(path), analyzer, say) if reuse else None
    if previous is not None:
        unchanged = len({item.digest for item in scanned.items} & set(previous.articles.digests))
        say(f"reusing {unchanged:,} unchanged articles of the previous index; tokenizing {len(scanned.items) - unchanged:,}")
    sources_list, content = scanned.sources, scanned.content
    index = build_index(scanned, analyzer, settings, workers, progress, previous)
    del previous
    if not index.articles:  # an empty or unreadable source must not replace a good index with nothing
        first = f" ({index.problems[0]}{' …' if len(index.problems) > 1 else ''})" if index.problems else ""
        kept = " the index there is kept as it was" if (Path(path) / MANIFEST).exists() else " nothing was written"
        raise StoreError(f"no usable articles in {', '.join(sources_list)}{first};{kept} — "
                         f"add .txt/.md articles (or a .jsonl file) and build again")
    save_index(index, path, sources_list, content)
    return index


def _previous(path: Path, analyzer: Analyzer, say: Say) -> Index | None:
    """The index already in ``path`` when it is intact and its terms were made the way they are made now."""
    if not (path / MANIFEST).exists():
        return None
    try:
        manifest = read_manifest(path)
        if manifest.get("term_key") != term_key(analyzer.settings):
            say("the tokenizer changed since the last build: tokenizing every article again")
            return None
        return load_index(path, analyzer)
    except StoreError as error:
        say(f"not reusing the previous index: {error}")
        return None


def open_index(path: str | Path, analyzer: Analyzer | None = None, settings: BM25Settings | None = None,
               rebuild: bool = True, workers: int | None = None, progress: Progress | None = None,
               say: Say | None = None) -> Index:
    """The index in ``path``, ready to answer; rebuilt from its recorded source first when stale or broken.

    The source is the one recorded outside the folder when the index was built (a changed manifest cannot point a
    rebuild elsewhere). When that source is gone or would give no articles, an index that is itself intact is
    answered from as it was built, with a note; StoreError (with the command that fixes it) when it cannot be used.
    """
    path = Path(path)
    say = say or (lambda message: None)
    analyzer_settings = analyzer.settings if analyzer else None
    manifest: dict | None = None
    try:
        manifest = read_manifest(path)
    except StoreError:
        pass
    # By default, use the settings the index was built with; a caller asking for others gets a rebuild.
    if analyzer_settings is None:
        analyzer_settings = AnalyzerSettings(**manifest["analyzer"]) if manifest else AnalyzerSettings()
    if settings is None:
        settings = BM25Settings(**manifest["bm25"]) if manifest else BM25Settings()
    status = _check(path, analyzer_settings, settings, verify=True, source=True, values=False)
    if status.ok:
        try:  # the checksums were verified: the texts are decoded with the load, not by the check
            return _load(path, analyzer or _analyzer(analyzer_settings), verify=False, text=True)
        except StoreError as error:  # the checksums fit but the arrays' values do not: rewritten with care
            status = Status("corrupt", str(error))
    sources = recorded_sources(path)
    hint = f"python -m qa index SOURCE --out {path}"
    if not rebuild or not sources or not all(Path(s).exists() for s in sources):
        why = ("no source is recorded for it" if not sources else
               f"its source {', '.join(s for s in sources if not Path(s).exists())} is gone") if rebuild else ""
        if status.intact:
            say(f"index at {path} is {status.state}: {status.reason}; {why or 'not rebuilding'} — answering from "
                f"the index as it was built")
            return load_index(path, analyzer or _analyzer(analyzer_settings), verify=False)
        raise StoreError(f"cannot use the index at {path}: {status.reason}{'; ' + why if why else ''}; "
                         f"rebuild it with: {hint}")
    say(f"index at {path} is {status.state}: {status.reason}; rebuilding from {', '.join(sources)}")
    try:
        return build(sources, path, analyzer or _analyzer(analyzer_settings), settings, workers, progress, say=say)
    except StoreError as error:
        if not status.intact:
            raise StoreError(f"cannot use the index at {path}: {status.reason}; the rebuild failed too: {error}") from None
        say(f"{error} — answering from the index as it was built")
        return load_index(path, analyzer or _analyzer(analyzer_settings), verify=False)
