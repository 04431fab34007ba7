"""The audit log: role changes, FAQ edits, exports, erasures and retention runs.

An entry is written in the same transaction as the change it records, so that neither exists
without the other. Its data holds ids and counts, never a question text or a comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storage.db import Database
from storage.models import AuditLog

# The actor of admin commands run on the server (app.py); chat actions name the clicker's
# Entra object id; the Microsoft Graph placement and the daily retention run name themselves.
CLI_ACTOR = "cli"
GRAPH_ACTOR = "graph"
RETENTION_ACTOR = "retention"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    person_id: int | None
    data: dict


def add_entry(session, database: Database, *, actor: str, action: str, person_id: int | None = None,
              **data: object) -> None:
    """Adds an entry to the caller's transaction."""
    session.add(AuditLog(actor=actor[:64], action=action, person_id=person_id, data=data, at=database.now()))


class AuditRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def record(self, *, actor: str, action: str, person_id: int | None = None, **data: object) -> None:
        async with self._database.transaction() as session:
            add_entry(session, self._database, actor=actor, action=action, person_id=person_id, **data)

    async def entries(self, since: datetime | None = None) -> list[AuditEntry]:
        """Oldest first, so that a printed log reads as it happened."""
        query = select(AuditLog).order_by(AuditLog.at, AuditLog.id)
        if since is not None:
            query = query.where(AuditLog.at >= since)
        async with self._database.transaction() as session:
            rows = (await session.scalars(query)).all()
        return [AuditEntry(row.id, row.at, row.actor, row.action, row.person_id, dict(row.data or {}))
                for row in rows]
