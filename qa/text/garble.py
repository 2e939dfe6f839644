"""Repair one-byte-shift GBK garbles in scraped Chinese text.

How such text came about: it was encoded as GBK, one byte went missing (or was swallowed into an
unpairable pair), and what followed was decoded pairwise one byte late until an ASCII byte put the
decoder back in step.  ``。可以說(shuō)`` is ``A1A3 BFC9 D2D4 D566 28 …``; with ``A1`` lost the decoder
pairs ``A3BF C9D2 D4D5`` = ``？梢哉``, reads the trail byte ``66`` as ``f``, is in step again at
``(``, and a later step folds ``？`` to ``?``: ``??梢哉f(shuō)``.  Unpairable bytes became ``?``.

The repair re-encodes a suspicious run, puts back the lost bytes (trying every candidate byte),
re-pairs the bytes and keeps the result only when jieba's dictionary finds clearly better text.
"""
from __future__ import annotations

import heapq
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Mapping, Optional, Sequence

from qa.text.edits import Edit

MARKERS = "?\ufffd"  # what a lost byte or an unpairable byte pair looks like after decoding
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_PINYIN = f"a-zA-Z0-9{_TONED}"
_READING_RE = re.compile(rf"[(（][{_PINYIN}]+[)）]")
_DANGLING_READING_RE = re.compile(rf"[{_PINYIN}]+([)）])")  # a reading whose "(" an unpairable pair ate
_OPEN_READING_RE = re.compile(rf"[(（][{_PINYIN}]*$")  # a reading cut off by the end of a window
_MARKER_RE = re.compile(r"[?\ufffd](?=\S)")  # a "?" glued to more text; most real ones end a clause
# A Latin letter between a non-ASCII character and a reading: a trail byte read as ASCII, with
# no "?" left where the run started.
_STRAY_LETTER_RE = re.compile(rf"(?<=[^\x00-\x7f])[@-Z\[\]^_`a-z{{|}}~](?=[(（][{_PINYIN}]+[)）])")
_FULL_WIDTH_RE = re.compile("[\uff01-\uff5e]")
# ASCII punctuation right after Han text (or after a reading of it): punctuation was folded.
_FOLDED_PUNCT_RE = re.compile(rf"(?:[\u4e00-\u9fff]|[(（][{_PINYIN}]+[)）])[,;:!]")

MAX_RUN = 40  # characters in one shifted run (runs in pinyin text are short, in plain text longer)
MAX_READINGS = 24  # hypotheses about one suspicious run worth scoring
MAX_MID_HOLES = 2  # unpairable pairs inside one run; each loses two bytes
BEAM = 8  # partial repairs kept while guessing lost bytes left to right
BLIND_BEAM = 16  # kept when the next character is also a guess, so nothing after judges this one
CONTEXT = 4  # characters of context each side when judging a repair
MAX_GUESSES = 4_000  # candidate characters scored per suspicious span (the seed's worst: ~900)
MAX_GUESSES_PER_TEXT = 12_000  # ... and per article (the seed needs ~1,400), to bound the time
MAX_CACHE = 200_000  # entries per Judge cache before it is cleared

MIN_GUESS_FREQ = 10  # characters rarer than this are not worth trying for a lost byte
MIN_FIXED_FREQ = 1_000  # a re-paired (not guessed) character outside words must be this common,
MIN_FIXED_SHARE = 0.6  # ... and this share of them must be, before we spend time guessing
MIN_GAIN = 2.0  # dictionary score a repair must add (about one two-character word)
MIN_GAIN_UNMARKED = 3.0  # with no "?" we also guess where the run starts, so ask for more
DEBRIS_COST = 1.0  # what each "?" or stray letter a reading explains costs the garbled text
MIN_COVERAGE = 0.5  # share of repaired Han characters that must sit inside dictionary words
MIN_GUESS_WORD_FREQ = 300  # a guessed Han character must fit a word at least this common,
MIN_SINGLE_FREQ = 20_000  # ... or be this common itself (的, 將, 說)

