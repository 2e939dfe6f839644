"""The command line, run as a user runs it: a subprocess with real arguments and real output."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def test_ask_prints_answers_with_title_section_and_neighbours() -> None:
    result = run_cli("ask", "互聯網模式聯通產業前後端的效率怎樣了？")
    assert result.returncode == 0, result.stderr
    assert "效率業已開始下降" in result.stdout
    assert "京東、阿里的金融科技新啟示 › 金融科技,業已成為聯通產業前后端的新方式" in result.stdout
    assert "score" in result.stdout and "…" in result.stdout
    assert result.stderr == ""


def test_ask_json_and_top_k() -> None:
    result = run_cli("ask", "金融科技如何聯通產業前後端？", "--json", "--top-k", "2")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 2
    for record in records:
        assert {"text", "doc", "title", "section", "score", "start", "end", "before", "after"} <= set(record)
        assert record["doc"] == "000_353909e30accdd14.txt" and record["end"] > record["start"]
    raw = (ROOT / "seeds" / "000_353909e30accdd14.txt").read_text(encoding="utf-8")
    assert "聯(lián)通" in raw[records[0]["start"]:records[0]["end"]]


def test_questions_from_stdin_one_per_line() -> None:
    result = run_cli("ask", "--json", "--top-k", "1", stdin="金融出现了哪些新物种？\n\n台灣最高的山是哪一座？\n科技有哪些新形態？\n")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in records] == ["金融出现了哪些新物种？", "科技有哪些新形態？"]  # off-topic: nothing


def test_no_answer_is_said_plainly() -> None:
    result = run_cli("ask", "台灣最高的山是哪一座？")
    assert result.returncode == 0 and "找不到" in result.stdout


def test_doc_option_and_bad_files(tmp_path) -> None:
    article = tmp_path / "typhoon.txt"
    article.write_bytes("颱風\n\n颱風季節通常在夏天和秋天。颱風帶來強風和豪雨。".encode("big5"))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = run_cli("ask", "台风通常在什么季节？", "--doc", str(article), "--doc", str(empty))
    assert result.returncode == 0
    assert "颱風季節通常在夏天和秋天。" in result.stdout
    assert "empty.txt" in result.stderr and "Traceback" not in result.stderr

    missing = run_cli("ask", "問題", "--doc", str(tmp_path / "missing.txt"))
    assert missing.returncode == 2
    assert "missing.txt" in missing.stderr and "Traceback" not in missing.stderr
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 10)
    result = run_cli("ask", "問題", "--doc", str(binary))
    assert result.returncode == 2 and "binary" in result.stderr and "Traceback" not in result.stderr


def test_bad_top_k_is_refused_clearly() -> None:
    result = run_cli("ask", "問題", "--top-k", "0")
    assert result.returncode == 2 and "--top-k" in result.stderr and "Traceback" not in result.stderr


def test_empty_punctuation_and_endless_questions_get_a_note() -> None:
    for question in ("", "   ", "？？！…"):
        result = run_cli("ask", question)
        assert result.returncode == 0 and result.stdout == "", question
        assert result.stderr.startswith("note: ") and "Traceback" not in result.stderr, question
    endless = run_cli("ask", "金融科技如何聯通產業前後端？" * 1000, "--json", "--top-k", "1")
    assert endless.returncode == 0 and "cut to its first 500 characters" in endless.stderr
    record = json.loads(endless.stdout)
    assert len(record["question"]) == 500 and record["text"]
