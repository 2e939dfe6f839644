"""Command line: ``python -m qa ask "問題"`` prints the answer sentences with their section and neighbours."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence, TextIO

from .index import Index, load_corpus
from .records import Answer


def format_answer(rank: int, answer: Answer) -> str:
    """One answer as readable text: where it is, the sentence, its neighbours, its score."""
    where = f"{answer.title} › {answer.section}" if answer.section else answer.title
    lines = [f"{rank}. [{where}]  score {answer.score:.2f}  ({answer.doc} {answer.start}–{answer.end})"]
    if answer.before:
        lines.append(f"   … {answer.before}")
    lines.append(f"   ▶ {answer.text}")
    if answer.after:
        lines.append(f"   … {answer.after}")
    return "\n".join(lines)


def print_answers(index: Index, question: str, top_k: int, as_json: bool, out: TextIO) -> None:
    answers = index.ask(question, top_k=top_k)
    if as_json:
        for answer in answers:
            out.write(json.dumps({"question": question, **answer.to_dict()}, ensure_ascii=False) + "\n")
        return
    out.write(f"問：{question}\n")
    if not answers:
        out.write("（文章中找不到回答這個問題的句子）\n\n")
        return
    out.write("\n".join(format_answer(i, a) for i, a in enumerate(answers, 1)) + "\n\n")


def _ask(args: argparse.Namespace) -> int:
    index = load_corpus(args.doc or ["seeds"])
    for problem in index.problems:
        print(f"error: {problem}", file=sys.stderr)
    if not index.articles:
        print("error: no usable articles to answer from", file=sys.stderr)
        return 2
    questions = [args.question] if args.question is not None else (line.strip() for line in sys.stdin)
    for question in questions:
        if question:
            print_answers(index, question, args.top_k, args.json, sys.stdout)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qa", description="Ask questions about Chinese articles.")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer a question (or one per line from stdin)")
    ask.add_argument("question", nargs="?", help="the question; omit to read one per line from stdin")
    ask.add_argument("--doc", action="append", metavar="FILE", help="answer from this file or folder (repeatable); default seeds/")
    ask.add_argument("--top-k", type=int, default=3, metavar="N", help="how many answers (default 3)")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.set_defaults(run=_ask)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "top_k", 1) < 1:
        print("error: --top-k must be at least 1", file=sys.stderr)
        return 2
    return args.run(args)