# Rough counts on jieba's scale (的 ≈ 320k), so punctuation can compete with Han characters as the
# character a lost byte belonged to (a lost 。 or ， lead byte is the commonest case).
PUNCTUATION_FREQ: dict[str, int] = {
    "，": 400_000, "。": 300_000, "、": 50_000, "“": 60_000, "”": 60_000, "：": 40_000, "；": 20_000,
    "？": 20_000, "！": 20_000, "「": 30_000, "」": 30_000, "《": 20_000, "》": 20_000, "（": 20_000,
    "）": 20_000, "…": 10_000, "—": 10_000, "‘": 5_000, "’": 5_000, "·": 5_000,
}


# ---------------------------------------------------------------------------------------------
# Byte mechanics


@lru_cache(maxsize=65536)
def pair_char(lead: int, trail: int) -> Optional[str]:
    """The GBK character for two bytes, or None when a decoder cannot pair them."""
    try:
        ch = bytes((lead, trail)).decode("gbk")
    except UnicodeDecodeError:
        return None
    return ch if len(ch) == 1 else None


def run_char_bytes(ch: str) -> Optional[tuple[int, int]]:
    """The two bytes a character decoded out of step came from, or None if it cannot be one."""
    code = ord(ch)
    if 0x21 <= code <= 0x7E:  # a full-width A3xx character, folded to ASCII after the decoding
        return 0xA3, code + 0x80
    if code < 0x80:
        return None
    for codec in ("gbk", "gb18030"):  # gb18030 adds the user-defined area some decoders map to PUA
        try:
            raw = ch.encode(codec)
        except UnicodeEncodeError:
            continue
        # Both bytes are >= 0x81: the first is a trail read as a lead (a lower one would have shown
        # as ASCII and put the decoder back in step), the second a real lead.
        return (raw[0], raw[1]) if len(raw) == 2 and raw[0] >= 0x81 and raw[1] >= 0x81 else None
    return None


@lru_cache(maxsize=512)
def leads_for(trail: int) -> tuple[tuple[int, str], ...]:
    """Every (lead byte, character) that completes a known trail byte."""
    return tuple((b, ch) for b in range(0x81, 0xFF) if (ch := pair_char(b, trail)) is not None)


@lru_cache(maxsize=512)
def trails_for(lead: int) -> tuple[tuple[int, str], ...]:
    """Every (trail byte, character) that completes a known lead byte."""
    # A lost trail was read as a lead, so it is >= 0x80 (a lower one would have shown as ASCII).
    return tuple((b, ch) for b in range(0x80, 0xFF) if (ch := pair_char(lead, b)) is not None)


def is_han(ch: str) -> bool:
    """CJK unified ideograph (basic block and extension A)."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def strip_readings(text: str) -> str:
    """Text without its ``(pinyin)`` readings, which would split dictionary words."""
    return _READING_RE.sub("", text)


def context_before(text: str, start: int) -> str:
    """Up to CONTEXT characters before ``start``, readings removed (one cut in half included)."""
    piece = text[max(0, start - 8 * CONTEXT):start]
    cut = _DANGLING_READING_RE.match(piece)
    if cut and start - 8 * CONTEXT > 0:
        piece = piece[cut.end():]
    return strip_readings(piece)[-CONTEXT:]


def context_after(piece: str) -> str:
    """Up to CONTEXT characters at the start of ``piece``, readings removed (one cut in half included)."""
    return _OPEN_READING_RE.sub("", strip_readings(piece))[:CONTEXT]


def is_folded(text: str) -> bool:
    """Has the article's full-width punctuation been folded to ASCII (``中文,中文``)?"""
    return bool(_FOLDED_PUNCT_RE.search(text)) and not _FULL_WIDTH_RE.search(text)


def fold_width(text: str) -> str:
    """Full-width ASCII forms folded to ASCII, as the rest of a folded article is."""
    return "".join(chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else ch for ch in text)


# ---------------------------------------------------------------------------------------------
# Judging text with the dictionary


@dataclass(frozen=True)
class Style:
    """How the article is written, which repairs should follow."""

    folded: bool  # full-width punctuation folded to ASCII, as in the seed articles
    simplified: bool  # Simplified script: a lost character was a Simplified one


@dataclass(frozen=True)
class Option:
    """A guess for a lost byte: the byte, the character it completes, and its Simplified form."""

    byte: int
    char: str
    simple: str


