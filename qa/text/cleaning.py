"""Clean scraped article text with general rules, keeping a map back to raw offsets.

Each rule finds edits on the text it is given; ``clean_text`` applies them in order
(garble repair → pinyin readings → page furniture) on a ``MappedText``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Mapping

from qa.text.edits import Edit, MappedText

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_TONELESS = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü", "aaaaeeeeiiiioooouuuuvvvvv")
# A pinyin syllable: optional initial + final (tones stripped, ü written v).
_SYLLABLE = re.compile(
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ueng|ang|eng|ing|ong|uai|uan|ian|iao|van|ai|ei|ao|ou|an|en|er|in|un|vn|ia|ie|iu|ua|uo|ui|ve|ue|a|o|e|i|u|v)"
    r"[1-5]?")
# A reading in ASCII or full-width parentheses right after a Han character.
_READING = re.compile(rf"(?<=[{HAN}])[(（]([a-z{_TONED}ü]{{1,7}}[1-5]?)[)）]")


def _is_syllable(word: str) -> bool:
    return _SYLLABLE.fullmatch(word.translate(_TONELESS)) is not None


def find_pinyin_readings(text: str) -> list[Edit]:
    """Edits deleting pinyin readings in parentheses after Han characters: 當(dāng) → 當.

    A toned syllable (dāng, dang1) is always a reading. A toneless one (de, me) is only taken
    when the text carries several toned readings too, so an English word in parentheses after
    Chinese text, such as 金融(fintech) or 人工智能(AI), is left alone.
    """
    matches = [m for m in _READING.finditer(text) if _is_syllable(m.group(1))]
    toned = sum(1 for m in matches if re.search(rf"[{_TONED}1-5]", m.group(1)))
    edits = []
    for m in matches:
        if re.search(rf"[{_TONED}1-5]", m.group(1)) or toned >= 3:
            edits.append(Edit(m.start(), m.end(), ""))
    return edits


# Lines that are page furniture rather than article text.
_IMAGE_LINE = re.compile(r"^\s*[\w\-. ()（）\[\]]{0,80}\.(?:png|jpe?g|gif|webp|bmp|svg)\s*$", re.I)
_END_MARK = re.compile(r"^\s*[-—–=*#\s]*(?:THE\s*END|END|完|（完）|\(完\)|全文完)[-—–=*#\s]*$", re.I)
# A comment/related-links footer: it and everything after it is dropped.
_FOOTER_START = re.compile(
    r"^\s*(?:最新評論|最新评论|網友評論|网友评论|熱門評論|热门评论|全部評論|全部评论|發表評論|发表评论|"
    r"相關閱讀|相关阅读|相關文章|相关文章|推薦閱讀|推荐阅读|猜你喜歡|猜你喜欢|延伸閱讀|延伸阅读|"
    r"暫無評論|暂无评论|評論|评论|更多|查看更多|閱讀更多|阅读更多|返回搜狐|返回首頁|返回首页)"
    r"(?:\s*[(（][^\n]*[)）])?\s*[:：]?\s*$")
_SHARE_LINE = re.compile(r"^\s*(?:分享到|分享至|點擊|点击|掃描|扫描|关注我们|關注我們|责任编辑|責任編輯|編輯|编辑)[:：\s]")
# A provenance line: kept as metadata, never answered.
_SOURCE_LINE = re.compile(
    r"^\s*(?:(?:本文來自|本文来自|本文轉載自|本文转载自|本文首發於|本文首发于|轉載自|转载自)"
    r"|(?:文章來源|文章来源|來源|来源|原文連結|原文链接|原標題|原标题|出處|出处|作者)\s*[:：])")


@dataclass(frozen=True)
class Furniture:
    """What the furniture rule found: edits deleting furniture lines, and the source line text."""

    edits: tuple[Edit, ...]
    source: str


def find_furniture(text: str) -> Furniture:
    """Edits deleting page furniture lines (image names, THE END, footers, share lines) and the source line."""
    edits: list[Edit] = []
    source = ""
    pos = 0
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        start, end = pos, pos + len(line)
        pos = end
        body = line.strip()
        if not body:
            continue
        # A footer marker ends the article only near its end, so a heading like 評論 mid-text survives.
        if _FOOTER_START.match(body) and len("".join(lines[number:])) < max(400, len(text) // 5):
            edits.append(Edit(start, len(text), ""))
            break
        if _SOURCE_LINE.match(body) and len(body) <= 120:
            source = source or body
            edits.append(Edit(start, end, ""))
        elif _IMAGE_LINE.match(body) or _END_MARK.match(body) or (_SHARE_LINE.match(body) and len(body) <= 60):
            edits.append(Edit(start, end, ""))
    return Furniture(tuple(edits), source)


@dataclass(frozen=True)
class CleanedText:
    """The cleaned article text, its map to raw offsets, and metadata found while cleaning."""

    raw: str
    mapped: MappedText
    source: str = ""

    @property
    def text(self) -> str:
        return self.mapped.text


GarbleFinder = Callable[[str], list[Edit]]


def clean_text(raw: str, find_garbles: GarbleFinder | None = None) -> CleanedText:
    """Run every cleaning rule over raw text; the result maps back to ``raw`` offsets."""
    mapped = MappedText.identity(raw)
    if find_garbles is not None:
        mapped = mapped.apply(find_garbles(mapped.text))
    mapped = mapped.apply(find_pinyin_readings(mapped.text))
    furniture = find_furniture(mapped.text)
    mapped = mapped.apply(furniture.edits)
    return CleanedText(raw, mapped, furniture.source)


def garble_finder(vocabulary: Mapping[str, int], to_simplified: Callable[[str], str]) -> GarbleFinder:
    """The GBK byte-shift repair bound to a dictionary (see qa.text.garble)."""
    from qa.text.garble import find_shift_garbles

    return lambda text: find_shift_garbles(text, vocabulary, to_simplified)


def fold_width(text: str) -> str:
    """Fold full-width letters, digits and punctuation to their ASCII forms (NFKC)."""
    return unicodedata.normalize("NFKC", text)
