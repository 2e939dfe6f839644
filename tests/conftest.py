"""Shared fixtures: the real seed article and one index over it (jieba loads once per test run)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import qa
from qa.corpus.store import build, load_index
from qa.search.index import Index
from qa.search.tokens import Analyzer, shared_analyzer

ROOT = Path(__file__).resolve().parent.parent
SEED_PATH = ROOT / "seeds" / "000_353909e30accdd14.txt"
# Questions a reader asks of the seed article, with a phrase of the sentence that answers each.
SEED_QUESTIONS = [
    ("金融科技對互聯網的頑疾有什麼作用？", ["剜除互聯網頑疾的利器"]),
    ("互联网模式为什么被很多人诟病？", ["互聯網模式之所以會被如此多的人詬病"]),
    ("互聯網模式聯通產業前後端的效率怎樣了？", ["效率業已開始下降"]),
    ("金融出现了哪些新物种？", ["金融新物種的出現"]),
    ("科技有哪些新形態？", ["科技新形態的出現"]),
    ("哪些头部玩家在探索金融科技？", ["京東科技、螞蟻金服為代表的頭部玩家"]),
    ("未來的金融科技戰場上誰能獲得最終勝利？", ["發揮到極致的玩家"]),
    ("互联网式的生态在什么情况下才能发挥作用？", ["信息不對稱,供給不充足的情況下"]),
    ("金融科技為什麼能在互聯網的新進化中扮演重要的角色？", ["扮演著如此重要的功能和作用"]),
    ("产业前后端的关系变成了什么样？", ["不再是一種割裂的、孤立的關"]),
    ("金融科技對行業效率和用戶痛點有什麼影響？", ["用戶的痛點有望得到進一步的緩解"]),
    ("现在的金融科技是互联网的衍生品吗？", ["互聯網的衍生品"]),
    ("互聯網玩家們把發展的重點轉移到了哪裡？", ["發展的重點轉移到技術、模式等方面的創新上"]),
    ("以平台和中心为主导的模式解决了什么问题？", ["解決產業末端的對接難題"]),
    ("建構全新的生態為什麼是關鍵？", ["將自身的發展帶入到全新階段的關鍵所在"]),  # a repaired garble
    ("以往互联网式的生态体系中，不同的行业和场景扮演什么角色？", ["僅僅只是發揮規模的角色"]),
    ("傳統的以規模和效率為主導的生態體系怎麼了？", ["開始一點一點地瓦解"]),
    ("金融和科技两种元素发生了什么变化？", ["兩種元素業已發生了深刻且全面的進化", "發生了一場深刻且全面的變革"]),
    ("虛擬現實技術的發展如何？", ["虛擬現實技術的不斷落地"]),
    ("金融科技的嬗变折射出了什么？", ["金融科技的這樣一種嬗變"]),
    ("京東和阿里的金融科技帶來什麼啟示？", ["京東科技、螞蟻金服為代表", "重新審視與看待金融科技的新姿勢"]),
    ("如果只做平台和中心，金融科技模式会怎样？", ["必然會走入到死胡同"]),
    ("現在的金融科技還游離於產業之外嗎？", ["融入到產業之中", "游離于產業之外"]),  # starts with a repaired garble
    ("互联网的新大门被推开以后会怎样？", ["更加充滿想象力的時代"]),
    ("金融科技的體系之下前後端如何聯通？", ["在金融科技的體系之下,前后端的聯通", "全新的方式來聯通產業的前后端"]),
]


@pytest.fixture(scope="session", autouse=True)
def index_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where builds record their indexes' sources: a folder of this run, never the user's own state folder."""
    folder = tmp_path_factory.mktemp("qa-state")
    os.environ["QA_STATE_DIR"] = str(folder)  # subprocesses (the CLI tests) inherit it
    return folder


@pytest.fixture(scope="session")
def seed_raw() -> str:
    return SEED_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return shared_analyzer()


@pytest.fixture(scope="session")
def seed_index(analyzer: Analyzer) -> qa.Index:
    return qa.load_corpus(ROOT / "seeds", analyzer=analyzer)


@pytest.fixture(scope="session")
def seed_article(seed_index: qa.Index) -> qa.Article:
    return seed_index.articles[0]


# --- a corpus of a few thousand real sentences (DRCD and CMRC slices), its questions, and an index of it built
# the ordinary way: what the sharded and cluster tests (tests/corpus/) compare against.

DATA = Path(__file__).resolve().parent / "data"
SLICES = ("bm25_slice_drcd.json", "quality_slice_cmrc.json")


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The slices' articles as JSON Lines, one article per line (paragraphs kept)."""
    path = tmp_path_factory.mktemp("corpus") / "articles.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for name in SLICES:
            for article in json.loads((DATA / name).read_text(encoding="utf-8"))["data"]:
                text = "\n\n".join(p["context"] for p in article["paragraphs"])
                out.write(json.dumps({"title": article["title"], "text": text, "url": f"{name}#{article['title']}"},
                                     ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="session")
def corpus_questions() -> list[str]:
    """Every question of the slices, in order."""
    return [q["question"] for name in SLICES
            for article in json.loads((DATA / name).read_text(encoding="utf-8"))["data"]
            for p in article["paragraphs"] for q in p["qas"]]


@pytest.fixture(scope="session")
def corpus_index_dir(corpus_file: Path, tmp_path_factory: pytest.TempPathFactory, analyzer: Analyzer) -> Path:
    """The folder of one ordinary index of the corpus (``python -m qa index`` without ``--shards``)."""
    path = tmp_path_factory.mktemp("single") / "index"
    build([corpus_file], path, analyzer)
    return path


@pytest.fixture(scope="session")
def corpus_index(corpus_index_dir: Path, analyzer: Analyzer) -> Index:
    """That index, loaded."""
    return load_index(corpus_index_dir, analyzer)


@pytest.fixture(scope="session")
def small_articles(tmp_path_factory: pytest.TempPathFactory, seed_raw: str) -> Path:
    """A folder of three short articles (the seed and two DRCD dev articles' first paragraphs, ~110 sentences):
    small enough to embed every sentence in a few seconds."""
    folder = tmp_path_factory.mktemp("small-articles")
    (folder / "seed.txt").write_text(seed_raw, encoding="utf-8")
    for n, article in enumerate(json.loads((DATA / "quality_slice_drcd.json").read_text(encoding="utf-8"))["data"][:2]):
        text = article["title"] + "\n\n" + "\n\n".join(p["context"] for p in article["paragraphs"][:2])
        (folder / f"drcd-{n}.txt").write_text(text, encoding="utf-8")
    return folder


def small_articles_questions() -> list[str]:
    """Questions for ``small_articles``: Chinese and English ones about the seed, and the DRCD articles' own."""
    data = json.loads((DATA / "quality_slice_drcd.json").read_text(encoding="utf-8"))["data"][:2]
    return ["現在的金融科技還游離於產業之外嗎？", "金融科技的體系之下前後端如何聯通？",
            "What new kinds of finance have appeared?", "Which companies lead financial technology?"] + \
        [q["question"] for article in data for p in article["paragraphs"][:2] for q in p["qas"]][:6]