@dataclass
class Judge:
    """Scores text with jieba's dictionary; caches per-character facts for one vocabulary."""

    vocabulary: Mapping[str, int]
    to_simplified: Callable[[str], str]
    _simple: dict[str, str] = field(default_factory=dict)
    _char_scores: dict[str, float] = field(default_factory=dict)
    _word_scores: dict[str, float] = field(default_factory=dict)
    _options: dict[tuple[int, bool, bool], list[Option]] = field(default_factory=dict)
    _logps: dict[str, Optional[float]] = field(default_factory=dict)
    _log_total: Optional[float] = None

    def trim(self) -> None:
        """Forget cached facts once a cache has grown large (a process may index many articles)."""
        for cache in (self._simple, self._char_scores, self._word_scores, self._logps):
            if len(cache) > MAX_CACHE:
                cache.clear()

    def simplify(self, ch: str) -> str:
        """One character in Simplified script (kept as is when OpenCC would change its length)."""
        out = self._simple.get(ch)
        if out is None:
            conv = self.to_simplified(ch) if is_han(ch) else ch
            out = self._simple[ch] = conv if len(conv) == 1 else ch
        return out

    def simplify_text(self, text: str) -> str:
        """Character-by-character Simplified form, so offsets stay aligned."""
        return "".join(self.simplify(ch) for ch in text)

    def freq(self, ch: str) -> int:
        """Dictionary frequency of a single character (in its Simplified form)."""
        return self.vocabulary.get(self.simplify(ch), 0) or 0

    def prior(self, ch: str) -> int:
        """How common a character is in running text, punctuation included."""
        return PUNCTUATION_FREQ.get(ch, 0) or (self.freq(ch) if is_han(ch) else 0)

    def is_plausible(self, ch: str) -> bool:
        """Could this character occur in ordinary Chinese prose?"""
        return ch in PUNCTUATION_FREQ or (is_han(ch) and self.freq(ch) > 0)

    def char_score(self, ch: str) -> float:
        """Score of a (Simplified) character outside any word: rare and stray characters cost."""
        cached = self._char_scores.get(ch)
        if cached is None:
            if is_han(ch):
                f = self.vocabulary.get(ch, 0) or 0
                cached = -2.0 if f <= 0 else min(0.0, (math.log10(f + 1) - 3.5) / 2)
            elif ch.isascii() or ch in PUNCTUATION_FREQ or ch == "\u3000":
                cached = 0.0
            else:
                cached = -2.0  # kana, Greek, box drawing, PUA in Chinese prose: decoding debris
            self._char_scores[ch] = cached
        return cached

    def word_score(self, word: str) -> float:
        """Score of a multi-character dictionary word: one per character, less if very rare; 0 if none."""
        cached = self._word_scores.get(word)
        if cached is None:
            f = self.vocabulary.get(word, 0) or 0
            cached = self._word_scores[word] = 0.0 if f <= 0 else len(word) * min(1.0, math.log10(f + 1) / 2)
        return cached

    def segment(self, text: str) -> list[str]:
        """The most probable segmentation of Simplified text under jieba's unigram model."""
        n = len(text)
        best = [0.0] + [-math.inf] * n
        back = list(range(-1, n))
        for i in range(n):
            for j in range(i + 1, n + 1):
                piece = text[i:j]
                if j > i + 1 and piece not in self.vocabulary:
                    break  # jieba keeps every prefix of a word, so no longer word starts here
                logp = self.piece_logp(piece)
                if logp is not None and best[i] + logp > best[j]:
                    best[j], back[j] = best[i] + logp, i
        pieces = []
        j = n
        while j > 0:
            pieces.append(text[back[j]:j])
            j = back[j]
        return pieces[::-1]

    def coverage(self, text: str) -> tuple[float, tuple[int, ...]]:
        """Quality of Simplified text, and per character the frequency of its word (0 if alone)."""
        # Quality: words earn a point a character, rare or stray characters cost (see char_score).
        quality, cover = 0.0, []
        for piece in self.segment(text):
            if len(piece) > 1:
                quality += self.word_score(piece)
                cover += [self.vocabulary[piece]] * len(piece)
            else:
                quality += self.char_score(piece)
                cover.append(0)
        return quality, tuple(cover)

    def coverage_across(self, text: str, *junctions: int) -> tuple[float, bool]:
        """Quality of Simplified text, and whether a word spans one of the junction offsets."""
        quality, pos, across = 0.0, 0, False
        for piece in self.segment(text):
            if len(piece) > 1:
                quality += self.word_score(piece)
                across = across or any(pos < j < pos + len(piece) for j in junctions)
            else:
                quality += self.char_score(piece)
            pos += len(piece)
        return quality, across

    def support(self, text: str, pos: int) -> int:
        """Frequency of the commonest multi-character word in ``text`` that holds ``text[pos]``."""
        best = 0
        for a in range(max(0, pos - 5), pos + 1):
            for b in range(a + 1, len(text) + 1):
                piece = text[a:b]
                if piece not in self.vocabulary:
                    break
                if b > pos and b - a > 1:
                    best = max(best, self.vocabulary[piece])
        return best

    @property
    def log_total(self) -> float:
        """log of the dictionary's total count (jieba's ``total``), the denominator of word probabilities."""
        if self._log_total is None:
            self._log_total = math.log(sum(self.vocabulary.values()) or 1)
        return self._log_total

    def piece_logp(self, piece: str) -> Optional[float]:
        """Unigram log-probability of a dictionary piece (Simplified), as jieba weighs words; None if none."""
        cached = self._logps.get(piece, False)
        if cached is False:
            f = self.vocabulary.get(piece, 0) or 0
            if f > 0:
                cached = math.log(f) - self.log_total
            elif len(piece) > 1:
                cached = None
            elif is_han(piece):
                cached = math.log(0.1) - self.log_total  # a character jieba has never seen
            elif piece in PUNCTUATION_FREQ:
                cached = math.log(PUNCTUATION_FREQ[piece]) - self.log_total
            elif piece.isascii():
                cached = math.log(5_000) - self.log_total
            else:
                cached = math.log(0.01) - self.log_total  # decoding debris
            self._logps[piece] = cached
        return cached

    def best_prefixes(self, text: str) -> list[float]:
        """``out[i]`` = best segmentation log-probability of ``text[:i]``."""
        best = [0.0] + [-math.inf] * len(text)
        for i in range(len(text)):
            for j in range(i + 1, len(text) + 1):
                piece = text[i:j]
                if j > i + 1 and piece not in self.vocabulary:
                    break  # jieba keeps every prefix of a word, so no longer word starts here
                logp = self.piece_logp(piece)
                if logp is not None:
                    best[j] = max(best[j], best[i] + logp)
        return best

    def best_suffixes(self, text: str) -> list[float]:
        """``out[k]`` = best segmentation log-probability of ``text[k:]``."""
        n = len(text)
        best = [-math.inf] * n + [0.0]
        for i in range(n - 1, -1, -1):
            for j in range(i + 1, n + 1):
                piece = text[i:j]
                if j > i + 1 and piece not in self.vocabulary:
                    break
                logp = self.piece_logp(piece)
                if logp is not None:
                    best[i] = max(best[i], logp + best[j])
        return best

    def slot_scores(self, before: str, choices: Sequence[str], after: str) -> list[float]:
        """Best segmentation log-probability of ``before + c + after`` for each choice ``c``."""
        # Exactly one piece of a segmentation holds c; the best segmentations left and right of
        # that piece do not depend on c, so only the pieces through c are looked up per choice.
        vocabulary, logp = self.vocabulary, self.piece_logp
        heads, tails = self.best_prefixes(before), self.best_suffixes(after)
        # Starts left of the choice from which a word could still run on into it, and the
        # continuations of a piece into ``after`` with the best score of the rest.
        starts = [(before[a:], heads[a]) for a in range(len(before)) if before[a:] in vocabulary]
        ends = [(after[:k], tails[k]) for k in range(1, len(after) + 1)]
        found: dict[str, float] = {}
        for ch in choices:
            if ch in found:
                continue
            best = heads[-1] + logp(ch) + tails[0]
            for head_text, head in starts + [("", heads[-1])]:
                piece = head_text + ch
                if piece not in vocabulary:
                    continue
                if head_text:
                    value = logp(piece)
                    if value is not None and head + value + tails[0] > best:
                        best = head + value + tails[0]
                for tail_text, tail in ends:
                    longer = piece + tail_text
                    if longer not in vocabulary:
                        break
                    value = logp(longer)
                    if value is not None and head + value + tail > best:
                        best = head + value + tail
            found[ch] = best
        return [found[ch] for ch in choices]

    def options(self, known: int, lost_is_lead: bool, simplified: bool) -> list[Option]:
        """Plausible guesses for the lost byte of a character whose other byte is ``known``."""
        # In a Simplified text the lost character was a Simplified one.
        key = (known, lost_is_lead, simplified)
        cached = self._options.get(key)
        if cached is None:
            pairs = leads_for(known) if lost_is_lead else trails_for(known)
            cached = self._options[key] = [
                Option(b, ch, self.simplify(ch)) for b, ch in pairs
                if self.is_plausible(ch) and self.prior(ch) >= MIN_GUESS_FREQ
                and not (simplified and self.simplify(ch) != ch)]
        return cached

    def is_simplified(self, text: str) -> bool:
        """Is the text in Simplified script (almost no character that OpenCC t2s would change)?"""
        han = [ch for ch in text[:4000] if is_han(ch)]  # a sample is enough, and cheaper
        changed = sum(1 for ch in han if self.simplify(ch) != ch)
        return changed <= 0.01 * len(han)


