"""The rows a coordinator exports: requests, mentor time entries and feedback of a period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import aliased

from storage.db import Database
from storage.models import (
    Agreement,
    AgreementEvaluation,
    AgreementGoal,
    AgreementGoalAnswer,
    Feedback,
    HelpRequest,
    MentorTimeEntry,
    Person,
    Question,
    RequestEvent,
    SessionParticipant,
    TeamSession,
)

REQUEST_COLUMNS = ("request_id", "created_at", "unit", "language", "state", "tier", "question",
                   "mentor", "accepted_at", "minutes", "rating")
TIME_COLUMNS = ("entry_id", "logged_at", "mentor", "unit", "minutes", "request_id", "note")
FEEDBACK_COLUMNS = ("request_id", "given_at", "unit", "rating", "comment", "helpdesk_avoided")
SESSION_COLUMNS = ("request_id", "created_at", "unit", "topic", "state", "slot_at", "mentor", "headcount",
                   "participants", "minutes", "feedback_count", "rating_mean")
AGREEMENT_COLUMNS = ("agreement_id", "created_at", "mentor", "mentee", "unit", "topic", "state", "starts", "ends",
                     "planned_meetings", "meetings", "minutes", "goals", "goals_yes", "goals_partly", "goals_no",
                     "rating_mean")


class ExportRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def rows(self, units: set[str] | None, start: datetime, end: datetime) -> dict[str, list[tuple]]:
        def in_units(column):
            return literal(True) if units is None else column.in_(sorted(units))

        mentor = aliased(Person)
        accepted_at = (
            select(func.min(RequestEvent.at))
            .where(RequestEvent.request_id == HelpRequest.id, RequestEvent.kind == "accept")
            .scalar_subquery()
        )
        minutes = (
            select(func.sum(MentorTimeEntry.minutes)).where(MentorTimeEntry.request_id == HelpRequest.id)
            .scalar_subquery()
        )
        requests = (
            select(HelpRequest.id, HelpRequest.created_at, HelpRequest.unit_id, HelpRequest.language,
                   HelpRequest.state, HelpRequest.tier, Question.text, mentor.name, accepted_at, minutes,
                   Feedback.rating)
            .select_from(HelpRequest)
            .outerjoin(Question, Question.id == HelpRequest.question_id)
            .outerjoin(mentor, mentor.id == HelpRequest.assigned_mentor_id)
            .outerjoin(Feedback, Feedback.request_id == HelpRequest.id)
            .where(HelpRequest.created_at >= start, HelpRequest.created_at < end, in_units(HelpRequest.unit_id))
            .order_by(HelpRequest.created_at, HelpRequest.id)
        )
        time_entries = (
            select(MentorTimeEntry.id, MentorTimeEntry.logged_at, Person.name, Person.unit_id,
                   MentorTimeEntry.minutes, MentorTimeEntry.request_id, MentorTimeEntry.note)
            .select_from(MentorTimeEntry)
            .join(Person, Person.id == MentorTimeEntry.mentor_id)
            .where(MentorTimeEntry.logged_at >= start, MentorTimeEntry.logged_at < end, in_units(Person.unit_id))
            .order_by(MentorTimeEntry.logged_at, MentorTimeEntry.id)
        )
        feedback = (
            select(Feedback.request_id, Feedback.given_at, HelpRequest.unit_id, Feedback.rating, Feedback.comment,
                   Feedback.helpdesk_avoided)
            .select_from(Feedback)
            .join(HelpRequest, HelpRequest.id == Feedback.request_id)
            .where(Feedback.given_at >= start, Feedback.given_at < end, in_units(HelpRequest.unit_id))
            .order_by(Feedback.given_at, Feedback.id)
        )
        async with self._database.transaction() as session:
            return {
                "requests": [tuple(r) for r in (await session.execute(requests)).all()],
                "time_entries": [tuple(r) for r in (await session.execute(time_entries)).all()],
                "feedback": [tuple(r) for r in (await session.execute(feedback)).all()],
            }

    async def collaboration_rows(self, units: set[str] | None, start: datetime,
                                 end: datetime) -> dict[str, list[tuple]]:
        """Team sessions booked in the period, and agreements proposed in it or running in it.
        A mentee is shown by kind and unit only: the figures need no more."""
        def in_units(column):
            return literal(True) if units is None else column.in_(sorted(units))

        mentor, mentee = aliased(Person), aliased(Person)
        minutes = (select(func.sum(MentorTimeEntry.minutes)).where(MentorTimeEntry.request_id == HelpRequest.id)
                   .scalar_subquery())
        rated = (select(func.count(SessionParticipant.rating)).where(SessionParticipant.request_id == HelpRequest.id)
                 .scalar_subquery())
        mean = (select(func.round(func.avg(SessionParticipant.rating), 1))
                .where(SessionParticipant.request_id == HelpRequest.id).scalar_subquery())
        sessions = (
            select(HelpRequest.id, HelpRequest.created_at, HelpRequest.unit_id, TeamSession.topic, HelpRequest.state,
                   TeamSession.chosen_slot, mentor.name, TeamSession.headcount, TeamSession.participants, minutes,
                   rated, mean)
            .select_from(TeamSession).join(HelpRequest, HelpRequest.id == TeamSession.request_id)
            .outerjoin(mentor, mentor.id == HelpRequest.assigned_mentor_id)
            .where(HelpRequest.created_at >= start, HelpRequest.created_at < end, in_units(HelpRequest.unit_id))
            .order_by(HelpRequest.created_at, HelpRequest.id)
        )
        unit = func.coalesce(Agreement.mentee_unit_id, mentee.unit_id)
        meetings = (select(func.count(MentorTimeEntry.id)).where(MentorTimeEntry.agreement_id == Agreement.id)
                    .scalar_subquery())
        agreement_minutes = (select(func.sum(MentorTimeEntry.minutes))
                             .where(MentorTimeEntry.agreement_id == Agreement.id).scalar_subquery())
        goals = (select(func.count()).select_from(AgreementGoal).where(AgreementGoal.agreement_id == Agreement.id)
                 .scalar_subquery())

        def answers(answer: str):
            return (select(func.count()).select_from(AgreementGoalAnswer)
                    .where(AgreementGoalAnswer.agreement_id == Agreement.id, AgreementGoalAnswer.answer == answer)
                    .scalar_subquery())

        rating = (select(func.round(func.avg(AgreementEvaluation.rating), 1))
                  .where(AgreementEvaluation.agreement_id == Agreement.id).scalar_subquery())
        agreements = (
            select(Agreement.id, Agreement.created_at, mentor.name,
                   case((Agreement.mentee_unit_id.is_not(None), "team"), else_="person"), unit, Agreement.topic,
                   Agreement.state, Agreement.starts, Agreement.ends, Agreement.planned_meetings, meetings,
                   agreement_minutes, goals, answers("yes"), answers("partly"), answers("no"), rating)
            .select_from(Agreement).join(mentor, mentor.id == Agreement.mentor_id)
            .outerjoin(mentee, mentee.id == Agreement.mentee_person_id)
            .where(Agreement.created_at < end, (Agreement.closed_at.is_(None)) | (Agreement.closed_at >= start),
                   in_units(unit))
            .order_by(Agreement.created_at, Agreement.id)
        )
        async with self._database.transaction() as session:
            return {
                "sessions": [tuple(r) for r in (await session.execute(sessions)).all()],
                "agreements": [tuple(r) for r in (await session.execute(agreements)).all()],
            }
