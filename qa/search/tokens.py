"""Turn text into matching terms: width folding, lower case, Simplified script, jieba words (cut by jieba-rs), no stop
words."""
from __future__ import annotations

import logging
import math
import marshal
import operator
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import jieba
import opencc
import rjieba


# Question words and interrogative particles: they say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = frozenset("""
什么 什麼 啥 哪 哪个 哪些 哪里 哪儿 哪一 哪种 哪位 哪年 哪天 哪国 哪家 谁 如何 为什么 为何 为甚么 怎样 怎么 怎么样 怎麼
多少 几 几个 几年 何 何时 何地 何处 何种 何人 何者 是否 是不是 有没有 能否 可否 吗 呢 吧 么 嘛 请问 什么样 甚么 咋
哪一年 哪一个 多久 多长 多大 多高 多远 是何 为何会 一下
""".split())

# Function words that carry little meaning in a sentence or a question.
STOP_WORDS = frozenset("""
的 了 着 过 是 在 和 与 及 以及 或 或者 也 都 就 而 并 并且 且 把 被 让 对 对于 从 向 于 以 之 其 这 那 这个 那个 这些 那些
这样 那样 这种 那种 一个 一种 一些 有 没有 没 我 你 他 她 它 我们 你们 他们 她们 它们 自己 啊 呀 哦 呃 嗯 吗 呢 吧 么 得 地
又 还 再 很 更 最 太 会 能 要 可以 可 将 等 等等 给 到 去 来 上 下 中 里 个 为 因为 所以 但 但是 如果 则 即 即使 虽然 而且
不 不是 就是 还是 只是 已经 曾 曾经 该 此 各 每 某 啦 哪 a an the of to and or in on at is are was were be been
""".split())

# Single-character function words (的, 是, 在…): a character pair holding one is not a topic.
FUNCTION_CHARS = frozenset(w for w in STOP_WORDS | QUESTION_WORDS if len(w) == 1) | {"一"}  # 一座, 一种

_PUNCT_OR_SPACE = re.compile(r"^[\W_]+$")
_KEPT_CACHE = 1 << 18  # words whose keep-or-drop verdict an analyzer remembers
# 那座, 這位, 那次, 該項: a demonstrative and a classifier point back to something; they are not what is asked about.
DEMONSTRATIVE = re.compile(r"^[这那此该][一]?[个座位次种件条项家所本部名只份场届批门样些篇首台辆艘]$")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
# A run of Han characters, or a run of other letters/digits (Latin words, numbers).
_RUN = re.compile(rf"([{_HAN}]+)|[^\W_{_HAN}]+")


def han_ngrams(text: str, n: int) -> list[str]:
    """Overlapping n-character pieces of each Han run (a shorter run whole); other words whole.

    Characters match where jieba's words do not: a question's 建立者 shares 建 with the sentence's 建國.
    """
    grams: list[str] = []
    for match in _RUN.finditer(text):
        run = match.group()
        if match.group(1) is None or len(run) <= n:
            grams.append(run)
        elif n == 1:
            grams.extend(run)
        elif n == 2:
            grams.extend(map(operator.add, run, run[1:]))
        else:
            grams.extend(run[i:i + n] for i in range(len(run) - n + 1))
    return grams


@dataclass(frozen=True)
class AnalyzerSettings:
    """Everything that changes the terms: part of an index's identity."""

    hmm: bool = True
    search_mode: bool = True  # jieba's search mode also emits the known sub-words of long words (京东科技 → 京东, 科技)
    # Who cuts the terms: "rjieba" (jieba-rs, jieba's algorithm and dictionary in Rust: the engine's terms ~9× faster,
    # 99.8% of sentences given jieba's own terms, see ``jieba_pieces`` and docs/scaling.md) or "jieba" itself.
    # Queries are cut by the same one as the index.
    segmenter: str = "rjieba"
    version: int = 1