_JUDGES: list[Judge] = []


def judge_for(vocabulary: Mapping[str, int], to_simplified: Callable[[str], str]) -> Judge:
    """The Judge for a vocabulary and converter, reused so its caches serve later articles."""
    for judge in _JUDGES:
        if judge.vocabulary is vocabulary and judge.to_simplified == to_simplified:
            return judge
    judge = Judge(vocabulary, to_simplified)
    _JUDGES.insert(0, judge)
    del _JUDGES[4:]
    return judge


# ---------------------------------------------------------------------------------------------
# Hypotheses about a suspicious run


@dataclass(frozen=True)
class Reading:
    """One hypothesis about a garbled span: its original bytes, with None for each lost byte."""

    start: int
    end: int
    # stream[0] is the first character's lost lead byte; (stream[2k], stream[2k+1]) are the
    # original characters; a hole at an odd index followed by one at the next even index is an
    # unpairable (trail, lead) pair that the decoder turned into one "?".
    stream: tuple[Optional[int], ...]
    reopen: str = ""  # the "(" of a reading that the last unpairable pair swallowed
    marked: bool = True  # False: no "?" shows where the run starts, we guessed it


def readings_after_marker(text: str, marker: int) -> list[Reading]:
    """Ways to read the text after a ``?`` as an out-of-step run ending where the decoder recovers."""
    out: list[Reading] = []
    tail = _DANGLING_READING_RE.match(text, marker + 1)
    if tail and tail.end() < len(text) and not text[tail.end()].isascii():
        # The "?" swallowed a reading's "(" and the rest of the reading is left over (``?qū)⒆``).
        out += walk_run(text, marker, tail.end())
    out += walk_run(text, marker, marker + 1)
    return out[:MAX_READINGS]


