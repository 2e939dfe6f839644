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

from qa.search.bm25 import STORED, BM25, BM25Settings
from qa.corpus.build import Progress, Scan, build_index, scan
from qa.corpus.file_bytes import FileBytes
from qa.corpus.integrity import (FIELD_KINDS, MANIFEST, STRING_KINDS, StoreError, field_problem, manifest_problem,
                                 npy_problem, plain_file, read_manifest_file, read_plain, required_files, table_problem,
                                 VECTORS_FILE)
from qa.search import semantic
from qa.search.index import Index, attach_vectors, build_article, sentence_terms
from qa.search.table import ARRAYS, STRINGS, ArticleTable, StringColumn
from qa.search.tokens import Analyzer, AnalyzerSettings, shared_analyzer
from qa.text.loading import LoadError, article_files

FORMAT = 8  # 2: no stored weights (computed per query), scoring fields in the key; 3: terms and strings as arrays;
# 4: 2-byte sentence ids in runs per block of 2**16 sentences, uint16 lengths, zlib-compressed raw text;
# 5: each run's size in 2 bytes (``run_sizes``) where format 4 kept its end in 4; raw text compressed with a preset
# dictionary (``table.raw_dictionary``); 6: cleaned sentence texts listed by id (``text_ids``), not offsets for all;
# 7: a field's sentence ids kept as 1-byte steps where that is smaller (``doc_gaps``, see qa.search.id_coding);
# 8: a sentence's paragraph and section derived from the paragraphs' lists, not stored per sentence
MARKER = "QA-INDEX"  # written first: a folder holding it is ours to replace, even when half-written
# Source files whose code decides an index's articles and terms: any change to them makes saved terms stale.
TERM_PIPELINE = ("text/loading.py", "text/cleaning.py", "text/garble.py", "text/edits.py", "text/structure.py",
                 "search/tokens.py", "search/index.py", "corpus/build.py", "records.py")
# ... and those that decide how terms become stored arrays and scores.
INDEX_CODE = ("search/bm25.py", "search/id_coding.py", "search/table.py", "search/models/raw_text.zdict", "corpus/store.py")
# Written beside the manifest once files were found intact: their size, times and inode then (see _verify_files).
VERIFIED = "verified.json"
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


READ_BY_SLICES = {"table.raw_bytes.npy"}  # read with pread, not mapped: see qa/corpus/file_bytes.py


@lru_cache(maxsize=1)
def _code_fingerprints() -> tuple[str, str]:
    """SHA-256 of the term pipeline's code (with jieba, rjieba and OpenCC versions), and of the index code."""
    import importlib.metadata as metadata

    here = Path(__file__).parents[1]  # qa/

    def digest(names: Iterable[str], extra: str = "") -> str:
        h = hashlib.sha256(extra.encode())
        for name in names:
            path = here / name
            h.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"<missing>") + b"\0")
        return h.hexdigest()

    versions = []
    for package in ("jieba", "rjieba", "OpenCC"):
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


