"""Bring the schema to the newest revision; safe to call on every start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from storage.db import Database, outage_as_unavailable

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# An arbitrary constant: every process that migrates a PostgreSQL database takes this lock,
# so that two replicas starting at once do not race on DDL.
_PG_MIGRATION_LOCK = 804_2026


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def migrate(database: Database) -> None:
    config = alembic_config()

    def upgrade(connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with outage_as_unavailable(), database.engine.begin() as connection:
        if database.dialect == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        await connection.run_sync(upgrade)
