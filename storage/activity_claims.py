"""Recognising re-delivered activities: Teams re-sends when a reply takes about 15 s."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import ProcessedActivity


class ActivityClaims:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def claim(self, activity_key: str) -> bool:
        """True for the first delivery of this activity; False for every later one."""
        # A Core insert on a bare connection: this runs on every turn, and the ORM's unit of
        # work costs more than the insert itself.
        statement = insert(ProcessedActivity).values(activity_key=_stored_key(activity_key),
                                                     received_at=self._database.now())
        try:
            async with self._database.connection() as connection:
                await connection.execute(statement)
        except IntegrityError:
            return False
        return True

    async def release(self, activity_key: str) -> None:
        """A turn that failed gives its claim back, so that Teams' retry is processed."""
        async with self._database.transaction() as session:
            await session.execute(
                delete(ProcessedActivity).where(ProcessedActivity.activity_key == _stored_key(activity_key)))

    async def forget_older_than(self, age: timedelta) -> int:
        async with self._database.transaction() as session:
            result = await session.execute(
                delete(ProcessedActivity).where(ProcessedActivity.received_at < self._database.now() - age))
            return result.rowcount or 0


def _stored_key(activity_key: str) -> str:
    """A fixed-length digest: cutting a long key short would make two deliveries in a
    conversation with a long id look like one, and the second would be dropped."""
    return hashlib.sha256(activity_key.encode("utf-8", "surrogatepass")).hexdigest()