def save_index(index: Index, path: str | Path, sources: Sequence[str] = (), content: str = "",
               fingerprint: list | None = None) -> Path:
    """Write an index to a folder atomically (temporary folder, then rename); returns the folder.

    ``sources`` and ``content`` (from ``qa.corpus.build.scan``) let a later ``open_index`` notice a changed corpus;
    ``fingerprint``, the sources' ``_source_fingerprint`` taken before they were scanned, spares it a first scan.
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
        _write(index, table, temporary, sources, content, fingerprint)
        replace_folder(temporary, path)
    except BaseException as error:
        shutil.rmtree(temporary, ignore_errors=True)
        if isinstance(error, OSError):
            raise StoreError(f"cannot write an index at {path} ({error.strerror or error}); the previous index "
                             f"there is kept — free space or choose another folder with --out") from None
        raise
    _record_sources(path, sources)
    return path


def _write(index: Index, table: ArticleTable, temporary: Path, sources: Sequence[str], content: str,
           fingerprint: list | None = None) -> None:
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
    for name in STRINGS:
        column = table.strings[name]
        column = column if isinstance(column, StringColumn) else StringColumn.of(column)
        for part, array in zip(STRING_KINDS, column.arrays()):
            put_array(f"table.{name}.{part}.npy", array)
    for field_name, scorer in index.scorers.items():
        for name, array in scorer.arrays().items():
            put_array(f"field.{field_name}.{name}.npy", array)
    vectors = index.vector_model if index.has_vectors else ""
    if vectors:
        put_array(VECTORS_FILE, index.vectors.astype(semantic.VECTOR_DTYPE, copy=False))
    seen = {}
    for file in sorted(temporary.iterdir()):
        if file.name != MARKER:
            files[file.name] = {"bytes": file.stat().st_size, "sha256": _file_digest(file)}
            seen[file.name] = _stat_key(file)
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
        **({"vectors": vectors} if vectors else {}),
    }
    expected = required_files(list(index.scorers), bool(vectors))
    if set(files) != expected:  # the loader accepts exactly these files
        raise ValueError(f"an index writes {sorted(files)}, the loader expects {sorted(expected)}")
    # The manifest is the last file written: without it the folder is known to be incomplete. ASCII-escaped: a
    # source path may hold bytes that are not UTF-8 (kept as surrogates, which only escapes can carry).
    (temporary / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    # What was just hashed is recorded as intact; its values were made here, not read from anywhere.
    _record_verified(temporary, files=seen, values=True,
                     sources=[content, fingerprint] if fingerprint is not None and sources else None)


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


def replace_folder(new: Path, path: Path) -> None:
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
        # Reading and hashing the whole source (150 MB at a million sentences) only when a file of it changed.
        fingerprint = [manifest["content"], _source_fingerprint(recorded)]
        if _verified(path).get("sources") != fingerprint:
            scanned = scan(recorded, keep_content=False)
            if scanned.content != manifest["content"]:
                return Status("stale", _what_changed(path, manifest, scanned), manifest, intact=verify)
            _record_verified(path, sources=fingerprint)
    return Status("ok", "", manifest, intact=True)


def _fields_reason(stored: object, needed: list[str]) -> str:
    stored_text = ", ".join(map(str, stored)) if isinstance(stored, list) else repr(stored)
    return f"it holds the scoring fields {stored_text}; this version of the engine needs {', '.join(needed)}"


def _what_changed(path: Path, manifest: dict, scanned: Scan) -> str:
    """How the source differs from what the index holds, counted in articles."""
    if not scanned.items and scanned.problems:
        return f"its source is unusable ({scanned.problems[0]})"
    try:
        indexed = set(StringColumn(*(np.load(plain_file(path, f"table.digests.{part}.npy"), allow_pickle=False)
                                     for part in STRING_KINDS)))
    except (OSError, ValueError, KeyError, TypeError, IndexError, StoreError):
        return "its source changed since it was built"
    current = {item.digest for item in scanned.items}
    added, removed = len(current - indexed), len(indexed - current)
    return f"its source changed since it was built ({added:,} new or changed articles, {removed:,} gone or changed)"


def _stat_key(file: Path) -> list[int]:
    """What changes whenever a file's bytes can have changed: size, modification and change times, inode."""
    info = os.lstat(file)
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]


def _record_verified(path: Path, files: dict[str, list[int]] | None = None, values: bool | None = None,
                     sources: list | None = None) -> None:
    """Remember which files were found to match their checksums (``values``: and to fit together), and which
    source files gave the recorded content, as they were then. Best effort: in a read-only folder every open
    verifies again."""
    record = _verified(path)
    if files is not None and files != record.get("files"):
        record = {"files": files, "values": bool(values)}  # other files: what was known of the old ones is void
    elif values is not None:
        record["values"] = values
    if sources is not None:
        record["sources"] = sources
    record["manifest"] = _file_digest(path / MANIFEST)
    temporary = path / f".{VERIFIED}.{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        temporary.write_text(json.dumps(record), encoding="utf-8")
        os.replace(temporary, path / VERIFIED)
    except OSError:
        try:
            temporary.unlink()
        except OSError:
            pass


def _verified(path: Path) -> dict:
    """The record of verified files for the manifest now in the folder ({} when none or it does not match)."""
    try:
        record = json.loads(read_plain(plain_file(path, VERIFIED)))
        if (not isinstance(record, dict) or record.get("manifest") != _file_digest(path / MANIFEST)
                or not isinstance(record.get("files"), dict)):
            return {}
        return record
    except (OSError, ValueError, RecursionError, StoreError):
        return {}


