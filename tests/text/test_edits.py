"""The offset map: edits on cleaned text still point back into the raw text."""
from __future__ import annotations

import pytest

from qa.text.edits import Edit, MappedText


def test_deletions_keep_raw_offsets() -> None:
    raw = "當(dāng)互聯(lián)網"
    mapped = MappedText.identity(raw).apply([Edit(1, 7), Edit(9, 15)])
    assert mapped.text == "當互聯網"
    assert [raw[s:e] for s, e in zip(mapped.raw_start, mapped.raw_end)] == ["當", "互", "聯", "網"]
    assert mapped.raw_span(1, 4) == (7, 16)


def test_replacement_spreads_over_its_raw_span_and_composes() -> None:
    raw = "abc??XYZdef"
    first = MappedText.identity(raw).apply([Edit(3, 8, "。可以說")])
    assert first.text == "abc。可以說def"
    second = first.apply([Edit(0, 3)])
    assert second.text == "。可以說def"
    starts = second.raw_start[:4]
    assert starts[0] == 3 and list(starts) == sorted(starts) and second.raw_end[3] == 8
    assert second.raw_span(4, 7) == (8, 11)


def test_overlapping_edits_are_refused() -> None:
    with pytest.raises(ValueError):
        MappedText.identity("abcdef").apply([Edit(0, 3), Edit(2, 4)])
