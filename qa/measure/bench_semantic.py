"""The semantic score's cost on the seed: model load, sentence vectors, and ``ask`` with and without it.

``python -m qa.measure.bench_semantic [--runs N]``

Side by side in one process: Chinese questions on the lexical index (no vectors) and on the index with vectors (where
the semantic re-ranker reads each candidate's cosine), English questions; with the question's vector made each time
(its memo cleared: what a new question costs) and known; the process's peak RSS.
"""
from __future__ import annotations

import argparse
import copy
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Sequence

from qa.search import semantic
from qa.search.index import Index, attach_vectors, load_corpus

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
CHINESE = ("現在的金融科技還游離於產業之外嗎？", "金融科技的體系之下前後端如何聯通？", "互联网的新大门被推开以后会怎样？")
ENGLISH = ("What new kinds of finance have appeared?", "What has financial technology become for the internet?",
           "Which companies lead financial technology?", "Who won the Super Bowl in 2016?")


def _times(index: Index, questions: Sequence[str], runs: int, fresh: bool) -> list[float]:
    model = semantic.embedder()
    out = []
    for _ in range(runs):
        for question in questions:
            if fresh and model is not None:
                model._known.clear()  # a new question each time: its vector is made
            started = time.perf_counter()
            index.ask(question)
            out.append((time.perf_counter() - started) * 1000)
    return out


def _row(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    return (f"| {name} | {len(times)} | {statistics.median(ordered):.2f} | "
            f"{ordered[int(0.95 * (len(ordered) - 1))]:.2f} |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.measure.bench_semantic", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="rounds over the questions (default 20)")
    args = parser.parse_args(argv)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
          f"threads {semantic.model_threads()}")
    lexical = load_corpus(SEEDS)
    index = copy.copy(lexical)  # the same articles; this one gets vectors
    started = time.perf_counter()
    model = semantic.embedder()
    if model is None:
        print(f"no model: {semantic.model_notice()}")
        return 1
    print(f"model load {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    made = model.sentences(index.sentence_texts())
    seconds = time.perf_counter() - started
    print(f"{len(made)} sentence vectors made in {seconds:.2f} s ({seconds / max(len(made), 1) * 1000:.1f} ms each)")
    started = time.perf_counter()
    attach_vectors(index)  # from the disk cache after the first run
    print(f"vectors attached in {time.perf_counter() - started:.2f} s")
    print("\n| questions | asks | p50 ms | p95 ms |\n| --- | ---: | ---: | ---: |")
    print(_row("Chinese, index without vectors (lexical re-ranker)", _times(lexical, CHINESE, args.runs, False)),
          flush=True)
    print(_row("Chinese, question vector made each time (semantic re-ranker)", _times(index, CHINESE, args.runs, True)),
          flush=True)
    print(_row("Chinese, question vector known", _times(index, CHINESE, args.runs, False)), flush=True)
    print(_row("English, question vector made each time", _times(index, ENGLISH, args.runs, True)), flush=True)
    print(_row("English, question vector known", _times(index, ENGLISH, args.runs, False)), flush=True)
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
