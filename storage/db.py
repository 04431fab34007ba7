"""The database handle: engine, sessions, health check and the outage error the edge understands."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


class StorageUnavailable(RuntimeError):
    """The database cannot be reached or refused the connection; the caller should answer 503."""


# A pooled PostgreSQL connection idle longer than this is pinged before use: one that died while
# idle (a server restart, a failover, an idle timeout) is replaced instead of failing a turn.
# A busy pool is not pinged: SQLAlchemy's pre-ping costs three round trips (BEGIN, ";",
# ROLLBACK) on every checkout, about a tenth of the bot's samples under bench/load_bench.py, and
# a connection that breaks while in use is invalidated with the whole pool anyway.
IDLE_BEFORE_PING_SECONDS = 2.0

# PostgreSQL going down or starting up: "the database system is shutting down / starting up"
# (57P03), "terminating connection due to administrator command" (57P01), crash shutdown (57P02).
_OUTAGE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def _sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE under SQLAlchemy's and the asyncpg adapter's wrappers, if any."""
    seen = 0
    while error is not None and seen < 5:
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str):
            return state
        error = getattr(error, "orig", None) or error.__cause__
        seen += 1
    return None


def _is_outage(error: BaseException) -> bool:
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    if _sqlstate(error) in _OUTAGE_SQLSTATES:
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (ConnectionError, OSError, TimeoutError))


@contextlib.asynccontextmanager
async def outage_as_unavailable() -> AsyncIterator[None]:
    try:
        yield
    except StorageUnavailable:
        raise
    except Exception as error:
        if _is_outage(error):
            raise StorageUnavailable(type(error).__name__) from error
        raise


class Database:
    """`clock` is the application's one source of time (dialogs.clock.Clock.now); every
    timestamp a repository writes comes from it. A handle opened only to read may omit it."""

    def __init__(self, url: str, *, clock: Callable[[], datetime] | None = None, echo: bool = False,
                 idle_before_ping: float = IDLE_BEFORE_PING_SECONDS) -> None:
        self.url = url
        self._clock = clock
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # One connection: SQLite has one writer at a time anyway, and writers queued inside
            # SQLite back off in sleeps of up to 100 ms, while queueing for the pool is immediate.
            self.engine: AsyncEngine = create_async_engine(
                url, echo=echo, connect_args={"timeout": 30}, pool_size=1, max_overflow=0, pool_timeout=60
            )
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_async_engine(
                url,
                echo=echo,
                pool_size=10,
                max_overflow=10,
                pool_timeout=10,
                connect_args={"timeout": 5, "command_timeout": 30},
            )
            self._ping_when_idle(idle_before_ping)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Called after a transaction that stored outbox messages commits (storage/outbox.py).
        self.outbox_listeners: list[Callable[[], None]] = []

    def _ping_when_idle(self, idle_before_ping: float) -> None:
        pool, dialect = self.engine.sync_engine.pool, self.engine.dialect

        @event.listens_for(pool, "checkin")
        def _checked_in(_dbapi_connection, record) -> None:
            if record is not None:
                record.info["idle_since"] = time.monotonic()

        @event.listens_for(pool, "checkout")
        def _checked_out(dbapi_connection, record, _proxy) -> None:
            idle_since = record.info.pop("idle_since", None)
            if idle_since is None or time.monotonic() - idle_since < idle_before_ping:
                return
            try:
                alive = dialect.do_ping(dbapi_connection)
            except Exception as error:
                # The pool then discards this connection and checks out a new one.
                raise DisconnectionError("an idle connection died") from error
            if not alive:
                raise DisconnectionError("an idle connection died")

    def now(self) -> datetime:
        if self._clock is None:
            raise RuntimeError("this Database was opened without a clock, so it cannot write timestamps")
        return self._clock()

    def insert(self, model):
        """An INSERT that can say ON CONFLICT: concurrent writers are then decided by the
        database, not by a read before the write."""
        return (postgresql_insert if self.dialect == "postgresql" else sqlite_insert)(model)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: everything in it commits together or not at all."""
        async with outage_as_unavailable(), self.sessions() as session:
            async with session.begin():
                yield session
            if session.info.get("outbox"):
                for listener in self.outbox_listeners:
                    listener()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection in one transaction, for hot paths that need no ORM session."""
        async with outage_as_unavailable(), self.engine.begin() as connection:
            yield connection

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except Exception as error:
            if _is_outage(error):
                return False
            raise

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer commits; busy_timeout makes writers queue
    # instead of failing when two processes share the file.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
