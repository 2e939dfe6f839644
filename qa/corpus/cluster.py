"""The shards of a sharded index (``qa.corpus.shards``) served by Dask workers, answering as one index does.

Dask runs the cluster: its scheduler knows the workers, its nannies restart a worker that dies, its comms carry
the questions. The project adds one worker plugin, ``ShardServer``: registered once with the scheduler
(``load``), it is set up on every worker that joins — a restarted worker too — loads the shards assigned to the
worker's name, and answers the steps of ``qa.search.fanout`` for them through a comm handler. The asking process
(``connect``) talks to the workers directly (no task graph: one round trip per step), asks each shard of the
replica it prefers, and on a worker that fails or does not answer in time asks the shard's next replica. A shard
no live worker holds is left out, and the answers say which part of the corpus was not searched
(``Reply.unsearched``), never silently.

Everything listens on the addresses given; ``start_local`` makes a local cluster bound to 127.0.0.1, dashboards
too. This module needs ``dask[distributed]``; nothing else in the project imports it unless a cluster is asked for.
"""
from __future__ import annotations

import asyncio
import os
import re
import sys
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from distributed import Client, LocalCluster, WorkerPlugin
from distributed.protocol import to_serialize

from qa.corpus.build import only_articles
from qa.corpus.shards import ClusterError, Layout, PartedIndex, is_sharded, load_shard, read_layout
from qa.corpus.store import StoreError
from qa.records import Answer, Article
from qa.search.fanout import Candidates, Peaks, Plan
from qa.search.index import Index
from qa.search.tokens import Analyzer, shared_analyzer

PLUGIN = "qa-shards"  # the plugin's name at the scheduler: loading another index replaces it
HANDLER = "qa_shard"  # the comm handler a worker answers the steps with
METADATA = "qa-index"  # scheduler metadata: the layout of the index being served
RAW_KEPT = 8  # questions whose field scores a shard keeps between step 1 and step 2

Say = Callable[[str], None]


@dataclass(frozen=True)
class ClusterSettings:
    """How long the asking side waits."""

    call_timeout: float = 5.0  # one step on one worker: past this the shard's next replica is asked
    question_timeout: float = 20.0  # the whole question: shards not answered by then are reported unsearched
    refresh: float = 5.0  # seconds between looking up which workers hold which shards (and after any failure)
    connect_timeout: float = 5.0


def assign(workers: Sequence[str], shards: int, replicas: int) -> dict[str, list[int]]:
    """Worker name → the shards it loads: each shard on ``replicas`` workers (fewer when there are fewer),
    spread so that consecutive shards start on different workers."""
    if not workers:
        raise ClusterError("the cluster has no workers; start some (dask worker SCHEDULER_ADDRESS) and load again")
    replicas = max(1, min(replicas, len(workers)))
    held: dict[str, list[int]] = {w: [] for w in workers}
    for shard in range(shards):
        for copy in range(replicas):
            held[workers[(shard + copy) % len(workers)]].append(shard)
    return held


# --- the worker side ------------------------------------------------------------------------------------------

