"""Coordinator figures: what they mean, how they change, and how small groups are protected."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

# Satisfaction and free-text feedback from fewer people than this are not shown below the
# whole organisation, so that nobody's rating can be singled out.
SMALL_GROUP = 5


@dataclass(frozen=True)
class MentorMinutes:
    name: str
    unit_id: str | None
    minutes: int
    allowance: int  # minutes for the whole period


@dataclass(frozen=True)
class Figures:
    questions: int = 0
    answered_by_faq: int = 0
    helpful: int = 0
    not_helpful: int = 0
    handed_to_mentors: int = 0
    accepted: int = 0
    accepted_in_time: int = 0
    accept_p50_minutes: float | None = None
    accept_p90_minutes: float | None = None
    resolved: int = 0
    cancelled: int = 0
    escalated: int = 0
    unanswered: int = 0
    satisfaction_count: int = 0
    satisfaction_mean: float | None = None
    satisfaction_distribution: dict[int, int] = field(default_factory=dict)
    satisfaction_hidden: bool = False
    mentor_minutes: tuple[MentorMinutes, ...] = ()
    top_topics: tuple[tuple[str, int], ...] = ()

    @property
    def faq_share(self) -> float | None:
        return self.answered_by_faq / self.questions if self.questions else None

    @property
    def accepted_in_time_share(self) -> float | None:
        return self.accepted_in_time / self.accepted if self.accepted else None

    @property
    def total_mentor_minutes(self) -> int:
        return sum(m.minutes for m in self.mentor_minutes)

    def minutes_by_unit(self) -> dict[str | None, int]:
        totals: dict[str | None, int] = {}
        for entry in self.mentor_minutes:
            totals[entry.unit_id] = totals.get(entry.unit_id, 0) + entry.minutes
        return totals


COUNTED = ("questions", "answered_by_faq", "helpful", "not_helpful", "handed_to_mentors", "accepted",
           "accepted_in_time", "resolved", "cancelled", "escalated", "unanswered", "satisfaction_count")


def changes(current: Figures, previous: Figures) -> dict[str, float | int | None]:
    """Each figure's change from the previous period (None where either side has no value)."""
    delta: dict[str, float | int | None] = {name: getattr(current, name) - getattr(previous, name) for name in COUNTED}
    for name in ("accept_p50_minutes", "accept_p90_minutes", "satisfaction_mean"):
        now, before = getattr(current, name), getattr(previous, name)
        delta[name] = None if now is None or before is None else round(now - before, 1)
    delta["total_mentor_minutes"] = current.total_mentor_minutes - previous.total_mentor_minutes
    return delta


def protect_small_groups(figures: Figures, *, whole_organisation: bool) -> Figures:
    if whole_organisation or figures.satisfaction_count >= SMALL_GROUP or figures.satisfaction_count == 0:
        return figures
    return replace(figures, satisfaction_mean=None, satisfaction_distribution={}, satisfaction_hidden=True)


def subtree(roots: set[str], parents: dict[str, str | None]) -> set[str]:
    """The units under (and including) the roots."""
    found = set(roots)
    changed = True
    while changed:
        changed = False
        for unit, parent in parents.items():
            if parent in found and unit not in found:
                found.add(unit)
                changed = True
    return found
