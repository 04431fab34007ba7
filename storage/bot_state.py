"""botbuilder `Storage` on SQL, so that conversation and dialog state survive restarts and are
shared by every replica.

eTags give optimistic concurrency as in botbuilder's MemoryStorage: a write that carries the
eTag it read succeeds only while the row still has that eTag; `*` or no eTag overwrites.
"""

from __future__ import annotations

import uuid
from typing import Dict, List

import jsonpickle
from botbuilder.core import Storage, StoreItem
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import BotStateItem, utcnow


class EtagConflict(KeyError):
    pass


def _etag_of(item) -> str | None:  # noqa: ANN001 - dict or StoreItem
    if isinstance(item, dict):
        return item.get("e_tag")
    return getattr(item, "e_tag", None)


def _with_etag(item, etag: str):  # noqa: ANN001, ANN202
    if isinstance(item, dict):
        item["e_tag"] = etag
    elif hasattr(item, "e_tag"):
        item.e_tag = etag
    return item


class SqlStorage(Storage):
    def __init__(self, database: Database) -> None:
        super().__init__()
        self._database = database

    async def read(self, keys: List[str]) -> Dict[str, object]:
        if not keys:
            return {}
        async with self._database.transaction() as session:
            rows = (await session.scalars(select(BotStateItem).where(BotStateItem.key.in_(list(keys))))).all()
        return {row.key: _with_etag(jsonpickle.decode(row.data), row.etag) for row in rows}

    async def write(self, changes: Dict[str, StoreItem]) -> None:
        if changes is None:
            raise ValueError("SqlStorage.write: changes are required")
        for key, item in changes.items():
            expected = _etag_of(item)
            if expected == "":
                raise ValueError("SqlStorage.write: an empty eTag is not allowed")
            new_etag = uuid.uuid4().hex
            payload = jsonpickle.encode(_without_etag(item), keys=True)
            await self._write_one(key, payload, expected, new_etag)

    async def _write_one(self, key: str, payload: str, expected: str | None, new_etag: str) -> None:
        values = {"data": payload, "etag": new_etag, "updated_at": utcnow()}
        conditional = expected not in (None, "*")
        async with self._database.transaction() as session:
            statement = update(BotStateItem).where(BotStateItem.key == key)
            if conditional:
                statement = statement.where(BotStateItem.etag == expected)
            result = await session.execute(statement.values(**values))
            if result.rowcount:
                return
            exists = await session.scalar(select(BotStateItem.key).where(BotStateItem.key == key))
            if exists is not None:
                raise EtagConflict(f"eTag conflict for {key!r}: the item changed since it was read")
            session.add(BotStateItem(key=key, **values))
            try:
                await session.flush()
            except IntegrityError:
                raise EtagConflict(f"eTag conflict for {key!r}: created concurrently") from None

    async def delete(self, keys: List[str]) -> None:
        if not keys:
            return
        async with self._database.transaction() as session:
            await session.execute(delete(BotStateItem).where(BotStateItem.key.in_(list(keys))))


def _without_etag(item):  # noqa: ANN001, ANN202
    if isinstance(item, dict) and "e_tag" in item:
        return {k: v for k, v in item.items() if k != "e_tag"}
    return item