def _unchanged(path: Path, names: Iterable[str], record: dict) -> bool:
    """Every named file is exactly as the record saw it (see ``_verify_files``)."""
    seen = record.get("files", {})
    try:
        return all(seen.get(name) == _stat_key(path / name) for name in names)
    except OSError:
        return False


def _source_fingerprint(sources: Sequence[str]) -> list:
    """What a source scan would read, by name and ``_stat_key`` (a folder's listing included): equal
    fingerprints mean an equal scan, for the reasons ``_verify_files`` gives."""
    entries: list = []
    for source in map(Path, sources):
        try:
            files = [source] if source.is_file() else article_files(source)
            entries += [[str(file), *_stat_key(file)] for file in files]
        except (LoadError, OSError) as error:
            entries.append([str(source), str(error)])
    return entries


def _verify_files(path: Path, manifest: dict) -> None:
    """Every file the index needs (as its scoring fields say, not as the manifest's list says) is a plain file in
    the folder with the size and SHA-256 the manifest lists.

    A file is hashed only when it is not exactly as it was when last found intact: ``verified.json`` records its
    size, mtime, ctime and inode from then (written at save, and after each full check). Any write to a file
    moves its mtime and ctime, and no program can set a ctime back (setting the mtime sets the ctime to now);
    replacing a file gives a new inode, copying the folder new inodes everywhere. So an edited, truncated,
    replaced or copied file is hashed again and refused if it differs, while an untouched index opens without
    reading every byte (600 MB at a million sentences). The record holds the manifest's own SHA-256: another
    manifest makes it void. Damage below the file system that the kernel never sees (a disk flipping a bit) is
    not caught this way: ``verify_all`` hashes every byte regardless.
    """
    record = _verified(path)
    seen = record.get("files", {})
    now: dict[str, list[int]] = {}
    for name in sorted(required_files(manifest["fields"], bool(manifest.get("vectors")))):
        meta = manifest["files"][name]
        file = plain_file(path, name)
        key = _stat_key(file)
        if key[0] != meta["bytes"]:
            raise StoreError(f"{file} has {key[0]} bytes, the manifest says {meta['bytes']} (truncated or changed); "
                             f"rebuild the index")
        if seen.get(name) != key and _file_digest(file) != meta["sha256"]:
            raise StoreError(f"{file} does not match its checksum (corrupt or changed); rebuild the index")
        now[name] = key
    if now != {name: seen.get(name) for name in now}:
        _record_verified(path, files=now)


def verify_all(path: str | Path) -> None:
    """Hash every file of an index folder and check its values again, whatever verified.json says; StoreError
    when one does not fit."""
    path = Path(path)
    try:
        (path / VERIFIED).unlink()
    except FileNotFoundError:
        pass
    manifest = read_manifest(path)
    _verify_files(path, manifest)
    _read_parts(path, manifest, BM25Settings(**manifest["bm25"]), text=True)


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
        index = Index.from_parts(table, analyzer, scorers, settings, tuple(manifest["problems"]))
        # Vectors of another model than the one installed would not be comparable with its question vectors: such
        # an index (and one without vectors) answers lexically only.
        if manifest.get("vectors") and manifest["vectors"] == semantic.installed_model():
            index.vectors = _read_vectors(path, manifest)
            index.vector_model = manifest["vectors"]
    except StoreError:
        raise
    except (OSError, ValueError, KeyError, TypeError, IndexError, MemoryError, RecursionError) as error:
        raise _corrupt(path, error) from None
    return index


