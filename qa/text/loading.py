"""Read article files: detect the encoding (BOM, UTF-8, GB18030, Big5) and refuse bad input clearly."""
from __future__ import annotations

import codecs
import os
import re
from pathlib import Path

import numpy as np

MAX_BYTES = 5 * 1024 * 1024
ARTICLE_SUFFIXES = (".txt", ".md")


class LoadError(ValueError):
    """An article that cannot be used; the message names the file and the fix.

    ``code`` says which problem it is and ``values`` hold its figures, so an interface in another language
    can say the same thing in its own words (the message itself is English, for the command line).
    """

    def __init__(self, message: str, code: str = "", **values: object) -> None:
        super().__init__(message)
        self.code = code
        self.values = values


_SURROGATES = re.compile("[\ud800-\udfff]")


def replace_surrogates(text: str) -> str:
    """Text with its lone surrogates replaced by U+FFFD: they are how Python carries bytes that are not UTF-8
    (file names, command-line arguments), and cannot be encoded, printed or tokenized."""
    return _SURROGATES.sub("\ufffd", text)


def path_text(path: str | os.PathLike) -> str:
    """A path as printable text (bytes that are not UTF-8 shown as U+FFFD); open the file by its Path, not this."""
    return replace_surrogates(os.fsdecode(path))


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _code_points(text: str) -> np.ndarray:
    """The text's code points as one array: counting over it costs milliseconds for a 2,000,000-character upload,
    where a loop over the characters held the server's interpreter for seconds while other visitors waited."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _han_share(text: str, encoding: str, common: range) -> float:
    """Share of Han characters whose code in ``encoding`` has a lead byte in ``common`` (each distinct character
    encoded once: an article holds a few thousand)."""
    points = _code_points(text)
    counts = np.bincount(points[(points >= 0x4E00) & (points <= 0x9FFF)] - 0x4E00)
    total = int(counts.sum())
    if not total:
        return 0.0
    hits = 0
    for offset in np.flatnonzero(counts).tolist():
        try:
            if chr(0x4E00 + offset).encode(encoding)[0] in common:
                hits += int(counts[offset])
        except UnicodeEncodeError:
            pass
    return hits / total


def _private_share(text: str) -> float:
    """Share of private-use characters: what the user-defined rows of GB18030 (A140–A7A0, where Big5 keeps its
    punctuation ，、。) and of Big5 decode to, and no real article holds."""
    points = _code_points(text)
    return int(np.count_nonzero((points >= 0xE000) & (points <= 0xF8FF))) / len(points) if len(points) else 0.0


def _looks_binary(text: str) -> bool:
    """True when the text is mostly control characters (a binary file that happened to decode)."""
    if "\x00" in text:
        return True
    points = _code_points(text)
    controls = int(np.count_nonzero((points < 32) & ((points < 9) | (points > 13))))  # \t \n \v \f \r are text
    return controls > max(2, len(text) // 100)


def decode_bytes(data: bytes, name: str = "<text>") -> str:
    """Decode article bytes, detecting BOMs, UTF-8, GB18030 and Big5 from the content."""
    if len(data) > MAX_BYTES:
        raise LoadError(f"{name}: too large ({len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB per article)",
                        "too_large", size=len(data) / 1e6, limit=MAX_BYTES / 1e6)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise LoadError(f"{name}: starts with a {encoding} byte-order mark but is not valid {encoding}",
                                "bad_bom", encoding=encoding.upper()) from None
            return _checked(text.lstrip("\ufeff"), name)
    if b"\x00" in data:
        if (text := _utf16_without_bom(data)) is not None:
            return _checked(text, name)
        raise LoadError(f"{name}: looks like a binary file, not text (save it as UTF-8 text)", "binary")
    try:
        return _checked(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        pass
    candidates: list[tuple[float, str]] = []
    # GB2312 lead bytes B0-F7 hold the common Simplified characters; Big5 A4-C6 the common Traditional ones.
    for encoding, probe, common in (("gb18030", "gb2312", range(0xB0, 0xF8)), ("cp950", "cp950", range(0xA4, 0xC7))):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append((_han_share(text, probe, common) - _private_share(text), text))
    if not candidates:
        raise LoadError(f"{name}: cannot decode: not UTF-8, UTF-16, GB18030 or Big5 text", "undecodable")
    return _checked(max(candidates, key=lambda c: c[0])[1], name)


def _utf16_without_bom(data: bytes) -> str | None:
    """The text of UTF-16 bytes saved without a byte-order mark (Windows' "Unicode"), or None if they are not.

    Such text has NUL bytes (the high byte of every ASCII character) on one side of each pair; the side tells
    the byte order, and the decoded text must read as text: no control characters, mostly letters and spaces.
    """
    if len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if not even and not odd:
        return None
    encoding = "utf-16-le" if odd > even else "utf-16-be"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    readable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return text if not _looks_binary(text) and readable >= 0.98 * len(text) else None


def _checked(text: str, name: str) -> str:
    """Refuse decoded text that is empty or binary."""
    if _looks_binary(text):
        raise LoadError(f"{name}: looks like a binary file, not text (save it as UTF-8 text)", "binary")
    if not text.strip():
        raise LoadError(f"{name}: the file is empty", "empty")
    return text


def read_article(path: str | Path) -> str:
    """Read one article file, decoding it; raises LoadError with a one-line reason."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise LoadError(f"{path_text(path)}: too large ({size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB per article)",
                            "too_large", size=size / 1e6, limit=MAX_BYTES / 1e6)
        data = path.read_bytes()
    except LoadError:
        raise
    except IsADirectoryError:
        raise LoadError(f"{path_text(path)}: is a folder, not a text file", "folder") from None
    except OSError as error:
        raise LoadError(f"{path_text(path)}: cannot read: {error.strerror or error}", "unreadable") from None
    return decode_bytes(data, path_text(path))


def article_files(folder: str | Path) -> list[Path]:
    """The article files (.txt/.md) in a folder and its subfolders, in a stable order."""
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        raise LoadError(f"{path_text(folder)}: no such file or folder", "missing")
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)
