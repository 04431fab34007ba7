"""The announcement form (verb sendAnnouncement) read and checked as a whole, and the moments an
announcement lives by: staff get it when working hours start on its start date, and questions
in its units are tagged with it from the start date to the end date (four weeks without one).

Inputs (docs/design.md): `title`, `text`, `units` (unit ids, comma-separated, as a multi-select
sends them), `starts` (YYYY-MM-DD); extensions: `ends` (YYYY-MM-DD), `links` (one a line,
"title https://..." or a bare https address; three at most), `faq_entries` (entry ids,
comma-separated; three at most) and `form_id` (the form's own id, which makes a second click of
the same form the same announcement).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from dialogs.rules.periods import HELSINKI

MAX_TITLE, MAX_TEXT = 120, 2000
MAX_LINKS = MAX_FAQ_ENTRIES = 3
DEFAULT_WINDOW_DAYS = 28
MAX_DAYS_AHEAD = 365  # a start date further away is a typo
MAX_WINDOW_DAYS = 366
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_IDS = re.compile(r"[\s,;]+")
_URL = re.compile(r"https://[^\s<>\"]+")


@dataclass(frozen=True)
class Draft:
    title: str
    text: str
    links: tuple[tuple[str, str], ...]
    faq_entry_ids: tuple[str, ...]
    units: tuple[str, ...]
    starts_on: date
    ends_on: date | None
    form_id: str | None


# (locale key under announce.problems, its parameters)
Problem = tuple[str, dict]


def _text(data: dict, key: str, *, lines: bool = False) -> str:
    """A text input, trimmed; with `lines` its line breaks stay. Anything else (a forged number
    or list) reads as empty."""
    value = data.get(key)
    if not isinstance(value, str):
        return ""
    return value.strip() if lines else " ".join(value.split())


def _ids(data: dict, key: str) -> list[str]:
    return list(dict.fromkeys(part for part in _IDS.split(_text(data, key)) if part))


def _date(value: str, key: str, problems: list[Problem]) -> date | None:
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        problems.append((f"{key}_bad", {"value": value[:40]}))
        return None


def _links(raw: str, problems: list[Problem]) -> tuple[tuple[str, str], ...]:
    links = []
    for line in (raw or "").splitlines():
        line = line.strip()
        if not line:
            continue
        url = _URL.search(line)
        if url is None:
            problems.append(("link_bad", {"line": line[:80]}))
            continue
        title = (line[:url.start()] + line[url.end():]).strip(" -–|:") or urlsplit(url.group()).hostname or url.group()
        links.append((title[:100], url.group()[:2000]))
    if len(links) > MAX_LINKS:
        problems.append(("links_many", {"limit": MAX_LINKS}))
    return tuple(links[:MAX_LINKS])


def read_form(data: dict, *, today: date, units_allowed: set[str] | None, units_known: set[str],
              faq_known: set[str]) -> Draft | list[Problem]:
    """The draft when every input is right; otherwise every problem, to show on the form.
    `units_allowed`: the coordinator's units (None: an admin's, every unit)."""
    problems: list[Problem] = []
    title, text = _text(data, "title"), _text(data, "text", lines=True)
    if not title:
        problems.append(("title_missing", {}))
    elif len(title) > MAX_TITLE:
        problems.append(("title_long", {"limit": MAX_TITLE}))
    if not text:
        problems.append(("text_missing", {}))
    elif len(text) > MAX_TEXT:
        problems.append(("text_long", {"limit": MAX_TEXT}))

    units = _ids(data, "units")
    if not units:
        problems.append(("units_missing", {}))
    for unit in units:
        if unit not in units_known:
            problems.append(("unit_unknown", {"unit": unit[:100]}))
        elif units_allowed is not None and unit not in units_allowed:
            problems.append(("unit_not_yours", {"unit": unit}))

    starts = _date(_text(data, "starts"), "starts", problems)
    if not _text(data, "starts"):
        problems.append(("starts_missing", {}))
    elif starts is not None and starts < today:
        problems.append(("starts_past", {}))
    elif starts is not None and starts > today + timedelta(days=MAX_DAYS_AHEAD):
        problems.append(("starts_far", {"days": MAX_DAYS_AHEAD}))
    ends = _date(_text(data, "ends"), "ends", problems)
    if ends is not None and starts is not None:
        if ends < starts:
            problems.append(("ends_before", {}))
        elif ends > starts + timedelta(days=MAX_WINDOW_DAYS):
            problems.append(("ends_far", {"days": MAX_WINDOW_DAYS}))

    links = _links(_text(data, "links", lines=True), problems)
    entries = _ids(data, "faq_entries")
    if len(entries) > MAX_FAQ_ENTRIES:
        problems.append(("faq_many", {"limit": MAX_FAQ_ENTRIES}))
    problems += [("faq_unknown", {"entry": entry[:100]}) for entry in entries if entry not in faq_known]
    form_id = _text(data, "form_id")[:64] or None
    if problems:
        return problems
    return Draft(title, text, links, tuple(entries), tuple(units), starts, ends, form_id)


def staff_due_at(starts_on: date, working_hours_start: str) -> datetime:
    """Staff get the announcement when working hours start on its start date (Helsinki)."""
    return datetime.combine(starts_on, time.fromisoformat(working_hours_start), tzinfo=HELSINKI)


def window(starts_on: date, ends_on: date | None) -> tuple[datetime, datetime]:
    """The rollout window questions are tagged in: from the start date's morning to the end of
    the end date, or four weeks."""
    last = ends_on or starts_on + timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    return (datetime.combine(starts_on, time(), tzinfo=HELSINKI),
            datetime.combine(last + timedelta(days=1), time(), tzinfo=HELSINKI))


def open_rollout(windows: Iterable[tuple[int, datetime, datetime]], moment: datetime) -> int | None:
    """The rollout whose window is open at the moment (the latest started, if several), from
    (id, start, end) windows."""
    open_now = [(start, rollout_id) for rollout_id, start, end in windows if start <= moment < end]
    return max(open_now)[1] if open_now else None


def dedupe_key(creator: str, draft: Draft) -> str:
    """The same form clicked twice (or re-sent by Teams) is one announcement: by the form's id,
    or, from a client that sends none, by its content."""
    basis = f"form|{creator}|{draft.form_id}" if draft.form_id else "|".join(
        (creator, draft.title, draft.text, ",".join(draft.units), draft.starts_on.isoformat()))
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()
