"""Coordinator figures, computed with SQL aggregates from questions, request events, time
entries and feedback: no row lists are loaded into Python."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Float, and_, case, cast, func, literal, select

from storage.collaboration_stats import AgreementFigures, CollaborationStats, SessionFigures
from storage.db import Database
from storage.models import (
    Announcement,
    FaqEntry,
    FaqFeedback,
    Feedback,
    HelpRequest,
    MentorProfile,
    MentorTimeEntry,
    Person,
    Question,
)


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
    after_hours: int = 0  # questions asked outside working hours
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
    sessions: SessionFigures = field(default_factory=SessionFigures)
    agreements: AgreementFigures = field(default_factory=AgreementFigures)

    @property
    def faq_share(self) -> float | None:
        return self.answered_by_faq / self.questions if self.questions else None

    @property
    def accepted_in_time_share(self) -> float | None:
        return self.accepted_in_time / self.accepted if self.accepted else None

    @property
    def total_mentor_minutes(self) -> int:
        return sum(m.minutes for m in self.mentor_minutes)


class StatsRepository:
    def __init__(self, database: Database) -> None:
        self._database = database
        # Team sessions, agreements and open helpers' figures (also for the impact report).
        self.collaboration = CollaborationStats(database)

    def _seconds_between(self, later, earlier):
        if self._database.dialect == "postgresql":
            return func.extract("epoch", later - earlier)
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0

    async def figures(
        self,
        units: set[str] | None,
        start: datetime,
        end: datetime,
        *,
        offer_timeout: timedelta,
        default_allowance: int,
        weeks: float,
    ) -> Figures:
        def in_units(column):
            return literal(True) if units is None else column.in_(sorted(units))

        questions = select(
            func.count(),
            func.coalesce(func.sum(case((and_(Question.outcome == "answered", Question.handed.is_(False)), 1),
                                        else_=0)), 0),
            func.coalesce(func.sum(case((Question.after_hours.is_(True), 1), else_=0)), 0),
        ).where(Question.asked_at >= start, Question.asked_at < end, in_units(Question.unit_id))

        faq_feedback = (
            select(
                func.coalesce(func.sum(case((FaqFeedback.helpful.is_(True), 1), else_=0)), 0),
                func.coalesce(func.sum(case((FaqFeedback.helpful.is_(False), 1), else_=0)), 0),
            )
            .select_from(FaqFeedback)
            .join(Question, Question.id == FaqFeedback.question_id)
            .where(Question.asked_at >= start, Question.asked_at < end, in_units(Question.unit_id))
        )

        requests = select(
            func.count(),
            func.coalesce(func.sum(case((HelpRequest.state == "resolved", 1), else_=0)), 0),
            func.coalesce(func.sum(case((HelpRequest.state == "cancelled", 1), else_=0)), 0),
            func.coalesce(func.sum(case((HelpRequest.state == "expired", 1), else_=0)), 0),
            func.coalesce(func.sum(case((HelpRequest.escalated.is_(True), 1), else_=0)), 0),
        ).where(HelpRequest.created_at >= start, HelpRequest.created_at < end, in_units(HelpRequest.unit_id),
                HelpRequest.kind == "question")

        durations = (
            select(cast(self._seconds_between(HelpRequest.accepted_at, HelpRequest.created_at), Float)
                   .label("seconds"))
            .where(HelpRequest.created_at >= start, HelpRequest.created_at < end, in_units(HelpRequest.unit_id),
                   HelpRequest.accepted_at.is_not(None), HelpRequest.kind == "question")
            .subquery()
        )
        ranked = select(
            durations.c.seconds,
            func.row_number().over(order_by=durations.c.seconds).label("position"),
            func.count().over().label("total"),
        ).subquery()
        accept_summary = select(
            func.count(),
            func.coalesce(func.sum(case((ranked.c.seconds <= offer_timeout.total_seconds(), 1), else_=0)), 0),
            # Nearest-rank percentiles with window functions: the same SQL on SQLite and PostgreSQL.
            func.max(case((ranked.c.position == (ranked.c.total * 50 + 99) // 100, ranked.c.seconds))),
            func.max(case((ranked.c.position == (ranked.c.total * 90 + 99) // 100, ranked.c.seconds))),
        )

        satisfaction = (
            select(Feedback.rating, func.count())
            .select_from(Feedback)
            .join(HelpRequest, HelpRequest.id == Feedback.request_id)
            .where(Feedback.given_at >= start, Feedback.given_at < end, in_units(HelpRequest.unit_id))
            .group_by(Feedback.rating)
        )

        minutes = (
            select(Person.name, Person.unit_id, func.sum(MentorTimeEntry.minutes),
                   func.coalesce(MentorProfile.weekly_minutes, default_allowance))
            .select_from(MentorTimeEntry)
            .join(Person, Person.id == MentorTimeEntry.mentor_id)
            .join(MentorProfile, MentorProfile.person_id == Person.id, isouter=True)
            .where(MentorTimeEntry.logged_at >= start, MentorTimeEntry.logged_at < end, in_units(Person.unit_id))
            .group_by(Person.id, Person.name, Person.unit_id, MentorProfile.weekly_minutes)
            .order_by(func.sum(MentorTimeEntry.minutes).desc(), Person.name)
        )

        topics = (
            select(FaqEntry.topic, func.count())
            .select_from(Question)
            .join(FaqEntry, FaqEntry.id == Question.faq_entry_id)
            .where(Question.asked_at >= start, Question.asked_at < end, in_units(Question.unit_id),
                   FaqEntry.topic.is_not(None))
            .group_by(FaqEntry.topic)
            .order_by(func.count().desc(), FaqEntry.topic)
            .limit(5)
        )

        # The aggregates are independent: PostgreSQL runs them side by side on pooled
        # connections; SQLite's single connection takes them in turn.
        (asked, answered, after_hours), (helpful, not_helpful), \
            (handed, resolved, cancelled, unanswered, escalated_count), \
            (accepted, in_time, p50, p90), rating_rows, mentor_rows, topic_rows, sessions, agreements = \
            await asyncio.gather(
                self._one(questions), self._one(faq_feedback), self._one(requests), self._one(accept_summary),
                self._all(satisfaction), self._all(minutes), self._all(topics),
                self.collaboration.session_figures(units, start, end),
                self.collaboration.agreement_figures(units, start, end))
        distribution = {int(rating): int(count) for rating, count in rating_rows}

        rated = sum(distribution.values())
        mean = round(sum(r * c for r, c in distribution.items()) / rated, 2) if rated else None
        return Figures(
            questions=int(asked),
            answered_by_faq=int(answered),
            after_hours=int(after_hours),
            helpful=int(helpful),
            not_helpful=int(not_helpful),
            handed_to_mentors=int(handed),
            accepted=int(accepted),
            accepted_in_time=int(in_time),
            accept_p50_minutes=round(p50 / 60, 1) if p50 is not None else None,
            accept_p90_minutes=round(p90 / 60, 1) if p90 is not None else None,
            resolved=int(resolved),
            cancelled=int(cancelled),
            escalated=int(escalated_count),
            unanswered=int(unanswered),
            satisfaction_count=rated,
            satisfaction_mean=mean,
            satisfaction_distribution=distribution,
            mentor_minutes=tuple(
                MentorMinutes(name, unit, int(total), int(round(weekly * weeks)))
                for name, unit, total, weekly in mentor_rows
            ),
            top_topics=tuple((topic, int(count)) for topic, count in topic_rows),
            sessions=sessions,
            agreements=agreements,
        )

    async def _one(self, statement) -> tuple:
        async with self._database.connection() as connection:
            return tuple((await connection.execute(statement)).one())

    async def _all(self, statement) -> list:
        async with self._database.connection() as connection:
            return [tuple(row) for row in (await connection.execute(statement)).all()]

    async def rollout_questions(self, units: set[str] | None, start: datetime,
                                end: datetime) -> list[tuple[str, int, int, int]]:
        """(title, questions, answered by the FAQ, handed to mentors) per rollout whose tagged
        questions fall in the period and units (a partial index keeps this off the big scan)."""
        query = (
            select(Announcement.title, func.count(),
                   func.coalesce(func.sum(case((and_(Question.outcome == "answered", Question.handed.is_(False)), 1),
                                               else_=0)), 0),
                   func.coalesce(func.sum(case((Question.handed.is_(True), 1), else_=0)), 0))
            .join(Announcement, Announcement.id == Question.announcement_id)
            .where(Question.announcement_id.is_not(None), Question.asked_at >= start, Question.asked_at < end,
                   literal(True) if units is None else Question.unit_id.in_(sorted(units)))
            .group_by(Announcement.id, Announcement.title).order_by(Announcement.id.desc()).limit(5))
        rows = await self._all(query)
        return [(title, int(count), int(answered), int(handed)) for title, count, answered, handed in rows]

    async def weekly_allowance(self, mentor_id: int, default: int) -> int:
        async with self._database.transaction() as session:
            weekly = await session.scalar(select(MentorProfile.weekly_minutes)
                                          .where(MentorProfile.person_id == mentor_id))
        return default if weekly is None else int(weekly)

    async def minutes_of(self, mentor_id: int, start: datetime, end: datetime) -> tuple[int, int, int, int]:
        """(minutes on questions, on team sessions, on agreements' meetings, logged otherwise)
        for one mentor."""
        on_request = MentorTimeEntry.request_id.is_not(None)
        session = select(HelpRequest.id).where(HelpRequest.kind == "session").scalar_subquery()

        def total(condition):
            return func.coalesce(func.sum(case((condition, MentorTimeEntry.minutes), else_=0)), 0)

        query = select(
            total(and_(on_request, MentorTimeEntry.request_id.not_in(session))),
            total(MentorTimeEntry.request_id.in_(session)),
            total(MentorTimeEntry.agreement_id.is_not(None)),
            total(and_(~on_request, MentorTimeEntry.agreement_id.is_(None))),
        ).where(MentorTimeEntry.mentor_id == mentor_id, MentorTimeEntry.logged_at >= start,
                MentorTimeEntry.logged_at < end)
        async with self._database.transaction() as connection:
            questions, sessions, agreements, other = (await connection.execute(query)).one()
        return int(questions), int(sessions), int(agreements), int(other)
