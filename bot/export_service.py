"""Serving an export file for a signed link: check the link, query, protect small groups,
write the file."""

from __future__ import annotations

from datetime import datetime

from bot.domain.stats import SMALL_GROUP
from bot.export_files import requests_csv_bytes, workbook_bytes
from bot.export_links import LinkSigner
from bot.i18n import Texts
from storage.export_repository import ExportRepository

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class ExportService:
    def __init__(self, exports: ExportRepository, signer: LinkSigner) -> None:
        self._exports = exports
        self._signer = signer

    async def file(self, token: str, kind: str) -> tuple[bytes, str] | None:
        """(content, content type), or None when the link is forged, altered or expired."""
        grant = self._signer.verify(token)
        if grant is None or kind not in CONTENT_TYPES:
            return None
        units = set(grant.units) if grant.units is not None else None
        tables = await self._exports.rows(units, datetime.fromisoformat(grant.start), datetime.fromisoformat(grant.end))
        if units is not None and len(tables["feedback"]) < SMALL_GROUP:
            tables = _without_feedback_detail(tables, Texts(grant.language)("stats.fewer_than_five"))
        content = workbook_bytes(tables) if kind == "xlsx" else requests_csv_bytes(tables)
        return content, CONTENT_TYPES[kind]


def _without_feedback_detail(tables: dict[str, list[tuple]], note: str) -> dict[str, list[tuple]]:
    """Below the whole organisation, fewer than five answers are not shown one by one."""
    requests = [row[:-1] + ((note if row[-1] is not None else None),) for row in tables["requests"]]
    feedback = [row[:3] + (note, note) for row in tables["feedback"]]
    return {**tables, "requests": requests, "feedback": feedback}
