"""Many articles held as flat arrays and UTF-8 blobs; an ``Article`` object is made only when one is asked for.

A million sentences as ``Sentence`` objects cost ~390 bytes each plus their article's raw text as a ``str``;
here a sentence costs its share of its article's zlib-compressed UTF-8 plus ~24 bytes of offsets, the arrays can be memory-mapped from disk,
and ``table[i]`` rebuilds article ``i`` (a few dozen µs) with a small cache for the articles being answered from.
"""
from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence, overload

import numpy as np

from qa.records import Article, Paragraph, Section, Sentence
from qa.text.loading import MAX_BYTES

# Array name → dtype; every array of a table, in the order they are saved.
ARRAYS = {
    # Article i's raw text, UTF-8 compressed with zlib on its own, with a preset dictionary (``raw_dictionary``):
    # raw_bytes[raw_ptr[i]:raw_ptr[i+1]] (Chinese text takes ~40% of its UTF-8 bytes; an article decompresses in
    # tens of µs, only when one is asked for).
    "raw_bytes": np.uint8, "raw_ptr": np.int64,
    "article_sections": np.int64, "article_paragraphs": np.int64, "article_sentences": np.int64,
    "section_ptr": np.int64, "section_paragraph_ids": np.int32,  # per section, its local paragraph ids
    "paragraph_section": np.int32, "paragraph_ptr": np.int64, "paragraph_sentence_ids": np.int32,
    # The cleaned text of the few sentences whose text differs from raw[start:end] (cleaning touched them):
    # sentence text_ids[k] (a global id, ascending) says text_bytes[text_ptr[k]:text_ptr[k+1]]; any other
    # sentence's text is its raw range. (Format 4 kept an offset for every sentence: 8 MB at a million, nearly
    # all of them empty ranges.)
    "text_bytes": np.uint8, "text_ids": np.int32, "text_ptr": np.int64,
    # Character offsets inside an article (under 2**31: an article is at most a few MB). A sentence's paragraph and
    # section are not stored: its paragraph is the one whose ``paragraph_sentence_ids`` hold it (each sentence is in
    # exactly one), its section that paragraph's (format 7 kept both per sentence: 8 MB at a million).
    "sentence_start": np.int32, "sentence_end": np.int32,
}
RAW_LIMIT = 4 * MAX_BYTES  # no article's text is longer (cleaning does not quadruple a text)
RAW_LEVEL = 6  # zlib level of the stored raw text (9 saves ~1% more and takes ~1.5× as long to build)
# zlib's preset dictionary for the raw text: the pieces Chinese text repeats most, in both scripts (made by
# ``python -m qa.measure.train_zdict`` from CMRC 2018 train; 11% less text on disk at a million sentences).
RAW_DICTIONARY_PATH = Path(__file__).resolve().parent / "models" / "raw_text.zdict"
# String lists: per article (names, titles, sources, digests) and per section (headings).
STRINGS = ("names", "titles", "sources", "digests", "headings")
_CACHE_SIZE = 256


def _ptr(sizes: Sequence[int] | np.ndarray) -> np.ndarray:
    """Offsets from sizes: [0, s0, s0+s1, …]."""
    ptr = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(np.asarray(sizes, dtype=np.int64), out=ptr[1:])
    return ptr


def _blob(texts: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 bytes of the texts, one after another, and their byte offsets."""
    encoded = [t.encode("utf-8") for t in texts]
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), _ptr([len(e) for e in encoded])


@cache
def raw_dictionary() -> bytes:
    """The shipped preset dictionary of the stored raw text (``RAW_DICTIONARY_PATH``)."""
    return RAW_DICTIONARY_PATH.read_bytes()


def _compress(text: str) -> bytes:
    deflate = zlib.compressobj(RAW_LEVEL, zdict=raw_dictionary())
    return deflate.compress(text.encode("utf-8")) + deflate.flush()


def _compressed(texts: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each text's UTF-8 compressed on its own with zlib (and the preset dictionary), one after another, and their
    byte offsets."""
    encoded = [_compress(t) for t in texts]
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), _ptr([len(e) for e in encoded])


