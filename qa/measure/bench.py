"""Speed benchmarks (scripts that print figures; no timed tests).

``python -m qa.measure.bench`` — the seed corpus: process start to first answer (a fresh subprocess), index build
time once jieba is loaded, and ``ask`` latency p50/p95 over 1,000 questions.

``python -m qa.measure.bench --sizes 1e3,1e4,1e5,1e6`` — synthetic corpora of that many sentences, made from the
articles of ../shared/data/*.json (repeated with a made-up token per copy), side by side: rank-bm25's
``BM25Okapi.get_scores`` over every sentence, bm25s, and this engine. Every system gets the same tokens (the
engine's own jieba terms), and every measurement runs in its own subprocess so that peak memory is honest.

``python -m qa.measure.bench --rerank [--data FOLDER]`` — what the learned re-ranker (qa/search/rerank.py) adds to a
question: ``ask`` with it and without it, question by question side by side, on the seed article and on DRCD dev's
articles (each indexed on its own, its own questions asked).
"""
from __future__ import annotations

import argparse
import gc
import importlib
import json
import multiprocessing
import os
import pickle
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
WORK = ROOT / "artifacts" / "bench"
SYSTEMS = ("rank-bm25", "bm25s", "ours")
TOP_K = 10
# rank-bm25 scores every sentence in Python for every query term: beyond ~10k sentences a full set of
# questions would take hours, so it answers a sample (the number of runs is printed).
NAIVE_QUERY_BUDGET = 2_000_000  # sentences × questions
OFF_TOPIC = ("今天天气怎么样？", "如何煮義大利麵？", "貓為什麼喜歡睡覺？", "量子力学的基本原理是什么？",
             "How do I install Python packages?", "台灣最高的山是哪一座？")


# --- small helpers ----------------------------------------------------------------------------------------------

