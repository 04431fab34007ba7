"""The audit log as admins read it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

from dialogs.rules.periods import HELSINKI
from storage.audit_repository import AuditEntry, AuditRepository


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return _utc_text(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(document: object, *, indent: int | None = 2) -> str:
    return json.dumps(document, default=_json_value, ensure_ascii=False, indent=indent, sort_keys=indent is None)


def audit_line(entry: AuditEntry) -> str:
    """One entry on one line, in a format scripts may rely on:
    `<UTC time> #<id> <action> actor=<actor> person=<id or -> <data as compact JSON>`."""
    data = json.dumps(entry.data, default=_json_value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    person = entry.person_id if entry.person_id is not None else "-"
    return f"{_utc_text(entry.at)} #{entry.id} {entry.action} actor={entry.actor} person={person} {data}"


def audit_document(entries: list[AuditEntry]) -> str:
    return to_json([{"id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "person_id": e.person_id,
                     "data": e.data} for e in entries])


class Privacy:
    def __init__(self, audit: AuditRepository) -> None:
        self._audit = audit

    async def audit(self, since: date | None = None) -> list[AuditEntry]:
        """Entries from the start of `since` in Helsinki, where the organisation's days are."""
        start = datetime.combine(since, time(0), tzinfo=HELSINKI) if since is not None else None
        return await self._audit.entries(start)
