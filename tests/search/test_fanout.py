"""qa.search.fanout: a foreign question's relevance from its answer's cosine."""
from __future__ import annotations

from dataclasses import replace

import pytest

from qa.search.fanout import relevance_of_cosine
from qa.search.ranking import RankingSettings


def test_a_cosine_maps_to_relevance_in_a_straight_line_between_the_settings() -> None:
    ranking = RankingSettings()
    low, high = ranking.semantic_offset, ranking.semantic_full
    assert relevance_of_cosine(low, ranking) == 0.0 and relevance_of_cosine(high, ranking) == pytest.approx(1.0)
    assert relevance_of_cosine((low + high) / 2, ranking) == pytest.approx(0.5)
    assert relevance_of_cosine(low - 0.2, ranking) == 0.0 and relevance_of_cosine(0.99, ranking) == 1.0
    wider = replace(ranking, semantic_full=high + 0.1)
    assert relevance_of_cosine(high, wider) < relevance_of_cosine(high, ranking)
    # The foreign floor is a relevance the engine can reach: between the two ends.
    assert 0.0 < relevance_of_cosine(ranking.foreign_floor, ranking) < 1.0