class ShardServer(WorkerPlugin):
    """A Dask worker plugin: loads this worker's shards (in the background, so the worker joins at once) and
    answers the ranking's steps for them. ``assignment`` maps worker names to shard numbers."""

    name = PLUGIN

    def __init__(self, path: str, assignment: dict[str, list[int]]) -> None:
        self.path = path
        self.assignment = assignment

    def setup(self, worker) -> None:  # noqa: ANN001 - a distributed.Worker
        self.worker = worker
        self.shards: dict[int, Index] = {}
        self.states: dict[int, str] = {n: "loading" for n in self.assignment.get(str(worker.name), [])}
        self.raw: OrderedDict[tuple[str, int], dict] = OrderedDict()
        self.views: OrderedDict[tuple[int, bytes], Index] = OrderedDict()
        self.lock = threading.Lock()
        # One thread answers: the worker's event loop stays free for Dask's own messages (heartbeats).
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="qa-shard")
        worker.handlers[HANDLER] = self.handle
        threading.Thread(target=self._load, name="qa-shard-load", daemon=True).start()

    def teardown(self, worker) -> None:  # noqa: ANN001
        worker.handlers.pop(HANDLER, None)
        self.executor.shutdown(wait=False, cancel_futures=True)

    def _load(self) -> None:
        try:
            layout = read_layout(self.path)
            analyzer = shared_analyzer()
        except (StoreError, OSError) as error:
            self.states = {n: f"failed: {error}" for n in self.states}
            return
        for number in list(self.states):
            try:
                shard = load_shard(self.path, number, analyzer, layout)
            except (StoreError, OSError) as error:
                self.states[number] = f"failed: {error}"
                continue
            with self.lock:
                self.shards[number] = shard
            self.states[number] = "ready"

    async def handle(self, step: str, shard: int = -1, args: object = None) -> object:
        """One step for one shard (held, peaks, candidates, answers, names, article)."""
        if step == "held":
            return {"pid": os.getpid(), "name": str(self.worker.name), "path": self.path,
                    "states": {str(n): s for n, s in self.states.items()}}
        loop = asyncio.get_running_loop()
        return to_serialize(await loop.run_in_executor(self.executor, self._step, step, shard, args))

    def _step(self, op: str, number: int, args: object) -> object:
        with self.lock:
            index = self.shards.get(number)
        if index is None:
            raise LookupError(f"shard {number} is not loaded here ({self.states.get(number, 'not assigned')})")
        if op == "names":
            return index.articles.names, index.articles.titles, index.articles.sentence_counts()
        if op == "held_grams":
            return index.held_grams(args)
        if op == "holds":
            return index.holds(args)
        if op == "article":
            return index.articles[int(args)]
        plan, keep, rest = args
        index = self._view(number, index, keep)
        if op == "peaks":
            raw = index.field_scores(plan)
            self._keep_raw((plan.key, number), raw)
            return index.peaks(plan, raw)
        if op == "candidates":
            best, offset = rest
            with self.lock:
                raw = self.raw.pop((plan.key, number), None)
            return index.candidates(plan, raw if raw is not None else index.field_scores(plan), best, offset)
        if op == "answers":
            ids, scores, gram_weights = rest
            return index.answers(plan, ids, scores, gram_weights)
        raise ValueError(f"unknown step {op!r}")

    def _keep_raw(self, key: tuple[str, int], raw: dict) -> None:
        with self.lock:
            self.raw[key] = raw
            while len(self.raw) > RAW_KEPT:
                self.raw.popitem(last=False)

    def _view(self, number: int, index: Index, keep: np.ndarray | None) -> Index:
        """The shard, or the shard answering only from some of its articles (the app's article filter)."""
        if keep is None:
            return index
        key = (number, np.asarray(keep, dtype=np.int64).tobytes())
        with self.lock:
            view = self.views.get(key)
        if view is None:
            view = only_articles(index, keep)
            with self.lock:
                self.views[key] = view
                while len(self.views) > 4:
                    self.views.popitem(last=False)
        return view


def load(client: Client, path: str | Path, replicas: int = 2, wait: float = 600.0, say: Say | None = None) -> Layout:
    """Serve the sharded index at ``path`` (the same path on every worker's machine) from the client's cluster:
    each shard on ``replicas`` workers; waits until every shard is loaded somewhere (``wait`` seconds at most)."""
    say = say or (lambda message: None)
    path = str(Path(path).resolve())
    layout = read_layout(path)
    workers = sorted((str(info.get("name", address)) for address, info in client.scheduler_info(n_workers=-1)["workers"].items()),
                     key=_natural)
    assignment = assign(workers, len(layout.shards), replicas)
    client.register_plugin(ShardServer(path, assignment), name=PLUGIN)
    client.set_metadata(METADATA, {"path": path, "layout": layout.to_json(), "assignment": assignment})
    deadline = time.monotonic() + wait
    while True:
        held = client.sync(_held, client, list(client.scheduler_info(n_workers=-1)["workers"]), 10.0)
        states = [s for info in held.values() for s in info["states"].values()]
        failed = [f"{info['name']}: shard {n} {s}" for info in held.values() for n, s in info["states"].items()
                  if s.startswith("failed")]
        if failed:
            raise ClusterError("a worker could not load its shard: " + "; ".join(failed[:3]))
        if states and all(s == "ready" for s in states):
            say(f"{len(layout.shards)} shards loaded on {len(held)} workers ({len(states)} copies)")
            return layout
        if time.monotonic() > deadline:
            raise ClusterError(f"the shards were not loaded within {wait:.0f} s")
        time.sleep(0.2)


