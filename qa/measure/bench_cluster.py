"""The sharded index on a local Dask cluster, side by side with one index of the same corpus, in one run.

``python -m qa.measure.bench_cluster --sizes 1e6,4e6 --workers 2`` for each size: writes the synthetic corpus of
``qa.measure.bench``, builds one index (``python -m qa index``) and a sharded one (``--shards`` = workers), each
in its own process (wall time, peak RSS of the builder and its tokenizing children); starts ``python -m qa
cluster start`` (K workers, each shard on every worker when K = 2); then one asking process opens the single index
and connects to the cluster, and asks every question of both, alternating which goes first, checking that the
replies are identical (ids, scores, order). Reported: ``ask`` p50/p95 of each, the fan-out floor (an empty round
trip to every worker, times the three steps of a question), per-worker RSS and PSS (mapped index pages are
shared with the page cache, PSS divides them between the processes mapping them), and recovery: a worker killed
while questions run (the slowest question around the kill, answered from a replica) and the time until its
nanny has restarted it and its shards are loaded again. The machine is shared: quote the side-by-side figures.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

import psutil

from qa.measure.bench import (DATA, ROOT, code_version, machine_info, parse_size, percentile, pick_questions,
                              write_corpus)

WORK = ROOT / "artifacts" / "bench_cluster"


def interrupt(process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Ctrl-C a running ``qa cluster start`` (shared with tests/corpus/test_cluster.py); killed by pid if it has not
    stopped within ``timeout`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def watched(command: Sequence[str], timeout: float = 4 * 3600) -> dict:
    """Run a command; its wall time and the peak RSS of it and of its largest child (sampled every 0.2 s)."""
    started = time.perf_counter()
    process = subprocess.Popen(list(command), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent_peak = child_peak = 0.0
    watcher = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            parent_peak = max(parent_peak, watcher.memory_info().rss / 2**20)
            for child in watcher.children(recursive=True):
                child_peak = max(child_peak, child.memory_info().rss / 2**20)
        except psutil.Error:
            pass
        if time.perf_counter() - started > timeout:
            process.kill()
            raise RuntimeError(f"{' '.join(command)} took more than {timeout:.0f} s")
        time.sleep(0.2)
    out, err = process.communicate()
    if process.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{err[-3000:]}")
    return {"seconds": time.perf_counter() - started, "peak_mb": parent_peak, "child_peak_mb": child_peak,
            "stdout": out.strip().splitlines()[-1] if out.strip() else ""}


def memory(pid: int) -> dict:
    """RSS, PSS and peak RSS of a process, MB."""
    process = psutil.Process(pid)
    full = process.memory_full_info()
    with open(f"/proc/{pid}/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    return {"rss_mb": full.rss / 2**20, "pss_mb": full.pss / 2**20, "peak_mb": peak}


# --- the asking process -----------------------------------------------------------------------------------------

def job_ask(job: dict) -> dict:
    """Ask every question of the single index and of the cluster, alternating; then a worker is killed."""
    from qa.corpus.cluster import ClusterSettings, _held, connect
    from qa.corpus.store import open_index

    single = open_index(job["single"])
    cluster = connect(job["address"], single.analyzer, ClusterSettings(question_timeout=60.0))
    questions = job["questions"]
    for question in questions[:20]:  # warm both: page the postings in, fill the caches
        single.reply(question), cluster.reply(question)
    one_ms, many_ms, same = [], [], 0
    for n, question in enumerate(questions):
        order = [(single, one_ms), (cluster, many_ms)]
        replies = []
        for index, times in (order if n % 2 == 0 else order[::-1]):
            started = time.perf_counter()
            replies.append(index.reply(question, top_k=3))
            times.append((time.perf_counter() - started) * 1000)
        a, b = replies if n % 2 == 0 else replies[::-1]
        same += a.answers == b.answers and a.refusal == b.refusal and not b.unsearched
    client = cluster.client
    addresses = list(client.scheduler_info(n_workers=-1)["workers"])
    empty = []
    for _ in range(200):  # the floor of one step: a round trip to every worker that does no work
        started = time.perf_counter()
        client.sync(_held, client, addresses, 5.0)
        empty.append((time.perf_counter() - started) * 1000)
    held = client.sync(_held, client, addresses, 5.0)
    workers = {info["name"]: {"pid": info["pid"], **memory(info["pid"])} for info in held.values()}
    asker = memory(os.getpid())
    # Recovery: questions keep coming while worker 0 is killed; then its nanny starts it and it loads again.
    victim = workers[sorted(workers)[0]]["pid"]
    during: list[tuple[float, float, bool]] = []
    stop = threading.Event()

    def keep_asking() -> None:
        n = 0
        while not stop.is_set():
            question = questions[n % len(questions)]
            started = time.monotonic()
            reply = cluster.reply(question, top_k=3)
            during.append((started, time.monotonic(), reply.answers == single.reply(question, top_k=3).answers
                           and not reply.unsearched))
            n += 1

    asking = threading.Thread(target=keep_asking)
    asking.start()
    time.sleep(1.0)
    killed = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    back = None
    while time.monotonic() - killed < 600:
        now = client.sync(_held, client, list(client.scheduler_info(n_workers=-1)["workers"]), 5.0)
        if len(now) == len(workers) and all(set(i["states"].values()) == {"ready"} for i in now.values()) \
                and victim not in {i["pid"] for i in now.values()}:
            back = time.monotonic() - killed
            break
        time.sleep(0.1)
    time.sleep(1.0)
    stop.set()
    asking.join(120)
    around = [(b, e, ok) for b, e, ok in during if e >= killed]
    first_after = next(((e - b) * 1000 for b, e, ok in around), None)
    return {
        "questions": len(questions), "identical": same,
        "single_p50": percentile(one_ms, 50), "single_p95": percentile(one_ms, 95),
        "cluster_p50": percentile(many_ms, 50), "cluster_p95": percentile(many_ms, 95),
        "empty_step_p50": percentile(empty, 50), "workers": workers, "asker": asker,
        "kill_question_ms": first_after, "kill_slowest_ms": max(((e - b) * 1000 for b, e, _ in around), default=None),
        "kill_all_whole": all(ok for _, _, ok in during), "kill_questions": len(during), "restart_s": back,
    }


# --- one size ---------------------------------------------------------------------------------------------------

def bench_size(size: int, args: argparse.Namespace, say) -> dict:  # noqa: ANN001 - a print callback
    work = args.work / f"{size}"
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus.jsonl"
    sentences, questions = write_corpus(size, corpus, args.data)
    picked = pick_questions(questions, args.questions)
    python = [sys.executable, "-m", "qa"]
    say(f"{size:,}: building one index")
    single = watched([*python, "index", str(corpus), "--out", str(work / "single"), "--rebuild"])
    say(f"{size:,}: one index built in {single['seconds']:.0f} s; building {args.workers} shards")
    sharded = watched([*python, "index", str(corpus), "--out", str(work / "sharded"), "--shards", str(args.workers),
                       "--rebuild"])
    say(f"{size:,}: shards built in {sharded['seconds']:.0f} s; starting the cluster")
    started = time.perf_counter()
    cluster = subprocess.Popen([*python, "cluster", "start", str(work / "sharded"), "--workers", str(args.workers),
                                "--port", "0", "--dashboard", "0"], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
    try:
        assert cluster.stdout is not None
        address = ""
        while not address:
            line = cluster.stdout.readline()
            if not line and cluster.poll() is not None:
                raise RuntimeError("python -m qa cluster start exited before serving")
            if line.startswith("scheduler: "):
                address = line.split()[1]
        ready = time.perf_counter() - started
        say(f"{size:,}: cluster serving after {ready:.1f} s; asking {len(picked)} questions of both")
        scheduler = memory(cluster.pid)
        job = {"single": str(work / "single"), "address": address, "questions": picked}
        asked = subprocess.run([sys.executable, "-m", "qa.measure.bench_cluster", "--job"], input=json.dumps(job),
                               cwd=ROOT, capture_output=True, text=True, timeout=3 * 3600)
        if asked.returncode:
            raise RuntimeError(f"the asking job failed:\n{asked.stderr[-3000:]}")
        result = json.loads(asked.stdout.strip().splitlines()[-1])
    finally:
        interrupt(cluster, 120)
    disk = {name: sum(f.stat().st_size for f in (work / name).rglob("*") if f.is_file()) / 2**20
            for name in ("single", "sharded")}
    return {"size": size, "sentences": sentences, "single_build": single, "sharded_build": sharded,
            "cluster_ready_s": ready, "scheduler": scheduler, "disk_mb": disk, **result}


def print_size(r: dict) -> None:
    w = r["workers"]
    print(f"\n### {r['sentences']:,} sentences ({r['questions']} questions, {len(w)} workers)\n")
    print("| | one index | sharded, on the cluster |\n| --- | --- | --- |")
    print(f"| build, s (peak RSS parent / largest child, MB) | {r['single_build']['seconds']:.0f} "
          f"({r['single_build']['peak_mb']:,.0f} / {r['single_build']['child_peak_mb']:,.0f}) | "
          f"{r['sharded_build']['seconds']:.0f} ({r['sharded_build']['peak_mb']:,.0f} / "
          f"{r['sharded_build']['child_peak_mb']:,.0f}) |")
    print(f"| disk, MB | {r['disk_mb']['single']:,.0f} | {r['disk_mb']['sharded']:,.0f} |")
    print(f"| `reply` p50 / p95, ms | {r['single_p50']:.1f} / {r['single_p95']:.1f} | "
          f"{r['cluster_p50']:.1f} / {r['cluster_p95']:.1f} (p50 {r['cluster_p50'] - r['single_p50']:+.1f}) |")
    print(f"| identical replies | | {r['identical']} of {r['questions']} |")
    print(f"| fan-out floor (3 steps × an empty round trip to every worker, p50), ms | | "
          f"{3 * r['empty_step_p50']:.1f} |")
    for name, m in sorted(w.items()):
        print(f"| worker {name}: RSS / PSS / peak RSS, MB | | {m['rss_mb']:,.0f} / {m['pss_mb']:,.0f} / "
              f"{m['peak_mb']:,.0f} |")
    print(f"| asking process (both indexes open): RSS / PSS, MB | {r['asker']['rss_mb']:,.0f} / "
          f"{r['asker']['pss_mb']:,.0f} | |")
    print(f"| scheduler process (`qa cluster start`): RSS, MB | | {r['scheduler']['rss_mb']:,.0f} |")
    print(f"| start → shards loaded, s | | {r['cluster_ready_s']:.1f} |")
    print(f"| worker killed: first question after, slowest around it, ms | | {r['kill_question_ms'] or 0:.0f}, "
          f"{r['kill_slowest_ms'] or 0:.0f} ({r['kill_questions']} questions, "
          f"{'all whole and identical' if r['kill_all_whole'] else 'NOT all whole'}) |")
    restart = f"{r['restart_s']:.1f}" if r["restart_s"] is not None else "not back in 600 s"
    print(f"| killed worker restarted and its shards loaded, s | | {restart} |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.measure.bench_cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1e6", help="sentence counts, comma-separated (default 1e6)")
    parser.add_argument("--workers", type=int, default=2, help="Dask workers = shards (default 2)")
    parser.add_argument("--questions", type=int, default=300, help="questions asked of both (default 300)")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of SQuAD-format .json files")
    parser.add_argument("--work", type=Path, default=WORK, help="where corpora and indexes go")
    parser.add_argument("--job", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.job:
        print(json.dumps(job_ask(json.loads(sys.stdin.read()))))
        return 0
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731 - a one-line callback
    print(f"machine: {machine_info()}\ncode: {code_version()}")
    started = time.perf_counter()
    results = []
    for size in (parse_size(s) for s in args.sizes.split(",")):
        results.append(bench_size(size, args, say))
        print_size(results[-1])
        sys.stdout.flush()
    args.work.mkdir(parents=True, exist_ok=True)
    (args.work / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"\nwhole run {time.perf_counter() - started:.0f} s; load average now %.1f %.1f %.1f" % os.getloadavg())
    return 0


if __name__ == "__main__":
    sys.exit(main())
