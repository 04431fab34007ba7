"""FAQ texts' embedding vectors, kept so that a restart or another replica does not embed an
unchanged text again. Keyed by the model and the SHA-256 of the text: a changed text, or
another model, simply misses."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
from sqlalchemy import select

from storage.db import Database
from storage.models import TextEmbedding

# Bounds each statement's parameter list (SQLite allows 32,766, asyncpg 32,767).
_CHUNK = 500


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class EmbeddingRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def vectors(self, model_id: str, hashes: Iterable[str], dimension: int) -> dict[str, np.ndarray]:
        """The stored vectors among `hashes`; a row of the wrong size (another model under the
        same name) is left out, so its text is embedded again."""
        wanted = list(dict.fromkeys(hashes))
        found: dict[str, np.ndarray] = {}
        async with self._database.connection() as connection:
            for start in range(0, len(wanted), _CHUNK):
                rows = await connection.execute(
                    select(TextEmbedding.text_sha256, TextEmbedding.vector).where(
                        TextEmbedding.model == model_id,
                        TextEmbedding.text_sha256.in_(wanted[start:start + _CHUNK])))
                for digest, blob in rows:
                    if len(blob) == 4 * dimension:
                        found[digest] = np.frombuffer(blob, dtype="<f4").copy()
        return found

    async def store(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        """Keeps vectors by text hash; a vector another replica stored first is left as it is
        (the same text gives the same vector). Rows go in hash order: two replicas storing
        overlapping chunks then wait for each other instead of deadlocking on PostgreSQL."""
        if not vectors:
            return
        now = self._database.now()
        rows = [{"model": model_id, "text_sha256": digest, "vector": np.asarray(vector, dtype="<f4").tobytes(),
                 "created_at": now} for digest, vector in sorted(vectors.items())]
        async with self._database.connection() as connection:
            for start in range(0, len(rows), _CHUNK // 4):
                statement = self._database.insert(TextEmbedding).values(rows[start:start + _CHUNK // 4])
                await connection.execute(statement.on_conflict_do_nothing(index_elements=["model", "text_sha256"]))