def _natural(name: str) -> tuple:
    """Worker names in natural order (2 before 10)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name))


async def _held(client: Client, addresses: Sequence[str], timeout: float) -> dict[str, dict]:
    """Which shards each worker holds (workers that do not answer in time are left out)."""
    async def one(address: str) -> tuple[str, dict | None]:
        try:
            return address, await asyncio.wait_for(client.rpc(address).qa_shard(step="held"), timeout)
        except Exception:  # noqa: BLE001 - a worker that cannot say is a worker that holds nothing
            return address, None

    found = await asyncio.gather(*(one(a) for a in addresses))
    return {address: info for address, info in found if isinstance(info, dict)}


# --- the asking side ------------------------------------------------------------------------------------------

class ClusterArticles(Sequence[Article]):
    """The corpus's articles, fetched from the shards when asked for (a few cached)."""

    def __init__(self, index: "ClusterIndex") -> None:
        self._index = index
        self._cache: OrderedDict[int, Article] = OrderedDict()
        self._columns_got: tuple[list[str], list[str], list[np.ndarray]] | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._index.layout.articles

    def __getitem__(self, index):  # noqa: ANN001 - an int or a slice, as a Sequence takes
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        index = int(index) + (len(self) if int(index) < 0 else 0)
        if not 0 <= index < len(self):
            raise IndexError(f"article {index} out of range (the index holds {len(self)})")
        with self._lock:
            if index in self._cache:
                self._cache.move_to_end(index)
                return self._cache[index]
        number, local = self._index.article_shard(index)
        article = self._index.call_shard(number, "article", local)
        with self._lock:
            self._cache[index] = article
            while len(self._cache) > 256:
                self._cache.popitem(last=False)
        return article

    def _columns(self) -> tuple[list[str], list[str], list[np.ndarray]]:
        if self._columns_got is None:
            names, titles, counts = [], [], []
            for number in range(len(self._index.layout.shards)):
                shard_names, shard_titles, shard_counts = self._index.call_shard(number, "names", None)
                names += shard_names
                titles += shard_titles
                counts.append(shard_counts)
            self._columns_got = (names, titles, counts)
        return self._columns_got

    @property
    def names(self) -> list[str]:
        return self._columns()[0]

    @property
    def titles(self) -> list[str]:
        return self._columns()[1]

    def sentence_counts(self) -> list[np.ndarray]:
        """Each shard's sentences per article."""
        return self._columns()[2]