def peak_mb() -> float:
    """This process's peak resident memory so far, MB (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024


def rss_mb() -> float:
    """This process's resident memory now, MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_parts_mb() -> dict[str, float]:
    """This process's resident memory now, split: anonymous (its own heap and arrays) and file-backed (memory-mapped
    files and code: shared with other processes mapping them, and dropped first under memory pressure), MB."""
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status if line.startswith(("RssAnon", "RssFile")))
    return {"anon_mb": int(fields["RssAnon"].split()[0]) / 1024, "file_mb": int(fields["RssFile"].split()[0]) / 1024}


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def timed(function: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def latencies_ms(run: Callable[[object], object], inputs: Sequence[object]) -> list[float]:
    """Milliseconds per call, one call per input."""
    out = []
    for item in inputs:
        started = time.perf_counter()
        run(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def machine_info() -> str:
    """The machine and software the figures come from."""
    info = {}
    for file, key in (("/proc/cpuinfo", "model name"), ("/proc/meminfo", "MemTotal")):
        try:
            info[key] = next(line for line in open(file) if line.startswith(key)).split(":", 1)[1].strip()
        except (OSError, StopIteration):
            info[key] = "?"
    memory = f"{int(info['MemTotal'].split()[0]) / 2**20:.1f} GB RAM" if info["MemTotal"] != "?" else "? RAM"
    cpu = f"{info['model name']}, {os.cpu_count()} cores, {memory}"
    system = f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    versions = []
    for package in ("numpy", "jieba", "rank-bm25", "bm25s"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    load = ", load average %.1f %.1f %.1f" % os.getloadavg()
    return f"{cpu}; {system}; " + ", ".join(versions) + load


def code_version() -> str:
    """The commit the figures come from, and whether qa/ had uncommitted changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "qa"], cwd=ROOT, capture_output=True,
                               text=True, timeout=30).stdout.strip()
    except OSError:
        return "?"
    return f"{commit or '?'}{' + uncommitted changes in qa/' if dirty else ''}"


def snapshot_code(work: Path) -> Path:
    """A copy of qa/ for the jobs of a long run: others editing the tree meanwhile must not make the index
    built at the start stale (or the figures a mix of two versions)."""
    target = work / "code"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "qa", target / "qa", ignore=shutil.ignore_patterns("__pycache__"))
    return target


CODE = ROOT  # where jobs import qa from (bench_sizes points it at a snapshot)


def run_job(job: dict, timeout: float = 7200) -> dict:
    """Run one measurement in a fresh Python process; its last stdout line is the JSON result."""
    # The job goes in on stdin: a thousand questions or a sample of sentences are too long for a command line.
    result = subprocess.run([sys.executable, "-m", "qa.measure.bench", "--job"], input=json.dumps(job, ensure_ascii=False),
                            cwd=CODE, capture_output=True, text=True, encoding="utf-8", timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"benchmark job {job['kind']} ({job.get('system', '')}) failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the seed ---------------------------------------------------------------------------------------------------

FIRST_ANSWER = """
import time, json
started = time.perf_counter()
import qa
imported = time.perf_counter()
from qa.search.tokens import shared_analyzer
shared_analyzer()
loaded = time.perf_counter()
index = qa.load_corpus("seeds")
built = time.perf_counter()
answers = index.ask("金融科技如何聯通產業前後端？")
done = time.perf_counter()
print(json.dumps({"import": imported - started, "jieba": loaded - imported, "index": built - loaded,
                  "ask": done - built, "answers": len(answers)}))
"""


def seed_questions(index, count: int = 1000, seed: int = 0) -> list[tuple[str, list[str]]]:
    """``count`` (question, history) pairs about the seed: phrases of its sentences asked in both scripts,
    a tenth off-topic, a tenth follow-ups."""
    rng = random.Random(seed)
    analyzer = index.analyzer
    phrases = []
    for article in index.articles:
        for sentence in article.sentences:
            text = re.sub(r"[\W_]+", "", sentence.text)
            if len(text) >= 6:
                phrases.append(text)
    templates = ("{}是什麼？", "為什麼{}？", "{}有什麼影響？", "关于{}，文章怎么说？", "{}嗎？", "哪些{}？")
    questions = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.1:
            questions.append((rng.choice(OFF_TOPIC), []))
            continue
        phrase = rng.choice(phrases)
        start = rng.randrange(0, max(1, len(phrase) - 4))
        question = rng.choice(templates).format(phrase[start:start + rng.randint(4, 12)])
        if rng.random() < 0.5:
            question = analyzer.to_simplified(question)
        history = [questions[-1][0]] if roll > 0.9 and questions else []
        questions.append(("那它有什麼作用？" if history else question, history))
    return questions


def bench_seed(runs: int = 5, builds: int = 20, count: int = 1000) -> None:
    """Issue 2's figures for the seed corpus."""
    import qa
    from qa.search.tokens import shared_analyzer

    print(f"machine: {machine_info()}")
    print(f"code: {code_version()}")
    starts, parts = [], []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", FIRST_ANSWER], cwd=ROOT, capture_output=True, text=True,
                                encoding="utf-8", timeout=300)
        starts.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-2000:])
        parts.append(json.loads(result.stdout.strip().splitlines()[-1]))
    analyzer = shared_analyzer()
    build_times = [timed(lambda: qa.load_corpus(ROOT / "seeds", analyzer))[0] for _ in range(builds)]
    index = qa.load_corpus(ROOT / "seeds", analyzer)
    questions = seed_questions(index, count)
    index.ask("暖身")  # the first call pays for lazy set-up; the figures are about steady use
    ask_ms = latencies_ms(lambda qh: index.ask(qh[0], top_k=3, history=qh[1]), questions)
    answered = sum(bool(index.ask(q, 3, h)) for q, h in questions)
    part = {key: statistics.median(p[key] for p in parts) for key in ("import", "jieba", "index", "ask")}
    print(f"seed corpus: {len(index.articles)} article(s), {index.sentence_count} sentences\n")
    print("| measure | median | runs | target |")
    print("| --- | --- | --- | --- |")
    print(f"| process start → first answer (fresh `python -c`) | {statistics.median(starts):.2f} s "
          f"(min {min(starts):.2f}) | {runs} | — |")
    print(f"| … of which: import qa / load jieba / build index / first ask | {part['import']:.2f} / {part['jieba']:.2f}"
          f" / {part['index']:.3f} / {part['ask'] * 1000:.1f} ms | {runs} | — |")
    print(f"| index build (`load_corpus`, jieba already loaded) | {statistics.median(build_times) * 1000:.0f} ms "
          f"(min {min(build_times) * 1000:.0f}) | {builds} | < 300 ms |")
    print(f"| query `ask` p50 / p95 | {percentile(ask_ms, 50):.2f} / {percentile(ask_ms, 95):.2f} ms "
          f"(max {max(ask_ms):.1f}) | {len(ask_ms)} questions ({answered} answered) | p50 < 2 ms |")


