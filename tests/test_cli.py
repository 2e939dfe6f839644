"""The command line, run as a user runs it: a subprocess with real arguments and real output."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

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


# --- issue 10, D6: every bad input is one line and exit 2 (or a note), never a traceback ------------------------

LATIN1_NAME = b"latin1_\xe9.txt"  # a file name that is not UTF-8 (made on a Latin-1 system)


def run_bytes(*args: str | bytes, stdin: bytes | None = None) -> tuple[int, str, str]:
    """The CLI with arguments that may be raw bytes, as a shell passes them; output decoded with replacement."""
    result = subprocess.run([sys.executable, "-m", "qa", *args], cwd=ROOT, input=stdin, capture_output=True,
                            timeout=120)
    return result.returncode, result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")


def latin1_folder(tmp_path) -> bytes:
    folder = tmp_path / "docs"
    folder.mkdir()
    with open(os.fsencode(folder) + b"/" + LATIN1_NAME, "wb") as handle:
        handle.write("冰河\n\n冰河每年向山谷推進三十公尺。".encode("utf-8"))
    return os.fsencode(folder)


def test_a_file_name_that_is_not_utf8_is_answered_from_and_shown_replaced(tmp_path) -> None:
    code, out, err = run_bytes("ask", "--doc", latin1_folder(tmp_path), "冰河每年推進多少？")
    assert code == 0 and "Traceback" not in err, err
    assert "冰河每年向山谷推進三十公尺。" in out and "latin1_\ufffd.txt" in out


def test_indexing_a_folder_with_a_name_that_is_not_utf8(tmp_path) -> None:
    out_dir = str(tmp_path / "index")
    code, out, err = run_bytes("index", latin1_folder(tmp_path), "--out", out_dir, "--workers", "1")
    assert code == 0 and "Traceback" not in err, err
    code, out, err = run_bytes("ask", "--index", out_dir, "--json", "冰河每年推進多少？")
    assert code == 0 and json.loads(out.splitlines()[0])["doc"] == "latin1_\ufffd.txt"


def test_a_question_with_undecodable_bytes_is_noted_and_answered() -> None:
    code, out, err = run_bytes("ask", b"\xff\xfe\xe9\x87\x91\xe8\x9e\x8d\xe7\xa7\x91\xe6\x8a\x80")  # ÿþ + 金融科技
    assert code == 0 and "Traceback" not in err, err
    assert "not UTF-8" in err and "問：\ufffd\ufffd金融科技" in out and "score" in out


def test_undecodable_lines_on_stdin_are_noted_and_answered() -> None:
    code, out, err = run_bytes("ask", "--top-k", "1", stdin=b"\xff\xfe" + "金融科技\n科技有哪些新形態？\n".encode())
    assert code == 0 and "Traceback" not in err, err
    assert err.count("not UTF-8") == 1 and out.count("問：") == 2


@pytest.mark.parametrize("out", ["afile/sub", "/proc/qa-index", "readonly/index"])
def test_an_index_folder_that_cannot_be_written_is_one_line_and_exit_2(tmp_path, out) -> None:
    (tmp_path / "afile").write_text("a file, not a folder", encoding="utf-8")
    (tmp_path / "readonly").mkdir(mode=0o555)
    if out.startswith("readonly") and os.geteuid() == 0:
        pytest.skip("root writes into a read-only folder (the /proc case stands for it)")
    target = out if out.startswith("/") else str(tmp_path / out)
    code, _, err = run_bytes("index", "seeds", "--out", target, "--workers", "1")
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2 and "Traceback" not in err and len(errors) == 1, err
    assert f"cannot write an index at {target}" in errors[0] and "--out" in errors[0]
