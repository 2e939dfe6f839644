"""Load test of the chat app in real browsers: another visitor's answers while one uploads the worst case, and the
server's memory over many sessions that each upload an article (issue 10, D7/D8).

``python -m qa.measure.load`` starts ``streamlit run app.py`` on a free port of 127.0.0.1 (stopped by its pid at the
end), drives Debian's Chromium through Playwright, and prints:

* latency: one visitor's question → answer on screen (median, p95, max) with no upload, while a second session
  uploads the worst case the limits allow (ten files that fill the 8 MB a visitor may upload; one 4 MB GB18030 file
  holding a single 2,000,000-character line), and with no upload again, all in one run;
* memory: the server's RSS (its process and its children: the forkserver and the indexing children) before, at the
  peak of and after ``--sessions`` sessions that each upload a 1 MB article, with Streamlit's disconnected-session
  TTL set low (``server.disconnectedSessionTTL``) so the run need not wait out its 120 s default.

The articles are made from the DRCD and CMRC dev sets' paragraphs (/work/shared/data, or ``--data``). Figures on a
shared machine are noisy: compare the phases of one run, not runs.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

from qa.measure.bench_app import QUESTIONS, app_process, ask_in_browser, launch_browser, machine

DATA = Path("/work/shared/data")
DATA_FILES = ("DRCD_dev.json", "cmrc2018_dev.json")
MB = 1024 * 1024
# qa.session.LIMITS, which this layer may not import (a sibling of qa.measure): ten articles, 8 MB, 30 s of indexing.
LIMIT_FILES, LIMIT_BYTES, LIMIT_SECONDS = 10, 8 * MB, 30
LONG_LINE = 2_000_000  # characters in the single-line GB18030 article (the audit's worst single file)
UPLOADER = '[data-testid="stFileUploaderDropzoneInput"]'
NOTES = '[data-testid="stSidebar"] [data-testid="stAlert"]'  # one note per uploaded file


def paragraphs(data: Path) -> list[str]:
    """The dev sets' paragraphs, one per article paragraph (each set's articles in order)."""
    found: list[str] = []
    for name in DATA_FILES:
        with open(data / name, encoding="utf-8") as handle:
            for article in json.load(handle)["data"]:
                found.extend(p["context"].strip() for p in article["paragraphs"] if p["context"].strip())
    if not found:
        raise SystemExit(f"no paragraphs in {', '.join(DATA_FILES)} under {data}")
    return found


def article_bytes(texts: Sequence[str], start: int, size: int, title: str, encoding: str = "utf-8",
                  one_line: bool = False) -> bytes:
    """An article of at most ``size`` bytes: a title and paragraphs from ``texts`` (from ``start``, round again
    if needed), one per line, or all on one line."""
    parts = [title]
    total = len(title.encode(encoding)) + 1
    i = start
    while True:
        text = texts[i % len(texts)]
        cost = len(text.encode(encoding)) + 1
        if total + cost > size:
            break
        parts.append(text)
        total += cost
        i += 1
    if one_line:
        return (parts[0] + "\n" + "".join(parts[1:])).encode(encoding)
    return "\n\n".join(parts).encode(encoding)


def long_line_article(texts: Sequence[str], characters: int = LONG_LINE) -> bytes:
    """One title line and one line of ``characters`` characters (Han, mostly: about 2 bytes each in GB18030)."""
    line, i = [], 0
    length = 0
    while length < characters:
        text = texts[i % len(texts)].replace("\n", "")
        line.append(text)
        length += len(text)
        i += 1
    return ("長文\n" + "".join(line)[:characters]).encode("gb18030")


@dataclass
class Files:
    """The uploads the run makes, written once into a temporary folder."""

    ten: list[Path]  # ten articles that together fill the visitor's byte limit
    long: Path  # the single-line GB18030 article
    small: list[Path]  # one ~1 MB article per memory session


def make_files(folder: Path, texts: Sequence[str], sessions: int, small_mb: float) -> Files:
    per_file = LIMIT_BYTES // LIMIT_FILES - 64  # ten of them stay just inside the total
    ten = []
    for n in range(LIMIT_FILES):
        path = folder / f"limit_{n:02d}.txt"
        path.write_bytes(article_bytes(texts, n * 997, per_file, f"上限之{n + 1}"))
        ten.append(path)
    long = folder / "long_line_gb18030.txt"
    long.write_bytes(long_line_article(texts))
    small = []
    for n in range(sessions):
        path = folder / f"one_mb_{n:03d}.txt"
        path.write_bytes(article_bytes(texts, n * 331, int(small_mb * MB), f"文章{n + 1}"))
        small.append(path)
    return Files(ten, long, small)


class Sampler:
    """The server's RSS (process + children), sampled every ``every`` seconds in a thread; the peak is kept."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        import psutil

        total = 0
        for process in [self.process, *self.process.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except psutil.Error:  # a child that ended between the listing and the reading
                pass
        return total

    def parts(self) -> str:
        """Each process's RSS now: the server's own, and each child's by its command."""
        import psutil

        found = [f"server {self.process.memory_info().rss / MB:,.0f} MB"]
        for child in self.process.children(recursive=True):
            try:
                what = "forkserver" if "forkserver" in " ".join(child.cmdline()) else "child"
                found.append(f"{what} {child.memory_info().rss / MB:,.0f} MB")
            except psutil.Error:
                pass
        return ", ".join(found)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            self._stop.wait(self.every)

    def __enter__(self) -> "Sampler":
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def open_app(browser, url: str, timeout_ms: float = 120_000):
    """A new visitor (its own browser context, so its own Streamlit session) on the app, ready to ask."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-TW")
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(url)
    page.get_by_test_id("stChatInputTextArea").wait_for()
    page.locator(UPLOADER).wait_for(state="attached")
    return context, page


def upload(page, paths: Sequence[Path], timeout_ms: float = 180_000) -> float:
    """Upload files through the sidebar's uploader and wait until every one has its note; seconds it took."""
    start = time.perf_counter()
    page.locator(UPLOADER).set_input_files([str(p) for p in paths])
    page.wait_for_function("([selector, count]) => document.querySelectorAll(selector).length >= count",
                           arg=[NOTES, len(paths)], timeout=timeout_ms, polling=250)
    return time.perf_counter() - start


def note_summary(page) -> str:
    """The notes the uploads got, counted by kind (added, too slow, refused)."""
    texts = page.locator(NOTES).all_inner_texts()
    kinds = {"added": sum("已加入" in t for t in texts), "too slow": sum("秒仍未完成" in t for t in texts)}
    kinds["other"] = len(texts) - sum(kinds.values())
    return ", ".join(f"{n} {kind}" for kind, n in kinds.items() if n)


@dataclass
class Pressure:
    """A second visitor uploading the worst case over and over, each time in a fresh session, until stopped."""

    url: str
    files: Files
    stop: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)
    uploads: list[tuple[str, float, float, str]] = field(default_factory=list)  # (what, start, end, notes)
    error: BaseException | None = None

    def run(self) -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:  # its own Playwright: the sync API is one per thread
                browser = launch_browser(playwright)
                try:
                    cases = [("ten files filling 8 MB", self.files.ten), ("4 MB GB18030 single line", [self.files.long])]
                    turn = 0
                    while not self.stop.is_set():
                        what, paths = cases[turn % len(cases)]
                        context, page = open_app(browser, self.url)
                        try:
                            began = time.perf_counter()
                            self.started.set()
                            upload(page, paths)
                            self.uploads.append((what, began, time.perf_counter(), note_summary(page)))
                        finally:
                            context.close()
                        turn += 1
                finally:
                    browser.close()
        except BaseException as error:  # told by the main thread
            self.error = error
            self.started.set()


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def figures(seconds: Sequence[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"median {statistics.median(ms):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, max {max(ms):.0f} ms "
            f"over {len(ms)} questions")


def ask_all(page, questions: Sequence[str]) -> list[tuple[float, float]]:
    """(start, seconds) of each question asked in order in one session."""
    times = []
    for question in questions:
        start = time.perf_counter()
        times.append((start, ask_in_browser(page, question, timeout_ms=120_000)))
    return times


def measure_latency(playwright, url: str, files: Files, count: int) -> None:
    questions = (QUESTIONS * (count // len(QUESTIONS) + 1))[:count]
    browser = launch_browser(playwright)
    try:
        context, page = open_app(browser, url)
        ask_in_browser(page, questions[0], timeout_ms=120_000)  # warm-up: the first question loads the shared index
        context.close()

        def fresh_session() -> tuple:
            return open_app(browser, url)

        context, page = fresh_session()
        before = ask_all(page, questions)
        context.close()

        pressure = Pressure(url, files)
        thread = threading.Thread(target=pressure.run, daemon=True)
        thread.start()
        pressure.started.wait(300)
        if pressure.error:
            raise pressure.error
        time.sleep(1.0)  # the upload has reached the server and its indexing has begun
        context, page = fresh_session()
        during = ask_all(page, questions)
        context.close()
        pressure.stop.set()
        thread.join(600)
        if pressure.error:
            raise pressure.error

        context, page = fresh_session()
        after = ask_all(page, questions)
        context.close()
    finally:
        browser.close()
    busy = [(start, end) for _, start, end, _ in pressure.uploads]
    overlapping = [s for start, s in during if any(b <= start + s and start <= e for b, e in busy)]
    base = statistics.median([s for _, s in before + after])
    print(f"latency, another visitor's question → answer on screen (one session each, {count} questions):")
    print(f"  no upload, before:     {figures([s for _, s in before])}")
    print(f"  while uploads index:   {figures([s for _, s in during])}; "
          f"{len(overlapping)} of {len(during)} asked while an upload was in flight")
    if overlapping and len(overlapping) != len(during):
        print(f"    (only those:         {figures(overlapping)})")
    print(f"  no upload, after:      {figures([s for _, s in after])}")
    print(f"  ratio of medians, during / no upload (before and after together): "
          f"{statistics.median([s for _, s in during]) / base:.2f}")
    for what, start, end, notes in pressure.uploads:
        print(f"  upload: {what}: {end - start:.1f} s until every file had its note ({notes})")


def measure_memory(playwright, url: str, pid: int, files: Files, at_once: int, ttl: int, settle: float,
                   upload_seconds: float) -> None:
    browser = launch_browser(playwright)
    sampler = Sampler(pid)
    mb = lambda n: f"{n / MB:,.0f} MB"  # noqa: E731
    try:
        context, page = open_app(browser, url)
        ask_in_browser(page, QUESTIONS[0], timeout_ms=120_000)  # the shared index loaded, as on a server in use
        unused = sampler.rss()
        upload(page, files.small[-1:], timeout_ms=300_000)  # the fork server started, as on a server in use
        context.close()
        time.sleep(ttl + settle + 2)
        start, start_parts = sampler.rss(), sampler.parts()
        sessions = len(files.small)
        upload_times, notes = [], []
        with sampler:
            for first in range(0, sessions, at_once):
                opened = [open_app(browser, url) for _ in files.small[first:first + at_once]]
                for (context, page), path in zip(opened, files.small[first:first + at_once]):
                    page.locator(UPLOADER).set_input_files(str(path))  # all of the wave upload at once
                began = time.perf_counter()
                for context, page in opened:
                    page.wait_for_function("([s, n]) => document.querySelectorAll(s).length >= n", arg=[NOTES, 1],
                                           timeout=1_200_000, polling=250)
                    upload_times.append(time.perf_counter() - began)
                    notes.append(note_summary(page))
                    ask_in_browser(page, "這篇文章說了什麼", timeout_ms=120_000)
                for context, _ in opened:
                    context.close()
            ended = sampler.rss()
            time.sleep(ttl + settle)  # Streamlit keeps a disconnected session for its TTL
            after_ttl = sampler.rss()
            # An expired session leaves Streamlit's session storage only when the storage is next written (another
            # session disconnecting): a later visitor, as on any server in use.
            context, page = open_app(browser, url)
            context.close()
            time.sleep(ttl + settle)
            context, page = open_app(browser, url)
            context.close()
            time.sleep(settle)
            after, after_parts = sampler.rss(), sampler.parts()
        print(f"memory, the server's RSS (process + children), {sessions} sessions each uploading "
              f"{files.small[0].stat().st_size / MB:.2f} MB, {at_once} open at a time, "
              f"server.disconnectedSessionTTL={ttl} s, QA_UPLOAD_SECONDS={upload_seconds:g}:")
        print(f"  start {mb(start)}; peak {mb(sampler.peak)} (+{mb(sampler.peak - start)}); "
              f"when the last closed {mb(ended)}; after the TTL {mb(after_ttl)}; "
              f"after later visitors {mb(after)} ({'+' if after >= start else '-'}{mb(abs(after - start))} from the start)")
        print(f"  {streamlit_metrics(url)}")
        print(f"  before any upload {mb(unused)}; at the start (one visitor has uploaded and left): {start_parts}; "
              f"at the end: {after_parts}")
        kinds = {kind: notes.count(kind) for kind in sorted(set(notes))}
        print(f"  upload → note: median {statistics.median(upload_times):.1f} s, max {max(upload_times):.1f} s; notes: "
              f"{'; '.join(f'{n} × {kind}' for kind, n in kinds.items())}")
    finally:
        browser.close()


def streamlit_metrics(url: str) -> str:
    """What Streamlit's /_stcore/metrics says of sessions and of the uploaded files it holds."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=10) as response:
            text = response.read().decode("utf-8", "replace")
    except OSError as error:
        return f"(no metrics: {error})"
    lines = text.splitlines()
    held = sum(float(line.rsplit(" ", 1)[1]) for line in lines
               if line.startswith("cache_memory_bytes") and "uploadedfile" in line.lower().replace("_", ""))
    events = {line.split('type="')[1].split('"')[0]: line.rsplit(" ", 1)[1] for line in lines
              if line.startswith("session_events_total{")}
    active = next((line.rsplit(" ", 1)[1] for line in lines if line.startswith("active_sessions")), "?")
    return f"Streamlit holds {held / MB:.1f} MB of uploaded files; {active} active sessions; session events {events}"


@contextmanager
def server(options: Sequence[str] = (), env: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    with app_process(timeout=120.0, options=options, env=env) as (url, process):
        yield url, process.pid


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.measure.load", description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=24, help="questions per latency phase (default 24)")
    parser.add_argument("--sessions", type=int, default=50, help="sessions that each upload (default 50)")
    parser.add_argument("--upload-mb", type=float, default=1.0, help="each memory session's upload (default 1 MB)")
    parser.add_argument("--at-once", type=int, default=5, help="memory sessions open at a time (default 5)")
    parser.add_argument("--ttl", type=int, default=5, help="server.disconnectedSessionTTL in seconds (default 5)")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait past the TTL (default 10)")
    parser.add_argument("--upload-seconds", type=float, default=300.0,
                        help="the memory phase's indexing time limit, QA_UPLOAD_SECONDS (default 300)")
    parser.add_argument("--only", choices=("latency", "memory"), help="measure only one of the two")
    parser.add_argument("--data", type=Path, default=DATA, help=f"folder of {' and '.join(DATA_FILES)} (default {DATA})")
    args = parser.parse_args(argv)
    if args.questions < 1 or args.sessions < 1 or args.at_once < 1 or args.ttl < 1 or not 0 < args.upload_mb <= 4:
        parser.error("--questions, --sessions, --at-once and --ttl must be at least 1, --upload-mb in (0, 4]")
    from playwright.sync_api import sync_playwright

    print(f"machine: {machine()}; load average before: {os.getloadavg()[0]:.2f}")
    print(f"limits (qa.session.LIMITS): {LIMIT_FILES} articles, {LIMIT_BYTES / MB:g} MB, {LIMIT_SECONDS} s of "
          f"indexing per visitor")
    texts = paragraphs(args.data)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        files = make_files(Path(folder), texts, args.sessions if args.only != "latency" else 0, args.upload_mb)
        if args.only != "memory":
            with server() as (url, _):
                measure_latency(playwright, url, files, args.questions)
        if args.only != "latency":
            # Each session's upload indexed in full (not stopped at the 30 s a busy machine's child can need), so
            # every session holds its index: what must be released when it ends.
            with server(["--server.disconnectedSessionTTL", str(args.ttl)],
                        {"QA_UPLOAD_SECONDS": str(args.upload_seconds)}) as (url, pid):
                measure_memory(playwright, url, pid, files, args.at_once, args.ttl, args.settle, args.upload_seconds)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
