"""qa.measure.train_zdict: the preset dictionary the store compresses article text with, built from a real slice of
CMRC 2018 train; the shipped one makes the seed article smaller on disk, and the table reads it back."""
from __future__ import annotations

import zlib

from conftest import ROOT, SEED_PATH
from qa.measure.train_zdict import WINDOW, common_pieces, main, training_texts, zlib_dictionary
from qa.search.table import RAW_LEVEL, ArticleTable, raw_dictionary

SLICE = ROOT / "tests" / "data" / "train_slice_cmrc.json"


def deflated(data: bytes, dictionary: bytes | None) -> int:
    deflate = zlib.compressobj(RAW_LEVEL, zdict=dictionary) if dictionary else zlib.compressobj(RAW_LEVEL)
    return len(deflate.compress(data) + deflate.flush())


def test_the_dictionary_fills_the_window_with_the_most_covering_pieces_last() -> None:
    texts = training_texts(SLICE)
    assert any("國" in t or "這" in t for t in texts) and any("国" in t or "这" in t for t in texts)  # both scripts
    counts = common_pieces(texts)
    dictionary = zlib_dictionary(counts)
    assert WINDOW - 12 <= len(dictionary) <= WINDOW
    best = max(counts.items(), key=lambda item: item[1] * len(item[0].encode("utf-8")))[0]
    assert dictionary.endswith(best.encode("utf-8"))
    small = zlib_dictionary(counts, limit=100)
    assert len(small) <= 100 and dictionary.endswith(small)


def test_the_shipped_dictionary_makes_an_unseen_article_smaller_and_reads_back(seed_article) -> None:
    data = SEED_PATH.read_bytes()  # a long article (3.8 KB deflated): the dictionary helps short ones most
    assert deflated(data, raw_dictionary()) < 0.98 * deflated(data, None)
    table = ArticleTable.from_articles([seed_article])
    assert table.arrays["raw_bytes"].size == deflated(seed_article.raw.encode("utf-8"), raw_dictionary())
    assert table[0].raw == seed_article.raw and table[0].sentences == seed_article.sentences


def test_the_command_writes_a_dictionary_that_compresses(tmp_path, capsys, seed_raw: str) -> None:
    out = tmp_path / "raw.zdict"
    assert main(["--data", str(SLICE), "--out", str(out)]) == 0
    assert "bytes from" in capsys.readouterr().out
    made = out.read_bytes()
    assert deflated(seed_raw.encode("utf-8"), made) < deflated(seed_raw.encode("utf-8"), None)
    assert main(["--data", str(tmp_path / "missing.json"), "--out", str(out)]) == 2
