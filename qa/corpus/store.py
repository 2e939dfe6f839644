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
import os
import re
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from qa.search.bm25 import ARRAY_NAMES, BM25, BM25Settings
from qa.corpus.build import Progress, Scan, build_index, scan
from qa.search.index import Index, build_article, sentence_terms
from qa.search.table import ARRAYS, STRINGS, ArticleTable
from qa.search.tokens import Analyzer, AnalyzerSettings, shared_analyzer

FORMAT = 2  # 2: no stored weights (computed per query), scoring fields in the key
MANIFEST = "manifest.json"
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


class StoreError(RuntimeError):
    """An index folder that cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Status:
    """What ``check`` found: ``state`` is ok, missing, corrupt or stale, with a one-line reason."""

    state: str
    reason: str = ""
    manifest: dict | None = None

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
    _refuse_foreign(path)
    table = index.articles if isinstance(index.articles, ArticleTable) else ArticleTable.from_articles(index.articles)
    for name in index.scorers:
        if not _FIELD_NAME.match(name):
            raise ValueError(f"scoring field name {name!r} cannot be a file name; use letters, digits and _")
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(path)
    temporary = path.parent / f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    temporary.mkdir()
    try:
        # The marker also names the sources, so that even a folder whose manifest is lost can be rebuilt.
        (temporary / MARKER).write_text(json.dumps({"what": "an article-QA index folder (python -m qa index)",
                                                    "sources": list(sources)}, ensure_ascii=False), encoding="utf-8")
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
        # The manifest is the last file written: without it the folder is known to be incomplete.
        put_json(MANIFEST, manifest)
        _replace(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return path


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
    """The manifest of an index folder; StoreError when there is none or it is unreadable."""
    path = Path(path)
    if not path.is_dir():
        raise StoreError(f"no index at {path}")
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{path} is incomplete (no {MANIFEST}: the build was interrupted)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StoreError(f"{path}/{MANIFEST} is unreadable ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise StoreError(f"{path} has index format {found!r}; this version reads format {FORMAT}")
    return manifest


def check(path: str | Path, analyzer_settings: AnalyzerSettings = AnalyzerSettings(),
          settings: BM25Settings = BM25Settings(), verify: bool = True, source: bool = True) -> Status:
    """Whether an index folder is usable as it is: complete, intact (checksums), same settings, same source."""
    path = Path(path)
    if not path.exists():
        return Status("missing", f"no index at {path}")
    try:
        manifest = read_manifest(path)
        if verify:
            _verify_files(path, manifest)
    except StoreError as error:
        return Status("corrupt", str(error))
    except (KeyError, TypeError, ValueError) as error:
        return Status("corrupt", f"{path}/{MANIFEST} is malformed ({error})")
    fields = scoring_fields(analyzer_settings)
    if manifest.get("fields") != fields:
        return Status("stale", _fields_reason(manifest.get("fields"), fields), manifest)
    if manifest.get("term_key") != term_key(analyzer_settings):
        return Status("stale", "the tokenizer's settings or code, or the terms a scoring field makes, changed since "
                                "the index was built", manifest)
    if source and manifest.get("sources"):
        scanned = scan(manifest["sources"], keep_content=False)
        if scanned.content != manifest.get("content"):
            return Status("stale", _what_changed(path, manifest, scanned), manifest)
    expected = index_key(analyzer_settings, settings, manifest.get("content", ""))
    if manifest.get("key") != expected:
        return Status("stale", "the BM25 settings or the index code changed since the index was built", manifest)
    return Status("ok", "", manifest)


def _fields_reason(stored: object, needed: list[str]) -> str:
    stored_text = ", ".join(map(str, stored)) if isinstance(stored, list) else repr(stored)
    return f"it holds the scoring fields {stored_text}; this version of the engine needs {', '.join(needed)}"


def _what_changed(path: Path, manifest: dict, scanned: Scan) -> str:
    """How the source differs from what the index holds, counted in articles."""
    try:
        indexed = set(json.loads((path / "table.strings.json").read_text(encoding="utf-8"))["digests"])
    except (OSError, ValueError, KeyError, TypeError):
        return "its source changed since it was built"
    current = {item.digest for item in scanned.items}
    added, removed = len(current - indexed), len(indexed - current)
    return f"its source changed since it was built ({added:,} new or changed articles, {removed:,} gone or changed)"


def _verify_files(path: Path, manifest: dict) -> None:
    """Every file the manifest lists exists with its size and SHA-256."""
    files = manifest["files"]
    for name, meta in files.items():
        file = path / name
        if not file.is_file():
            raise StoreError(f"{path} is missing {name}")
        if file.stat().st_size != meta["bytes"]:
            raise StoreError(f"{file} has {file.stat().st_size} bytes, the manifest says {meta['bytes']} (truncated or changed)")
        if _file_digest(file) != meta["sha256"]:
            raise StoreError(f"{file} does not match its checksum (corrupt or changed)")
    for field_name in manifest["fields"]:
        if not _FIELD_NAME.match(field_name):
            raise StoreError(f"{path}: bad field name {field_name!r} in the manifest")


def load_index(path: str | Path, analyzer: Analyzer | None = None, verify: bool = True) -> Index:
    """Read an index folder as it is (checksums verified, settings taken from its manifest); StoreError if broken."""
    path = Path(path)
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

        def get_array(name: str, mapped: bool = False) -> np.ndarray:
            return np.load(path / name, allow_pickle=False, mmap_mode="r" if mapped else None)

        def get_json(name: str) -> object:
            return json.loads((path / name).read_text(encoding="utf-8"))

        arrays = {name: get_array(f"table.{name}.npy", name in MAPPED) for name in ARRAYS}
        strings = get_json("table.strings.json")
        table = ArticleTable(arrays, strings)
        scorers = {}
        for field_name in manifest["fields"]:
            terms = get_json(f"field.{field_name}.terms.json")
            field_arrays = {name: get_array(f"field.{field_name}.{name}.npy")
                            for name in ARRAY_NAMES}
            scorers[field_name] = BM25.from_arrays(terms, field_arrays, settings)
        _check_shapes(path, table, scorers)
    except StoreError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StoreError(f"{path} is corrupt ({type(error).__name__}: {error})") from None
    return Index.from_parts(table, analyzer, scorers, settings, tuple(manifest.get("problems", ())))


def _check_shapes(path: Path, table: ArticleTable, scorers: dict[str, BM25]) -> None:
    """The arrays fit together (a checksum only proves a file is what was written)."""
    a = table.arrays
    sentences = int(a["article_sentences"][-1])
    problems = []
    if len(a["raw_ptr"]) != len(table) + 1 or int(a["raw_ptr"][-1]) != len(a["raw_bytes"]):
        problems.append("raw text offsets")
    if len(a["text_ptr"]) != sentences + 1 or int(a["text_ptr"][-1]) != len(a["text_bytes"]):
        problems.append("sentence offsets")
    if any(len(table.strings[name]) != len(table) for name in ("names", "titles", "sources", "digests")):
        problems.append("article names")
    for name, scorer in scorers.items():
        if (scorer.size != sentences or len(scorer.indptr) != len(scorer.term_list) + 1
                or int(scorer.indptr[-1]) != len(scorer.doc_ids) or len(scorer.tf) != len(scorer.doc_ids)
                or len(scorer.idf_values) != len(scorer.term_list)):
            problems.append(f"field {name}")
    if problems:
        raise StoreError(f"{path} is corrupt: inconsistent {', '.join(problems)}")


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
            return load_index(path, analyzer, verify=False)
    previous = _previous(Path(path), analyzer, say) if reuse else None
    if previous is not None:
        unchanged = len({item.digest for item in scanned.items} & set(previous.articles.digests))
        say(f"reusing {unchanged:,} unchanged articles of the previous index; tokenizing {len(scanned.items) - unchanged:,}")
    sources_list, content = scanned.sources, scanned.content
    index = build_index(scanned, analyzer, settings, workers, progress, previous)
    del previous
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

    Raises StoreError (with the command that fixes it) when the index cannot be used and cannot be rebuilt:
    no source is recorded or the source is gone, or ``rebuild`` is False.
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
        analyzer_settings = AnalyzerSettings(**manifest["analyzer"]) if manifest and _fits(manifest) else AnalyzerSettings()
    if settings is None:
        settings = BM25Settings(**manifest["bm25"]) if manifest and _fits(manifest) else BM25Settings()
    status = check(path, analyzer_settings, settings)
    if status.ok:
        return load_index(path, analyzer or _analyzer(analyzer_settings), verify=False)
    sources = (status.manifest or manifest or {}).get("sources") or _marker_sources(path)
    if not rebuild or not sources or not all(Path(s).exists() for s in sources):
        hint = f"python -m qa index SOURCE --out {path}"
        raise StoreError(f"cannot use the index at {path}: {status.reason}; rebuild it with: {hint}")
    say(f"index at {path} is {status.state}: {status.reason}; rebuilding from {', '.join(sources)}")
    return build(sources, path, analyzer or _analyzer(analyzer_settings), settings, workers, progress, say=say)


def _marker_sources(path: Path) -> list[str]:
    """The sources named by an index folder's marker (used when its manifest is missing or unreadable)."""
    try:
        sources = json.loads((path / MARKER).read_text(encoding="utf-8")).get("sources", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [s for s in sources if isinstance(s, str)] if isinstance(sources, list) else []


def _fits(manifest: dict) -> bool:
    """The manifest's settings can be turned back into settings objects (their fields have not changed)."""
    try:
        AnalyzerSettings(**manifest["analyzer"])
        BM25Settings(**manifest["bm25"])
        return True
    except (KeyError, TypeError):
        return False