def bench_rerank(data: Path, articles: int = 200, runs: int = 3) -> None:
    """``ask`` p50/p95 with and without the re-ranker, the two timed alternately on the same questions."""
    from dataclasses import replace

    import qa
    from qa.measure.evaluate import load_squad
    from qa.search.index import index_text
    from qa.search.ranking import RankingSettings
    from qa.search.rerank import shipped_model
    from qa.search.tokens import shared_analyzer

    print(f"machine: {machine_info()}")
    print(f"code: {code_version()}")
    analyzer = shared_analyzer()
    off = replace(RankingSettings(), rerank_pool=0)
    loaded = timed(shipped_model)[0]
    seed = qa.load_corpus(ROOT / "seeds", analyzer)
    seed_off = qa.load_corpus(ROOT / "seeds", analyzer)
    seed_off.ranking = off
    cases = [("seed article", [(seed, seed_off, q, h) for q, h in seed_questions(seed, 1000)])]
    drcd = data / "DRCD_dev.json"
    if drcd.exists():
        dev = load_squad(drcd)
        pairs = {}
        asked = []
        for question in dev.questions:
            if question.article >= articles:
                break
            if question.article not in pairs:
                raw = dev.articles[question.article].raw
                pairs[question.article] = (index_text(raw, "a", analyzer), index_text(raw, "a", analyzer, off))
            asked.append((*pairs[question.article], question.text, []))
        cases.append((f"DRCD dev, {len(pairs)} articles", asked))
    print(f"model loaded in {loaded * 1000:.0f} ms (once per process)\n")
    print("| questions | asked | ask p50 / p95, re-ranked | ask p50 / p95, engine's order | added p50 / p95 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, questions in cases:
        on_ms, off_ms = [], []
        for index, plain, question, history in questions[:1]:
            index.ask(question, 3, history), plain.ask(question, 3, history)  # lazy set-up is not the figure
        for _ in range(runs):
            for index, plain, question, history in questions:
                on_ms.append(timed(lambda: index.ask(question, 3, history))[0] * 1000)
                off_ms.append(timed(lambda: plain.ask(question, 3, history))[0] * 1000)
        added = [a - b for a, b in zip(on_ms, off_ms)]
        print(f"| {name} | {len(on_ms):,} ({runs} runs) | {percentile(on_ms, 50):.2f} / {percentile(on_ms, 95):.2f} ms"
              f" | {percentile(off_ms, 50):.2f} / {percentile(off_ms, 95):.2f} ms | "
              f"{percentile(added, 50):.2f} / {percentile(added, 95):.2f} ms |")


# --- synthetic corpora ------------------------------------------------------------------------------------------

# Each copy's made-up token goes before every sentence or clause end.
_SENTENCE_END = re.compile(r"([。！？；!?;])")


def write_corpus(size: int, path: Path, data: Path) -> tuple[int, list[tuple[str, int]]]:
    """A JSON Lines corpus of about ``size`` sentences from the data sets' articles; copy k of an article gets a
    made-up token " r<k>" in every sentence. Returns the approximate sentence count and (question, copy 0
    article line) pairs for the articles used."""
    base: list[tuple[str, str]] = []  # (title, text: the title, then the paragraphs, blank lines between)
    questions: list[tuple[str, int]] = []
    for file in sorted(data.glob("*.json")):
        for entry in json.loads(file.read_text(encoding="utf-8"))["data"]:
            paragraphs = entry["paragraphs"]
            title = entry.get("title", "").strip()
            base.append((title, "\n\n".join([title] + [p["context"] for p in paragraphs])))
            questions += [(q["question"], len(base) - 1) for p in paragraphs for q in p["qas"] if q["question"].strip()]
    if not base:
        raise SystemExit(f"no SQuAD-format *.json files in {data}")
    from qa.text.structure import split_sentences  # light: no jieba

    # Counted as the engine splits them (qa.text.structure), so that "1e6" is a million sentences of the index.
    counts = [len(split_sentences(raw)) or 1 for _, raw in base]
    total, used, copy = 0, set(), 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        while total < size:
            for number, (title, raw) in enumerate(base):
                if total >= size:
                    break
                if copy:
                    title, raw = f"{title}（{copy}）", _SENTENCE_END.sub(rf" r{copy}\1", raw)
                out.write(json.dumps({"title": title, "text": raw, "url": f"https://example.org/{number}/{copy}"},
                                     ensure_ascii=False) + "\n")
                total += counts[number]
                used.add(number)
            copy += 1
    return total, [(q, a) for q, a in questions if a in used]


def pick_questions(questions: list[tuple[str, int]], count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    pool = [q for q, _ in questions]
    rng.shuffle(pool)
    picked = [pool[i % len(pool)] for i in range(count)] if pool else []
    for i in range(0, len(picked), 20):  # one in twenty is about something no article talks about
        picked[i] = OFF_TOPIC[(i // 20) % len(OFF_TOPIC)]
    return picked


# --- jobs (each runs in its own process) ------------------------------------------------------------------------

def write_token_lists(index_dir: Path, out: Path) -> None:
    """Every sentence's terms as the engine made them, as arrays (term ids, sentence offsets) plus the vocabulary:
    the common input of every system. Term order inside a sentence is lost: BM25 is a bag of words."""
    import numpy as np

    from qa.search.bm25 import STORED, BM25, BM25Settings

    arrays = {name: np.load(index_dir / f"field.words.{name}.npy") for name in STORED}
    counts = BM25.from_arrays(arrays, BM25Settings()).counts()
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "ids.npy", np.repeat(counts.term_ids, counts.tf))
    ptr = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts.lengths, out=ptr[1:])
    np.save(out / "ptr.npy", ptr)
    (out / "vocabulary.json").write_text(json.dumps(list(counts.terms), ensure_ascii=False), encoding="utf-8")


def read_token_lists(folder: str) -> list[list[str]]:
    """The token lists ``write_token_lists`` wrote, built a slice at a time to keep the peak down."""
    import numpy as np

    path = Path(folder)
    vocabulary = np.array(json.loads((path / "vocabulary.json").read_text(encoding="utf-8")), dtype=object)
    ids, ptr = np.load(path / "ids.npy"), np.load(path / "ptr.npy")
    lists: list[list[str]] = []
    step = 50_000
    for lo in range(0, len(ptr) - 1, step):
        hi = min(lo + step, len(ptr) - 1)
        words = vocabulary[ids[ptr[lo]:ptr[hi]]]
        bounds = (ptr[lo:hi + 1] - ptr[lo]).tolist()
        lists.extend(words[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:]))
    return lists


def job_build(job: dict) -> dict:
    """Build one system's index from token lists, answer pre-tokenized questions, save it."""
    from qa.search.bm25 import BM25, select_top_k

    system, queries = job["system"], job["queries"][: job["runs"]]
    tokens = read_token_lists(job["tokens"])
    gc.collect()
    baseline = rss_mb()
    if system == "rank-bm25":
        from rank_bm25 import BM25Okapi

        seconds, model = timed(lambda: BM25Okapi(tokens))
        query = lambda q: select_top_k(model.get_scores(q), TOP_K)  # noqa: E731
    elif system == "bm25s":
        import bm25s

        model = bm25s.BM25(method="robertson", k1=1.5, b=0.75)
        seconds, _ = timed(lambda: model.index(tokens, show_progress=False))
        query = lambda q: select_top_k(model.get_scores(q), TOP_K)  # noqa: E731
    else:
        seconds, model = timed(lambda: BM25(tokens))
        query = lambda q: model.top_k(q, TOP_K)  # noqa: E731
    after_build = rss_mb()  # before the token lists go: "after − before" is then what the index adds
    del tokens
    gc.collect()
    query(queries[0])
    ms = latencies_ms(query, queries)
    out = Path(job["save"])
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if system == "rank-bm25":
        with open(out / "model.pickle", "wb") as handle:
            pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
    elif system == "bm25s":
        model.save(str(out), show_progress=False)
    # (ours is saved whole, with its articles, by the end-to-end build: its reload is measured on that)
    del model
    return {"build_s": seconds, "query_ms": ms, "baseline_mb": baseline, "after_build_mb": after_build,
            "peak_mb": peak_mb(), "disk_mb": sum(f.stat().st_size for f in out.iterdir()) / 2**20}


def job_serve(job: dict) -> dict:
    """Load one system's saved index from disk and answer questions (what a restarted app does)."""
    from qa.search.bm25 import select_top_k

    system = job["system"]
    baseline = rss_mb()
    result: dict = {}
    if system == "rank-bm25":
        def load():
            with open(Path(job["save"]) / "model.pickle", "rb") as handle:
                return pickle.load(handle)
        seconds, model = timed(load)
        query = lambda q: select_top_k(model.get_scores(q), TOP_K)  # noqa: E731
    elif system == "bm25s":
        import bm25s

        seconds, model = timed(lambda: bm25s.BM25.load(job["save"], show_progress=False))
        query = lambda q: select_top_k(model.get_scores(q), TOP_K)  # noqa: E731
    else:
        from dataclasses import replace

        from qa.corpus.store import load_index, open_index
        from qa.search.tokens import shared_analyzer

        shared_analyzer()  # jieba is part of start-up, not of reading the index
        baseline = rss_mb()
        # Reading alone (no checksums, no source check) first, then dropped: one copy in memory at a time.
        result["load_index_s"] = timed(lambda: load_index(job["index"], verify=False))[0]
        gc.collect()
        # rebuild=False: an index found stale (say, the code changed meanwhile) must fail the run, not be rebuilt.
        seconds, model = timed(lambda: open_index(job["index"], rebuild=False))
        result["loaded_mb"] = rss_mb() - baseline
        query = lambda q: model.bm25.top_k(q, TOP_K)  # noqa: E731
        questions = job["questions"]
        model.ask(questions[0])
        result["ask_ms"] = latencies_ms(lambda q: model.ask(q, top_k=3), questions)
        result["answered"] = sum(bool(model.ask(q, top_k=3)) for q in questions[:200])
        # The same questions in the engine's own order (no learned re-ranker): the lexical part of an ask.
        shipped, model.ranking = model.ranking, replace(model.ranking, rerank_pool=0)
        result["ask_lexical_ms"] = latencies_ms(lambda q: model.ask(q, top_k=3), questions)
        model.ranking = shipped
    queries = job["queries"][: job["runs"]]
    query(queries[0])
    result.update({"load_s": seconds, "query_ms": latencies_ms(query, queries), "baseline_mb": baseline,
                   "peak_mb": peak_mb(), "end_rss": rss_parts_mb()})
    return result


def job_pipeline(job: dict) -> dict:
    """The engine end to end: read the JSON Lines corpus, clean, tokenize on all cores, index, save."""
    from qa.corpus.store import build
    from qa.search.tokens import shared_analyzer

    analyzer_s, analyzer = timed(shared_analyzer)
    seconds, index = timed(lambda: build(job["corpus"], job["index"], analyzer, workers=job["workers"], reuse=False))
    with open(job["corpus"], encoding="utf-8") as lines:  # the articles' UTF-8 (the index stores it compressed)
        raw_bytes = sum(len(json.loads(line)["text"].encode("utf-8")) for line in lines)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"build_s": seconds, "jieba_s": analyzer_s, "articles": len(index.articles),
            "sentences": index.sentence_count, "raw_mb": raw_bytes / 2**20,
            "chars": job["chars"], "peak_mb": peak_mb(), "worker_peak_mb": children,
            "disk_mb": sum(f.stat().st_size for f in Path(job["index"]).iterdir()) / 2**20}


