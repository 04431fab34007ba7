"""Choosing which digimentors get an offer.

Tiers widen the circle step by step: the asker's own unit, then each ancestor unit's whole
subtree, then the organisation-wide pool; after the last tier a coordinator is told. Inside a
tier only eligible mentors are offered, and topic matches and a fair spread of load come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from dialogs.rules.limits import allowance_used_up
from dialogs.rules.periods import HELSINKI
from storage.mentor_repository import MentorCandidate

DEFAULT_GROUP_SIZE = 3


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time

    @classmethod
    def parse(cls, start: str, end: str) -> "WorkingHours":
        return cls(time.fromisoformat(start), time.fromisoformat(end) if end != "24:00" else time.max)

    def contains(self, moment: datetime) -> bool:
        """Mon-Fri between start and end, Europe/Helsinki time."""
        local = moment.astimezone(HELSINKI)
        return local.weekday() < 5 and self.start <= local.time() < self.end

    def next_start(self, moment: datetime) -> datetime:
        """When digimentors are next on duty: the next working-day start at or after `moment`."""
        day = moment.astimezone(HELSINKI).date()
        for _ in range(8):
            start = datetime.combine(day, self.start, tzinfo=HELSINKI)
            if day.weekday() < 5 and start >= moment:
                return start
            day += timedelta(days=1)
        raise AssertionError("a week always has a working day")


def on_duty(candidate: MentorCandidate, now: datetime) -> bool:
    """Available, or away only until a time that has passed."""
    return candidate.status != "away" or (candidate.away_until is not None and candidate.away_until <= now)


def ineligibility(candidate: MentorCandidate, *, language: str, now: datetime, hours: WorkingHours) -> str | None:
    """Why this mentor cannot get an offer now, or None when they can."""
    if not on_duty(candidate, now):
        return "away"
    if candidate.busy:
        return "busy"
    if not hours.contains(now):
        return "outside_hours"
    if allowance_used_up(candidate.minutes_this_week, candidate.weekly_allowance):
        return "allowance_used"
    if language not in candidate.languages:
        return "language"
    if not candidate.has_conversation or not candidate.reachable:
        return "unreachable"
    return None


def choose_mentors(
    candidates: list[MentorCandidate],
    *,
    tier_units: frozenset[str] | None,
    language: str,
    topic: str | None,
    now: datetime,
    hours: WorkingHours,
    exclude: set[int],
    group_size: int = DEFAULT_GROUP_SIZE,
) -> list[MentorCandidate]:
    """Up to `group_size` eligible mentors in the tier: topic matches first, then the least loaded."""
    eligible = [
        c
        for c in candidates
        if c.person_id not in exclude
        and (tier_units is None or c.unit_id in tier_units)
        and ineligibility(c, language=language, now=now, hours=hours) is None
    ]

    def preference(c: MentorCandidate) -> tuple:
        topic_match = topic is not None and topic in c.topics
        share_used = c.minutes_this_week / c.weekly_allowance if c.weekly_allowance else 1.0
        return (not topic_match, c.open_requests, c.recent_requests, share_used, c.person_id)

    return sorted(eligible, key=preference)[:group_size]
