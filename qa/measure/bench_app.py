"""Benchmark the chat app in a real browser: start-up to first answer, and question-to-answer time.

``python -m qa.measure.bench_app`` starts ``streamlit run app.py`` on a free port, drives Debian's Chromium through
Playwright, and prints the machine, the number of runs and the medians. The helpers here (a running app
server, a browser, asking a question) are shared with the end-to-end tests in tests/e2e/.
"""
from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
# Questions about the seed article, in both scripts, plus one that nothing answers and one in English.
QUESTIONS = (
    "金融科技如何聯通產業前後端", "京東科技做了什麼", "互联网的红利", "金融科技是新物種的競技場嗎",
    "什么是新生态的新基座", "蚂蚁金服", "金融科技怎樣剜除互聯網頑疾", "產業互聯網", "数字化", "結語說了什麼",
    "金融与科技两种元素", "去平台和去中心化", "京东科技", "新物种", "互聯網模式的進化", "金融科技的未来",
    "火星上有水嗎", "产业前后端的联通", "頭部玩家", "What new kinds of finance have appeared?",
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def app_server(port: int | None = None, timeout: float = 30.0, app: Path | None = None) -> Iterator[str]:
    """Run ``streamlit run app.py`` headless on 127.0.0.1 and yield its URL once /_stcore/health answers."""
    with app_process(port, timeout, app) as (url, _):
        yield url


@contextmanager
def app_process(port: int | None = None, timeout: float = 30.0, app: Path | None = None,
                options: Sequence[str] = (), env: dict[str, str] | None = None
                ) -> Iterator[tuple[str, subprocess.Popen]]:
    """``app_server`` yielding the URL and the server's process (its pid is the server's own: memory is measured
    there); ``options`` are more ``--section.option value`` arguments for ``streamlit run``, ``env`` more
    environment variables."""
    port = port or free_port()
    app = app or ROOT / "app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", *options]
    # Output to a file, not a pipe: a long run's log must never fill a pipe nobody reads and stall the server.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=app.parent, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read().decode(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer on {url} within {timeout:.0f} s")
            time.sleep(0.05)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def launch_browser(playwright):  # -> playwright Browser (untyped: playwright is a test/bench dependency only)
    """Debian's Chromium, headless, through Playwright (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


# True once the chat shows `count` replies and the last one has its answers (or its no-answer note) drawn. A reply's
# head (.qa-reply) and its cards are separate elements of one chat message (each card has its reader button).
_REPLY_DRAWN = """([count]) => {
  const replies = document.querySelectorAll('[data-testid="stChatMessage"] .qa-reply');
  if (replies.length < count) return false;
  const message = replies[count - 1].closest('[data-testid="stChatMessage"]');
  return !!message && !!message.querySelector('.qa-card, .qa-none, .qa-notice');
}"""


def reply_count(page) -> int:
    """How many assistant replies the page shows."""
    return page.locator('[data-testid="stChatMessage"] .qa-reply').count()


def ask_in_browser(page, question: str, timeout_ms: float = 15000) -> float:
    """Type a question into the chat input, press Enter, wait for its reply; seconds it took."""
    count = reply_count(page)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    start = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(_REPLY_DRAWN, arg=[count + 1], timeout=timeout_ms, polling="raf")
    return time.perf_counter() - start


def wait_for_reply(page, count: int = 1, timeout_ms: float = 30000) -> None:
    """Wait until the page shows ``count`` drawn replies."""
    page.wait_for_function(_REPLY_DRAWN, arg=[count], timeout=timeout_ms, polling="raf")


def machine() -> str:
    """One line about the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


# A bare Streamlit chat that echoes the question in the same markup: the floor any Streamlit app pays here.
BARE_APP = """
import streamlit as st
st.session_state.setdefault("turns", [])
st.title("bare")
if question := st.chat_input("?"):
    st.session_state.turns.append(question)
for question in st.session_state.turns:
    with st.chat_message("user"):
        st.html(f"<div class='qa-question'>{question}</div>")
    with st.chat_message("assistant"):
        st.html(f"<div class='qa-reply'><div class='qa-card'>{question}</div></div>")
"""