def raw_text(arrays: Mapping[str, np.ndarray], i: int) -> str:
    """Article ``i``'s raw text from a table's arrays (zlib.error or UnicodeDecodeError when they are damaged)."""
    ptr = arrays["raw_ptr"]
    inflate = zlib.decompressobj(zdict=raw_dictionary())
    # Bounded: a damaged (or made-up) blob must not inflate into gigabytes.
    data = inflate.decompress(arrays["raw_bytes"][ptr[i]:ptr[i + 1]], RAW_LIMIT)
    if not inflate.eof or inflate.unused_data:
        raise zlib.error(f"article {i}'s stored text is truncated, too long or followed by other bytes")
    return data.decode("utf-8")


def _rows(ptr: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of the ranges ``ptr[i]:ptr[i+1]`` for the given ids, concatenated, and the new offsets."""
    starts, ends = ptr[ids], ptr[ids + 1]
    sizes = ends - starts
    new_ptr = _ptr(sizes)
    return np.repeat(starts - new_ptr[:-1], sizes) + np.arange(new_ptr[-1], dtype=np.int64), new_ptr


class StringColumn(Sequence[str]):
    """Strings by position, decoded one at a time from a UTF-8 blob and its offsets (memory-mapped: nothing to parse
    at load, where a JSON list of a million strings takes ~0.3 s)."""

    def __init__(self, blob: np.ndarray, ptr: np.ndarray) -> None:
        self._blob, self._ptr = blob, ptr

    def __len__(self) -> int:
        return len(self._ptr) - 1

    def __getitem__(self, index):  # noqa: ANN001 - an int or a slice, as a tuple's
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        if not -len(self) <= index < len(self):
            raise IndexError(f"string {index} out of range ({len(self)} strings)")
        return self.encoded(index % len(self)).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        text, ptr = bytes(self._blob), self._ptr.tolist()
        return (text[a:b].decode("utf-8") for a, b in zip(ptr[:-1], ptr[1:]))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(other) == len(self) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # compared by content, like a list

    @classmethod
    def of(cls, texts: Iterable[str]) -> "StringColumn":
        return cls(*_blob(texts))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The UTF-8 blob and its offsets (what the constructor takes)."""
        return self._blob, self._ptr

    def encoded(self, index: int) -> bytes:
        """String ``index`` as UTF-8, not decoded."""
        return bytes(self._blob[self._ptr[index]:self._ptr[index + 1]])


class ArticleTable(Sequence[Article]):
    """A read-only sequence of articles stored column-wise (see the module docstring)."""

    def __init__(self, arrays: Mapping[str, np.ndarray], strings: Mapping[str, Sequence[str]]) -> None:
        missing = [name for name in (*ARRAYS, *STRINGS) if name not in arrays and name not in strings]
        if missing:
            raise ValueError(f"article table lacks {', '.join(missing)}")
        self.arrays = {name: arrays[name] for name in ARRAYS}
        # Loaded from disk they stay StringColumns (decoded when asked); built here they are lists.
        self.strings = {name: strings[name] if isinstance(strings[name], StringColumn) else list(strings[name])
                        for name in STRINGS}
        self._cache: OrderedDict[int, Article] = OrderedDict()
        self._lock = threading.Lock()  # Streamlit answers sessions from several threads

    def __getstate__(self) -> dict:
        # Sent from worker processes to the parent: the columns only, not the cache or its lock.
        return {"arrays": self.arrays, "strings": self.strings}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["arrays"], state["strings"])

    # --- building -------------------------------------------------------------------------------------------
    @classmethod
    def from_articles(cls, articles: Sequence[Article], digests: Sequence[str] | None = None) -> "ArticleTable":
        """A table of Article objects (digests: one content hash per article, '' when unknown)."""
        sections = [s for a in articles for s in a.sections]
        paragraphs = [p for a in articles for p in a.paragraphs]
        sentences = [s for a in articles for s in a.sentences]
        raw_bytes, raw_ptr = _compressed(a.raw for a in articles)
        cleaned = [(j, s.text) for j, (a, s) in enumerate((a, s) for a in articles for s in a.sentences)
                   if a.raw[s.start:s.end] != s.text]
        text_bytes, text_ptr = _blob(text for _, text in cleaned)
        text_ids = np.fromiter((j for j, _ in cleaned), np.int32, len(cleaned))
        arrays = {
            "raw_bytes": raw_bytes, "raw_ptr": raw_ptr,
            "article_sections": _ptr([len(a.sections) for a in articles]),
            "article_paragraphs": _ptr([len(a.paragraphs) for a in articles]),
            "article_sentences": _ptr([len(a.sentences) for a in articles]),
            "section_ptr": _ptr([len(s.paragraph_ids) for s in sections]),
            "section_paragraph_ids": np.fromiter((i for s in sections for i in s.paragraph_ids), np.int32),
            "paragraph_section": np.fromiter((p.section for p in paragraphs), np.int32, len(paragraphs)),
            "paragraph_ptr": _ptr([len(p.sentence_ids) for p in paragraphs]),
            "paragraph_sentence_ids": np.fromiter((i for p in paragraphs for i in p.sentence_ids), np.int32),
            "text_bytes": text_bytes, "text_ids": text_ids, "text_ptr": text_ptr,
            "sentence_start": np.fromiter((s.start for s in sentences), np.int32, len(sentences)),
            "sentence_end": np.fromiter((s.end for s in sentences), np.int32, len(sentences)),
        }
        _check_held_once(articles)
        strings = {
            "names": [a.name for a in articles], "titles": [a.title for a in articles],
            "sources": [a.source for a in articles],
            "digests": list(digests) if digests is not None else [""] * len(articles),
            "headings": [s.heading for s in sections],
        }
        return cls(arrays, strings)

    @classmethod
    def concatenate(cls, tables: list["ArticleTable"]) -> "ArticleTable":
        """One table holding the articles of several, in order (local ids inside an article are unchanged).

        The list is consumed: each table is dropped once copied, so the peak is the result plus one table.
        """
        if not tables:
            return cls.from_articles(())
        arrays: dict[str, np.ndarray] = {}
        fill: dict[str, int] = {}
        for name, dtype in ARRAYS.items():
            pointer = name.endswith("_ptr") or name.startswith("article_")
            # Offsets drop each part's leading 0 and are shifted by what came before.
            length = sum(len(t.arrays[name]) - pointer for t in tables) + pointer
            arrays[name] = np.zeros(length, dtype=np.int64 if pointer else dtype)
            fill[name] = int(pointer)
        strings: dict[str, list[str]] = {name: [] for name in STRINGS}
        tables.reverse()  # pop() from the end walks them in order
        sentences_before = 0
        while tables:
            table = tables.pop()
            for name, array in table.arrays.items():
                target, at = arrays[name], fill[name]
                if name == "text_ids":  # global sentence ids: shifted by the sentences of the tables before
                    target[at:at + len(array)] = array + sentences_before
                    fill[name] = at + len(array)
                elif name.endswith("_ptr") or name.startswith("article_"):
                    target[at:at + len(array) - 1] = array[1:] + target[at - 1]
                    fill[name] = at + len(array) - 1
                else:
                    target[at:at + len(array)] = array
                    fill[name] = at + len(array)
            sentences_before += int(table.arrays["article_sentences"][-1])
            for name in STRINGS:
                strings[name].extend(table.strings[name])
        return cls(arrays, strings)

    def select(self, article_ids: Sequence[int] | np.ndarray) -> "ArticleTable":
        """A table of some of the articles, in the given order."""
        ids = np.asarray(article_ids, dtype=np.int64)
        a = self.arrays
        arrays: dict[str, np.ndarray] = {}
        raw_rows, arrays["raw_ptr"] = _rows(a["raw_ptr"], ids)
        arrays["raw_bytes"] = a["raw_bytes"][raw_rows]
        section_rows, arrays["article_sections"] = _rows(a["article_sections"], ids)
        paragraph_rows, arrays["article_paragraphs"] = _rows(a["article_paragraphs"], ids)
        sentence_rows, arrays["article_sentences"] = _rows(a["article_sentences"], ids)
        rows, arrays["section_ptr"] = _rows(a["section_ptr"], section_rows)
        arrays["section_paragraph_ids"] = a["section_paragraph_ids"][rows]
        arrays["paragraph_section"] = a["paragraph_section"][paragraph_rows]
        rows, arrays["paragraph_ptr"] = _rows(a["paragraph_ptr"], paragraph_rows)
        arrays["paragraph_sentence_ids"] = a["paragraph_sentence_ids"][rows]
        # The cleaned texts of the chosen sentences, renumbered to their new places.
        at = np.searchsorted(a["text_ids"], sentence_rows)
        own = at < len(a["text_ids"])
        own[own] = a["text_ids"][at[own]] == sentence_rows[own]
        arrays["text_ids"] = np.flatnonzero(own).astype(np.int32)
        rows, arrays["text_ptr"] = _rows(a["text_ptr"], at[own])
        arrays["text_bytes"] = a["text_bytes"][rows]
        for name in ("sentence_start", "sentence_end"):
            arrays[name] = a[name][sentence_rows]
        strings = {name: [self.strings[name][i] for i in ids.tolist()] for name in ("names", "titles", "sources", "digests")}
        strings["headings"] = [self.strings["headings"][i] for i in section_rows.tolist()]
        return ArticleTable(arrays, strings)

    # --- reading --------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.strings["names"])

    @overload
    def __getitem__(self, index: int) -> Article: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Article, ...]: ...

    def __getitem__(self, index):  # noqa: ANN001 - see the overloads
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        index = int(index)
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"article {index} out of range (the table holds {len(self)})")
        with self._lock:
            article = self._cache.get(index)
            if article is not None:
                self._cache.move_to_end(index)
                return article
        article = self._make(index)
        with self._lock:
            self._cache[index] = article
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return article

    def __iter__(self) -> Iterator[Article]:
        return (self[i] for i in range(len(self)))

    def _make(self, i: int) -> Article:
        a = self.arrays
        raw = raw_text(a, i)
        s0, s1 = int(a["article_sections"][i]), int(a["article_sections"][i + 1])
        p0, p1 = int(a["article_paragraphs"][i]), int(a["article_paragraphs"][i + 1])
        t0, t1 = int(a["article_sentences"][i]), int(a["article_sentences"][i + 1])
        headings = self.strings["headings"]
        section_ptr, paragraph_ptr = a["section_ptr"], a["paragraph_ptr"]
        sections = tuple(
            Section(headings[s], tuple(a["section_paragraph_ids"][section_ptr[s]:section_ptr[s + 1]].tolist()))
            for s in range(s0, s1))
        paragraphs = tuple(
            Paragraph(int(a["paragraph_section"][p]),
                      tuple(a["paragraph_sentence_ids"][paragraph_ptr[p]:paragraph_ptr[p + 1]].tolist()))
            for p in range(p0, p1))
        k0, k1 = (int(k) for k in np.searchsorted(a["text_ids"], (t0, t1)))
        text_ptr = a["text_ptr"][k0:k1 + 1].tolist()
        blob = bytes(a["text_bytes"][text_ptr[0]:text_ptr[-1]])
        base = text_ptr[0]
        cleaned = {j - t0: blob[text_ptr[k] - base:text_ptr[k + 1] - base].decode("utf-8")
                   for k, j in enumerate(a["text_ids"][k0:k1].tolist())}
        starts, ends = a["sentence_start"][t0:t1].tolist(), a["sentence_end"][t0:t1].tolist()
        paragraph_of = [0] * (t1 - t0)
        for number, paragraph in enumerate(paragraphs):
            for j in paragraph.sentence_ids:
                paragraph_of[j] = number
        sentences = tuple(
            Sentence(cleaned[j] if j in cleaned else raw[starts[j]:ends[j]], starts[j], ends[j],
                     paragraphs[paragraph_of[j]].section, paragraph_of[j])
            for j in range(t1 - t0))
        return Article(name=self.strings["names"][i], title=self.strings["titles"][i], raw=raw, sections=sections,
                       paragraphs=paragraphs, sentences=sentences, source=self.strings["sources"][i])

    @property
    def names(self) -> list[str]:
        """Every article's name, without building the articles."""
        return self.strings["names"]

    @property
    def titles(self) -> list[str]:
        """Every article's title, without building the articles."""
        return self.strings["titles"]

    @property
    def digests(self) -> list[str]:
        """Every article's content hash ('' when unknown)."""
        return self.strings["digests"]

    def sentence_counts(self) -> np.ndarray:
        """How many sentences each article has."""
        return np.diff(self.arrays["article_sentences"])

    def sentence_paragraphs(self) -> np.ndarray:
        """Every sentence's paragraph as a global paragraph number (int64, by global sentence id)."""
        a = self.arrays
        holders = np.repeat(np.arange(len(a["paragraph_ptr"]) - 1, dtype=np.int64), np.diff(a["paragraph_ptr"]))
        firsts = a["article_sentences"][:-1][np.repeat(np.arange(len(self), dtype=np.int64),
                                                       np.diff(a["article_paragraphs"]))]
        paragraphs = np.empty(int(a["article_sentences"][-1]), dtype=np.int64)
        paragraphs[firsts[holders] + a["paragraph_sentence_ids"]] = holders
        return paragraphs

    def sentence_text(self, global_id: int) -> str:
        """The cleaned text of one sentence by its global id, without building its article."""
        a = self.arrays
        k = int(np.searchsorted(a["text_ids"], global_id))
        if k < len(a["text_ids"]) and int(a["text_ids"][k]) == global_id:
            return bytes(a["text_bytes"][a["text_ptr"][k]:a["text_ptr"][k + 1]]).decode("utf-8")
        article = int(np.searchsorted(a["article_sentences"], global_id, side="right")) - 1
        return self[article].sentences[global_id - int(a["article_sentences"][article])].text


