"""GBK one-byte-shift garble repair: the seed's real garbles, garbles made the same way, and text to leave alone."""
from __future__ import annotations

import re
import time
from typing import Callable, Mapping

import jieba
import opencc
import pytest

from qa.text.edits import Edit, MappedText
from qa.text.garble import find_shift_garbles

Tools = tuple[Mapping[str, int], Callable[[str], str]]

# The seed's garbles and what they were (the pinyin after the repair annotates its last character).
SEED_GARBLES = [
    ("??梢哉f(shuō)", "。可以說(shuō)"),
    ("?;ヂ?lián)網(wǎng)", "。互聯(lián)網(wǎng)"),
    ("?,F(xiàn)在", "。現(xiàn)在"),
    ("能夠?qū)⒆陨淼陌l(fā)展", "能夠將自身的發(fā)展"),
]


@pytest.fixture(scope="module")
def tools() -> Tools:
    """A real jieba dictionary (its own tokenizer, not the global one) and OpenCC t2s."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer.FREQ, opencc.OpenCC("t2s").convert


def repair(text: str, tools: Tools) -> str:
    return MappedText.identity(text).apply(find_shift_garbles(text, *tools)).text


# --- Making garbles the way the seed's were made --------------------------------------------

UNFOLD = str.maketrans(",;:!?", "，；：！？")


def fold(text: str) -> str:
    """Full-width ASCII forms to ASCII, as the scraper did after the garbling."""
    return "".join(chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else ch for ch in text)


def decode_out_of_step(data: bytes, user_area_as_pua: bool) -> str:
    """Decode GBK pairwise as the seed's decoder did: an unpairable pair becomes one "?" (both bytes
    gone); with ``user_area_as_pua`` GBK's user-defined area decodes to Private Use characters, as
    Windows' code page 936 does, instead of being unpairable."""
    codec = "gb18030" if user_area_as_pua else "gbk"
    out, i = [], 0
    while i < len(data):
        if data[i] < 0x80:
            out.append(chr(data[i]))
            i += 1
            continue
        try:
            ch = data[i:i + 2].decode(codec)
        except UnicodeDecodeError:
            ch = ""
        out.append(ch if len(ch) == 1 and i + 1 < len(data) else "?")
        i += 2
    return "".join(out)


def shift_garble(text: str, at: int, *, folded: bool = True, user_area_as_pua: bool = False,
                 marker: str = "?") -> str:
    """Lose the first GBK byte of ``text[at]`` (``marker`` stays in its place), decode the rest one
    byte out of step, then (``folded``) fold full-width punctuation to ASCII like the seed's scraper."""
    original = text.translate(UNFOLD) if folded else text
    data = original.encode("gbk")
    cut = len(original[:at].encode("gbk"))
    garbled = original[:at] + marker + decode_out_of_step(data[cut + 1:], user_area_as_pua)
    if marker and marker != "?":  # a decoder that marks a lost byte so marks unpairable ones too
        garbled = original[:at] + marker + garbled[at + len(marker):].replace("?", marker)
    return fold(garbled) if folded else garbled


def test_shift_garble_reproduces_the_seed_garbles() -> None:
    """The simulation is the seed's corruption: it turns the seed's originals into its garbles."""
    assert shift_garble("點。可以說(shuō),", 1) == "點??梢哉f(shuō),"
    assert shift_garble("系。互聯(lián)網", 1) == "系?;ヂ?lián)網"
    assert shift_garble("上。現(xiàn)在", 1) == "上?,F(xiàn)在"


# --- The seed ------------------------------------------------------------------------------


def test_seed_garbles_are_all_repaired(seed_raw: str, tools: Tools) -> None:
    expected = seed_raw
    for garbled, original in SEED_GARBLES:
        expected = expected.replace(garbled, original)
    assert sum(seed_raw.count(garbled) for garbled, _ in SEED_GARBLES) == 6
    repaired = repair(seed_raw, tools)
    assert repaired == expected  # all six repaired, nothing else touched
    assert "?" not in repaired


@pytest.mark.parametrize("garbled, original", SEED_GARBLES)
def test_each_seed_garble_gets_one_exact_edit(seed_raw: str, tools: Tools, garbled: str, original: str) -> None:
    edits = find_shift_garbles(seed_raw, *tools)
    for found in re.finditer(re.escape(garbled), seed_raw):
        inside = [e for e in edits if found.start() <= e.start < found.end()]
        assert len(inside) == 1
        edit = inside[0]
        # The edit covers exactly the garbled characters; readings that follow stay for the pinyin rule.
        assert seed_raw[:edit.start] + edit.replacement + seed_raw[edit.end:found.end()] == \
            seed_raw[:found.start()] + original


def test_seed_edits_are_sorted_and_disjoint(seed_raw: str, tools: Tools) -> None:
    edits = find_shift_garbles(seed_raw, *tools)
    assert all(isinstance(e, Edit) for e in edits)
    assert all(a.end <= b.start for a, b in zip(edits, edits[1:]))