def walk_run(text: str, span_start: int, run_start: int) -> list[Reading]:
    """Depth-first over a run's ambiguous characters (folded, hole, or end), collecting readings."""
    out: list[Reading] = []
    stack: list[tuple[int, tuple[Optional[int], ...], int]] = [(run_start, (None,), 0)]
    while stack and len(out) < MAX_READINGS:
        pos, stream, holes = stack.pop()
        if pos >= len(text) or pos - run_start > MAX_RUN:
            continue
        ch, first = text[pos], pos == run_start
        if ch in MARKERS and not first:
            # End: the last lead byte met an ASCII byte; the "?" hides the trail (and maybe a "(").
            tail = _DANGLING_READING_RE.match(text, pos + 1)
            reopen = ("(" if tail.group(1) == ")" else "（") if tail else ""
            out.append(Reading(span_start, pos + 1, stream + (None,), reopen))
            if holes < MAX_MID_HOLES and stream[-1] is not None:
                # Middle: an unpairable (trail, lead) pair; the run goes on out of step.
                stack.append((pos + 1, stream + (None, None), holes + 1))
        if ch.isascii() and "@" <= ch <= "~" and is_stray_letter(text, pos):
            # End: a trail byte in 0x40–0x7E was read as ASCII, which put the decoder back in step.
            out.append(Reading(span_start, pos + 1, stream + (ord(ch),)))
            if not first:
                continue  # a folded full-width letter is only likely right after the lost byte
        if ch.isascii() and ch.isdigit() and not first:
            continue
        pair = run_char_bytes(ch)
        if pair is not None:
            stack.append((pos + 1, stream + pair, holes))
    return out


