"""Serving processes and their heartbeats: which processes are alive, decided by the database.

Each serving process registers a row at start and refreshes its heartbeat every second. A
process is alive while its heartbeat is at most `dead_after` seconds old and it has not been
marked stopped. Ages are measured by the database server's own clock, never by the hosts',
so replicas on machines whose clocks differ still agree on who is alive, and a test that
freezes the product clock does not freeze liveness.

Delivery claims (storage/activity_claims.py) and outbox leases (storage/outbox.py) name their
owner process: a redelivered activity or an unsent message whose owner is dead is taken over
at once, instead of after a fixed lease.
"""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import timedelta

from sqlalchemy import ColumnElement, delete, exists, func, insert, literal_column, select, update
from sqlalchemy.sql.elements import ClauseElement

from storage.db import Database
from storage.models import BotProcess

HEARTBEAT_SECONDS = 1.0
# A heartbeat this old means the process is gone (killed, frozen or cut off from the database).
DEAD_AFTER_SECONDS = 5.0


def database_now(dialect: str, minus_seconds: float = 0.0) -> ClauseElement:
    """The database server's current time, less `minus_seconds`, as an SQL expression.

    On SQLite it is written in the text form UtcDateTime stores ("YYYY-MM-DD HH:MM:SS.fff"),
    so that comparisons with stored times are comparisons of like strings."""
    if dialect == "sqlite":
        modifier = f"-{float(minus_seconds):.3f} seconds"
        return func.strftime("%Y-%m-%d %H:%M:%f", "now", modifier)
    if minus_seconds:
        return literal_column(f"clock_timestamp() - interval '{float(minus_seconds):.3f} seconds'")
    return func.clock_timestamp()


class ProcessRegistry:
    """This process's row in bot_processes, and the liveness test for everyone's."""

    def __init__(self, database: Database, *, dead_after: float = DEAD_AFTER_SECONDS) -> None:
        self._database = database
        self.dead_after = dead_after
        self._id: int | None = None
        self._registering = asyncio.Lock()

    async def id(self) -> int:
        """This process's id, registering it on first use."""
        if self._id is None:
            async with self._registering:
                if self._id is None:
                    await self.register()
        return self._id

    @property
    def registered_id(self) -> int | None:
        return self._id

    async def register(self) -> int:
        dialect = self._database.dialect
        async with self._database.connection() as connection:
            now = database_now(dialect)
            row = (await connection.execute(
                insert(BotProcess).values(host=socket.gethostname()[:255], pid=os.getpid(), started_at=now,
                                          heartbeat_at=now).returning(BotProcess.id))).one()
        self._id = row.id
        return self._id

    async def beat(self) -> int:
        """Refreshes the heartbeat; returns how many processes are alive, this one included.
        A process whose row was forgotten or marked stopped while it still runs (it was cut off
        for a long time) registers again under a new id."""
        process_id = await self.id()
        async with self._database.connection() as connection:
            result = await connection.execute(
                update(BotProcess).where(BotProcess.id == process_id, BotProcess.stopped_at.is_(None))
                .values(heartbeat_at=database_now(self._database.dialect)))
            if result.rowcount != 1:
                self._id = None
        if self._id is None:
            await self.register()
        return await self.alive_count()

    async def alive_count(self) -> int:
        async with self._database.connection() as connection:
            return await connection.scalar(select(func.count()).select_from(BotProcess).where(self._live_row()))

    async def stop(self) -> None:
        """Marks this process stopped: whatever it still owns may be taken over at once."""
        if self._id is None:
            return
        async with self._database.connection() as connection:
            await connection.execute(update(BotProcess).where(BotProcess.id == self._id)
                                     .values(stopped_at=database_now(self._database.dialect)))

    def alive(self, process_id: ColumnElement) -> ColumnElement:
        """SQL: the process named by `process_id` (a column or value) is alive."""
        return exists().where(BotProcess.id == process_id, self._live_row())

    def _live_row(self) -> ColumnElement:
        return BotProcess.stopped_at.is_(None) & (
            BotProcess.heartbeat_at >= database_now(self._database.dialect, self.dead_after))

    async def forget_older_than(self, age: timedelta) -> int:
        """Deletes the rows of processes gone for longer than `age`."""
        async with self._database.connection() as connection:
            result = await connection.execute(delete(BotProcess).where(
                BotProcess.heartbeat_at < database_now(self._database.dialect, age.total_seconds())))
            return result.rowcount or 0