@dataclass
class Analyzer:
    """Text → terms for matching: terms cut by the settings' segmenter; its own jieba tokenizer (never the global one)
    for the dictionary's word frequencies and the cuts of a question's clauses; OpenCC converters."""

    settings: AnalyzerSettings = field(default_factory=AnalyzerSettings)

    def __post_init__(self) -> None:
        if self.settings.segmenter not in ("rjieba", "jieba"):
            raise ValueError(f"unknown segmenter {self.settings.segmenter!r}: rjieba or jieba")
        jieba.setLogLevel(logging.WARNING)  # jieba announces every dictionary load on stderr
        self.tokenizer = jieba.Tokenizer()
        load_dictionary(self.tokenizer)
        self._t2s = opencc.OpenCC("t2s")
        self._s2t = opencc.OpenCC("s2t")
        self._kept: dict[str, bool] = {}  # word → whether ``terms`` keeps it (see normalized_terms)

    def normalize(self, text: str) -> str:
        """Fold widths (NFKC), lower-case Latin and convert to Simplified, keeping length where possible."""
        return self._t2s.convert(unicodedata.normalize("NFKC", text).lower())

    def normalize_many(self, texts: list[str]) -> list[str]:
        """``[normalize(t) for t in texts]`` in one pass over them joined by newlines (an article's sentences:
        one call into NFKC and OpenCC instead of one a sentence). None of the steps reaches across a newline —
        NFKC composes nothing with it, lower() sees a word end either way, no OpenCC phrase holds one — and a
        text holding a newline itself, or an output that does not split back into as many, is done one by one."""
        if len(texts) < 2:
            return [self.normalize(t) for t in texts]
        joined = "\n".join(texts)
        if joined.count("\n") == len(texts) - 1:
            parts = self.normalize(joined).split("\n")
            if len(parts) == len(texts):
                return parts
        return [self.normalize(t) for t in texts]

    def to_simplified(self, text: str) -> str:
        return self._t2s.convert(text)

    def to_traditional(self, text: str) -> str:
        return self._s2t.convert(text)

    def cut(self, normalized: str) -> list[str]:
        """The segmenter's words of normalised text, punctuation and spaces included (``AnalyzerSettings``)."""
        settings = self.settings
        if settings.segmenter == "rjieba":
            return jieba_pieces((rjieba.cut_for_search if settings.search_mode else rjieba.cut)(normalized,
                                                                                               settings.hmm))
        cut = self.tokenizer.lcut_for_search if settings.search_mode else self.tokenizer.lcut
        return cut(normalized, HMM=settings.hmm)

    def words(self, text: str) -> list[str]:
        """Words of normalised text, punctuation and spaces dropped (stop words kept)."""
        return [w for w in self.cut(self.normalize(text)) if w.strip() and not _PUNCT_OR_SPACE.match(w)]

    def terms(self, text: str) -> list[str]:
        """Content terms of a sentence: words without stop words."""
        return self.normalized_terms(self.normalize(text))

    def normalized_terms(self, normalized: str) -> list[str]:
        """``terms`` of text already normalised (``normalize``): what the corpus builder calls, having normalised
        every field's text of an article at once. Whether a word is kept is remembered per word (a bounded
        cache: the same few thousand words make most of a corpus)."""
        kept = self._kept
        out = []
        for word in self.cut(normalized):
            keep = kept.get(word)
            if keep is None:
                keep = bool(word.strip()) and not _PUNCT_OR_SPACE.match(word) and word not in STOP_WORDS
                if len(kept) >= _KEPT_CACHE:
                    kept.clear()
                kept[word] = keep
            if keep:
                out.append(word)
        return out

    def grams(self, text: str, n: int) -> list[str]:
        """Character n-grams of normalised text (see ``han_ngrams``)."""
        return han_ngrams(self.normalize(text), n)

    def language_weight(self, term: str) -> float:
        """How much a (normalised) term says, by its rarity in jieba's dictionary of general Chinese:
        log(total count / (its count + 1)); a term jieba does not know (a name, a number) weighs most."""
        return math.log(self.tokenizer.total / (self.tokenizer.FREQ.get(term, 0) + 1))

    def question_terms(self, text: str) -> list[str]:
        """Content terms of a question: words without stop words and question words."""
        normalized = self.normalize(text)
        # 哪一座, 哪一位: the numeral and classifier after 哪 belong to the question word, not to the topic.
        return [w for w in self.terms(text) if w not in QUESTION_WORDS and not w.startswith("哪")
                and not (len(w) == 2 and w[0] == "一" and "哪" + w in normalized) and not DEMONSTRATIVE.match(w)]

    @property
    def vocabulary(self) -> dict[str, int]:
        """jieba's word → frequency table (for judging repairs)."""
        return self.tokenizer.FREQ

    @property
    def word_tags(self) -> dict[str, str]:
        """Part of speech in jieba's dictionary of its nouns (n…, names included), place and direction words (s, f),
        verbal nouns (vn) and suffixes (k) — the tags anything here reads; another word is not listed. Read once
        per analyzer (~0.3 s): jieba.posseg keeps every word's tag twice over (its module's tokenizer's and
        ours, ~40 MB each), this ~20 MB once, for the display and for names (``qa.search.grounding``)."""
        tags = self.__dict__.get("_word_tags")
        if tags is None:
            with self.tokenizer.get_dict_file() as file:
                text = file.read().decode("utf-8")
            intern = {}
            tags = self.__dict__["_word_tags"] = {
                m.group(1): intern.setdefault(m.group(2), m.group(2)) for m in _TAGGED_LINE.finditer(text)}
        return tags


