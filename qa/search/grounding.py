"""What a question asks about that an article must hold: the names it names, the kind of answer it wants, and
its words in the other region's vocabulary (網路/网络, 軟體/软件 …).

- **Names**: words of the question jieba's dictionary tags as a person, place, organisation or other proper noun
  (nr, ns, nt, nz…), words jieba does not know at all (its HMM joined them: mostly names), Latin words and
  numbers. A question naming one that no sentence of the index holds is not answered by it (``Index.reply``).
- **Kinds**: a when-question wants a date, a how-many a number, a how-much-does-it-cost a price; when none of the
  best candidates holds one, the article does not say.
- **Regional vocabulary**: OpenCC's phrase conversions both ways (``tw2sp``: Taiwan → mainland; ``s2twp``:
  mainland → Taiwan), plus a few pairs OpenCC lacks; a question's word the index does not hold is replaced by its
  other-region form when the index holds that one.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Callable

import opencc

from qa.search.tokens import FUNCTION_CHARS, QUESTION_WORDS, STOP_WORDS, Analyzer

# jieba's part-of-speech tags for names: person (nr, nrfg, nrt), place (ns), organisation (nt), other proper (nz).
NAME_TAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nt", "nz"})
_LATIN = re.compile(r"^(?=.*[a-z].*[a-z])[a-z0-9][a-z0-9.+#-]*$")  # two letters at least: netscape, html5
_YEAR = re.compile(r"^(?:1[0-9]|20)\d\d年?$")
# 第四代, 第二届: an ordinal names one thing as surely as a name does.
# Not 第一次/第三期: "the first time" names nothing.
_ORDINAL = re.compile(r"^第[〇零一二三四五六七八九十百千两\d]+[代届任号]$")
_HAN_ONLY = re.compile(r"^[\u3400-\u9fff]+$")

# The commonest Chinese surnames (about half of all people): a 2-character word jieba does not know that starts
# with one is most likely a name.
COMMON_SURNAMES = frozenset("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")

# A few well-known pairs OpenCC's phrase tables lack (Taiwan form, mainland form), normalised to Simplified.
EXTRA_PAIRS = (("虚拟实境", "虚拟现实"), ("超文字", "超文本"), ("电脑", "计算机"), ("行动电话", "移动电话"),
               ("数位", "数字"), ("讯息", "信息"), ("网路", "网络"), ("软体", "软件"), ("资讯", "信息"),
               ("人工智慧", "人工智能"), ("程式", "程序"), ("伺服器", "服务器"), ("印表机", "打印机"))


def surname_pair(word: str) -> bool:
    """Two characters, the first one of the commonest surnames and not a numeral as well (马云, 刘备; not 万人)."""
    return len(word) == 2 and word[0] in COMMON_SURNAMES and word[0] not in _NUMERAL


def firm_name(name: str) -> bool:
    """A Latin word (netscape, html5) or an ordinal (第四代): no odd cut of jieba's makes one, so when the article
    lacks it, it does not speak of it, however much of the rest of the question it covers."""
    return bool(_LATIN.match(name) or _ORDINAL.match(name))


@dataclass
class Grounding:
    """The analyzer's view of names and regional words (jieba's tags are read on first use: ~0.3 s)."""

    analyzer: Analyzer

    def __post_init__(self) -> None:
        self._to_mainland = opencc.OpenCC("tw2sp")
        self._to_taiwan = opencc.OpenCC("s2twp")

    def tagged_name(self, word: str) -> bool:
        """Whether jieba's dictionary tags the word as a name (a person, place, organisation or other proper noun)."""
        return self.analyzer.word_tags.get(word) in NAME_TAGS

    def names(self, text: str) -> list[str]:
        """The names, Latin words and years in (normalised) text, as they appear in it.

        jieba's dictionary tags many plain words as names (东西 and 城市 as places, 祖先 as a person), so a tagged
        word of two characters is not trusted; three or more (毕加索, 阿里巴巴), or a word jieba does not know at
        all (its HMM joined the characters: 刘强东), is. Bare numbers are left out (1.95公尺 is 1公尺95公分 in a
        question); a year is not.
        """
        tokenizer = self.analyzer.tokenizer
        found: list[str] = []
        unknown = ""  # a run of words jieba's dictionary does not know (its HMM cuts 刘强东对 as 刘强/东对)
        strip = "".join(FUNCTION_CHARS) + "由于被将从何"
        for word in tokenizer.lcut(text, HMM=True) + [""]:
            # jieba keeps every prefix of its words in FREQ with a count of 0: a surname and one more character
            # counted so is a name it does not know (马云, a prefix of 马云飞), not a word.
            if word and _HAN_ONLY.match(word) and (word not in tokenizer.FREQ
                                                   or (surname_pair(word) and not tokenizer.FREQ[word])):
                unknown += word
                continue
            if unknown:
                name = unknown.strip(strip)
                # Two unknown characters are as often the HMM's cut of ordinary words (后先, 端时) as a name,
                # unless they are a surname and one more character (``surname_pair``).
                # A function character inside (城一役, 部之称) is the HMM joining the ends of two ordinary words.
                if (len(name) >= 3 or surname_pair(name)) \
                        and not FUNCTION_CHARS.intersection(name):
                    found.append(name)
                unknown = ""
            if not word or word in QUESTION_WORDS or word in STOP_WORDS or word.startswith("哪"):
                continue
            # jieba tags 何原因 (nr) and 大大的 (nz) as names: not when it starts with a question word or ends in 的.
            if (len(word) >= 3 and self.tagged_name(word) and word[-1] not in FUNCTION_CHARS and word[0] not in "何谁几啥") \
                    or _YEAR.match(word) or _ORDINAL.match(word) \
                    or _LATIN.match(word):
                found.append(word)
            elif len(word) > 3:  # 康熙皇帝 is one word to jieba, tagged as an idiom: its known parts may be names
                found.extend(part for part in tokenizer.lcut_for_search(word)
                             if part != word and len(part) >= 3 and self.tagged_name(part))
        return list(dict.fromkeys(found))

    def regional(self, question: str, present: Callable[[str], bool]) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The normalised question with words the index lacks replaced by their other-region form the index holds,
        and the (question's, index's) pairs replaced."""
        normalize = self.analyzer.normalize
        text = normalize(question)
        # s2t first: tw2sp's tables are keyed in Traditional, and a question may be typed in Simplified.
        forms = [normalize(self._to_mainland.convert(self.analyzer.to_traditional(question))),
                 normalize(self._to_taiwan.convert(question))]
        for taiwan, mainland in EXTRA_PAIRS:
            if taiwan in text:
                forms.append(text.replace(taiwan, mainland))
            if mainland in text:
                forms.append(text.replace(mainland, taiwan))
        pairs: list[tuple[str, str]] = []
        cut = self.analyzer.tokenizer.lcut
        words = cut(text)
        for form in dict.fromkeys(forms):
            if form != text and len(form) <= 2 * len(text):
                words, done = _swap_absent(words, cut(form), present)
                pairs.extend(done)
        return "".join(words), tuple(dict.fromkeys(pairs))


def _swap_absent(words: list[str], other: list[str],
                 present: Callable[[str], bool]) -> tuple[list[str], list[tuple[str, str]]]:
    """``words`` with each run that differs in ``other`` (the same text in the other region's words) taken from
    ``other`` when the index holds only that one (compared word by word: 网际网路 ↔ 互联网)."""
    out: list[str] = []
    done: list[tuple[str, str]] = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, words, other, autojunk=False).get_opcodes():
        mine, theirs = "".join(words[a0:a1]), "".join(other[b0:b1])
        if op == "replace" and not present(mine) and present(theirs):
            out.extend(other[b0:b1])
            done.append((mine, theirs))
        else:
            out.extend(words[a0:a1])
    return out, done


# What a question wants, on normalised text; and the strict form an answer to it takes.
_DATE_QUESTION = re.compile(r"哪一?年|何年|什么时候|什么时间|何时|哪一?天|何日|几月|几日|几号|哪个?月")
_PRICE_QUESTION = re.compile(r"多少钱|价格|价钱|股价|售价|票价|价位|几块钱|多少元")
_NUMBER_QUESTION = re.compile(r"多少|几[个名位人次座只条种项倍岁年天成家所]|多久|多长|多高|多大|多重|多远|多深|多宽|多厚|"
                              r"百分之几")
_NUMERAL = "〇零一二三四五六七八九十百千万亿两"
DATE_TEXT = re.compile(rf"\d\s*(?:年|月|日|号|世纪|年代)|[{_NUMERAL}]+(?:年|月|日|世纪)|[初中末]年|年[初中底末]|"
                       r"世纪|年代|朝|时期|时代|[春夏秋冬][季天]|今年|去年|明年|同年|翌年|隔年|次年|当年")
PRICE_TEXT = re.compile(rf"[\d{_NUMERAL}]\s*(?:[多余]\s*)?(?:元|圆|块|美元|美金|港元|港币|欧元|英镑|镑|日元|円|"
                        r"台币|新台币|人民币|卢布|法郎|马克)|[$¥€£]\s*\d")
# 一 is left out: as 一个/一种 it is in most sentences, counting nothing.
NUMBER_TEXT = re.compile(r"\d|[〇零二三四五六七八九十百千万亿两半]|数[十百千万]|几[十百千万]")


def wanted_kind(question: str) -> str | None:
    """What kind of answer the (normalised) question asks for: "price", "date", "number", or None."""
    if _PRICE_QUESTION.search(question):
        return "price"
    if _DATE_QUESTION.search(question):
        return "date"
    if _NUMBER_QUESTION.search(question):
        return "number"
    return None


KIND_TEXT = {"price": PRICE_TEXT, "date": DATE_TEXT, "number": NUMBER_TEXT}
