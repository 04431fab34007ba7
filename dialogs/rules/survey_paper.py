"""Paper answers (docs/design.md, "Paper answers"): a CSV file with one row per paper form, read
as a whole, every problem named with its line and column, for `app.py import-survey-answers`.

    form,unit,group,rc-video,rc-suits,...
    P-001,ward-3,staff,4,3,0,...

`form` is the number written on the paper form (importing it again replaces that form's
answers), `unit` a unit id, `group` staff or supervisor (optional, staff by default), and every
other column an item id of the round's instrument: 1-5, 0 for "can't say", or empty.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from dialogs.rules.survey_file import CANT_SAY, SCALE, SUPERVISORS, Instrument
from dialogs.rules.yaml_files import FileError, FileInvalid

GROUPS = {"staff": "staff", "supervisor": "supervisor"}
_VALUES = {str(value): value for value in (CANT_SAY, *map(int, SCALE))}
MAX_FORM = 50


@dataclass(frozen=True)
class PaperForm:
    form: str
    unit_id: str
    staff_group: str
    answers: dict[str, tuple[str, int]]  # item -> (area, value)


def parse_paper_answers(text: str, instrument: Instrument, units: set[str],
                        filename: str = "answers.csv") -> list[PaperForm]:
    text = text.lstrip("\ufeff")  # Excel's byte-order mark
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise FileInvalid(filename, [FileError(1, "", "the file is empty: give a header row (form, unit, items)")])
    header = [cell.strip() for cell in rows[0]]
    problems: list[FileError] = []
    item_areas = instrument.item_areas
    supervisor_items = {item.id for area in instrument.areas if area.audience == SUPERVISORS for item in area.items}
    for column in ("form", "unit"):
        if column not in header:
            problems.append(FileError(1, column, "required column is missing"))
    for index, column in enumerate(header):
        if column not in ("form", "unit", "group") and column not in item_areas:
            problems.append(FileError(1, column or f"column {index + 1}",
                                      f"not an item of {instrument.id} version {instrument.version}"))
        if header.count(column) > 1 and header.index(column) == index:
            problems.append(FileError(1, column, "the column is repeated"))
    if problems:
        raise FileInvalid(filename, problems)
    forms: list[PaperForm] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if len(row) > len(header):
            problems.append(FileError(line, "", f"{len(row)} values for {len(header)} columns"))
            continue
        cells = dict(zip(header, (cell.strip() for cell in row), strict=False))
        form, unit, group = cells.get("form", ""), cells.get("unit", ""), cells.get("group", "") or "staff"
        if not form or len(form) > MAX_FORM:
            problems.append(FileError(line, "form", f"give the form's number (1-{MAX_FORM} characters)"))
        elif form in seen:
            problems.append(FileError(line, "form", f"form {form!r} is already on line {seen[form]}"))
        seen.setdefault(form, line)
        if unit not in units:
            problems.append(FileError(line, "unit", f"unknown unit {unit!r}"))
        if group not in GROUPS:
            problems.append(FileError(line, "group", f"expected staff or supervisor, got {group!r}"))
        answers: dict[str, tuple[str, int]] = {}
        for item, area in item_areas.items():
            raw = cells.get(item, "")
            if not raw:
                continue
            if raw not in _VALUES:
                problems.append(FileError(line, item, f"expected 1-5, 0 (can't say) or empty, got {raw!r}"))
            elif item in supervisor_items and group != "supervisor":
                problems.append(FileError(line, item, "a supervisors' item: answered only with group supervisor"))
            else:
                answers[item] = (area, _VALUES[raw])
        if not answers and not any(p.line == line for p in problems):
            problems.append(FileError(line, "", "the form has no answers"))
        forms.append(PaperForm(form, unit, GROUPS.get(group, "staff"), answers))
    if problems:
        raise FileInvalid(filename, problems)
    if not forms:
        raise FileInvalid(filename, [FileError(2, "", "no forms: the file has a header row only")])
    return forms
