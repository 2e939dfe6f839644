"""Cleaning rules on the seed's real cases and on made-up text, including text that must be left alone."""
from __future__ import annotations

import re

import pytest

from qa.text.cleaning import clean_text, find_furniture, find_pinyin_readings
from qa.text.edits import MappedText


def strip_pinyin(text: str) -> str:
    return MappedText.identity(text).apply(find_pinyin_readings(text)).text


@pytest.mark.parametrize("raw, expected", [
    ("當(dāng)互聯(lián)網(wǎng)的紅利", "當互聯網的紅利"),  # the seed's own form
    ("發(fā)展", "發展"),
    ("說（shuō）話", "說話"),  # full-width parentheses
    ("银行(yin2)行(hang2)", "银行行"),  # numbered tones
    ("的(de)什(shén)麼(me)怎(zěn)樣(yàng)", "的什麼怎樣"),  # toneless readings taken when toned ones surround them
])
def test_pinyin_readings_are_removed(raw: str, expected: str) -> None:
    assert strip_pinyin(raw) == expected


@pytest.mark.parametrize("text", [
    "第一點(1)是關鍵",
    "人工智能(AI)正在改變金融",
    "金融科技(fintech)的發展",
    "金融科技(FinTech)與銀行(bank)",
    "見附錄(an appendix)",
    "640 (1).png",
    "公式(x)與(y)",
    "he said (dāng) loudly",  # a reading must follow a Han character
])
def test_real_parenthesised_text_is_left_alone(text: str) -> None:
    assert strip_pinyin(text) == text


def test_seed_has_no_pinyin_left(seed_raw: str) -> None:
    assert len(find_pinyin_readings(seed_raw)) >= 500
    cleaned = clean_text(seed_raw).text
    assert not re.search(r"[\u4e00-\u9fff][(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+[)）]", cleaned)


def test_seed_furniture_is_dropped_and_source_kept(seed_raw: str) -> None:
    cleaned = clean_text(seed_raw)
    for furniture in ("640 (1).png", "THEEND", "最新評", "暫無評", "本文來"):
        assert furniture not in cleaned.text
    assert cleaned.source.startswith("本文來自搜狐號")
    assert not re.search(r"^更多$", cleaned.text, re.M)


@pytest.mark.parametrize("raw, gone, kept", [
    ("第一段。\n\nphoto_2023.JPG\n\n第二段。\n", "photo_2023.JPG", "第二段"),
    ("正文。\n— THE END —\n", "THE END", "正文"),
    ("正文在此。\n（完）\n", "（完）", "正文"),
    ("正文在此。\n來源：新華社\n更多正文。", "新華社", "更多正文"),
    ("很長的正文。" * 30 + "\n相关阅读\n另一篇文章的標題\n", "另一篇文章", "很長的正文"),
    ("正文。\n分享到：微信 微博\n", "分享到", "正文"),
])
def test_made_up_furniture(raw: str, gone: str, kept: str) -> None:
    cleaned = clean_text(raw).text
    assert gone not in cleaned and kept in cleaned


@pytest.mark.parametrize("raw", [
    "評論\n讀者的評論是這篇文章的主題，我們會在下文逐一討論。" + "討論的內容很多。" * 80,  # a heading mid-text
    "更多的企業開始投入金融科技。",  # 更多 starting a sentence is text
    "來源於生活的藝術，高於生活。",  # 來源 inside a sentence
    "圖1說明了這個現象。",
])
def test_text_that_looks_like_furniture_is_kept(raw: str) -> None:
    assert clean_text(raw).text.strip() == raw.strip()
    assert not find_furniture(raw).source


def test_cleaned_text_maps_back_into_raw(seed_raw: str) -> None:
    cleaned = clean_text(seed_raw)
    mapped = cleaned.mapped
    # every kept character that was not repaired is the raw character at its offset
    same = sum(1 for c, s in zip(mapped.text, mapped.raw_start) if seed_raw[s] == c)
    assert same / len(mapped.text) > 0.99
