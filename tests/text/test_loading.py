"""Decoding article bytes: BOMs, UTF-8, GB18030, Big5 detected from content; bad input refused clearly."""
from __future__ import annotations

import codecs
import os

import pytest

from qa.text.loading import MAX_BYTES, LoadError, article_files, decode_bytes, read_article

TRADITIONAL = "京東、阿里的金融科技新啟示。透過以京東科技、螞蟻金服為代表的頭部玩家們的探索和實踐，我們總是可以看出一些端倪。"
SIMPLIFIED = "京东、阿里的金融科技新启示。透过以京东科技、蚂蚁金服为代表的头部玩家们的探索和实践，我们总是可以看出一些端倪。"


@pytest.mark.parametrize("text, data", [
    (TRADITIONAL, TRADITIONAL.encode("utf-8")),
    (TRADITIONAL, codecs.BOM_UTF8 + TRADITIONAL.encode("utf-8")),
    (TRADITIONAL, TRADITIONAL.encode("utf-16")),  # with BOM, little-endian here
    (TRADITIONAL, codecs.BOM_UTF16_BE + TRADITIONAL.encode("utf-16-be")),
    (SIMPLIFIED, SIMPLIFIED.encode("gb18030")),
    (SIMPLIFIED, SIMPLIFIED.encode("gbk")),
    (TRADITIONAL, TRADITIONAL.encode("big5")),
    (TRADITIONAL, TRADITIONAL.encode("gb18030")),  # Traditional characters stored as GBK
    # UTF-16 without a byte-order mark (Windows' "Unicode" save), either byte order: text, not "binary".
    (TRADITIONAL + "\n2020 AI\n", (TRADITIONAL + "\n2020 AI\n").encode("utf-16-le")),
    (SIMPLIFIED + "\n", (SIMPLIFIED + "\n").encode("utf-16-be")),
])
def test_decode_detects_encoding_from_content(text: str, data: bytes) -> None:
    assert decode_bytes(data, "a.txt") == text


@pytest.mark.parametrize("data, message, code", [
    (b"", "empty", "empty"),
    (b"   \n\t\n", "empty", "empty"),
    (bytes(range(256)) * 20, "binary", "binary"),
    (b"\x89PNG\r\n\x1a\n" + os.urandom(2000), "binary", "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary", "binary"),  # NULs, even length: not UTF-16 text
    (b"a" * (MAX_BYTES + 1), "too large", "too_large"),
    (codecs.BOM_UTF8 + b"\xff\xfe\xfd", "byte-order mark", "bad_bom"),
])
def test_decode_refuses_bad_input_with_a_named_message(data: bytes, message: str, code: str) -> None:
    with pytest.raises(LoadError) as error:
        decode_bytes(data, "bad.txt")
    assert "bad.txt" in str(error.value) and message in str(error.value)
    assert "\n" not in str(error.value)
    assert error.value.code == code  # what an interface in another language words itself


def test_read_article_names_missing_and_folder_paths(tmp_path) -> None:
    with pytest.raises(LoadError, match="cannot read"):
        read_article(tmp_path / "missing.txt")
    with pytest.raises(LoadError, match="folder"):
        read_article(tmp_path)


def test_article_files_finds_txt_and_md_recursively(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("b.txt", "a.md", "sub/c.txt", "image.png", "notes.TXT"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert [p.relative_to(tmp_path).as_posix() for p in article_files(tmp_path)] == ["a.md", "b.txt", "notes.TXT", "sub/c.txt"]
    with pytest.raises(LoadError, match="no such file"):
        article_files(tmp_path / "nope")