_POOL_ANALYZER = None


def _terms_chars(texts: list[str]) -> int:
    for text in texts:
        _POOL_ANALYZER.terms(text)
    return sum(map(len, texts))


def _lcut_chars(texts: list[str]) -> int:
    for text in texts:
        _POOL_ANALYZER.tokenizer.lcut(text)
    return sum(map(len, texts))


def _search_chars(texts: list[str]) -> int:
    for text in texts:
        _POOL_ANALYZER.tokenizer.lcut_for_search(text)
    return sum(map(len, texts))


# Other implementations of jieba's search mode, measured when installed (rjieba is the engine's segmenter, before
# ``tokens.jieba_pieces``; jieba_fast_dat is not used): module → how to cut one text.
JIEBA_PORTS = {"rjieba": lambda module: module.cut_for_search,
               "jieba_fast_dat": lambda module: module.Tokenizer().lcut_for_search}


def _ports(texts: list[str], reference: list[list[str]]) -> dict:
    """Each installed port's one-process throughput, and the share of texts it cuts exactly as jieba does."""
    out = {}
    for name, make in JIEBA_PORTS.items():
        try:
            cut = make(importlib.import_module(name))
        except ImportError:
            continue
        cut(texts[0])  # loads its dictionary
        seconds, cuts = timed(lambda: [list(cut(text)) for text in texts])
        out[name] = {"chars_s": sum(map(len, texts)) / seconds,
                     "same": sum(a == b for a, b in zip(cuts, reference)) / len(texts)}
    return out


