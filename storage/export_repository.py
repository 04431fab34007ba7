"""The rows a coordinator exports: requests, mentor time entries and feedback of a period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, literal, select
from sqlalchemy.orm import aliased

from storage.db import Database
from storage.models import (
    Feedback,
    HelpRequest,
    MentorTimeEntry,
    Person,
    Question,
    RequestEvent,
)

REQUEST_COLUMNS = ("request_id", "created_at", "unit", "language", "state", "tier", "question",
                   "mentor", "accepted_at", "minutes", "rating")
TIME_COLUMNS = ("entry_id", "logged_at", "mentor", "unit", "minutes", "request_id", "note")
FEEDBACK_COLUMNS = ("request_id", "given_at", "unit", "rating", "comment", "helpdesk_avoided")


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