def startup_run(playwright, question: str, app: Path | None = None) -> tuple[float, float, float]:
    """Seconds from launching ``streamlit run`` to: health check, page drawn (title), first answer of a ?q= link."""
    browser = launch_browser(playwright)  # started before the clock: the browser is the reader's, not the app's
    try:
        page = browser.new_page()
        start = time.perf_counter()
        with app_server(app=app) as url:
            health = time.perf_counter() - start
            page.goto(f"{url}/?q={question}", wait_until="commit")
            page.get_by_role("heading").first.wait_for(timeout=60000)
            drawn = time.perf_counter() - start
            if app is None:
                wait_for_reply(page, 1, timeout_ms=60000)
            answered = time.perf_counter() - start
        return health, drawn, answered
    finally:
        browser.close()


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory so far (Linux's VmHWM), MB; 0 where /proc cannot say."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def question_times(playwright, questions: Sequence[str], app: Path | None = None) -> tuple[list[float], float]:
    """Question-to-answer seconds for each question typed, in order, into one session of a running app, and the
    server's peak RSS (MB) once they are answered."""
    browser = launch_browser(playwright)
    try:
        with app_process(app=app) as (url, process):
            page = browser.new_page()
            page.goto(url)
            page.get_by_test_id("stChatInputTextArea").wait_for(timeout=60000)
            page.get_by_role("heading").first.wait_for(timeout=60000)
            ask_in_browser(page, questions[0], timeout_ms=60000)  # warm-up: the first question builds the index
            page.reload()  # a fresh session: the timed chat starts empty
            page.get_by_test_id("stChatInputTextArea").wait_for()
            return [ask_in_browser(page, q) for q in questions], peak_rss_mb(process.pid)
    finally:
        browser.close()


def _ms(seconds: Sequence[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    return f"median {statistics.median(ms):.0f} ms, p90 {ms[int(0.9 * (len(ms) - 1))]:.0f} ms, max {ms[-1]:.0f} ms"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.measure.bench_app", description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="cold starts to time (default 3)")
    parser.add_argument("--questions", type=int, default=len(QUESTIONS),
                        help=f"questions typed into one session (default {len(QUESTIONS)})")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare Streamlit chat measured alongside")
    args = parser.parse_args(argv)
    if args.starts < 1 or args.questions < 1:
        parser.error("--starts and --questions must be at least 1")
    from playwright.sync_api import sync_playwright

    print(f"machine: {machine()}; load average before: {os.getloadavg()[0]:.2f}")
    questions = (QUESTIONS * (args.questions // len(QUESTIONS) + 1))[:args.questions]
    with tempfile.TemporaryDirectory() as folder:
        bare = Path(folder) / "bare_app.py"
        bare.write_text(BARE_APP, encoding="utf-8")
        apps = [("app.py", None)] + ([] if args.no_baseline else [("bare Streamlit chat", bare)])
        with sync_playwright() as playwright:
            for name, app in apps:  # side by side, one after the other, in one run
                runs = [startup_run(playwright, QUESTIONS[0], app) for _ in range(args.starts)]
                health, drawn, answered = (statistics.median(r[i] for r in runs) for i in range(3))
                what = "first answer of a ?q= link" if app is None else "page drawn (it answers nothing)"
                print(f"{name}: start → {what}: median {answered if app is None else drawn:.2f} s over {len(runs)} "
                      f"cold starts (health check {health:.2f} s, page drawn {drawn:.2f} s; runs: "
                      f"{', '.join(f'{r[2] if app is None else r[1]:.2f}' for r in runs)})")
                times, peak = question_times(playwright, questions, app)
                print(f"{name}: question → answer on screen: {_ms(times)} over {len(times)} questions in one session; "
                      f"server peak RSS {peak:,.0f} MB")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
