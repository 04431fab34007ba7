"""Serving an export file for a signed link: check the link, query, protect small groups,
write the file in the coordinator's language."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from cards.export_files import CONTENT_TYPES, csv_bytes, workbook_bytes
from cards.i18n import Texts
from dialogs.clock import Clock
from dialogs.redacted import readable
from dialogs.rules.signed_links import LinkSigner
from dialogs.rules.stats import SMALL_GROUP
from storage.audit_repository import AuditRepository
from storage.directory_repository import DirectoryRepository
from storage.export_repository import (
    AGREEMENT_COLUMNS,
    FEEDBACK_COLUMNS,
    REQUEST_COLUMNS,
    SESSION_COLUMNS,
    TIME_COLUMNS,
    ExportRepository,
)

# A survey round's sheets for a signed link: (round id, units or None, texts) -> tables or None.
SurveyTables = Callable[[int, set[str] | None, Texts], Awaitable[list | None]]


class Exports:
    def __init__(self, exports: ExportRepository, signer: LinkSigner, clock: Clock, audit: AuditRepository,
                 directory: DirectoryRepository, survey_tables: SurveyTables | None = None, *,
                 impact=None) -> None:
        self._exports = exports
        # dialogs.flows.impact.ImpactReport: the impact report's workbook.
        self._impact = impact
        self._signer = signer
        self._clock = clock
        self._audit = audit
        self._directory = directory
        self._survey_tables = survey_tables

    async def file(self, token: str, kind: str) -> tuple[bytes, str] | None:
        """(content, content type), or None when the link is forged, altered or expired. Each
        download is audited: who, which file, which period and units."""
        grant = self._signer.verify(token, now=self._clock.now().timestamp())
        if grant is None or kind not in CONTENT_TYPES:
            return None
        if grant.kind == "impact" and self._impact is not None:
            content, content_type, rows = await self._impact.file(grant, kind)
            await self._audited(grant, kind, rows)
            return content, content_type
        if grant.kind != "activity":
            return None
        texts = Texts(grant.language)
        units = set(grant.units) if grant.units is not None else None
        if grant.round_id is not None:
            return await self._survey_file(grant, units, kind, texts)
        start, end = datetime.fromisoformat(grant.start), datetime.fromisoformat(grant.end)
        tables = await self._exports.rows(units, start, end)
        # Team sessions booked in the period, on their own sheet.
        collaboration = await self._exports.collaboration_rows(units, start, end)
        tables["sessions"] = collaboration["sessions"]
        tables = {name: [tuple(readable(value, texts) for value in row) for row in rows]
                  for name, rows in tables.items()}
        if units is not None and sum(row[-2] or 0 for row in tables["sessions"]) < SMALL_GROUP:
            # The participants' mean rating from fewer than five answers is not shown below the organisation.
            tables["sessions"] = [row[:-1] + ((texts("stats.fewer_than_five") if row[-2] else None),)
                                  for row in tables["sessions"]]
        # "Would you otherwise have contacted the IT helpdesk?" in words, not TRUE and FALSE.
        answer = {True: texts("request.helpdesk_yes"), False: texts("request.helpdesk_no"), None: None}
        tables["feedback"] = [row[:-1] + (answer[row[-1]],) for row in tables["feedback"]]
        if units is not None and len(tables["feedback"]) < SMALL_GROUP:
            tables = _without_feedback_detail(tables, texts("stats.fewer_than_five"))
        sheets = [("requests", REQUEST_COLUMNS, tables["requests"]),
                  ("time_entries", TIME_COLUMNS, tables["time_entries"]),
                  ("feedback", FEEDBACK_COLUMNS, tables["feedback"]),
                  ("sessions", SESSION_COLUMNS, tables["sessions"])]
        agreements = _agreement_rows(collaboration["agreements"], units, texts)
        if agreements:
            # A sheet only when the period has agreements, as in `stats`.
            sheets.append(("agreements", AGREEMENT_COLUMNS, agreements))
            tables["agreements"] = agreements
        # Writing a workbook of a large period takes CPU time: keep the event loop free.
        if kind == "xlsx":
            content = await asyncio.to_thread(workbook_bytes, texts, sheets)
        else:
            content = await asyncio.to_thread(csv_bytes, texts, sheets[0])
        await self._audited(grant, kind, {name: len(rows) for name, rows in tables.items()})
        return content, CONTENT_TYPES[kind]

    async def _audited(self, grant, kind: str, rows: dict[str, int]) -> None:
        exporter = await self._directory.person(grant.person_id)
        await self._audit.record(actor=exporter.aad_object_id if exporter else f"person {grant.person_id}",
                                 action="export", file=kind, start=grant.start, end=grant.end,
                                 units=list(grant.units) if grant.units is not None else "all",
                                 **({"report": grant.kind} if grant.kind != "activity" else {}), rows=rows)

    async def _survey_file(self, grant, units: set[str] | None, kind: str, texts: Texts) -> tuple[bytes, str] | None:
        """A closed survey round's results in the scope the link names; CSV: the units sheet."""
        sheets = await self._survey_tables(grant.round_id, units, texts) if self._survey_tables else None
        if sheets is None:
            return None
        if kind == "xlsx":
            content = await asyncio.to_thread(workbook_bytes, texts, sheets)
        else:
            content = await asyncio.to_thread(csv_bytes, texts, sheets[1])
        exporter = await self._directory.person(grant.person_id)
        await self._audit.record(actor=exporter.aad_object_id if exporter else f"person {grant.person_id}",
                                 action="export", file=kind, round=grant.round_id,
                                 units=list(grant.units) if grant.units is not None else "all",
                                 rows={name: len(rows) for name, _, rows in sheets})
        return content, CONTENT_TYPES[kind]


def _without_feedback_detail(tables: dict[str, list[tuple]], note: str) -> dict[str, list[tuple]]:
    """Below the whole organisation, fewer than five answers are not shown one by one."""
    requests = [row[:-1] + ((note if row[-1] is not None else None),) for row in tables["requests"]]
    feedback = [row[:3] + (note, note, note) for row in tables["feedback"]]
    return {**tables, "requests": requests, "feedback": feedback}


def _agreement_rows(rows: list[tuple], units: set[str] | None, texts: Texts) -> list[tuple]:
    """Agreements proposed or running in the period, the mentee by kind and unit only, states in
    words. Below the whole organisation, ratings from fewer than five agreements are not shown one
    agreement at a time."""
    kinds = {"team": texts("agreements.fact_team"), "person": texts("agreements.fact_mentee")}
    rated = sum(1 for row in rows if row[-1] is not None)
    hide_ratings = units is not None and rated < SMALL_GROUP
    shown = []
    for row in rows:
        row = tuple(readable(value, texts) for value in row)
        rating = texts("stats.fewer_than_five") if hide_ratings and row[-1] is not None else row[-1]
        shown.append(row[:3] + (kinds[row[3]],) + row[4:6] + (texts(f"agreements.states.{row[6]}"),)
                     + row[7:-1] + (rating,))
    return shown