def _check_held_once(articles: Sequence[Article]) -> None:
    """The table derives a sentence's paragraph and section from its paragraphs: each sentence must be in exactly
    one paragraph, the one it names, and in that paragraph's section (as ``qa.text.structure`` makes them)."""
    for article in articles:
        holder = [-1] * len(article.sentences)
        for number, paragraph in enumerate(article.paragraphs):
            for j in paragraph.sentence_ids:
                holder[j] = number if holder[j] == -1 else -2
        for j, sentence in enumerate(article.sentences):
            if holder[j] != sentence.paragraph or article.paragraphs[holder[j]].section != sentence.section:
                raise ValueError(f"{article.name}: sentence {j} is not held once by its own paragraph and section")


def article_names(articles: Sequence[Article]) -> list[tuple[str, str]]:
    """Every article's (name, title) — from the columns when the articles are a table (or the shards' tables),
    without building them."""
    if isinstance(articles, ArticleTable) or (hasattr(articles, "names") and hasattr(articles, "titles")):
        return list(zip(articles.names, articles.titles))
    return [(article.name, article.title) for article in articles]


def sentence_refs(articles: Sequence[Article]) -> np.ndarray:
    """Global sentence id → (article index, sentence index within the article), as an (n, 2) int64 array."""
    if isinstance(articles, ArticleTable):
        counts = articles.sentence_counts()
    else:
        counts = np.fromiter((len(a.sentences) for a in articles), dtype=np.int64, count=len(articles))
    total = int(counts.sum())
    refs = np.empty((total, 2), dtype=np.int64)
    refs[:, 0] = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    refs[:, 1] = np.arange(total, dtype=np.int64) - np.repeat(_ptr(counts)[:-1], counts)
    return refs
