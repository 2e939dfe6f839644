"""What an index folder must hold before anything in it is trusted: a manifest of the right shape, plain file names
inside the folder, ``.npy`` headers of the right dtype and size, and arrays whose values fit together.

The manifest is checked against ``MANIFEST_SCHEMA`` (a JSON Schema) by a small strict validator of the keywords the
schema uses: the same verdicts as ``jsonschema`` (tests/corpus/test_integrity.py compares them on generated
manifests) without its import (~70 ms, most of a seed start's budget for the store). The array checks are a few
vectorised passes (the text check decodes each article once): a tampered index whose checksums were updated is
refused when it is opened, not at the first question.
"""
from __future__ import annotations

import json
import os
import re
import stat
import zlib
from dataclasses import fields
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from qa.search import id_coding
from qa.search.bm25 import STORED, BM25Settings, term_hash, tf_ranks
from qa.search.id_coding import BLOCK_BITS, run_lengths
from qa.search.table import ARRAYS, STRINGS, StringColumn, raw_text
from qa.search.tokens import AnalyzerSettings

MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 << 20  # a manifest lists files and skipped-file notes: far below this
MAX_NPY_HEADER = 10_000  # numpy's own limit for a trusted header
HEX64 = "^[0-9a-f]{64}$"
FIELD_NAME = "^[A-Za-z0-9_]+$"
# A plain file name: no separator, no leading dot (so neither ``..`` nor a hidden file), nothing but these.
FILE_NAME = "^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
# The kinds a scoring field's arrays may have (their widths are the store format's choice, see bm25.py).
FIELD_KINDS = {"indptr": "iu", "doc_low": "u", "doc_gaps": "u", "gap_escapes": "u", "escape_ptr": "i", "block_ptr": "i",
               "block_ids": "iu", "run_sizes": "u", "tf_more": "u",
               "tf_values": "u", "tf_rank": "i",
               "idf_values": "f", "lengths": "iu", "term_bytes": "u", "term_ptr": "i", "term_hash": "u", "term_order": "i",
               "tf_max": "i"}
STRING_KINDS = {"bytes": "u", "ptr": "i"}  # an article table's string column: UTF-8 and offsets
BM25_VARIANTS = ("okapi", "plus")


class StoreError(RuntimeError):
    """An index folder that cannot be used; the message says why and what to do."""


def _settings_schema(cls: type, extra: Mapping[str, dict] = {}) -> dict:  # noqa: B006 - read only
    """A settings dataclass as a JSON Schema object: exactly its fields, each of its type."""
    kinds = {"bool": "boolean", "int": "integer", "float": "number", "str": "string"}
    properties = {f.name: {"type": kinds[str(f.type)], **extra.get(f.name, {})} for f in fields(cls)}
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


_STRINGS = {"type": "array", "items": {"type": "string"}}
MANIFEST_SCHEMA: dict = {
    "type": "object",
    "required": ["format", "key", "term_key", "analyzer", "bm25", "content", "sources", "fields", "articles",
                 "sentences", "problems", "created", "files"],
    "additionalProperties": False,
    "properties": {
        "format": {"type": "integer"},
        "key": {"type": "string", "pattern": HEX64},
        "term_key": {"type": "string", "pattern": HEX64},
        "analyzer": _settings_schema(AnalyzerSettings),
        "bm25": _settings_schema(BM25Settings, {"k1": {"minimum": 0, "maximum": 100}, "b": {"minimum": 0, "maximum": 1},
                                                "epsilon": {"minimum": 0, "maximum": 100},
                                                "variant": {"enum": list(BM25_VARIANTS)}}),
        "content": {"type": "string", "pattern": "^([0-9a-f]{64})?$"},
        "sources": _STRINGS,
        "fields": {"type": "array", "items": {"type": "string", "pattern": FIELD_NAME, "maxLength": 64},
                   "minItems": 1, "maxItems": 64, "uniqueItems": True},
        "articles": {"type": "integer", "minimum": 1},
        "sentences": {"type": "integer", "minimum": 1},
        "problems": _STRINGS,
        "created": {"type": "string", "maxLength": 64},
        "vectors": {"type": "string", "maxLength": 200},  # the model that made vectors.npy (absent: no vectors)
        "files": {"type": "object", "propertyNames": {"pattern": FILE_NAME, "maxLength": 200},
                  "additionalProperties": {
                      "type": "object", "required": ["bytes", "sha256"], "additionalProperties": False,
                      "properties": {"bytes": {"type": "integer", "minimum": 0},
                                     "sha256": {"type": "string", "pattern": HEX64}}}},
    },
}