class ClusterIndex(PartedIndex):
    """The index a Dask cluster serves, asked from this process: it replies as ``Index.reply`` does, and its
    ``Reply.unsearched`` says which parts of the corpus no live worker held."""

    def __init__(self, client: Client, layout: Layout, analyzer: Analyzer, settings: ClusterSettings,
                 keep: dict[int, np.ndarray] | None = None, shared: "ClusterIndex | None" = None) -> None:
        super().__init__(layout, analyzer, ())
        self.client = client
        self.settings = settings
        self.keep = keep  # shard → local article ids to answer from (the article filter); None: every article
        # A filtered view shares the routes and the articles of the index it filters.
        self.routes = shared.routes if shared else Routes(client, settings)
        self.articles = shared.articles if shared else ClusterArticles(self)
        self.starts = np.array([s.first_article for s in layout.shards] + [layout.articles])

    def parts(self) -> "ClusterParts":
        return ClusterParts(self)

    def unsearched(self, parts: object) -> tuple[str, ...]:
        missing = getattr(parts, "missing", ())
        return tuple(self.layout.shards[n].describe(self.layout.articles) for n in sorted(missing))

    def held_grams(self, grams: Sequence[str]) -> set[str]:
        found = ClusterParts(self).everywhere("held_grams", list(grams))
        return set().union(*found)

    def holds(self, text: str) -> bool:
        return any(ClusterParts(self).everywhere("holds", text))

    @property
    def has_vectors(self) -> bool:
        """Whether every shard stores sentence vectors of the model installed here: the question is embedded in this
        process and the plan carries its vector; each worker loads the vectors with its shards (a worker without the
        model answers its shard lexically, and a pool holding its answers gets the lexical re-ranker)."""
        return self.layout.has_vectors

    def sentence_counts(self) -> list[np.ndarray]:
        return self.articles.sentence_counts()

    def only(self, article_ids: Sequence[int]) -> "ClusterIndex":
        """The same cluster answering only from some articles (positions in ``articles``)."""
        return ClusterIndex(self.client, self.layout, self.analyzer, self.settings, self.split_articles(article_ids),
                            self)

    def article_shard(self, article: int) -> tuple[int, int]:
        number = int(np.searchsorted(self.starts, article, side="right")) - 1
        return number, article - int(self.starts[number])

    def call_shard(self, number: int, op: str, args: object) -> object:
        """One call to whichever live worker holds a shard (for the articles view)."""
        async def call() -> object:
            for address in await self.routes.replicas(number):
                try:
                    return await self.routes.call(address, op, number, args, self.settings.call_timeout)
                except Exception:  # noqa: BLE001 - any failure: the next replica
                    self.routes.failed(address)
            raise ClusterError(f"no live worker holds {self.layout.shards[number].describe(self.layout.articles)}")

        return self.client.sync(call)

    def close(self) -> None:
        self.client.close()


