"""qa.measure.evaluate: reading SQuAD files, counting hits, and the answer-quality regression on vendored slices.

The slices (tests/data, CC BY-SA; see its README) are 75 real questions each from DRCD (Traditional) and
CMRC 2018 (Simplified). The thresholds sit a few points under what the engine measured on them, so a change
that makes answers worse fails here; the full figures come from ``python -m qa.measure.evaluate`` (docs/quality.md).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from qa.measure.evaluate import DataError, evaluate, first_hit, load_squad, make_system, partner

SLICES = ROOT / "tests" / "data"
DRCD = SLICES / "quality_slice_drcd.json"
CMRC = SLICES / "quality_slice_cmrc.json"

# (file, script the questions are asked in) → minimum hit@1, hit@3 of ours: about 3 questions (of 75) under
# what it measured (DRCD 0.867 / 0.933, CMRC 0.840 / 0.973, the same in both scripts).
FLOORS = {
    (DRCD, "as-is"): (0.83, 0.89),
    (DRCD, "t2s"): (0.83, 0.89),
    (CMRC, "as-is"): (0.80, 0.93),
    (CMRC, "s2t"): (0.80, 0.93),
}


def test_gold_offsets_point_into_the_joined_article() -> None:
    data = load_squad(DRCD)
    raw = json.loads(DRCD.read_text(encoding="utf-8"))["data"]
    answers = [{a["text"] for a in qa["answers"]} for article in raw for p in article["paragraphs"] for qa in p["qas"]]
    assert len(data.questions) == 75 == len(answers)
    exact = 0
    for question, texts in zip(data.questions, answers):
        article = data.articles[question.article].raw
        exact += any(article[g:g + len(t)] == t for g in question.gold_starts for t in texts)
        # DRCD's own offsets are now and then a character or two off; never more.
        assert any(t in article[g - 3:g + len(t) + 3] for g in question.gold_starts for t in texts), texts
    assert exact >= 70


def test_first_hit_counts_the_span_holding_a_gold_start() -> None:
    spans = [(0, 10), (10, 25), (25, 40)]
    assert first_hit(spans, (12,)) == 2
    assert first_hit(spans, (40,)) is None
    assert first_hit([], (3,)) is None


def test_partner_is_another_article() -> None:
    assert all(partner(i, 7) != i for i in range(7))


def test_bad_files_raise_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="not a SQuAD-format JSON file"):
        load_squad(broken)
    with pytest.raises(DataError, match="no such file"):
        load_squad(tmp_path / "missing.json")


@pytest.fixture(scope="module")
def ours():
    return make_system("ours")


@pytest.mark.parametrize("path, script", list(FLOORS))
def test_answer_quality_does_not_drop(ours, path: Path, script: str) -> None:
    (result,) = evaluate(ours, load_squad(path), [script])
    hit1, hit3, _ = result.hits
    floor1, floor3 = FLOORS[path, script]
    assert hit1 >= floor1 and hit3 >= floor3, result.row()
    # No-answer behaviour: questions asked of an unrelated article are mostly refused, answerable ones rarely.
    assert result.refused_wrong_article >= 0.88, result.row()  # measured 0.973 / 0.947 (full dev sets: 0.957 / 0.953)
    assert result.refused_answerable <= 0.03, result.row()  # measured 0 / 0.013


def test_ours_beats_the_tutorial_recipe_on_simplified_questions_about_traditional_text(ours) -> None:
    data = load_squad(DRCD)
    (mine,) = evaluate(ours, data, ["t2s"])
    (naive,) = evaluate(make_system("naive"), data, ["t2s"])
    assert mine.hits[0] > naive.hits[0] + 0.05, (mine.row(), naive.row())


def test_command_line_prints_the_table() -> None:
    result = subprocess.run([sys.executable, "-m", "qa.measure.evaluate", str(CMRC), "--systems", "ours,bigram",
                             "--script", "as-is", "--limit", "20"],
                            cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines()
            if (line.startswith("| ours") or line.startswith("| bigram")) and "| as-is |" in line]
    assert len(rows) == 2 and all("quality_slice_cmrc" in row for row in rows)
    assert "Long articles" in result.stdout and "Our question set" in result.stdout  # every measure in one run


def test_command_line_reports_a_missing_file() -> None:
    result = subprocess.run([sys.executable, "-m", "qa.measure.evaluate", "no/such/file.json"],
                            cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert result.returncode == 2 and "no such file" in result.stderr and "Traceback" not in result.stderr
