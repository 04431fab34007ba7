"""Reporting periods in Europe/Helsinki time: this week, this month, this quarter, or YYYY-MM."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Working hours, weeks and months are Finnish local time.
HELSINKI = ZoneInfo("Europe/Helsinki")

_KINDS = {
    "week": "week", "viikko": "week", "vecka": "week",
    "month": "month", "kuukausi": "month", "månad": "month", "manad": "month",
    "quarter": "quarter", "vuosineljännes": "quarter", "neljännes": "quarter", "kvartal": "quarter",
}
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    kind: str  # week | month | quarter
    start: datetime  # inclusive, aware
    end: datetime  # exclusive, aware

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(HELSINKI)

    @property
    def label(self) -> str:
        """A stable, language-neutral name: 2026-W48, 2026-11, 2026-Q4 (file names, digest claims)."""
        local = self.start.astimezone(HELSINKI)
        if self.kind == "week":
            return f"{local:%G}-W{local:%V}"
        if self.kind == "quarter":
            return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
        return f"{local:%Y-%m}"

    @property
    def weeks(self) -> float:
        return (self.end - self.start) / timedelta(weeks=1)

    def previous(self) -> "Period":
        local = self.start.astimezone(HELSINKI).date()
        if self.kind == "week":
            return _week(local - timedelta(days=7))
        if self.kind == "quarter":
            return _quarter(_add_months(local, -3))
        return _month(_add_months(local, -1))


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 Europe/Helsinki of the week `moment` falls in."""
    return _week(moment.astimezone(HELSINKI).date()).start


def _at_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=HELSINKI)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _week(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period("week", _at_midnight(monday), _at_midnight(monday + timedelta(days=7)))


def _month(day: date) -> Period:
    first = day.replace(day=1)
    return Period("month", _at_midnight(first), _at_midnight(_add_months(first, 1)))


def _quarter(day: date) -> Period:
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period("quarter", _at_midnight(first), _at_midnight(_add_months(first, 3)))


class PeriodError(ValueError):
    pass


def parse_period(word: str | None, now: datetime) -> Period:
    """'week', 'kuukausi', 'kvartal', '2026-10' ...; nothing means this month."""
    today = now.astimezone(HELSINKI).date()
    if not word:
        return _month(today)
    word = word.casefold()
    kind = _KINDS.get(word)
    if kind == "week":
        return _week(today)
    if kind == "quarter":
        return _quarter(today)
    if kind == "month":
        return _month(today)
    match = _YEAR_MONTH.match(word)
    if match and 1 <= int(match.group(2)) <= 12:
        return _month(date(int(match.group(1)), int(match.group(2)), 1))
    raise PeriodError(word)


def looks_like_period(word: str) -> bool:
    return word.casefold() in _KINDS or bool(_YEAR_MONTH.match(word))