def job_tokenize(job: dict) -> dict:
    """Tokenization throughput on a sample of sentences: jieba alone (accurate and search mode, the engine's) and the
    engine's terms, 1 process vs all; and other implementations of jieba's search mode where installed."""
    global _POOL_ANALYZER
    import jieba

    from qa.search.tokens import shared_analyzer

    _POOL_ANALYZER = shared_analyzer()
    texts = job["texts"]
    chars = sum(map(len, texts))
    chunks = [texts[i:i + 500] for i in range(0, len(texts), 500)]
    out = {"chars": chars, "sentences": len(texts), "workers": job["workers"]}
    for name, function in (("lcut", _lcut_chars), ("search", _search_chars), ("terms", _terms_chars)):
        out[f"{name}_1"] = chars / timed(lambda: [function(c) for c in chunks])[0]
        with multiprocessing.get_context("fork").Pool(job["workers"]) as pool:
            out[f"{name}_n"] = chars / timed(lambda: sum(pool.imap(function, chunks)))[0]
    # jieba's own default tokenizer: the stock dictionary, as the ports use.
    out["ports"] = _ports(texts, [jieba.dt.lcut_for_search(text) for text in texts])
    return out


JOBS = {"build": job_build, "serve": job_serve, "pipeline": job_pipeline, "tokenize": job_tokenize}