def _read_vectors(path: Path, manifest: dict) -> np.ndarray:
    """The stored sentence vectors (memory-mapped), their header checked against the index's sentences."""
    file = plain_file(path, VECTORS_FILE)
    vectors = np.load(file, allow_pickle=False, mmap_mode="r")  # reads the header: no pickle, no values yet
    if vectors.dtype != semantic.VECTOR_DTYPE:
        raise StoreError(f"{file} holds {vectors.dtype} vectors, not {np.dtype(semantic.VECTOR_DTYPE)}; "
                         f"rebuild the index with --vectors")
    if vectors.shape != (manifest["sentences"], semantic.DIMENSIONS):
        raise StoreError(f"{file} holds {vectors.shape} vectors, the index has {manifest['sentences']:,} sentences of "
                         f"{semantic.DIMENSIONS}; rebuild the index with --vectors")
    return np.asarray(vectors)


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
        record = _verified(path)
        # The values were checked (text included) when these very files were last found intact: checked again
        # only when a file changed since, for the reasons _verify_files gives.
        known = bool(record.get("values")) and _unchanged(path, required_files(manifest["fields"], bool(manifest.get("vectors"))), record)

        def get_array(name: str, kinds: str, dtype: type | None = None) -> np.ndarray:
            file = plain_file(path, name)
            if problem := npy_problem(file, kinds, dtype):
                raise StoreError(f"{file}: {problem}; rebuild the index")
            # Memory-mapped: opening reads no array; pages come in as queries touch them and are shared by every
            # process serving the same index. (An empty array has nothing to map.)
            array = np.load(file, allow_pickle=False, mmap_mode="r")
            if name in READ_BY_SLICES and array.size and hasattr(os, "pread"):  # the compressed text: read where
                # asked (qa.corpus.file_bytes); mapped where the system has no pread (Windows)
                return FileBytes(file, array.offset, array.size)
            # A plain ndarray over the mapping: np.memmap's slicing costs ~4 µs a call, ~70 calls a question.
            return np.asarray(array) if array.size else np.array(array)

        arrays = {name: get_array(f"table.{name}.npy", np.dtype(dtype).kind, dtype) for name, dtype in ARRAYS.items()}
        strings = {name: StringColumn(*(get_array(f"table.{name}.{part}.npy", kinds)
                                        for part, kinds in STRING_KINDS.items())) for name in STRINGS}
        if not known and (problem := table_problem(arrays, strings, text)):
            raise StoreError(f"{path} is corrupt: {problem}; rebuild the index")
        table = ArticleTable(arrays, strings)
        sentences = int(arrays["article_sentences"][-1])
        if (len(table), sentences) != (manifest["articles"], manifest["sentences"]):
            raise StoreError(f"{path} is corrupt: it holds {len(table):,} articles and {sentences:,} sentences, "
                             f"its manifest says {manifest['articles']:,} and {manifest['sentences']:,}; rebuild the index")
        scorers = {}
        for field_name in manifest["fields"]:
            field_arrays = {name: get_array(f"field.{field_name}.{name}.npy", FIELD_KINDS[name]) for name in STORED}
            if not known and (problem := field_problem(field_name, field_arrays, sentences)):
                raise StoreError(f"{path} is corrupt: {problem}; rebuild the index")
            scorers[field_name] = BM25.from_arrays(field_arrays, settings)
        if not known and text and record and _unchanged(path, required_files(manifest["fields"], bool(manifest.get("vectors"))), record):
            _record_verified(path, values=True)  # these hashed files' values fit: not checked again while unchanged
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
          reuse: bool = True, say: Say | None = None, vectors: bool = False) -> Index:
    """Build (or bring up to date) the index of a corpus in ``path`` and return it (``vectors``: with sentence
    vectors for the semantic score, stored in it; made with ``qa.search.semantic``, cached per article).

    An index already in ``path`` that is intact and up to date for these sources and settings is loaded,
    not rebuilt. With ``reuse``, an intact earlier index built by the same term pipeline lends the articles
    whose content is unchanged, so only new or changed articles are tokenized.
    """
    analyzer = analyzer or shared_analyzer()
    say = say or (lambda message: None)
    sources = [sources] if isinstance(sources, (str, Path)) else list(sources)
    # Taken before the scan: a file changed meanwhile then fails the next open's comparison, never passes it.
    fingerprint = _source_fingerprint([str(Path(s).resolve()) for s in sources])
    scanned = scan(sources)
    if reuse and (Path(path) / MANIFEST).exists():
        status = check(path, analyzer.settings, settings, source=False)
        manifest = status.manifest or {}
        if (status.ok and manifest.get("sources") == list(scanned.sources)
                and manifest.get("content") == scanned.content
                and (not vectors or manifest.get("vectors") == semantic.installed_model())):
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
    if vectors and not attach_vectors(index, vector_progress(say)):
        say(f"no sentence vectors: {semantic.model_notice()}")
    save_index(index, path, sources_list, content, fingerprint)
    return index


def vector_progress(say: Say) -> semantic.Progress:
    """Progress of the sentence vectors, said every 10%."""
    shown = [-1]

    def progress(done: int, total: int) -> None:
        step = 10 * done // max(total, 1)
        if step > shown[0]:
            shown[0] = step
            say(f"sentence vectors: {done:,}/{total:,}")
    return progress


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
