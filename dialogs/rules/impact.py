"""The impact figures a coordinator is shown: what they are made of, the estimate of working time
saved, small groups protected, and the change from the previous period.

Working time saved is an estimate, and the card says on what it rests: each FAQ answer is worth
`minutes_per_faq_answer`, and each person who says they would otherwise have contacted the IT
helpdesk `minutes_per_helpdesk_contact` (organisation file, organization.impact). Only the
people who answered the question count as contacts avoided; nobody's answer is extrapolated.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.rules.coverage import CoverageSummary
from dialogs.rules.stats import SMALL_GROUP
from storage.impact_repository import ImpactFigures


@dataclass(frozen=True)
class Assumptions:
    minutes_per_faq_answer: float
    minutes_per_helpdesk_contact: float


@dataclass(frozen=True)
class Impact:
    """One period's figures as shown: None where there is nothing to show or it is protected."""

    faq_answers: int
    mentor_helped: int
    people_reached: int
    mentor_hours: float
    allowance_hours: float
    satisfaction_mean: float | None
    satisfaction_count: int
    satisfaction_hidden: bool
    helpdesk_share: float | None  # would otherwise have contacted the helpdesk, of those who answered
    helpdesk_answers: int
    helpdesk_hidden: bool
    sent_to_helpdesk: int
    referred_by_helpdesk: int
    hours_saved: float  # FAQ answers, plus helpdesk contacts avoided unless those are protected
    coverage: CoverageSummary | None
    sessions_held: int = 0
    session_participants: int = 0

    @property
    def allowance_share(self) -> float | None:
        return self.mentor_hours / self.allowance_hours if self.allowance_hours else None


def impact(figures: ImpactFigures, assumptions: Assumptions, coverage: CoverageSummary | None, *,
           whole_organisation: bool) -> Impact:
    """Satisfaction and the helpdesk answers from fewer than five people are not shown below the
    whole organisation (dialogs/rules/stats.py); the saving then leaves the contacts avoided out,
    since it would tell how many of those few said yes."""
    protected = not whole_organisation
    satisfaction_hidden = protected and 0 < figures.satisfaction_count < SMALL_GROUP
    helpdesk_hidden = protected and 0 < figures.helpdesk_answers < SMALL_GROUP
    mean = round(figures.satisfaction_sum / figures.satisfaction_count, 2) \
        if figures.satisfaction_count and not satisfaction_hidden else None
    share = figures.helpdesk_avoided / figures.helpdesk_answers \
        if figures.helpdesk_answers and not helpdesk_hidden else None
    saved = figures.faq_answers * assumptions.minutes_per_faq_answer
    if not helpdesk_hidden:
        saved += figures.helpdesk_avoided * assumptions.minutes_per_helpdesk_contact
    return Impact(
        # A team session's participants are a count its mentor recorded, not identities: they
        # add to the people reached (someone who also asked may count twice).
        faq_answers=figures.faq_answers, mentor_helped=figures.mentor_helped,
        people_reached=figures.people_reached + figures.session_participants,
        sessions_held=figures.sessions_held, session_participants=figures.session_participants,
        mentor_hours=round(figures.mentor_minutes / 60, 1), allowance_hours=round(figures.allowance_minutes / 60, 1),
        satisfaction_mean=mean, satisfaction_count=figures.satisfaction_count, satisfaction_hidden=satisfaction_hidden,
        helpdesk_share=share, helpdesk_answers=figures.helpdesk_answers, helpdesk_hidden=helpdesk_hidden,
        sent_to_helpdesk=figures.sent_to_helpdesk, referred_by_helpdesk=figures.referred_by_helpdesk,
        hours_saved=round(saved / 60, 1), coverage=coverage)


def changes(current: Impact, previous: Impact) -> dict[str, float | int | None]:
    """Each figure's change from the previous period; None where either side has no value (a
    protected figure included, so that a change cannot reveal it)."""
    def delta(now, before, digits: int | None = None):
        if now is None or before is None:
            return None
        return round(now - before, digits) if digits is not None else now - before

    hidden_satisfaction = current.satisfaction_hidden or previous.satisfaction_hidden
    hidden_helpdesk = current.helpdesk_hidden or previous.helpdesk_hidden
    coverage_now = current.coverage.share if current.coverage else None
    coverage_before = previous.coverage.share if previous.coverage else None
    return {
        "faq_answers": current.faq_answers - previous.faq_answers,
        "mentor_helped": current.mentor_helped - previous.mentor_helped,
        "people_reached": current.people_reached - previous.people_reached,
        "sessions_held": current.sessions_held - previous.sessions_held,
        "mentor_hours": delta(current.mentor_hours, previous.mentor_hours, 1),
        "satisfaction_mean": None if hidden_satisfaction else delta(current.satisfaction_mean,
                                                                    previous.satisfaction_mean, 1),
        "helpdesk_share": None if hidden_helpdesk else delta(current.helpdesk_share, previous.helpdesk_share),
        "sent_to_helpdesk": current.sent_to_helpdesk - previous.sent_to_helpdesk,
        "referred_by_helpdesk": current.referred_by_helpdesk - previous.referred_by_helpdesk,
        "hours_saved": None if hidden_helpdesk else delta(current.hours_saved, previous.hours_saved, 1),
        "coverage": delta(coverage_now, coverage_before),
    }
