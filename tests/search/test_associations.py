"""qa.search.associations: IBM Model 1 learned from real CMRC 2018 train question / answer-sentence pairs."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT
from qa.measure.evaluate import load_squad
from qa.search.associations import Associations, train_model1
from qa.search.tokens import shared_analyzer

SLICE = ROOT / "tests" / "data" / "train_slice_cmrc.json"


@pytest.fixture(scope="module")
def pairs() -> list[tuple[list[str], list[str]]]:
    """(question words, words of the sentence holding the gold answer) for the slice's questions."""
    analyzer = shared_analyzer()
    data = load_squad(SLICE)
    out = []
    for question in data.questions:
        raw = data.articles[question.article].raw
        start = question.gold_starts[0]
        left = max(raw.rfind(c, 0, start) for c in "。！？\n") + 1
        ends = [e for e in (raw.find(c, start) for c in "。！？\n") if e >= 0]
        sentence = raw[left:min(ends) + 1 if ends else len(raw)]
        out.append((analyzer.question_terms(question.text), analyzer.terms(sentence)))
    return out


def test_model1_learns_that_a_word_explains_itself(pairs) -> None:
    table = train_model1(pairs, rounds=5, keep=0.01, min_count=2)
    assert table.sentence_words[0] == ""  # NULL first
    assert len(table.keys) == len(table.values) and np.all(np.diff(table.keys) > 0)
    # A word asked about in several questions and found in their answer sentences is most often explained by itself.
    shared = [w for w in table.question_words if w in table.sentence_words and w]
    assert shared
    q = np.array([table.question_words.index(w) for w in shared])
    s = np.array([table.sentence_words.index(w) for w in shared])
    itself = table.lookup(q, s).diagonal()
    assert float(np.mean(itself)) > 0.2


def test_a_sentence_holding_the_question_words_scores_higher(pairs) -> None:
    table = train_model1(pairs)
    question, sentence = next((q, s) for q, s in pairs if len(q) >= 2 and set(q) <= set(s))
    unrelated = next(s for q2, s in pairs if not set(question) & set(s))
    assert table.features(question, sentence)[0] > table.features(question, unrelated)[0]
    assert table.features([], sentence) == (0.0, 0.0, 0.0)
    assert table.features(question, [])[0] < 0


def test_the_table_round_trips_as_plain_arrays(pairs, tmp_path) -> None:
    table = train_model1(pairs)
    np.savez(tmp_path / "t.npz", **table.to_arrays())
    with np.load(tmp_path / "t.npz", allow_pickle=False) as arrays:
        again = Associations.from_arrays(arrays)
    assert again.question_words == table.question_words and again.sentence_words == table.sentence_words
    question, sentence = pairs[0]
    assert again.features(question, sentence) == pytest.approx(table.features(question, sentence))
