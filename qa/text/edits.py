"""Text edits that keep a map back to the raw text, so cleaned sentences can cite raw offsets."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``replacement`` (empty replacement = delete)."""

    start: int
    end: int
    replacement: str = ""


@dataclass(frozen=True)
class MappedText:
    """A text plus, for each of its characters, the raw span ``[raw_start[i], raw_end[i])`` it came from."""

    text: str
    raw_start: tuple[int, ...]
    raw_end: tuple[int, ...]

    @classmethod
    def identity(cls, raw: str) -> "MappedText":
        """The raw text mapped onto itself."""
        return cls(raw, tuple(range(len(raw))), tuple(range(1, len(raw) + 1)))

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Raw offsets covering ``text[start:end]`` (end exclusive, non-empty span)."""
        return self.raw_start[start], self.raw_end[end - 1]

    def apply(self, edits: Iterable[Edit]) -> "MappedText":
        """Apply non-overlapping edits (offsets into ``self.text``), carrying the raw map along.

        Characters of a replacement are spread evenly over the raw span they replace, so a
        repaired sentence boundary inside a replacement still falls near the right raw offset.
        """
        out_chars: list[str] = []
        out_start: list[int] = []
        out_end: list[int] = []
        pos = 0
        for edit in sorted(edits, key=lambda e: (e.start, e.end)):
            if edit.start < pos:
                raise ValueError(f"overlapping edit at {edit.start}")
            out_chars.append(self.text[pos:edit.start])
            out_start.extend(self.raw_start[pos:edit.start])
            out_end.extend(self.raw_end[pos:edit.start])
            if edit.replacement:
                span_len = edit.end - edit.start
                count = len(edit.replacement)
                for i in range(count):
                    if span_len:
                        lo = edit.start + (i * span_len) // count
                        hi = max(lo + 1, edit.start + ((i + 1) * span_len) // count)
                        out_start.append(self.raw_start[lo])
                        out_end.append(self.raw_end[hi - 1])
                    else:  # pure insertion: anchor on the neighbouring raw character
                        anchor = self.raw_start[edit.start] if edit.start < len(self.text) else (
                            self.raw_end[-1] if self.text else 0)
                        out_start.append(anchor)
                        out_end.append(anchor)
                out_chars.append(edit.replacement)
            pos = edit.end
        out_chars.append(self.text[pos:])
        out_start.extend(self.raw_start[pos:])
        out_end.extend(self.raw_end[pos:])
        return MappedText("".join(out_chars), tuple(out_start), tuple(out_end))
