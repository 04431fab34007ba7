"""Export files in the coordinator's language: an Excel workbook with one sheet per table, and
a CSV of the requests. Sheet names and column headers come from the locale files."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import datetime

from openpyxl import Workbook

Texts = Callable[..., str]
# (table, its columns, its rows), in the order the sheets appear.
Table = tuple[str, Sequence[str], Sequence[tuple]]

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _header(texts: Texts, column: str) -> str:
    header = texts(f"export.columns.{column}")
    # Excel has no time zones: times are written in UTC, and the header says so.
    return texts("export.utc", column=header) if column.endswith("_at") else header


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def workbook_bytes(texts: Texts, tables: Sequence[Table]) -> bytes:
    book = Workbook(write_only=True)
    for name, columns, rows in tables:
        # Excel allows 31 characters in a sheet name.
        sheet = book.create_sheet(texts(f"export.sheets.{name}")[:31])
        sheet.append([_header(texts, column) for column in columns])
        for row in rows:
            sheet.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(texts: Texts, table: Table) -> bytes:
    _, columns, rows = table
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_header(texts, column) for column in columns])
    for row in rows:
        writer.writerow([v.isoformat() if isinstance(v, datetime) else v for v in row])
    # A byte-order mark lets Excel open the UTF-8 file with ä and ö intact.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
