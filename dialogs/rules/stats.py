"""Coordinator figures: what they mean, how they change, and how small groups are protected."""

from __future__ import annotations

from dataclasses import replace

from storage.stats_repository import Figures

# Satisfaction and free-text feedback from fewer people than this are not shown below the
# whole organisation, so that nobody's rating can be singled out.
SMALL_GROUP = 5


COUNTED = ("questions", "answered_by_faq", "after_hours", "helpful", "not_helpful", "handed_to_mentors", "accepted",
           "accepted_in_time", "resolved", "cancelled", "escalated", "unanswered", "satisfaction_count")


def changes(current: Figures, previous: Figures) -> dict[str, float | int | None]:
    """Each figure's change from the previous period (None where either side has no value)."""
    delta: dict[str, float | int | None] = {name: getattr(current, name) - getattr(previous, name) for name in COUNTED}
    for name in ("accept_p50_minutes", "accept_p90_minutes", "satisfaction_mean"):
        now, before = getattr(current, name), getattr(previous, name)
        delta[name] = None if now is None or before is None else round(now - before, 1)
    delta["total_mentor_minutes"] = current.total_mentor_minutes - previous.total_mentor_minutes
    return delta


def _too_few(count: int, whole_organisation: bool) -> bool:
    return not whole_organisation and 0 < count < SMALL_GROUP


def protect_small_groups(figures: Figures, *, whole_organisation: bool) -> Figures:
    """Below the whole organisation, satisfaction from fewer than five answers is hidden: that of
    help requests, of team sessions and of agreements, each by its own count."""
    sessions, agreements = figures.sessions, figures.agreements
    if _too_few(sessions.feedback_count, whole_organisation):
        figures = replace(figures, sessions=replace(sessions, feedback_mean=None, feedback_hidden=True))
    if _too_few(agreements.rating_count, whole_organisation):
        figures = replace(figures, agreements=replace(agreements, rating_mean=None, rating_hidden=True))
    if not _too_few(figures.satisfaction_count, whole_organisation):
        return figures
    return replace(figures, satisfaction_mean=None, satisfaction_distribution={}, satisfaction_hidden=True)
