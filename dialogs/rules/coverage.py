"""Coverage rules: a named digimentor in every unit. Which units count, what "on duty this week"
means, how a duration reads, and the share against the organisation's goal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dialogs.rules.periods import week_start
from storage.coverage_repository import UnitCoverageRecord, UnitMentor


@dataclass(frozen=True)
class CoverageSummary:
    covered: int
    counted: int  # units with people in them
    goal: int  # percent

    @property
    def share(self) -> float | None:
        return self.covered / self.counted if self.counted else None

    @property
    def meets_goal(self) -> bool:
        return self.counted == 0 or self.covered * 100 >= self.goal * self.counted

    @property
    def short_of_goal(self) -> int:
        """Units still to cover to reach the goal (rounded up)."""
        needed = -(-self.goal * self.counted // 100)
        return max(0, needed - self.covered)


def summarise(units: list[UnitCoverageRecord], goal: int) -> CoverageSummary:
    """Units count when people work in them; a unit is covered when one of them is an active
    mentor (a mentor of a parent unit does not cover its children: every unit needs its own)."""
    return CoverageSummary(sum(1 for u in units if u.mentors), len(units), goal)


def on_duty_this_week(mentor: UnitMentor, now: datetime) -> bool:
    """Available now, or away only until a moment before this week is over."""
    if mentor.status != "away":
        return True
    week_end = week_start(now) + timedelta(days=7)
    return mentor.away_until is not None and mentor.away_until < week_end


def duration(since: datetime, now: datetime) -> tuple[int, str]:
    """How long, in the largest unit that reads naturally: (count, "days" | "weeks" | "months")."""
    days = max(0, (now - since).days)
    if days < 14:
        return days, "days"
    if days < 61:
        return days // 7, "weeks"
    return days // 30, "months"


def uncovered_first(units: list[UnitCoverageRecord], name: Callable[[str], str]) -> list[UnitCoverageRecord]:
    """Units without a mentor first (they need action), then by name."""
    return sorted(units, key=lambda u: (bool(u.mentors), name(u.unit_id).casefold(), u.unit_id))
