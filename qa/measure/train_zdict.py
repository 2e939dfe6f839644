"""Build the preset dictionary the store compresses article text with (``qa/search/models/raw_text.zdict``).

``python -m qa.measure.train_zdict --data ../shared/data/cmrc2018_train.json [--out FILE]``

zlib compresses each article on its own (so one can be read without the others), and a short article gives it
little to learn from; a preset dictionary (``zdict``, at most zlib's 32 KB window) of the pieces Chinese text
repeats most lets even the first sentence refer back to them. The pieces are the 2-, 3- and 4-character strings of
the training paragraphs — half of them as written (Simplified), half converted to Traditional with OpenCC, since
articles come in both — ranked by how many bytes they cover (count × UTF-8 length), the most useful last (nearest
the text, where zlib's back-references are cheapest). Trained on CMRC 2018 train only: never on a reported set.
"""
from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from qa.measure.evaluate import DataError, load_squad
from qa.search.table import RAW_DICTIONARY_PATH

WINDOW = 32768  # zlib uses at most this many bytes of a preset dictionary


def common_pieces(texts: Iterable[str], sizes: Sequence[int] = (2, 3, 4)) -> Counter:
    """How often each string of ``sizes`` characters occurs in the texts."""
    counts: Counter = Counter()
    for text in texts:
        for n in sizes:
            counts.update(text[i:i + n] for i in range(len(text) - n + 1))
    return counts


def zlib_dictionary(counts: Counter, limit: int = WINDOW) -> bytes:
    """The pieces covering the most bytes, as many as fit in ``limit`` bytes of UTF-8, the most useful last."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1] * len(item[0].encode("utf-8")), item[0]))
    chosen, size = [], 0
    for piece, _ in ranked:
        encoded = piece.encode("utf-8")
        if size + len(encoded) > limit:
            break
        chosen.append(encoded)
        size += len(encoded)
    return b"".join(reversed(chosen))


def training_texts(path: str | Path, seed: int = 0) -> list[str]:
    """The set's article texts, shuffled by ``seed``, the second half converted to Traditional."""
    import opencc

    texts = [article.raw for article in load_squad(path).articles]
    random.Random(seed).shuffle(texts)
    half = len(texts) // 2
    to_traditional = opencc.OpenCC("s2t")
    return texts[:half] + [to_traditional.convert(t) for t in texts[half:]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.measure.train_zdict", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/cmrc2018_train.json", help="SQuAD-format training set")
    parser.add_argument("--out", default=str(RAW_DICTIONARY_PATH), help="where the dictionary goes")
    args = parser.parse_args(argv)
    try:
        texts = training_texts(args.data)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    dictionary = zlib_dictionary(common_pieces(texts))
    Path(args.out).write_bytes(dictionary)
    print(f"{args.out}: {len(dictionary):,} bytes from {len(texts):,} articles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
