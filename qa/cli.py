"""Command line: ``python -m qa ask "問題"`` prints the answer sentences with their section and neighbours."""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Sequence, TextIO

from qa.corpus.build import Progress
from qa.search.index import Index, load_corpus
from qa.search.query import MAX_QUESTION_CHARS, question_problem, truncate_question
from qa.records import Answer, Exchange
from qa.text.loading import replace_surrogates


MAX_PROBLEMS_SHOWN = 20


def tell(message: str) -> None:
    """One line on stderr; names and arguments that are not UTF-8 are shown with U+FFFD instead of failing."""
    print(replace_surrogates(message), file=sys.stderr)


def decoded_question(question: str) -> tuple[str, bool]:
    """A question from argv or stdin as text: bytes that were not UTF-8 (carried as surrogates) become U+FFFD;
    also whether any did."""
    try:
        fixed = question.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # lone surrogates that do not stand for bytes
        fixed = replace_surrogates(question)
    return fixed, fixed != question


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


def print_answers(index: Index, question: str, top_k: int, as_json: bool, out: TextIO,
                  history: list[Exchange] | None = None) -> None:
    """The answers to one question (a follow-up of ``history``'s, which it joins); a question that cannot be
    asked gets a one-line note on stderr instead."""
    question, replaced = decoded_question(question)
    if replaced:
        tell("note: the question held bytes that are not UTF-8 text; they are shown as \ufffd")
    if problem := question_problem(question):
        tell(f"note: {problem}")
        return
    question, cut = truncate_question(question)
    if cut:
        print(f"note: the question was cut to its first {MAX_QUESTION_CHARS} characters", file=sys.stderr)
    reply = index.reply(question, top_k=top_k, history=history or ())
    answers = reply.answers
    if history is not None:
        history.append(Exchange.of(question, answers))
    if as_json:
        for answer in answers:
            out.write(json.dumps({"question": question, **answer.to_dict()}, ensure_ascii=False) + "\n")
        return
    out.write(f"問：{question}\n")
    if reply.query.carried:
        out.write(f"（接上題「{reply.query.carried_from}」：{'、'.join(reply.query.carried)}）\n")
    if not answers:
        out.write(f"（{reply.notice() or '文章中找不到回答這個問題的句子'}）\n\n")
        return
    out.write("\n".join(format_answer(i, a) for i, a in enumerate(answers, 1)) + "\n\n")


def _ask(args: argparse.Namespace) -> int:
    index = _open_index(args) if args.index else load_corpus(args.doc or ["seeds"])
    if index is None:
        return 2
    # An index's skipped files were reported when it was built; --doc files are reported every time.
    for problem in index.problems if not args.index else ():
        tell(f"error: {problem}")
    if not index.articles:
        tell("error: no usable articles to answer from")
        return 2
    if args.question is None:
        sys.stdin.reconfigure(errors="surrogateescape")  # undecodable lines are noted, not a traceback
    questions = [args.question] if args.question is not None else (line.strip() for line in sys.stdin)
    # Lines from stdin are one conversation: each question may follow on from the ones before it.
    history: list[Exchange] | None = [] if args.question is None else None
    for question in questions:
        if question or args.question is not None:  # blank lines of a batch are skipped; a blank argument is told
            print_answers(index, question, args.top_k, args.json, sys.stdout, history)
    return 0


def _open_index(args: argparse.Namespace) -> Index | None:
    """The index of ``--index`` (rebuilt from its source first if stale), or None after saying why not."""
    from qa.corpus.store import StoreError, open_index

    if args.doc:
        tell("error: give either --index or --doc, not both")
        return None
    try:
        return open_index(args.index, progress=Progress(), say=tell)
    except StoreError as error:
        tell(f"error: {error}")
        return None


def _index(args: argparse.Namespace) -> int:
    """Build or update an on-disk index of a corpus (folder of .txt/.md, or .jsonl)."""
    from qa.corpus.store import StoreError, build

    if args.workers is not None and args.workers < 1:
        tell("error: --workers must be at least 1")
        return 2
    started = time.perf_counter()
    try:
        index = build(args.paths, args.out, workers=args.workers, progress=Progress(), reuse=not args.rebuild, say=tell)
    except StoreError as error:
        tell(f"error: {error}")
        return 2
    for problem in index.problems[:MAX_PROBLEMS_SHOWN]:
        tell(f"warning: skipped {problem}")
    if len(index.problems) > MAX_PROBLEMS_SHOWN:
        tell(f"warning: … and {len(index.problems) - MAX_PROBLEMS_SHOWN:,} more")
    print(replace_surrogates(f"{args.out}: {len(index.articles):,} articles, {index.sentence_count:,} sentences "
                             f"({len(index.problems):,} skipped) in {time.perf_counter() - started:.1f} s"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qa", description="Ask questions about Chinese articles.")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer a question (or a conversation, one question per line from stdin)")
    ask.add_argument("question", nargs="?", help="the question; omit to read one per line from stdin")
    ask.add_argument("--doc", action="append", metavar="FILE", help="answer from this file or folder (repeatable); default seeds/")
    ask.add_argument("--top-k", type=int, default=3, metavar="N", help="how many answers (default 3)")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.add_argument("--index", metavar="INDEXDIR", help="answer from an index built by `python -m qa index`")
    ask.set_defaults(run=_ask)
    index = commands.add_parser("index", help="build an on-disk index of many articles (folder of .txt/.md, or .jsonl)")
    index.add_argument("paths", nargs="+", metavar="PATH", help="a folder of .txt/.md files (searched recursively), a .jsonl file with one {\"title\", \"text\", \"url\"} per line, or an article file")
    index.add_argument("--out", required=True, metavar="INDEXDIR", help="the index folder to write (or bring up to date)")
    index.add_argument("--workers", type=int, default=None, metavar="N", help="processes for tokenizing (default: all cores)")
    index.add_argument("--rebuild", action="store_true", help="tokenize every article again, ignoring the previous index")
    index.set_defaults(run=_index)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "top_k", 1) < 1:
        tell("error: --top-k must be at least 1")
        return 2
    return args.run(args)