_TAGGED_LINE = re.compile(r"^(\S+) \d+ (n[a-z]*|s|f|vn|k)\r?$", re.M)  # a dictionary line: word, frequency, tag

# jieba cuts a run of Latin letters and digits into these pieces (its finalseg's re_skip): 1962-1971 → 1962, 1971;
# www.google.com → www, google, com; formula_1 → formula, 1; 2.48 and 80mm stay whole.
_JIEBA_PIECE = re.compile(r"[a-zA-Z0-9]+(?:\.\d+)?%?")


def jieba_pieces(words: list[str]) -> list[str]:
    """jieba-rs's words as jieba's own: a Latin/digit word joined by - . _ (which jieba-rs keeps whole, in search mode
    after its pieces) becomes its pieces, those search mode just gave once. Measured on DRCD and CMRC dev (20k
    sentences): 99.8% of sentences get the same terms as jieba's search mode (99.0% without this)."""
    out: list[str] = []
    for word in words:
        if len(word) > 1 and word.isascii() and not word.isalnum() and not word.isspace():
            pieces = _JIEBA_PIECE.findall(word)
            if pieces != [word]:
                before = out[-len(pieces):]
                out.extend(piece for piece in pieces if piece not in before)
                continue
        out.append(word)
    return out


def load_dictionary(tokenizer: jieba.Tokenizer) -> None:
    """Load jieba's default dictionary from jieba's own cache file, read in one piece.

    jieba reads the cache with ``marshal.load`` on an open file, which here takes ~1.3 s; ``marshal.loads`` of
    the same bytes takes ~0.35 s — most of a cold start. Where there is no cache yet (or it cannot be read),
    jieba's ``initialize`` builds and writes it, as it always does.
    """
    cache = Path(tokenizer.tmp_dir or tempfile.gettempdir()) / "jieba.cache"  # jieba's name for the default's
    if tokenizer.dictionary == jieba.DEFAULT_DICT and not tokenizer.cache_file and cache.is_file():
        try:
            freq, total = marshal.loads(cache.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            pass
        else:
            if isinstance(freq, dict) and freq:
                with tokenizer.lock:
                    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = freq, total, True
                return
    tokenizer.initialize()


def content_terms(terms: Iterable[str]) -> list[str]:
    """Terms in order of first appearance, without repeats."""
    return list(dict.fromkeys(terms))


@lru_cache(maxsize=4)
def shared_analyzer(settings: AnalyzerSettings = AnalyzerSettings()) -> Analyzer:
    """One analyzer per settings per process: loading jieba's dictionary costs ~0.7 s."""
    return Analyzer(settings)
