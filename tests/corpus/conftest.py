"""A corpus of a few thousand real sentences (DRCD and CMRC slices), its questions, and an index of it built the
ordinary way: what the sharded and cluster tests compare against."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.corpus.store import build, load_index
from qa.search.index import Index
from qa.search.tokens import Analyzer

DATA = Path(__file__).resolve().parents[1] / "data"
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
