"""Peer-mentoring agreements: what the form may say, when planned meetings fall due, and what
closing asks.

    proposed --accept--> active --close (either side, or the end date)--> closed
    proposed --decline--> declined          (it never starts: nothing can be logged on it)
    proposed --withdraw (the mentor)--> withdrawn

Storage applies every move with a conditional update on the state (storage/agreement_repository.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dialogs.rules.periods import HELSINKI

MAX_GOALS = 5
MAX_GOAL_CHARACTERS = 300
MAX_TOPIC_CHARACTERS = 200
MAX_MEETINGS = 52
MAX_DAYS = 366
MIN_MEETING_MINUTES, MAX_MEETING_MINUTES = 5, 480
ANSWERS = ("yes", "partly", "no")
OPEN_STATES = ("proposed", "active")

_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_FINNISH_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


class AgreementProblem(ValueError):
    """Why the form cannot become an agreement; `reason` is a locale key under agreement_refusal."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class Terms:
    topic: str
    goals: tuple[str, ...]
    starts: date
    ends: date
    meetings: int
    minutes: int


def parse_day(text: str | None) -> date | None:
    text = (text or "").strip()
    iso, finnish = _ISO_DAY.fullmatch(text), _FINNISH_DAY.fullmatch(text)
    try:
        if iso:
            return date(*(int(g) for g in iso.groups()))
        if finnish:
            day, month, year = (int(g) for g in finnish.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


def parse_goals(text: str | None) -> tuple[str, ...]:
    """One goal per line (a leading dash, bullet or number is dropped), one to five."""
    goals = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip() for line in (text or "").splitlines()]
    goals = [goal for goal in goals if goal]
    if not goals:
        raise AgreementProblem("no_goals")
    if len(goals) > MAX_GOALS:
        raise AgreementProblem("too_many_goals", count=len(goals), limit=MAX_GOALS)
    if any(len(goal) > MAX_GOAL_CHARACTERS for goal in goals):
        raise AgreementProblem("long_goal", limit=MAX_GOAL_CHARACTERS)
    return tuple(goals)


def parse_terms(*, topic: str | None, goals: str | None, starts: str | None, ends: str | None,
                meetings: int | None, minutes: int | None, today: date) -> Terms:
    topic = " ".join((topic or "").split())
    if not topic:
        raise AgreementProblem("no_topic")
    if len(topic) > MAX_TOPIC_CHARACTERS:
        raise AgreementProblem("long_topic", limit=MAX_TOPIC_CHARACTERS)
    parsed_goals = parse_goals(goals)
    first, last = parse_day(starts), parse_day(ends)
    if first is None or last is None:
        raise AgreementProblem("bad_date", value=(starts if first is None else ends or "")[:20])
    if first < today:
        raise AgreementProblem("starts_in_past")
    if last < first:
        raise AgreementProblem("ends_before_start")
    if (last - first).days > MAX_DAYS:
        raise AgreementProblem("too_long", days=MAX_DAYS)
    if meetings is None or not 1 <= meetings <= MAX_MEETINGS:
        raise AgreementProblem("bad_meetings", limit=MAX_MEETINGS)
    if minutes is None or not MIN_MEETING_MINUTES <= minutes <= MAX_MEETING_MINUTES:
        raise AgreementProblem("bad_minutes", low=MIN_MEETING_MINUTES, high=MAX_MEETING_MINUTES)
    return Terms(topic, parsed_goals, first, last, meetings, minutes)


def meeting_due_days(starts: date, ends: date, meetings: int) -> list[date]:
    """When each planned meeting falls due: spread evenly, the last on the end date."""
    span = (ends - starts).days
    return [starts + timedelta(days=round(span * k / meetings)) for k in range(1, meetings + 1)]


def _morning(day: date, working_start: time) -> datetime:
    return datetime.combine(day, working_start, tzinfo=HELSINKI)


@dataclass(frozen=True)
class Check:
    """What the reminder round does with an active agreement now."""

    close: bool = False
    remind_up_to: int | None = None  # remind of the planned meetings up to this one
    next_check: datetime | None = None


def check(*, starts: date, ends: date, meetings: int, logged: int, reminded: int, now: datetime,
          working_start: time) -> Check:
    """The day after its end date an agreement closes (both sides are asked how it went): its
    last meeting may still be held and logged on the end date itself. Before that, when a planned
    meeting's day has passed and fewer meetings are logged, both sides are reminded, once per
    meeting; the next look is the morning after the next meeting's day."""
    today = now.astimezone(HELSINKI).date()
    if today > ends:
        return Check(close=True)
    dues = meeting_due_days(starts, ends, meetings)
    overdue = sum(1 for day in dues if day < today)
    remind = overdue if overdue > reminded and logged < overdue else None
    # The last meeting falls due on the end date, which has not passed: there is always a next one.
    return Check(remind_up_to=remind, next_check=_morning(dues[overdue] + timedelta(days=1), working_start))


def first_check(starts: date, ends: date, meetings: int, working_start: time) -> datetime:
    """When an agreement just accepted is first looked at: the morning after its first
    meeting's day."""
    return _morning(meeting_due_days(starts, ends, meetings)[0] + timedelta(days=1), working_start)


def parse_answers(data: dict, goals: int) -> dict[int, str]:
    """The closing answers, goal by goal (inputs goal_1 ... goal_5: yes | partly | no); every goal
    needs one."""
    answers = {}
    for position in range(1, goals + 1):
        value = str(data.get(f"goal_{position}") or "").strip().lower()
        if value not in ANSWERS:
            raise AgreementProblem("answer_every_goal")
        answers[position] = value
    return answers
