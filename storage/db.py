"""The database handle: engine, sessions, health check and the outage error the edge understands."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import AsyncIterator

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


class StorageUnavailable(RuntimeError):
    """The database cannot be reached or refused the connection; the caller should answer 503."""


def _is_outage(error: BaseException) -> bool:
    if isinstance(error, (OperationalError, InterfaceError)):
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
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
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
                pool_pre_ping=True,
                pool_timeout=10,
                connect_args={"timeout": 5, "command_timeout": 30},
            )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: everything in it commits together or not at all."""
        async with outage_as_unavailable(), self.sessions() as session, session.begin():
            yield session

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
        except Exception as error:  # noqa: BLE001 - every failure means "not healthy"
            if _is_outage(error):
                return False
            raise

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - driver objects
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer commits; busy_timeout makes writers queue
    # instead of failing when two processes share the file.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