def is_stray_letter(text: str, pos: int) -> bool:
    """Could the ASCII character at ``pos`` be a lone trail byte rather than part of a word?"""
    following = text[pos + 1:pos + 2]
    if following.isascii() and following.isalnum():
        return False  # English
    # Not the start of what is left of a reading whose "(" the "?" before it swallowed.
    return not (text[pos - 1] in MARKERS and _DANGLING_READING_RE.match(text, pos))


def readings_before_letter(text: str, letter: int, judge: Judge) -> list[Reading]:
    """Readings of an unmarked run ending in a stray letter: the lost byte left no ``?`` behind."""
    # The start is unknown, so the run grows leftwards; it stops at the first re-paired character
    # that is not plausible, since every longer run would contain that character too.
    out: list[Reading] = []
    stream: tuple[int, ...] = (ord(text[letter]),)
    start = letter
    while start > 0 and letter - start < MAX_RUN:
        ch = text[start - 1]
        pair = None if ch.isascii() else run_char_bytes(ch)
        fixed = pair and pair_char(pair[1], stream[0])  # its second byte + the next first byte
        if not fixed or not judge.is_plausible(fixed):
            break
        start -= 1
        stream = pair + stream
        out.append(Reading(start, letter + 1, (None,) + stream, marked=False))
    return out


# ---------------------------------------------------------------------------------------------
# Guessing the lost bytes and judging the result


@dataclass(frozen=True)
class Cell:
    """One original character: known, or one byte known and the other lost."""

    char: Optional[str] = None
    known: int = 0
    lost_is_lead: bool = False
    after_bad_pair: bool = False  # the lost lead and the previous lost trail were one unpairable pair


def cells_of(stream: Sequence[Optional[int]]) -> Optional[list[Cell]]:
    """Pair the byte stream into characters; None when known bytes do not make a GBK character."""
    cells: list[Cell] = []
    for k in range(0, len(stream), 2):
        lead, trail = stream[k], stream[k + 1]
        if lead is None and trail is None:
            return None
        if lead is None:
            cells.append(Cell(known=trail, lost_is_lead=True, after_bad_pair=k > 0 and stream[k - 1] is None))
        elif trail is None:
            cells.append(Cell(known=lead))
        elif (ch := pair_char(lead, trail)) is not None:
            cells.append(Cell(char=ch))
        else:
            return None
    return cells


def text_ahead(cells: Sequence[Cell], idx: int, right: str) -> str:
    """Known characters after cell ``idx`` up to the next lost byte (then the right context)."""
    ahead = []
    for cell in cells[idx + 1:]:
        if cell.char is None:
            return "".join(ahead)[:CONTEXT]
        ahead.append(cell.char)
    return ("".join(ahead) + right)[:CONTEXT]


def fill_holes(cells: Sequence[Cell], left: str, right: str, judge: Judge, style: Style,
               budget: list[int]) -> Optional[str]:
    """Guess every lost byte left to right by beam search on log-probability (None if out of budget)."""
    # A guess is scored on the recent text decided before it plus the known characters after it;
    # all states of the beam cover the same characters, so their scores compare.
    beams: list[tuple[float, str, Optional[int]]] = [(0.0, "", None)]  # (score, text, last guessed byte)
    for idx, cell in enumerate(cells):
        if cell.char is not None:
            beams = [(score, chars + cell.char, None) for score, chars, _ in beams]
            continue
        after = judge.simplify_text(text_ahead(cells, idx, right))
        options = judge.options(cell.known, cell.lost_is_lead, style.simplified)
        budget[0] -= len(options) * len(beams)
        if budget[0] < 0:
            return None
        simple = [o.simple for o in options]
        grown: list[tuple[float, str, Optional[int]]] = []
        for _, chars, last_byte in beams:
            scores = judge.slot_scores(judge.simplify_text((left + chars)[-3 * CONTEXT:]), simple, after)
            if cell.after_bad_pair:  # the decoder could not pair the lost trail with this lead
                scores = [-math.inf if last_byte is None or pair_char(last_byte, o.byte) else sc
                          for o, sc in zip(options, scores)]
            grown += [(sc, chars, i) for i, sc in enumerate(scores) if sc > -math.inf]
        if not grown:
            return None
        top = heapq.nlargest(BEAM if after else BLIND_BEAM, grown, key=lambda b: b[0])
        beams = [(sc, chars + options[i].char, options[i].byte) for sc, chars, i in top]
    return max(beams, key=lambda b: judge.best_prefixes(judge.simplify_text(left + b[1] + right))[-1])[1]