_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def _is(value: object, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def _short(value: object) -> str:
    text = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__.replace("dict", "an object").replace("list", "a list")
    return text if len(text) <= 40 else text[:37] + "..."


def schema_problem(value: object, schema: Mapping, where: str = "") -> str:
    """The first way ``value`` breaks ``schema`` (the JSON Schema keywords MANIFEST_SCHEMA uses), or ''."""
    at = where or "the manifest"
    if "type" in schema and not _is(value, schema["type"]):
        return f"{at} must be {'an' if schema['type'][0] in 'aeiou' else 'a'} {schema['type']} (found {_short(value)})"
    if "const" in schema and value != schema["const"]:
        return f"{at} must be {schema['const']!r}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{at} must be one of {', '.join(map(repr, schema['enum']))} (found {_short(value)})"
    if isinstance(value, str):
        if len(value) > schema.get("maxLength", len(value)):
            return f"{at} is longer than {schema['maxLength']} characters"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return f"{at} has an unexpected form ({_short(value)})"
    if _is(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{at} must be at least {schema['minimum']} (found {value})"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{at} must be at most {schema['maximum']} (found {value})"
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return f"{at} must hold at least {schema['minItems']} item(s)"
        if len(value) > schema.get("maxItems", len(value)):
            return f"{at} must hold at most {schema['maxItems']} items"
        if schema.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
            return f"{at} holds an item twice"
        for i, item in enumerate(value):
            if "items" in schema and (problem := schema_problem(item, schema["items"], f"{where}[{i}]")):
                return problem
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                return f"{at} lacks {name!r}"
        properties = schema.get("properties", {})
        for name, item in value.items():
            key = f"{where}.{name}" if where else name
            if "propertyNames" in schema and (problem := schema_problem(name, schema["propertyNames"], f"the name {_short(name)}")):
                return f"{at}: {problem}"
            if name in properties:
                sub = properties[name]
            elif schema.get("additionalProperties", True) is False:
                return f"{at} has an unexpected entry {_short(name)}"
            else:
                sub = schema.get("additionalProperties", {})
                sub = sub if isinstance(sub, dict) else {}
            if problem := schema_problem(item, sub, key):
                return problem
    return ""


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def read_manifest_file(path: Path) -> dict:
    """The parsed manifest of an index folder, refused unless it is small, plain JSON and fits the schema."""
    file = path / MANIFEST
    try:
        info = os.lstat(file)
    except FileNotFoundError:
        raise StoreError(f"{path} is incomplete (no {MANIFEST}: the build was interrupted); "
                         f"rebuild it with: python -m qa index SOURCE --out {path}") from None
    except OSError as error:
        raise StoreError(f"{file} is unreadable ({error.strerror or error}); check the folder's permissions") from None
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"{file} is not a regular file (a link or a device); an index holds only its own files — "
                         "rebuild the index")
    if info.st_size > MAX_MANIFEST_BYTES:
        raise StoreError(f"{file} is unreadable ({info.st_size:,} bytes, far more than a manifest holds); rebuild the index")
    try:
        manifest = json.loads(read_plain(file).decode("utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise StoreError(f"{file} is unreadable (nested too deeply); rebuild the index") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise StoreError(f"{file} is unreadable ({str(error).splitlines()[0][:120]}); rebuild the index") from None
    return manifest


def manifest_problem(manifest: object) -> str:
    """Why a parsed manifest cannot be trusted (schema, file list), or ''."""
    files = manifest.get("files") if isinstance(manifest, dict) else None
    for name in files if isinstance(files, dict) else ():
        if not re.fullmatch(FILE_NAME, name):  # said plainly: the schema's message would only say "unexpected form"
            return f"files: {_short(name)} is not a plain file name inside the index folder"
    if problem := schema_problem(manifest, MANIFEST_SCHEMA):
        return problem
    needed = required_files(manifest["fields"], bool(manifest.get("vectors")))
    listed = set(manifest["files"])
    if missing := sorted(needed - listed):
        return f"the manifest does not list {', '.join(missing[:3])}{' …' if len(missing) > 3 else ''}"
    if extra := sorted(listed - needed):
        return f"the manifest lists files the index does not use: {', '.join(extra[:3])}"
    return ""


VECTORS_FILE = "vectors.npy"  # float16 sentence vectors, one row per sentence (python -m qa index --vectors)


def required_files(field_names: Sequence[str], vectors: bool = False) -> set[str]:
    """Every file an index with these scoring fields (and sentence vectors) is made of (besides its marker and
    manifest)."""
    names = {f"table.{name}.npy" for name in ARRAYS} | {f"table.{name}.{part}.npy" for name in STRINGS for part in STRING_KINDS}
    for field_name in field_names:
        names |= {f"field.{field_name}.{name}.npy" for name in STORED}
    return names | ({VECTORS_FILE} if vectors else set())


def plain_file(path: Path, name: str) -> Path:
    """``path/name`` when ``name`` is a plain name of a regular file inside ``path`` (never a link); else StoreError."""
    if not re.fullmatch(FILE_NAME, name):
        raise StoreError(f"{path}: the manifest names {name!r}, which is not a plain file name; rebuild the index")
    file = path / name
    try:
        info = os.lstat(file)
    except FileNotFoundError:
        raise StoreError(f"{path} is missing {name}; rebuild it with: python -m qa index SOURCE --out {path}") from None
    if stat.S_ISLNK(info.st_mode):
        raise StoreError(f"{file} is a symbolic link; an index holds only its own files — rebuild the index")
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"{file} is not a regular file; rebuild the index")
    return file


def read_plain(file: Path) -> bytes:
    """A file's bytes, refusing to follow a link in its last component."""
    fd = os.open(file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def npy_problem(file: Path, kinds: str, dtype: np.dtype | None = None) -> str:
    """Why an ``.npy`` file is not a plain 1-D array of these kinds whose size matches its header, or ''."""
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, fortran, found = np.lib.format.read_array_header_1_0(handle, max_header_size=MAX_NPY_HEADER)
            elif version == (2, 0):
                shape, fortran, found = np.lib.format.read_array_header_2_0(handle, max_header_size=MAX_NPY_HEADER)
            else:
                return f"unsupported .npy version {version}"
            offset = handle.tell()
            size = os.fstat(handle.fileno()).st_size
    except (OSError, ValueError, SyntaxError, TypeError) as error:
        return f"not a readable .npy array ({str(error).splitlines()[0][:80]})"
    if found.hasobject or found.kind not in kinds or (dtype is not None and found != np.dtype(dtype)):
        return f"holds {found} values, expected {np.dtype(dtype) if dtype is not None else 'kind ' + kinds}"
    if len(shape) != 1:
        return f"has shape {shape}, expected one dimension"
    if size != offset + shape[0] * found.itemsize:
        return f"its header claims {shape[0]:,} values but the file holds {size - offset:,} bytes of data"
    return ""


def _ptr_ok(ptr: np.ndarray, count: int, total: int) -> bool:
    """Offsets of ``count`` ranges covering ``0 .. total`` in order."""
    return (len(ptr) == count + 1 and int(ptr[0]) == 0 and int(ptr[-1]) == total
            and bool(np.all(ptr[1:] >= ptr[:-1])))


def _owners(ptr: np.ndarray) -> np.ndarray:
    """For each row covered by ``ptr``'s ranges, the range it belongs to."""
    return np.repeat(np.arange(len(ptr) - 1, dtype=np.int64), np.diff(ptr))


def _local_ok(ids: np.ndarray, limits: np.ndarray) -> bool:
    """Every id is at least 0 and below its own limit."""
    return len(ids) == len(limits) and bool(np.all(ids >= 0)) and bool(np.all(ids < limits))


def table_problem(arrays: Mapping[str, np.ndarray], strings: Mapping[str, object], text: bool = True) -> str:
    """Why an article table's arrays and strings do not fit together, or ''.

    ``text``: also decode every article (UTF-8 cut at character boundaries, sentences inside their article's text).
    That reads every byte of the text, as a checksum does, so the store does it when it verifies the bytes.
    """
    for name in STRINGS:
        value = strings.get(name) if isinstance(strings, Mapping) else None
        if not isinstance(value, StringColumn) or not _ptr_ok(value.arrays()[1], len(value), len(value.arrays()[0])):
            return f"table.{name}.ptr.npy: the offsets do not cover table.{name}.bytes.npy in order"
    a = arrays
    for name, dtype in ARRAYS.items():
        if a[name].dtype != np.dtype(dtype) or a[name].ndim != 1:
            return f"table.{name}.npy holds {a[name].dtype} values, expected {np.dtype(dtype)}"
    n = len(strings["names"])
    if n == 0:
        return "the index holds no articles"
    if any(len(strings[name]) != n for name in ("titles", "sources", "digests")):
        return "table.names/titles/sources/digests: the article names, titles, sources and digests differ in number"
    if not _ptr_ok(a["raw_ptr"], n, len(a["raw_bytes"])):
        return "table.raw_ptr.npy: the articles' text offsets do not cover table.raw_bytes.npy in order"
    counts = {}
    for name, rows in (("article_sections", "section_ptr"), ("article_paragraphs", "paragraph_ptr"),
                       ("article_sentences", "sentence_start")):
        ptr = a[name]
        one_more = int(name != "article_sentences")  # offsets hold one more value than their rows; sentences do not
        if not (len(ptr) == n + 1 and int(ptr[0]) == 0 and bool(np.all(ptr[1:] >= ptr[:-1]))
                and int(ptr[-1]) == len(a[rows]) - one_more):
            return f"table.{name}.npy: the per-article counts do not match table.{rows}.npy"
        counts[name] = np.diff(ptr)
    sections, paragraphs, sentences = (int(a[n][-1]) for n in ("article_sections", "article_paragraphs", "article_sentences"))
    if len(strings["headings"]) != sections:
        return "table.headings: the number of headings is not the number of sections"
    for name, total in (("section_ptr", "section_paragraph_ids"), ("paragraph_ptr", "paragraph_sentence_ids"),
                        ("text_ptr", "text_bytes")):
        if not _ptr_ok(a[name], len(a[name]) - 1, len(a[total])):
            return f"table.{name}.npy: the offsets do not cover table.{total}.npy in order"
    text_ids = a["text_ids"]
    if len(a["text_ptr"]) != len(text_ids) + 1 or not bool(np.all(np.diff(a["text_ptr"]) > 0)) or (
            len(text_ids) and not (int(text_ids[0]) >= 0 and int(text_ids[-1]) < sentences
                                   and bool(np.all(np.diff(text_ids) > 0)))):
        return "table.text_ids.npy: the cleaned sentences' ids are not ascending ids of sentences, one per text"
    if any(len(a[name]) != sentences for name in ("sentence_start", "sentence_end", "paragraph_sentence_ids")):
        return "table.sentence_*.npy: one value per sentence expected"
    if len(a["paragraph_section"]) != paragraphs:
        return "table.paragraph_section.npy: one value per paragraph expected"
    section_article = _owners(a["article_sections"])
    paragraph_article = _owners(a["article_paragraphs"])
    sentence_article = _owners(a["article_sentences"])
    # Ids inside an article are local to it: each must point inside its own article's lists.
    checks = (
        ("section_paragraph_ids", counts["article_paragraphs"][section_article[_owners(a["section_ptr"])]]),
        ("paragraph_section", counts["article_sections"][paragraph_article]),
        ("paragraph_sentence_ids", counts["article_sentences"][paragraph_article[_owners(a["paragraph_ptr"])]]),
    )
    for name, limits in checks:
        if not _local_ok(a[name], limits):
            return f"table.{name}.npy: an id points outside its article"
    # A sentence's paragraph (and so its section) is the paragraph that lists it: each must be listed exactly once.
    held = a["paragraph_sentence_ids"] + a["article_sentences"][:-1][paragraph_article[_owners(a["paragraph_ptr"])]]
    if not bool(np.all(np.bincount(held, minlength=sentences) == 1)):
        return "table.paragraph_sentence_ids.npy: a sentence is in no paragraph or in two"
    if text:
        for name in STRINGS:
            try:
                bytes(strings[name].arrays()[0]).decode("utf-8")
            except UnicodeDecodeError:
                return f"table.{name}.bytes.npy: the text is not UTF-8"
            if not _lead_bytes(*strings[name].arrays()):
                return f"table.{name}.ptr.npy: an offset cuts a UTF-8 character"
    return _text_problem(a, sentence_article) if text else ""


def _lead_bytes(blob: np.ndarray, ptr: np.ndarray) -> bool:
    """Every offset short of the end falls on the first byte of a UTF-8 character."""
    inner = ptr[ptr < len(blob)]
    return bool(np.all((np.asarray(blob[inner]) & 0xC0) != 0x80))


def _text_problem(a: Mapping[str, np.ndarray], sentence_article: np.ndarray) -> str:
    """The texts are UTF-8 cut at character boundaries, and every sentence lies inside its article's text."""
    starts, ends = a["sentence_start"], a["sentence_end"]
    if not (bool(np.all(starts >= 0)) and bool(np.all(ends >= starts))):
        return "table.sentence_start.npy/sentence_end.npy: a sentence ends before it starts"
    if not _lead_bytes(a["text_bytes"], a["text_ptr"]):
        return "table.text_bytes.npy: an offset cuts a UTF-8 character"
    chars = np.empty(len(a["raw_ptr"]) - 1, dtype=np.int64)
    try:
        for i in range(len(chars)):
            chars[i] = len(raw_text(a, i))
    except (zlib.error, UnicodeDecodeError):
        return f"table.raw_bytes.npy: article {i}'s text is not UTF-8 compressed with zlib"
    try:
        bytes(a["text_bytes"]).decode("utf-8")
    except UnicodeDecodeError:
        return "table.text_bytes.npy: the text is not UTF-8"
    if not bool(np.all(ends <= chars[sentence_article])):
        return "table.sentence_end.npy: a sentence ends after its article's text"
    own_text = np.zeros(len(starts), dtype=bool)
    own_text[a["text_ids"]] = True
    if not bool(np.all(own_text | (ends > starts))):
        return "table.sentence_start.npy/sentence_end.npy: a sentence is empty"
    return ""


def field_problem(name: str, arrays: Mapping[str, np.ndarray], sentences: int) -> str:
    """Why a scoring field's arrays (its terms' included) do not fit an index of ``sentences`` sentences, or ''."""
    where = f"field.{name}"
    for array_name, kinds in FIELD_KINDS.items():
        if arrays[array_name].dtype.kind not in kinds or arrays[array_name].ndim != 1:
            return f"{where}.{array_name}.npy holds {arrays[array_name].dtype} values"
    if problem := _terms_problem(where, arrays):
        return problem
    terms = range(len(arrays["term_ptr"]) - 1)
    indptr, postings = arrays["indptr"], id_coding.postings(arrays)
    if len(arrays["doc_low"]) and len(arrays["doc_gaps"]):
        return f"{where}.doc_low.npy/doc_gaps.npy: a field keeps its postings one way, not both"
    if not _ptr_ok(indptr, len(terms), postings):
        return f"{where}.indptr.npy: the postings offsets do not cover {where}.doc_low.npy in order"
    if problem := _gaps_problem(where, arrays):
        return problem
    if problem := _tf_problem(where, arrays):
        return problem
    if problem := _blocks_problem(where, arrays, sentences):
        return problem
    if len(arrays["lengths"]) != sentences:
        return f"{where}.lengths.npy: one length per sentence expected ({sentences:,})"
    if len(arrays["idf_values"]) != len(terms) or not bool(np.all(np.isfinite(arrays["idf_values"]))):
        return f"{where}.idf_values.npy: one finite weight per term expected"
    if sentences and int(arrays["lengths"].min()) < 0:
        return f"{where}.lengths.npy: a negative sentence length"
    top = max(int(arrays["tf_values"].max(initial=1)), 1) if postings else 0
    if len(arrays["tf_max"]) != 1 or int(arrays["tf_max"][0]) != top:
        return f"{where}.tf_max.npy: not the largest count of {where}.tf_values.npy"
    return ""


def _tf_problem(where: str, arrays: Mapping[str, np.ndarray]) -> str:
    """One bit per posting (none set past the last), one count above 1 per set bit, each term's first count where
    its postings start (see ``qa.search.bm25.encode_tf``)."""
    rows, more, values = id_coding.postings(arrays), arrays["tf_more"], arrays["tf_values"]
    if len(more) != (rows + 7) // 8:
        return f"{where}.tf_more.npy: one bit per posting expected"
    bits = np.unpackbits(more, bitorder="little")
    if bits[rows:].any() or int(bits.sum()) != len(values):
        return f"{where}.tf_more.npy: its bits do not match {where}.tf_values.npy"
    if len(values) and int(values.min()) < 2:
        return f"{where}.tf_values.npy: a repeated posting counts its term less than twice"
    rank = arrays["tf_rank"]
    if len(rank) != len(arrays["indptr"]) or not bool(np.all(rank == tf_ranks(more, arrays["indptr"]))):
        return f"{where}.tf_rank.npy: the terms' first counts do not match {where}.tf_more.npy"
    return ""


def _blocks_problem(where: str, arrays: Mapping[str, np.ndarray], sentences: int) -> str:
    """Each term's runs of postings (one per block of sentences, see ``qa.search.bm25.encode_doc_ids``) cover its
    postings in order, in ascending blocks, and decode to sentence ids that ascend inside the term and stay
    inside the index."""
    indptr, block_ptr, block_ids, sizes = (arrays[n] for n in ("indptr", "block_ptr", "block_ids", "run_sizes"))
    terms = len(indptr) - 1
    if not _ptr_ok(block_ptr, terms, len(block_ids)) or len(sizes) != len(block_ids):
        return f"{where}.block_ptr.npy: the runs' offsets do not cover {where}.block_ids.npy in order"
    df, runs = np.diff(indptr), np.diff(block_ptr)
    if not bool(np.all((runs > 0) == (df > 0))) or (len(block_ids) and int(np.min(block_ids)) < 0):
        return f"{where}.block_ptr.npy: a term's postings are not in runs"
    inner = np.ones(len(sizes), dtype=bool)
    inner[block_ptr[:-1][runs > 0]] = False  # a term's first run
    rising = np.diff(block_ids.astype(np.int64))
    held = np.add.reduceat(run_lengths(sizes), block_ptr[:-1][runs > 0]) if len(sizes) else np.zeros(0, np.int64)
    if not bool(np.all(held == df[runs > 0])) or not bool(np.all(rising[inner[1:]] > 0)):
        return f"{where}.run_sizes.npy: a term's runs do not cover its postings in order"
    ids = id_coding.decode(arrays)
    kept = f"{where}.doc_gaps.npy" if len(arrays["doc_gaps"]) else f"{where}.doc_low.npy"
    if not bool(np.all(ids >> BLOCK_BITS == np.repeat(block_ids.astype(np.int64), run_lengths(sizes)))):
        return f"{kept}: a run's steps lead out of its block of sentences"
    if len(ids) and not int(ids.max()) < sentences:
        return f"{kept}: a posting points outside the sentences"
    within = np.ones(len(ids), dtype=bool)
    within[indptr[:-1][df > 0]] = False  # a term's first posting
    if not bool(np.all(np.diff(ids)[within[1:]] > 0)):
        return f"{kept}: a term's sentences are not in ascending order"
    return ""


def _gaps_problem(where: str, arrays: Mapping[str, np.ndarray]) -> str:
    """A field kept as steps (``qa.search.id_coding``) has one escape per 0 step, each term's counted where its
    postings start; a field kept as low bits has neither."""
    gaps, escapes, ptr = arrays["doc_gaps"], arrays["gap_escapes"], arrays["escape_ptr"]
    if not len(gaps):
        return "" if not len(escapes) and not len(ptr) else f"{where}.gap_escapes.npy: escapes without steps"
    indptr = arrays["indptr"]
    before = np.zeros(len(gaps) + 1, dtype=np.int64)
    np.cumsum(gaps == 0, out=before[1:])
    if len(ptr) != len(indptr) or not bool(np.all(ptr == before[indptr])) or int(before[-1]) != len(escapes):
        return f"{where}.escape_ptr.npy: the escapes do not match the 0 steps of {where}.doc_gaps.npy"
    return ""


def _terms_problem(where: str, arrays: Mapping[str, np.ndarray]) -> str:
    """The terms' UTF-8 blob, offsets and hash table fit together: each term listed once, found where it hashes."""
    blob, ptr, hashes, order = (arrays[n] for n in ("term_bytes", "term_ptr", "term_hash", "term_order"))
    count = len(ptr) - 1
    if count < 0 or not _ptr_ok(ptr, count, len(blob)):
        return f"{where}.term_ptr.npy: the offsets do not cover {where}.term_bytes.npy in order"
    if len(hashes) != count or len(order) != count or (count and not (int(order.min()) >= 0 and int(order.max()) < count)
                                                        or not bool(np.all(np.bincount(order, minlength=count) == 1))):
        return f"{where}.term_order.npy: not one entry per term"
    try:
        column = StringColumn(blob, ptr)
        found = np.fromiter((term_hash(column.encoded(i)) for i in range(count)), dtype=np.uint64, count=count)
        column[0:count]  # every term decodes
    except UnicodeDecodeError:
        return f"{where}.term_bytes.npy: a term is not UTF-8"
    if not bool(np.all(hashes[1:] >= hashes[:-1])) or not bool(np.all(found[order] == hashes)):
        return f"{where}.term_hash.npy: the hash table does not fit the terms"
    same = np.flatnonzero(hashes[1:] == hashes[:-1])
    if any(column.encoded(int(order[i])) == column.encoded(int(order[i + 1])) for i in same.tolist()):
        return f"{where}.term_bytes.npy lists a term twice"
    return ""


__all__ = ["MANIFEST", "MANIFEST_SCHEMA", "STRING_KINDS", "StoreError", "field_problem", "manifest_problem", "npy_problem",
           "VECTORS_FILE", "plain_file", "read_manifest_file", "read_plain", "required_files", "schema_problem", "table_problem"]
