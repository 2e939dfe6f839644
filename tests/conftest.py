"""Shared fixtures: the real seed article and one index over it (jieba loads once per test run)."""
from __future__ import annotations

from pathlib import Path

import pytest

import qa
from qa.tokens import Analyzer, shared_analyzer

ROOT = Path(__file__).resolve().parent.parent
SEED_PATH = ROOT / "seeds" / "000_353909e30accdd14.txt"


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