class Routes:
    """Which live workers hold which shards, looked up now and then and again after a failure (its methods run on
    the client's event loop)."""

    def __init__(self, client: Client, settings: ClusterSettings) -> None:
        self.client = client
        self.settings = settings
        self._held: dict[int, list[str]] = {}
        self._checked = float("-inf")

    async def replicas(self, shard: int) -> list[str]:
        """The addresses holding a shard, the preferred first (shards spread over the workers)."""
        await self.refresh()
        held = self._held.get(shard, [])
        if not held:
            return []
        first = shard % len(held)
        return held[first:] + held[:first]

    async def refresh(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._checked < self.settings.refresh:
            return
        self._checked = time.monotonic()
        try:
            workers = list((await self.client.scheduler.identity(n_workers=-1)).get("workers", {}))
            # Saying what it holds takes a worker no work (its event loop answers): a second is plenty.
            held = await _held(self.client, workers, min(self.settings.call_timeout, 1.0))
        except Exception:  # noqa: BLE001 - the scheduler is unreachable: keep what was known
            return
        found: dict[int, list[str]] = {}
        for address in sorted(held, key=lambda a: _natural(str(held[a].get("name", a)))):
            for shard, state in held[address]["states"].items():
                if state == "ready":
                    found.setdefault(int(shard), []).append(address)
        self._held = found

    def failed(self, address: str) -> None:
        """A worker failed a call: look the holders up again before the next question."""
        self._checked = float("-inf")

    async def call(self, address: str, op: str, shard: int, args: object, timeout: float) -> object:
        return await asyncio.wait_for(
            self.client.rpc(address).qa_shard(step=op, shard=shard, args=to_serialize(args)), timeout)


class ClusterParts:
    """The shards of a ``ClusterIndex`` asked one question: each step goes to every shard at once, each shard to
    its preferred live replica, then to the next one on a failure, until the question's time is up."""

    def __init__(self, index: ClusterIndex) -> None:
        self.index = index
        self.missing: set[int] = set()
        self.deadline = time.monotonic() + index.settings.question_timeout
        self.where: dict[int, str] = {}  # shard → the worker that scored it (it keeps the field scores)

    def _run(self, op: str, shard_args: dict[int, object]) -> dict[int, object]:
        return self.index.client.sync(self._gather, op, shard_args)

    async def _gather(self, op: str, shard_args: dict[int, object]) -> dict[int, object]:
        results = await asyncio.gather(*(self._one(op, n, a) for n, a in shard_args.items()))
        return {n: r for n, r in zip(shard_args, results) if r is not None}

    async def _one(self, op: str, shard: int, args: object) -> object:
        routes = self.index.routes
        tried: set[str] = set()
        for attempt in range(2):  # the replicas known; then, all of them failed, those a fresh look-up finds
            if attempt:
                await routes.refresh(force=True)
            replicas = [a for a in await routes.replicas(shard) if a not in tried]
            if shard in self.where and self.where[shard] in replicas:  # the worker that keeps its field scores
                replicas.remove(self.where[shard])
                replicas.insert(0, self.where[shard])
            for address in replicas:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    break
                tried.add(address)
                try:
                    result = await routes.call(address, op, shard, args, min(left, self.index.settings.call_timeout))
                except Exception:  # noqa: BLE001 - a lost worker, a timeout, a shard not (yet) loaded: the next one
                    routes.failed(address)
                    continue
                self.where[shard] = address
                return result
        self.missing.add(shard)
        return None

    def everywhere(self, op: str, args: object) -> list:
        """One step that needs no plan (what the shards hold), from every shard a live worker holds."""
        return list(self._run(op, {n: args for n in range(len(self.index.layout.shards))}).values())

    def _keep(self, shard: int) -> np.ndarray | None:
        return None if self.index.keep is None else self.index.keep.get(shard, np.zeros(0, dtype=np.int64))

    def peaks(self, plan: Plan) -> list[Peaks]:
        shards = range(len(self.index.layout.shards))
        found = self._run("peaks", {n: (plan, self._keep(n), None) for n in shards})
        return list(found.values())

    def candidates(self, plan: Plan, best: dict[str, float]) -> list[Candidates]:
        layout = self.index.layout
        asked = {n: (plan, self._keep(n), (best, layout.shards[n].first_sentence))
                 for n in range(len(layout.shards)) if n not in self.missing}
        found = self._run("candidates", asked)
        return [found[n] for n in sorted(found)]

    def answers(self, plan: Plan, ids: np.ndarray, scores: np.ndarray, gram_weights: dict[str, float]) -> list[Answer]:
        layout = self.index.layout
        starts = np.array([s.first_sentence for s in layout.shards])
        of = np.searchsorted(starts, ids, side="right") - 1
        asked = {}
        for n in sorted(set(of.tolist())):
            rows = of == n
            asked[n] = (plan, self._keep(n), ((ids[rows] - starts[n]).tolist(), scores[rows].tolist(), gram_weights))
        found = self._run("answers", asked)
        given = {n: iter(found[n]) for n in found}
        # In ranking order; an answer whose shard was lost since it was ranked is left out (and reported).
        return [next(given[n]) for n in of.tolist() if n in given]


def client_for(address: str, timeout: float = ClusterSettings.connect_timeout) -> Client:
    """A Dask client of the scheduler at ``address``; ClusterError (one line) when it cannot be reached."""
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({_reason(error)}); start one with "
                           "python -m qa cluster start INDEXDIR, or check the address") from None


def connect(address: str, analyzer: Analyzer | None = None, settings: ClusterSettings = ClusterSettings()) -> ClusterIndex:
    """The index served by the Dask scheduler at ``address``; ClusterError (one line) when it cannot be used."""
    client = client_for(address, settings.connect_timeout)
    try:
        served = client.get_metadata(METADATA, default=None)
        if not served:
            raise ClusterError(f"the cluster at {address} serves no index; load one with python -m qa cluster load "
                               f"INDEXDIR --scheduler {address}")
        index = ClusterIndex(client, Layout.from_json(served["layout"]), analyzer or shared_analyzer(), settings)
        client.sync(index.routes.refresh, True)
        return index
    except BaseException:
        client.close()
        raise