def test_repaired_seed_is_left_alone(seed_raw: str, tools: Tools) -> None:
    repaired = repair(seed_raw, tools)
    assert find_shift_garbles(repaired, *tools) == []
    plain = tools[1](re.sub(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", "", repaired))  # Simplified, no pinyin
    assert find_shift_garbles(plain, *tools) == []


def test_seed_scan_is_fast(seed_raw: str, tools: Tools) -> None:
    find_shift_garbles(seed_raw, *tools)  # warm the caches, as indexing many articles does
    started = time.perf_counter()
    find_shift_garbles(seed_raw, *tools)
    assert time.perf_counter() - started < 0.25  # typically well under 20 ms; generous for slow CI


# --- Garbles made the same way on other sentences --------------------------------------------


@pytest.mark.parametrize("original, lost, options", [
    # Traditional with readings, as the seed: a lost 。 whose run ends at a reading's "(".
    ("這一點很重要。我們(men)今天討(tǎo)論(lùn)經(jīng)濟(jì)。", "。", {}),
    # Traditional without readings; the run goes through ， and ends at the last 。.
    ("我們今天討論經濟,也討論市場,這一點很重要。我們今天討論經濟,也討論市場。", "。", {"user_area_as_pua": True}),
    # A lost ， (its A3 AC pair is in GBK's user-defined area, so a decoder that maps it is needed).
    ("他們說,市場很大,但是市場也很亂。", ",但", {"user_area_as_pua": True}),
    ("他們說(shuō),市場(chǎng)很大,但是市場(chǎng)也很亂。", ",但", {"user_area_as_pua": True}),
    # A lost lead byte of a Han character, as the seed's 將.
    ("才是真正能夠將自身的發(fā)展帶入到全新階段", "將", {}),
    # A lost lead byte whose trail surfaces as a letter, with nothing else garbled.
    ("金融科技新形態(tài)的出現", "態", {}),
    # Simplified, full-width punctuation kept.
    ("这一点很重要。我们今天讨论经济，也讨论市场。", "。", {"folded": False, "user_area_as_pua": True}),
    ("这一点很重要。我们今天讨论经济，也讨论市场。", "，", {"folded": False, "user_area_as_pua": True}),
    ("市场很大，但是市场也很乱。", "，", {"folded": False, "user_area_as_pua": True}),
    ("这是我们的问题。现在的金融科技已经不再是", "。", {"folded": False}),
])
def test_simulated_garbles_are_repaired(tools: Tools, original: str, lost: str, options: dict) -> None:
    garbled = shift_garble(original, original.index(lost), **options)
    expected = fold(original.translate(UNFOLD)) if options.get("folded", True) else original
    assert garbled != expected
    assert repair(garbled, tools) == expected


@pytest.mark.parametrize("original, lost, options", [
    # U+FFFD (a decoder's replacement character) instead of "?".
    ("這一點很重要。我們(men)今天討(tǎo)論(lùn)經(jīng)濟(jì)。", "。", {"marker": "\ufffd"}),
    ("这是我们的问题。现在的金融科技已经不再是", "。", {"folded": False, "marker": "\ufffd"}),
    # No mark at all where the byte was lost: the run is found by the letter it ends in.
    ("才是真正能夠將自身的發(fā)展帶入到全新階段", "將", {"marker": ""}),
    ("它們開(kāi)始尋找新的發(fā)展方向", "尋", {"marker": ""}),
])
def test_other_marks_for_the_lost_byte(tools: Tools, original: str, lost: str, options: dict) -> None:
    garbled = shift_garble(original, original.index(lost), **options)
    assert garbled != original
    assert repair(garbled, tools) == original


def test_several_garbles_in_one_text(tools: Tools) -> None:
    first = "這一點很重要。我們(men)今天討(tǎo)論(lùn)經(jīng)濟(jì)。"
    second = "金融科技新形態(tài)的出現"
    garbled = shift_garble(first, first.index("。")) + "\n" + shift_garble(second, second.index("態"))
    assert repair(garbled, tools) == first + "\n" + second


# --- Text that must be left alone ----------------------------------------------------------


@pytest.mark.parametrize("text", [
    "你好嗎?我很好。",
    "你好嗎? 我很好。",
    "What?",
    "What? Really?! Yes.",
    "Is it 5?3 or 7?",
    "為什麼?因為Apple(蘋果)太貴了。",
    "你知道嗎?AI正在改變金融。",
    "你去哪裡?北京還是上海?",
    "真的嗎?是的,我們(men)明天見。",
    "他問:這是什麼??",
    "???",
    "第一點(1)是關鍵",
    "640 (1).png",
    "金融科技(FinTech)與銀行(bank)",
    "人工智能(AI)正在改變金融",
    "當(dāng)互聯(lián)網(wǎng)的紅利漸行漸遠(yuǎn),特別是當(dāng)越來(lái)越多的互聯(lián)網(wǎng)玩家們開(kāi)始放棄以往",
    "当互联网的红利渐行渐远，特别是当越来越多的互联网玩家们开始放弃以往以平台和中心为主导的发展模式",
    "這是一個問題?梢子和哉子都不是詞。",
    "這是什麼?梢哉,我不知道。",
    "\ufffd\ufffd\ufffd 無法顯示的字",
])
def test_ordinary_text_is_left_alone(tools: Tools, text: str) -> None:
    assert find_shift_garbles(text, *tools) == []
