"""Export files: an Excel workbook with one sheet per table, and a CSV of the requests."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from openpyxl import Workbook

from storage.export_repository import FEEDBACK_COLUMNS, REQUEST_COLUMNS, TIME_COLUMNS

SHEETS = (("requests", REQUEST_COLUMNS), ("time_entries", TIME_COLUMNS), ("feedback", FEEDBACK_COLUMNS))


def _cell(value: object) -> object:
    # Excel has no time zones: write UTC as a naive timestamp, as the column header says.
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def workbook_bytes(tables: dict[str, list[tuple]]) -> bytes:
    book = Workbook(write_only=True)
    for name, columns in SHEETS:
        sheet = book.create_sheet(name)
        sheet.append([c if not c.endswith("_at") else f"{c} (UTC)" for c in columns])
        for row in tables[name]:
            sheet.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def requests_csv_bytes(tables: dict[str, list[tuple]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REQUEST_COLUMNS)
    for row in tables["requests"]:
        writer.writerow([v.isoformat() if isinstance(v, datetime) else v for v in row])
    # A byte-order mark lets Excel open the UTF-8 file with ä and ö intact.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
