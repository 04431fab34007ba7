"""Personal data on request and by time: a person's export and erasure (admin commands), the
daily retention run, and the audit log as admins read it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, time, timedelta

from dialogs.clock import Clock
from dialogs.rules.periods import HELSINKI
from storage.audit_repository import CLI_ACTOR, RETENTION_ACTOR, AuditEntry, AuditRepository
from storage.person_erasure import Erasure, PersonErasure
from storage.person_export import PersonExport
from storage.retention import Retention

log = logging.getLogger(__name__)
DEFAULT_RETENTION_DAYS = 365
DEFAULT_SURVEY_RETENTION_DAYS = 3 * 365


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return _utc_text(value)
    if isinstance(value, date):  # an agreement's start and end: calendar days, no time zone
        return value.isoformat()
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
    def __init__(self, export: PersonExport, erasure: PersonErasure, retention: Retention, audit: AuditRepository,
                 clock: Clock, *, retention_days: int = DEFAULT_RETENTION_DAYS,
                 survey_retention_days: int = DEFAULT_SURVEY_RETENTION_DAYS) -> None:
        self._export = export
        self._erasure = erasure
        self._retention = retention
        self._audit = audit
        self._clock = clock
        self.retention_days = retention_days
        self.survey_retention_days = survey_retention_days

    async def export(self, email: str, *, actor: str = CLI_ACTOR) -> dict | None:
        """Everything stored about the people with this e-mail; None when nobody has it. The
        export itself is audited."""
        people = await self._export.gather(email)
        if not people:
            return None
        for person in people:
            await self._audit.record(actor=actor, action="person_exported", person_id=person["directory"]["id"])
        return {"email": email.strip(), "exported_at": self._clock.now(), "people": people}

    async def erase(self, email: str, *, apply: bool, actor: str = CLI_ACTOR) -> list[Erasure]:
        return await self._erasure.erase(email, actor=actor, apply=apply)

    async def apply_retention(self) -> dict[str, int] | None:
        """The daily job: redacts what has passed the retention time, and deletes the survey
        answers of rounds closed longer ago than the survey retention time, idempotently."""
        now = self._clock.now()
        cutoff = now - timedelta(days=self.retention_days)
        counts = await self._retention.redact_older_than(cutoff, days=self.retention_days, actor=RETENTION_ACTOR,
                                                         survey_cutoff=now - timedelta(days=self.survey_retention_days),
                                                         survey_days=self.survey_retention_days)
        if counts is None:
            log.info("retention skipped: another process is running it")
        else:
            log.info("retention run", extra={"days": self.retention_days, **counts})
        return counts

    async def audit(self, since: date | None = None) -> list[AuditEntry]:
        """Entries from the start of `since` in Helsinki, where the organisation's days are."""
        start = datetime.combine(since, time(0), tzinfo=HELSINKI) if since is not None else None
        return await self._audit.entries(start)