def has_evidence(span: str) -> bool:
    """Is there more to a span than "?" marks, which a real "??" or "???" also has?"""
    return any(ch not in MARKERS for ch in span)


def looks_like_text(cells: Sequence[Cell], judge: Judge) -> bool:
    """Do the characters a reading re-pairs without guessing read like prose?"""
    # Real text re-paired in step gives common characters and words, a wrong reading rare ones;
    # this cheap check spares the guessing for most wrong readings.
    known = "".join(judge.simplify(c.char) if c.char else "|" for c in cells)
    _, cover = judge.coverage(known)
    han = [(ch, f) for ch, f in zip(known, cover) if is_han(ch)]
    good = sum(1 for ch, f in han if f or judge.freq(ch) >= MIN_FIXED_FREQ)
    return good >= MIN_FIXED_SHARE * len(han)


def well_covered(simple: str, start: int, cells: Sequence[Cell], judge: Judge) -> bool:
    """Is the repair (``simple[start:start + len(cells)]``, Simplified, in context) dictionary prose?"""
    # Most of its Han characters sit in words; one standing alone is common; a guessed one fits a
    # word that is not rare or is very common itself (的, 將, 說): among a hundred guesses a rare
    # word or a middling character is too easy to hit by chance.
    _, cover = judge.coverage(simple)
    han = [(pos, cell.char is None) for pos, cell in enumerate(cells, start) if is_han(simple[pos])]
    if not han or sum(1 for pos, _ in han if cover[pos]) < MIN_COVERAGE * len(han):
        return False
    for pos, guessed in han:
        common = judge.freq(simple[pos]) >= (MIN_SINGLE_FREQ if guessed else MIN_FIXED_FREQ)
        if guessed and not common and judge.support(simple, pos) < MIN_GUESS_WORD_FREQ:
            return False
        if not guessed and not common and not cover[pos]:
            return False
    return True


def reads_cleanly(text: str, cover: Sequence[int], judge: Judge) -> bool:
    """Does ``text`` start normally, with at most one odd character (a rare one, or debris)?"""
    odd = [not f and (judge.char_score(ch) <= -2 or (is_han(ch) and judge.freq(ch) < MIN_FIXED_FREQ))
           for ch, f in zip(text, cover)]
    return not (odd and odd[0]) and sum(odd) <= 1


@dataclass(frozen=True)
class Repair:
    """An accepted repair of one span and how much it improved the dictionary score."""

    edit: Edit
    gain: float


def judge_reading(text: str, reading: Reading, judge: Judge, style: Style, budget: list[int]) -> Optional[Repair]:
    """Guess a reading's lost bytes; keep the repair only if the dictionary clearly prefers it."""
    cells = cells_of(reading.stream)
    if not cells or not has_evidence(text[reading.start:reading.end]):
        return None
    if any(c.char is not None and not judge.is_plausible(c.char) for c in cells):
        return None  # an out-of-step run of real text re-pairs into real characters, every one
    if not looks_like_text(cells, judge):
        return None
    left = context_before(text, reading.start)
    right_raw = text[reading.end:reading.end + 8 * CONTEXT]
    repaired = fill_holes(cells, left, context_after(reading.reopen + right_raw), judge, style, budget)
    if repaired is None:
        return None
    gain = clear_gain(strip_readings(text[reading.start:reading.end]), repaired, cells, left, right_raw, reading,
                      judge)
    if gain is None:
        return None
    replacement = (fold_width(repaired) if style.folded else repaired) + reading.reopen
    return Repair(Edit(reading.start, reading.end, replacement), gain)


