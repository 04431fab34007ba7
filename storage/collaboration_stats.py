"""Figures of the help beyond single questions, as SQL aggregates: team sessions (booked, held,
participants, minutes, feedback), peer-mentoring agreements (active, closed, meetings, minutes,
goal attainment, rating) and the people an open helper helped.

Part of the statistics (storage/stats_repository.py) and meant for the `impact` report too:
`session_figures` and `agreement_figures` take the same units and period as `figures`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, distinct, func, literal, or_, select
from sqlalchemy.orm import aliased

from storage.db import Database
from storage.models import (
    Agreement,
    AgreementEvaluation,
    AgreementGoalAnswer,
    HelpRequest,
    MentorTimeEntry,
    Person,
    RequestEvent,
    RequestState,
    SessionParticipant,
    TeamSession,
)


@dataclass(frozen=True)
class SessionFigures:
    booked: int = 0  # booked in the period
    held: int = 0  # resolved sessions whose chosen slot fell in the period
    participants: int = 0  # in the sessions held, as their mentors recorded
    minutes: int = 0  # logged on sessions in the period
    feedback_count: int = 0
    feedback_mean: float | None = None
    feedback_hidden: bool = False  # fewer than five answers below the whole organisation


@dataclass(frozen=True)
class AgreementFigures:
    active: int = 0  # running at some point in the period
    started: int = 0  # accepted by the mentee in the period
    declined: int = 0
    closed: int = 0
    meetings: int = 0  # logged in the period
    minutes: int = 0
    goals: dict[str, int] = field(default_factory=dict)  # yes | partly | no -> answers given in the period
    rating_count: int = 0
    rating_mean: float | None = None
    rating_hidden: bool = False

    @property
    def goals_answered(self) -> int:
        return sum(self.goals.values())


def _in(column, units: Collection[str] | None):
    return literal(True) if units is None else column.in_(sorted(units))


class CollaborationStats:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def session_figures(self, units: Collection[str] | None, start: datetime, end: datetime) -> SessionFigures:
        sessions = (
            select(
                func.coalesce(func.sum(case((and_(HelpRequest.created_at >= start, HelpRequest.created_at < end),
                                              1), else_=0)), 0),
                func.coalesce(func.sum(case((_held(start, end), 1), else_=0)), 0),
                func.coalesce(func.sum(case((_held(start, end), func.coalesce(TeamSession.participants, 0)),
                                            else_=0)), 0),
            )
            .select_from(TeamSession).join(HelpRequest, HelpRequest.id == TeamSession.request_id)
            .where(_in(HelpRequest.unit_id, units))
        )
        minutes = (
            select(func.coalesce(func.sum(MentorTimeEntry.minutes), 0))
            .join(HelpRequest, HelpRequest.id == MentorTimeEntry.request_id)
            .where(HelpRequest.kind == "session", MentorTimeEntry.logged_at >= start, MentorTimeEntry.logged_at < end,
                   _in(HelpRequest.unit_id, units))
        )
        feedback = (
            select(func.count(SessionParticipant.rating), func.avg(SessionParticipant.rating))
            .join(HelpRequest, HelpRequest.id == SessionParticipant.request_id)
            .where(SessionParticipant.rated_at >= start, SessionParticipant.rated_at < end,
                   _in(HelpRequest.unit_id, units))
        )
        async with self._database.connection() as connection:
            booked, held, participants = (await connection.execute(sessions)).one()
            spent = await connection.scalar(minutes)
            count, mean = (await connection.execute(feedback)).one()
        return SessionFigures(booked=int(booked), held=int(held), participants=int(participants), minutes=int(spent),
                              feedback_count=int(count), feedback_mean=round(float(mean), 2) if count else None)

    async def agreement_figures(self, units: Collection[str] | None, start: datetime,
                                end: datetime) -> AgreementFigures:
        mentee = aliased(Person)
        unit = func.coalesce(Agreement.mentee_unit_id, mentee.unit_id)
        base = select(Agreement.id).outerjoin(mentee, mentee.id == Agreement.mentee_person_id).where(_in(unit, units))
        in_scope = Agreement.id.in_(base.scalar_subquery())
        started = and_(Agreement.decided_at >= start, Agreement.decided_at < end, Agreement.state.in_(("active",
                                                                                                        "closed")))
        running = and_(Agreement.state.in_(("active", "closed")), Agreement.decided_at < end,
                       or_(Agreement.closed_at.is_(None), Agreement.closed_at >= start))
        counts = select(
            func.coalesce(func.sum(case((running, 1), else_=0)), 0),
            func.coalesce(func.sum(case((started, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(Agreement.state == "declined", Agreement.decided_at >= start,
                                              Agreement.decided_at < end), 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(Agreement.state == "closed", Agreement.closed_at >= start,
                                              Agreement.closed_at < end), 1), else_=0)), 0),
        ).where(in_scope)
        meetings = select(func.count(MentorTimeEntry.id), func.coalesce(func.sum(MentorTimeEntry.minutes), 0)) \
            .join(Agreement, Agreement.id == MentorTimeEntry.agreement_id) \
            .where(in_scope, MentorTimeEntry.logged_at >= start, MentorTimeEntry.logged_at < end)
        answered = and_(AgreementEvaluation.given_at >= start, AgreementEvaluation.given_at < end)
        goals = select(AgreementGoalAnswer.answer, func.count()) \
            .join(AgreementEvaluation, and_(AgreementEvaluation.agreement_id == AgreementGoalAnswer.agreement_id,
                                            AgreementEvaluation.person_id == AgreementGoalAnswer.person_id)) \
            .join(Agreement, Agreement.id == AgreementGoalAnswer.agreement_id) \
            .where(in_scope, answered).group_by(AgreementGoalAnswer.answer)
        ratings = select(func.count(AgreementEvaluation.rating), func.avg(AgreementEvaluation.rating)) \
            .join(Agreement, Agreement.id == AgreementEvaluation.agreement_id).where(in_scope, answered)
        async with self._database.connection() as connection:
            active, begun, declined, closed = (await connection.execute(counts)).one()
            logged, minutes = (await connection.execute(meetings)).one()
            answers = {answer: int(count) for answer, count in (await connection.execute(goals)).all()}
            rated, mean = (await connection.execute(ratings)).one()
        return AgreementFigures(active=int(active), started=int(begun), declined=int(declined), closed=int(closed),
                                meetings=int(logged), minutes=int(minutes),
                                goals={answer: answers.get(answer, 0) for answer in ("yes", "partly", "no")},
                                rating_count=int(rated), rating_mean=round(float(mean), 2) if rated else None)

    async def people_helped(self, person_id: int, start: datetime, end: datetime) -> int:
        """Whom the person helped in the period: the askers of the questions they resolved, and
        the participants of the sessions they held."""
        resolved = (select(RequestEvent.request_id)
                    .where(RequestEvent.actor_person_id == person_id, RequestEvent.kind == "resolve",
                           RequestEvent.at >= start, RequestEvent.at < end))
        askers = (select(func.count(distinct(HelpRequest.asker_aad_object_id)))
                  .where(HelpRequest.id.in_(resolved), HelpRequest.kind == "question"))
        attended = (select(func.coalesce(func.sum(TeamSession.participants), 0))
                    .where(TeamSession.request_id.in_(resolved)))
        async with self._database.connection() as connection:
            return int(await connection.scalar(askers) or 0) + int(await connection.scalar(attended) or 0)


def _held(start: datetime, end: datetime):
    return and_(HelpRequest.state == RequestState.RESOLVED.value, TeamSession.chosen_slot >= start,
                TeamSession.chosen_slot < end)
