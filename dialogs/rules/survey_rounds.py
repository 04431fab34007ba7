"""The calendar of a survey round: its closing date, when it closes, and when its reminders go.

Dates are the organisation's, Europe/Helsinki: a round open "until 15.12.2026" takes answers
all of that day and closes at the midnight after it."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from dialogs.rules.periods import HELSINKI

MAX_OPEN_DAYS = 120  # a round longer than a term is a typing slip
MAX_REMINDERS = 2
# A reminder never comes within half a day of the invitation or of the other reminder.
REMINDER_GAP = timedelta(hours=12)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadDate(ValueError):
    """`reason`: a survey_refusal key (bad_date, date_past, date_far)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_closing_date(text: str | None, now: datetime) -> date:
    """The last day of the round: today at the earliest, MAX_OPEN_DAYS ahead at the latest."""
    text = (text or "").strip()
    try:
        if not _DATE.match(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise BadDate("bad_date") from None
    today = now.astimezone(HELSINKI).date()
    if day < today:
        raise BadDate("date_past")
    if day > today + timedelta(days=MAX_OPEN_DAYS):
        raise BadDate("date_far")
    return day


def closing_moment(last_day: date) -> datetime:
    """The midnight after the last day, Helsinki time (stored in UTC)."""
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=HELSINKI)


def last_day(closes_at: datetime) -> date:
    return (closes_at.astimezone(HELSINKI) - timedelta(microseconds=1)).date()


def closed_on(survey_round) -> date:
    """The day a round closed: the day it was closed early, else its last day."""
    closed = survey_round.closed_at
    if closed is not None and closed < survey_round.closes_at:
        return closed.astimezone(HELSINKI).date()
    return last_day(survey_round.closes_at)


def parse_unit_list(text: str | None) -> list[str]:
    """Unit ids separated by commas (spaces and semicolons too), in order, each once."""
    return list(dict.fromkeys(part for part in re.split(r"[\s,;]+", (text or "").strip()) if part))


def _working_morning(day: date, start: time, *, forward: bool) -> datetime:
    while day.weekday() >= 5:
        day += timedelta(days=1 if forward else -1)
    return datetime.combine(day, start, tzinfo=HELSINKI)


def reminder_times(opened_at: datetime, closes_at: datetime, start_of_day: time) -> tuple[datetime, ...]:
    """Up to two reminders for those who have not finished: at the start of the working day
    in the middle of the round, and on the morning of its last working day."""
    middle = opened_at + (closes_at - opened_at) / 2
    candidates = [_working_morning(middle.astimezone(HELSINKI).date(), start_of_day, forward=True),
                  _working_morning(last_day(closes_at), start_of_day, forward=False)]
    chosen: list[datetime] = []
    for moment in sorted(set(candidates)):
        if moment < opened_at + REMINDER_GAP or moment >= closes_at:
            continue
        if chosen and moment - chosen[-1] < REMINDER_GAP:
            chosen[-1] = moment  # the later one: closer to the end, when it matters more
            continue
        chosen.append(moment)
    return tuple(chosen[:MAX_REMINDERS])


def due_reminder(times: tuple[datetime, ...], sent: int, now: datetime) -> int | None:
    """The reminder to send now (1 or 2), or None. After a pause only the latest due one goes:
    nobody gets two reminders at once."""
    due = [number for number, moment in enumerate(times, start=1) if moment <= now]
    return due[-1] if due and due[-1] > sent else None
