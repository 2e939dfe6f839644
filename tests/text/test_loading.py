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


# --- properties (issue 10): any bytes are text or one LoadError; text saved in a supported encoding reads back ----

from hypothesis import given, settings, strategies as st  # noqa: E402

# Text an article may hold: Han, kana, Latin, digits, punctuation, emoji, line breaks; no control characters.
ARTICLE_CHARS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn"), include_characters="\n\t")
ARTICLE_TEXT = st.text(ARTICLE_CHARS, min_size=1, max_size=200).filter(lambda t: t.strip() and not t.startswith("\ufeff"))
CODES = {"too_large", "bad_bom", "binary", "undecodable", "empty"}


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.binary(max_size=400),
                 st.builds(lambda bom, rest: bom + rest,
                           st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE,
                                            codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, b""]),
                           st.binary(max_size=400))))
def test_any_bytes_are_text_or_one_load_error(data: bytes) -> None:
    try:
        text = decode_bytes(data, "x.txt")
    except LoadError as error:
        assert error.code in CODES and str(error).startswith("x.txt: ") and "\n" not in str(error)
    else:
        assert isinstance(text, str) and text.strip() and "\x00" not in text


@settings(max_examples=100, deadline=None)
@given(ARTICLE_TEXT, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom", "utf-32"]))
def test_text_saved_as_utf_or_with_a_bom_reads_back(text: str, encoding: str) -> None:
    if encoding.endswith("-bom"):
        data = (codecs.BOM_UTF16_LE if "-le" in encoding else codecs.BOM_UTF16_BE) + text.encode(encoding[:-4])
    else:
        data = text.encode(encoding)
    assert decode_bytes(data) == text


HAN = st.text(st.sampled_from(SIMPLIFIED + TRADITIONAL), min_size=8, max_size=200)


@settings(max_examples=100, deadline=None)
@given(HAN.filter(lambda t: any("\u4e00" <= c <= "\u9fff" for c in t)), st.sampled_from(["gb18030", "big5"]))
def test_chinese_saved_as_gb18030_or_big5_reads_back(text: str, encoding: str) -> None:
    """Han text of the common characters (which every real article is mostly made of) in either national encoding."""
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:  # a Simplified-only character has no Big5 code
        return
    assert decode_bytes(data) == text