def clear_gain(garbled: str, repaired: str, cells: Sequence[Cell], left: str, right_raw: str, reading: Reading,
               judge: Judge) -> Optional[float]:
    """How much better the repair reads than the garbled span, or None unless clearly better."""
    # Clearly better: it gains over the garble (whose "?" marks and stray letter count as debris),
    # reads as dictionary prose, leaves what follows reading normally, and is no worse than just
    # dropping the debris (much better, if dropping it rejoins a word the debris split: then the
    # "?" was more likely put into a clean word than left by a lost character).
    right = context_after(reading.reopen + right_raw)
    plain_right = context_after(right_raw)
    simple = judge.simplify_text(left + repaired + right)
    new, cover = judge.coverage(simple)
    old, _ = judge.coverage(judge.simplify_text(left + garbled + plain_right))
    old -= DEBRIS_COST * (sum(ch in MARKERS for ch in garbled) + (reading.stream[-1] is not None))
    if new - old < (MIN_GAIN if reading.marked else MIN_GAIN_UNMARKED):
        return None
    end = len(left) + len(repaired)
    if not well_covered(simple, len(left), cells, judge):
        return None
    if right_raw[:1] in tuple(MARKERS) or not reads_cleanly(simple[end:], cover[end:], judge):
        return None  # the decoder is back in step after a run, so what follows must read normally
    kept = "".join(ch for ch in garbled if not ch.isascii() and ch not in MARKERS)
    dropped, rejoined = judge.coverage_across(judge.simplify_text(left + kept + plain_right), len(left),
                                              len(left) + len(kept))
    if new - dropped < (MIN_GAIN if rejoined else 0.0):
        return None
    return new - old


def best_repair(text: str, readings: Sequence[Reading], judge: Judge, style: Style,
                budget: list[int]) -> Optional[Repair]:
    """The accepted repair with the largest gain among one span's readings, within the guess budget."""
    # ``budget`` holds the guesses left for the whole text; one span may use MAX_GUESSES of them.
    span_budget = [min(MAX_GUESSES, budget[0])]
    repairs = []
    # Short readings first; among equals, a "?" read as an unpairable pair before one read as a
    # folded "？" (the decoder makes many more of the first).
    for reading in sorted(set(readings), key=lambda r: (len(r.stream), -r.stream.count(None), r.end)):
        if span_budget[0] <= 0:
            break
        repair = judge_reading(text, reading, judge, style, span_budget)
        if repair:
            repairs.append(repair)
    budget[0] -= min(MAX_GUESSES, budget[0]) - max(span_budget[0], 0)
    return max(repairs, key=lambda r: r.gain, default=None)


def overlaps(edit: Edit, edits: Sequence[Edit]) -> bool:
    """Does ``edit`` touch any of ``edits``?"""
    return any(e.start < edit.end and edit.start < e.end for e in edits)


# ---------------------------------------------------------------------------------------------
# Entry point


def find_shift_garbles(text: str, vocabulary: Mapping[str, int], to_simplified: Callable[[str], str]) -> list[Edit]:
    """Edits that undo one-byte-shift GBK garbles in raw text, leaving anything doubtful alone."""
    markers = list(_MARKER_RE.finditer(text))
    letters = list(_STRAY_LETTER_RE.finditer(text))
    if not markers and not letters:
        return []  # the normal path: two regex scans
    judge = judge_for(vocabulary, to_simplified)
    judge.trim()
    style = Style(folded=is_folded(text), simplified=judge.is_simplified(text))
    budget = [MAX_GUESSES_PER_TEXT]
    edits: list[Edit] = []
    for match in markers:
        if edits and match.start() < edits[-1].end:
            continue
        repair = best_repair(text, readings_after_marker(text, match.start()), judge, style, budget)
        if repair:
            edits.append(repair.edit)
    for match in letters:
        if any(e.start <= match.start() < e.end for e in edits):
            continue
        readings = readings_before_letter(text, match.start(), judge)
        repair = best_repair(text, readings, judge, style, budget)
        if repair and not overlaps(repair.edit, edits):
            edits.append(repair.edit)
    return sorted(edits, key=lambda e: e.start)