# --- the side-by-side table -------------------------------------------------------------------------------------

def naive_runs(sentences: int, questions: int) -> int:
    return max(10, min(questions, NAIVE_QUERY_BUDGET // max(sentences, 1)))


def bench_size(size: int, args: argparse.Namespace, say: Callable[[str], None]) -> dict:
    """All measurements for one corpus size."""
    from qa.search.tokens import shared_analyzer

    work = Path(args.work) / f"{size:g}"
    corpus = work / "corpus.jsonl"
    approx, questions = write_corpus(size, corpus, Path(args.data))
    questions = pick_questions(questions, args.questions)
    chars = sum(len(json.loads(line)["text"]) for line in corpus.open(encoding="utf-8"))
    say(f"{size:,.0f}: corpus of ~{approx:,} sentences, {chars:,} chars; end-to-end build on {args.workers} processes…")
    ours_dir = work / "ours-index"
    results: dict = {"size": size, "questions": len(questions)}
    results["pipeline"] = run_job({"kind": "pipeline", "corpus": str(corpus), "index": str(ours_dir),
                                   "workers": args.workers, "chars": chars})
    say(f"  built in {results['pipeline']['build_s']:.1f} s")
    write_token_lists(ours_dir, work / "tokens")
    analyzer = shared_analyzer()
    queries = [analyzer.question_terms(q) for q in questions]
    sentences = results["pipeline"]["sentences"]
    for system in args.systems:
        runs = naive_runs(sentences, len(queries)) if system == "rank-bm25" else len(queries)
        say(f"  {system}: build + {runs} queries…")
        save = work / f"{system}-saved"
        results[system] = {"runs": runs, **run_job({"kind": "build", "system": system, "tokens": str(work / "tokens"),
                                                    "queries": queries, "runs": runs, "save": str(save)})}
        say(f"  {system}: reload + queries…")
        serve_runs = min(runs, 10) if system == "rank-bm25" else runs
        results[system]["serve"] = run_job({"kind": "serve", "system": system, "save": str(save), "index": str(ours_dir),
                                            "queries": queries, "runs": serve_runs, "questions": questions})
        results[system]["serve"]["runs"] = serve_runs
    return results


def print_size(r: dict) -> None:
    """The side-by-side table for one size, with ratios."""
    p = r["pipeline"]
    print(f"\n### {p['sentences']:,} sentences ({p['articles']:,} articles, {p['raw_mb']:.0f} MB of text)\n")
    systems = [s for s in SYSTEMS if s in r]
    header = "| measure | " + " | ".join(systems) + " | ours vs " + " / ".join(s for s in systems if s != "ours") + " |"
    print(header)
    print("|" + " --- |" * (len(systems) + 2))

    def row(label: str, values: dict[str, float | None], fmt: str, lower_is_better: bool = True) -> None:
        cells = [("—" if values.get(s) is None else fmt.format(values[s])) for s in systems]
        ratios = []
        for s in systems:
            if s != "ours" and values.get(s) and values.get("ours"):
                ratio = values[s] / values["ours"] if lower_is_better else values["ours"] / values[s]
                ratios.append(f"{ratio:,.1f}×" if ratio >= 1 else f"1/{1 / ratio:,.1f}")
            elif s != "ours":
                ratios.append("—")
        print(f"| {label} | " + " | ".join(cells) + " | " + " / ".join(ratios) + " |")

    get = lambda key: {s: r[s].get(key) for s in systems}  # noqa: E731
    row("index build from token lists, s", get("build_s"), "{:.2f}")
    for label, source in (("query p50, ms (score + top-10)", "query_ms"),):
        row(label, {s: percentile(r[s][source], 50) for s in systems}, "{:.2f}")
        row("query p95, ms", {s: percentile(r[s][source], 95) for s in systems}, "{:.2f}")
    print(f"| query runs | " + " | ".join(str(r[s]["runs"]) for s in systems) + " | |")
    row("peak RSS while building, MB", get("peak_mb"), "{:,.0f}")
    row("… of which the index (after build − before), MB", {s: r[s]["after_build_mb"] - r[s]["baseline_mb"] for s in systems}, "{:,.0f}")
    row("RSS added by reload + queries, MB", {s: r[s]["serve"]["peak_mb"] - r[s]["serve"]["baseline_mb"] for s in systems}, "{:,.0f}")
    row("reload from disk, s", {s: r[s]["serve"]["load_s"] for s in systems}, "{:.2f}")
    row("peak RSS serving (reload + queries), MB; ours also holds jieba for `ask()`",
        {s: r[s]["serve"]["peak_mb"] for s in systems}, "{:,.0f}")
    if all("end_rss" in r[s]["serve"] for s in systems):  # runs before this row have none
        row("… RSS at the end: anonymous (own heap and arrays), MB",
            {s: r[s]["serve"]["end_rss"]["anon_mb"] for s in systems}, "{:,.0f}")
        row("… RSS at the end: file-backed (memory-mapped index pages and code; shared, reclaimable), MB",
            {s: r[s]["serve"]["end_rss"]["file_mb"] for s in systems}, "{:,.0f}")
    row("disk, MB", {s: r[s]["disk_mb"] for s in systems if s != "ours"} | {"ours": p["disk_mb"]}, "{:,.0f}")
    if "ours" in r:
        serve = r["ours"]["serve"]
        ask = serve["ask_ms"]
        print(f"| **ours `ask()` p50 / p95, ms** (tokenize the question, rank, build 3 answers; {len(ask)} questions) "
              f"| | | **{percentile(ask, 50):.1f} / {percentile(ask, 95):.1f}** | |")
        if "ask_lexical_ms" in serve:  # runs before this row have none
            lexical = serve["ask_lexical_ms"]
            print(f"| ours `ask()` p50 / p95 without the learned re-ranker (the engine's order), ms | | | "
                  f"{percentile(lexical, 50):.1f} / {percentile(lexical, 95):.1f} | |")
        print(f"| ours reload: `open_index` (checksums + source check) / `load_index` alone, s | | | "
              f"{serve['load_s']:.2f} / {serve['load_index_s']:.2f} | |")
    print(f"| ours end-to-end build (read JSONL, clean, tokenize on all cores, index, save), s | | | "
          f"{p['build_s']:.1f} ({p['chars'] / p['build_s'] / 1e3:,.0f}k chars/s) | |")
    print(f"| ours end-to-end build peak RSS: parent / largest worker, MB | | | {p['peak_mb']:,.0f} / {p['worker_peak_mb']:,.0f} | |")


def print_tokenization(t: dict) -> None:
    print(f"\n### Tokenization throughput (same for every system: all get these tokens), {t['sentences']:,} sentences, "
          f"{t['chars']:,} chars\n")
    print(f"| tokenizer | 1 process, chars/s | {t['workers']} processes, chars/s | speed-up |")
    print("| --- | --- | --- | --- |")
    for name, label in (("lcut", "`jieba.lcut` alone"), ("search", "`jieba.lcut_for_search` alone (the engine's mode)"),
                        ("terms", "engine terms (NFKC, OpenCC, jieba-rs search mode in jieba's pieces, stop words)")):
        if f"{name}_1" in t:  # runs before the search-mode row have none
            one, many = t[f"{name}_1"], t[f"{name}_n"]
            print(f"| {label} | {one / 1e3:,.0f}k | {many / 1e3:,.0f}k | {many / one:.2f}× |")
    for name, port in t.get("ports", {}).items():
        use = "the engine's segmenter, before jieba's pieces" if name == "rjieba" else "not used"
        print(f"| `{name}` search mode alone ({use}; {port['same']:.1%} of the sentences cut exactly as jieba) "
              f"| {port['chars_s'] / 1e3:,.0f}k | | |")


def bench_sizes(args: argparse.Namespace) -> None:
    global CODE
    say = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    info = machine_info()
    version = code_version()
    CODE = snapshot_code(Path(args.work))
    all_results = []
    for size in args.sizes:
        all_results.append(bench_size(size, args, say))
    say("tokenization throughput sample…")
    texts = []
    for line in Path(args.work, f"{max(args.sizes):g}", "corpus.jsonl").open(encoding="utf-8"):
        texts += [s for s in _SENTENCE_END.split(json.loads(line)["text"]) if len(s) > 1]
        if len(texts) >= args.sample:
            break
    tokenization = run_job({"kind": "tokenize", "texts": texts[: args.sample], "workers": args.workers})
    results = {"machine": info, "code": version, "questions": args.questions, "seconds": time.perf_counter() - started,
               "sizes": all_results, "tokenization": tokenization}
    print_report(results)
    out = Path(args.work) / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    print(f"\n(raw figures: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}; "
          f"`python -m qa.measure.bench --report FILE` prints these tables again)")


def print_report(results: dict) -> None:
    """The tables of one run (fresh, or read back from its raw figures)."""
    print(f"machine: {results['machine']}")
    print(f"code: {results.get('code', '?')}")
    questions = results.get("questions", len(results["sizes"][0]["ours"]["query_ms"]) if results["sizes"] else 0)
    print(f"questions: {questions} from the data sets (one in 20 off-topic), pre-tokenized for the query rows; "
          f"top-{TOP_K}; each system measured in its own subprocess"
          + (f"; total time {results['seconds']:.0f} s" if "seconds" in results else ""))
    print("bm25s: method 'robertson' (k1 1.5, b 0.75), numpy backend; its scores are not rank-bm25's (no (k1+1) "
          "factor, idf clipped at 0) — ours equal rank-bm25's to 1e-9 (tests/test_bm25.py).")
    for result in results["sizes"]:
        print_size(result)
    print_tokenization(results["tokenization"])


def parse_size(text: str) -> int:
    try:
        value = int(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of sentences (e.g. 1e5)") from None
    if value < 100:
        raise argparse.ArgumentTypeError(f"{text}: use at least 100 sentences")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.measure.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=lambda s: [parse_size(x) for x in s.split(",") if x],
                        help="comma-separated corpus sizes in sentences, e.g. 1e3,1e4,1e5,1e6")
    parser.add_argument("--data", default=str(DATA), help=f"folder of SQuAD-format *.json (default {DATA})")
    parser.add_argument("--work", default=str(WORK), help=f"where corpora and indexes go (default {WORK})")
    parser.add_argument("--questions", type=int, default=1000, help="questions per size (default 1000)")
    parser.add_argument("--systems", type=lambda s: s.split(","), default=list(SYSTEMS),
                        help="which of rank-bm25,bm25s,ours (default all)")
    parser.add_argument("--workers", type=int, default=None, help="tokenizing processes (default: all cores)")
    parser.add_argument("--sample", type=int, default=20_000, help="sentences for the tokenization throughput")
    parser.add_argument("--rerank", action="store_true", help="ask with and without the learned re-ranker")
    parser.add_argument("--report", metavar="RESULTS.json", help="print the tables of an earlier run's raw figures")
    parser.add_argument("--job", action="store_true", help=argparse.SUPPRESS)  # internal: one job from stdin
    args = parser.parse_args(argv)
    if args.job:
        job = json.loads(sys.stdin.read())
        print(json.dumps(JOBS[job["kind"]](job)))
        return 0
    if args.report:
        print_report(json.loads(Path(args.report).read_text(encoding="utf-8")))
        return 0
    if args.rerank:
        bench_rerank(Path(args.data))
        return 0
    unknown = [s for s in args.systems if s not in SYSTEMS]
    if unknown:
        parser.error(f"unknown system {unknown[0]!r}; choose from {', '.join(SYSTEMS)}")
    if not args.sizes:
        bench_seed()
        return 0
    from qa.corpus.build import default_workers

    args.workers = args.workers or default_workers()
    if not Path(args.data).is_dir():
        parser.error(f"no data folder {args.data}; pass --data with SQuAD-format *.json files")
    bench_sizes(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