def status(client: Client, timeout: float = 10.0) -> list[str]:
    """Lines saying which index the cluster serves and which worker holds which shard, in what state."""
    served = client.get_metadata(METADATA, default=None)
    if not served:
        return ["the cluster serves no index"]
    layout = Layout.from_json(served["layout"])
    lines = [f"index: {served['path']} — {layout.articles:,} articles, {layout.sentences:,} sentences, "
             f"{len(layout.shards)} shards"]
    held = client.sync(_held, client, list(client.scheduler_info(n_workers=-1)["workers"]), timeout)
    for address in sorted(held, key=lambda a: _natural(str(held[a]["name"]))):
        info = held[address]
        states = ", ".join(f"shard {n}: {state}" for n, state in sorted(info["states"].items(), key=lambda x: int(x[0])))
        lines.append(f"worker {info['name']} ({address}, pid {info['pid']}): {states or 'no shards'}")
    ready = {int(n) for info in held.values() for n, state in info["states"].items() if state == "ready"}
    for number in sorted(set(range(len(layout.shards))) - ready):
        lines.append(f"not served: {layout.shards[number].describe(layout.articles)} — no live worker holds it")
    return lines


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:160] if text else type(error).__name__


# --- a local cluster ------------------------------------------------------------------------------------------

def start_local(path: str | Path, workers: int = 2, replicas: int = 2, port: int = 8786, dashboard: int = 8787,
                say: Say | None = None) -> tuple[LocalCluster, Client]:
    """A scheduler and ``workers`` worker processes (each under a nanny that restarts it) on 127.0.0.1, dashboard
    included, serving the sharded index at ``path``."""
    say = say or (lambda message: None)
    if not is_sharded(path):
        raise StoreError(f"{path} is not a sharded index; build one with: python -m qa index SOURCE --out {path} "
                         "--shards N")
    read_layout(path)
    root = str(Path(__file__).resolve().parents[2])  # the workers must import qa to unpickle the plugin
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           scheduler_port=port, dashboard_address=f"127.0.0.1:{dashboard}",
                           worker_dashboard_address="127.0.0.1:0",
                           env={"PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)},
                           silence_logs=40)
    try:
        client = Client(cluster, set_as_default=False)
        load(client, path, replicas, say=say)
    except BaseException:
        cluster.close()
        raise
    return cluster, client


def serve_forever(cluster: LocalCluster, client: Client, say: Say, grace: float = 20.0) -> bool:
    """Keep a local cluster up until Ctrl-C (or SIGTERM), then stop the workers and the scheduler.

    The shutdown is bounded: Dask is given ``grace`` seconds to close the client and the cluster, then every worker
    process still alive is terminated (and killed if it ignores that). True when Dask closed everything itself; False
    when the shutdown had to be forced, and the caller should exit at once rather than wait on Dask's exit hooks."""
    import signal

    stop = threading.Event()
    # Ctrl-C (SIGINT) and SIGTERM both stop: set here, not left to Python's KeyboardInterrupt, which a process
    # started from a shell's background job never gets (it inherits SIGINT ignored; a CI run's test did so).
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        say("stopping the workers and the scheduler")
        clean = stop_local(cluster, client, grace)
        print("stopped" if clean else "stopped (forced: the cluster did not close in time)", file=sys.stderr,
              flush=True)
    return clean


def stop_local(cluster: LocalCluster, client: Client, grace: float = 20.0) -> bool:
    """Close ``client`` and ``cluster`` within ``grace`` seconds; terminate any worker process left after that."""
    import multiprocessing

    closed = threading.Event()

    def close() -> None:
        try:
            client.close(timeout=grace / 2)
            cluster.close(timeout=grace / 2)
        except Exception:  # noqa: BLE001 - a close that times out or fails is forced below, never a traceback
            return
        else:
            closed.set()

    closing = threading.Thread(target=close, name="cluster-close", daemon=True)
    closing.start()
    closing.join(grace)
    left = multiprocessing.active_children()  # the nannies' worker processes, if any outlived the close
    for process in left:
        process.terminate()
    deadline = time.monotonic() + 5.0  # one budget for all of them, not 5 s each
    for process in left:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in left:
        if process.is_alive():
            process.kill()
            process.join(2.0)
    return closed.is_set() and not left
