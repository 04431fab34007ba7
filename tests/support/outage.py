"""A database outage on demand: the app's handle pointed at a server that refuses connections."""

from __future__ import annotations

import contextlib

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from storage.db import Database


@contextlib.contextmanager
def database_outage(database: Database):
    """Points the app's database handle at a server that refuses connections."""
    engine, sessions = database.engine, database.sessions
    dead = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none", connect_args={"timeout": 2})
    database.engine, database.sessions = dead, async_sessionmaker(dead, expire_on_commit=False)
    try:
        yield
    finally:
        database.engine, database.sessions = engine, sessions
