"""Team sessions with a digitutor: what a booking form may say, which slot an accepting mentor may
choose, and when both sides are reminded. Times are Europe/Helsinki as people write them;
storage keeps UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dialogs.rules.periods import HELSINKI

MAX_SLOTS = 3
MAX_HEADCOUNT = 500
MAX_PARTICIPANTS_NAMED = 30
MAX_TOPIC_CHARACTERS = 200
MAX_NOTE_CHARACTERS = 1000
DEFAULT_DURATION = 60
# A booking further ahead than this is a typing slip (the year), not a plan.
MAX_DAYS_AHEAD = 366
DURATIONS = (30, 45, 60, 90, 120)

# "2026-12-03 10:00" (the contract), also "2026-12-03T10:00" and "3.12.2026 klo 10.00".
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2})[:.](\d{2})")
_FINNISH = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(?:(?:klo|kl\.?|at)\s*)?(\d{1,2})[:.](\d{2})", re.IGNORECASE)


class BookingProblem(ValueError):
    """Why a booking cannot be made; `reason` is a locale key under session_refusal."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


def parse_slot(text: str) -> datetime | None:
    """One slot as a Helsinki time, in UTC; None when it is not a date and a time."""
    text = " ".join(text.split())
    iso = _ISO.fullmatch(text)
    finnish = None if iso else _FINNISH.fullmatch(text)
    if iso:
        year, month, day, hour, minute = (int(g) for g in iso.groups())
    elif finnish:
        day, month, year, hour, minute = (int(g) for g in finnish.groups())
    else:
        return None
    try:
        local = datetime.combine(date(year, month, day), time(hour, minute), tzinfo=HELSINKI)
    except ValueError:
        return None
    return local.astimezone(UTC)


def parse_slots(text: str | None, now: datetime) -> list[datetime]:
    """The preferred slots of a booking: one to three, separated by ";" (or new lines), each in
    the future and within a year; repeats are dropped. BookingProblem otherwise."""
    parts = [p.strip() for p in re.split(r"[;\n]", text or "") if p.strip()]
    if not parts:
        raise BookingProblem("no_slots")
    slots: list[datetime] = []
    for part in parts:
        slot = parse_slot(part)
        if slot is None:
            raise BookingProblem("bad_slot", slot=part[:40])
        if slot <= now:
            raise BookingProblem("past_slot", slot=part[:40])
        if slot > now + timedelta(days=MAX_DAYS_AHEAD):
            raise BookingProblem("far_slot", slot=part[:40])
        if slot not in slots:
            slots.append(slot)
    if len(slots) > MAX_SLOTS:
        raise BookingProblem("too_many_slots", limit=MAX_SLOTS)
    return sorted(slots)


def parse_headcount(value: int | None) -> int:
    if value is None or not 1 <= value <= MAX_HEADCOUNT:
        raise BookingProblem("bad_headcount", limit=MAX_HEADCOUNT)
    return value


def split_people(text: str | None) -> list[str]:
    """The participants the booker named: e-mail addresses separated by commas, semicolons,
    spaces or new lines."""
    return list(dict.fromkeys(p.strip().lower() for p in re.split(r"[,;\s]+", text or "") if p.strip()))


def chosen_slot(value: str | None, slots: tuple[datetime, ...], now: datetime) -> datetime:
    """The slot the accepting mentor picked: one of the booking's own (given as the slot, or as
    its position 1-3), still in the future. With one slot, it needs no picking."""
    if not value:
        if len(slots) == 1:
            chosen = slots[0]
        else:
            raise BookingProblem("pick_slot")
    else:
        value = value.strip()
        chosen = slots[int(value) - 1] if value.isdigit() and 1 <= int(value) <= len(slots) else parse_slot(value)
        if chosen not in slots:
            raise BookingProblem("not_a_slot")
    if chosen <= now:
        raise BookingProblem("slot_passed")
    return chosen


@dataclass(frozen=True)
class WorkingDays:
    """Europe/Helsinki working days (Monday to Friday) and their start."""

    start: time

    def previous_working_day(self, day: date) -> date:
        day -= timedelta(days=1)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        return day

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day

    def example_slots(self, now: datetime) -> tuple[datetime, datetime]:
        """Two times the booking form shows as examples: on the next two working days, so that
        an example copied as it is can be booked."""
        first = self.next_working_day(now.astimezone(HELSINKI).date())
        second = self.next_working_day(first)
        return (datetime.combine(first, time(10, 0), tzinfo=HELSINKI),
                datetime.combine(second, time(13, 30), tzinfo=HELSINKI))

    def reminder_at(self, slot: datetime, now: datetime) -> datetime | None:
        """One working day before: the start of working hours on the working day before the
        session's day (Monday's session: Friday morning). None when that moment has passed by
        the time the session is agreed: the confirmation has just told both sides."""
        day = self.previous_working_day(slot.astimezone(HELSINKI).date())
        moment = datetime.combine(day, self.start, tzinfo=HELSINKI)
        return moment if moment > now else None
