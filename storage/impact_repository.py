"""The impact report's figures: SQL aggregates over questions, requests, time entries and
feedback, for a period and a set of units, as a whole or per unit (the Excel export)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, distinct, func, literal, null, select, union

from storage.db import Database
from storage.models import (
    Feedback,
    HelpRequest,
    MentorProfile,
    MentorTimeEntry,
    Person,
    PersonRole,
    Question,
    TeamSession,
)


@dataclass(frozen=True)
class ImpactFigures:
    faq_answers: int = 0  # questions the FAQ answered at once and no person was needed for
    mentor_helped: int = 0  # requests asked in the period that a digimentor resolved
    people_reached: int = 0  # different people helped by either
    mentor_minutes: int = 0
    allowance_minutes: int = 0  # the active mentors' weekly allowances over the period
    satisfaction_count: int = 0
    satisfaction_sum: int = 0
    helpdesk_answers: int = 0  # answers to "Would you otherwise have contacted the IT helpdesk?"
    helpdesk_avoided: int = 0  # of them, yes
    sent_to_helpdesk: int = 0  # questions shown the helpdesk's card
    referred_by_helpdesk: int = 0  # questions a helpdesk agent handed to the digimentors
    sessions_held: int = 0  # team sessions resolved whose chosen slot fell in the period
    session_participants: int = 0  # in them, as their mentors recorded (counts, not people)


def _sum(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class ImpactRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def figures(self, units: set[str] | None, start: datetime, end: datetime, *, default_allowance: int,
                      weeks: float) -> ImpactFigures:
        found = await self._figures(units, start, end, default_allowance=default_allowance, weeks=weeks,
                                    by_unit=False)
        return found.get(None, ImpactFigures())

    async def figures_by_unit(self, units: set[str] | None, start: datetime, end: datetime, *,
                              default_allowance: int, weeks: float) -> dict[str | None, ImpactFigures]:
        return await self._figures(units, start, end, default_allowance=default_allowance, weeks=weeks,
                                   by_unit=True)

    async def _figures(self, units, start, end, *, default_allowance, weeks, by_unit) -> dict:
        def scoped(column):
            return literal(True) if units is None else column.in_(sorted(units))

        def grouped(query, column):
            if by_unit:
                return query.add_columns(column.label("unit")).group_by(column)
            return query.add_columns(null().label("unit"))

        answered = and_(Question.outcome == "answered", Question.handed.is_(False))
        in_period = and_(Question.asked_at >= start, Question.asked_at < end, scoped(Question.unit_id))
        questions = grouped(select(_sum(answered), _sum(Question.helpdesk.is_not(None)),
                                   _sum(Question.filed_by_person_id.is_not(None))).where(in_period),
                            Question.unit_id)
        # Questions a digimentor resolved; team sessions count apart, by when they were held.
        resolved = and_(HelpRequest.created_at >= start, HelpRequest.created_at < end, scoped(HelpRequest.unit_id),
                        HelpRequest.state == "resolved", HelpRequest.kind == "question")
        held = and_(HelpRequest.state == "resolved", TeamSession.chosen_slot >= start, TeamSession.chosen_slot < end,
                    scoped(HelpRequest.unit_id))
        sessions = grouped(select(func.count(), func.coalesce(func.sum(TeamSession.participants), 0))
                           .select_from(TeamSession).join(HelpRequest, HelpRequest.id == TeamSession.request_id)
                           .where(held), HelpRequest.unit_id)
        requests = grouped(select(func.count()).select_from(HelpRequest).where(resolved), HelpRequest.unit_id)
        # Everyone helped: by the FAQ or by a person. A person asking in two units counts in both
        # per unit, once in the whole.
        helped = union(
            select(Question.asker_aad_object_id.label("asker"), Question.unit_id.label("unit_id"))
            .where(in_period, answered),
            select(HelpRequest.asker_aad_object_id, HelpRequest.unit_id).where(resolved)).subquery()
        reached = grouped(select(func.count(distinct(helped.c.asker))).select_from(helped), helped.c.unit_id)
        minutes = grouped(select(func.coalesce(func.sum(MentorTimeEntry.minutes), 0))
                          .select_from(MentorTimeEntry).join(Person, Person.id == MentorTimeEntry.mentor_id)
                          .where(MentorTimeEntry.logged_at >= start, MentorTimeEntry.logged_at < end,
                                 scoped(Person.unit_id)), Person.unit_id)
        allowance = grouped(select(func.coalesce(func.sum(func.coalesce(MentorProfile.weekly_minutes,
                                                                        default_allowance)), 0))
                            .select_from(Person)
                            .join(PersonRole, and_(PersonRole.person_id == Person.id, PersonRole.role == "mentor"))
                            .join(MentorProfile, MentorProfile.person_id == Person.id, isouter=True)
                            .where(Person.active.is_(True), scoped(Person.unit_id)), Person.unit_id)
        feedback = grouped(select(func.count(), func.coalesce(func.sum(Feedback.rating), 0),
                                  _sum(Feedback.helpdesk_avoided.is_not(None)),
                                  _sum(Feedback.helpdesk_avoided.is_(True)))
                           .select_from(Feedback).join(HelpRequest, HelpRequest.id == Feedback.request_id)
                           .where(Feedback.given_at >= start, Feedback.given_at < end, scoped(HelpRequest.unit_id)),
                           HelpRequest.unit_id)
        # Independent aggregates: side by side on PostgreSQL's pool, in turn on SQLite.
        results = await asyncio.gather(*(self._rows(q) for q in (questions, requests, reached, minutes, allowance,
                                                                 feedback, sessions)))
        keys = {row[-1] for rows in results for row in rows}
        found: dict[str | None, dict] = {key: {} for key in keys}
        names = (("faq_answers", "sent_to_helpdesk", "referred_by_helpdesk"), ("mentor_helped",), ("people_reached",),
                 ("mentor_minutes",), ("allowance_minutes",),
                 ("satisfaction_count", "satisfaction_sum", "helpdesk_answers", "helpdesk_avoided"),
                 ("sessions_held", "session_participants"))
        for fields, rows in zip(names, results, strict=True):
            for row in rows:
                found[row[-1]].update({field: int(value or 0) for field, value in zip(fields, row[:-1], strict=True)})
        for values in found.values():
            values["allowance_minutes"] = int(round(values.get("allowance_minutes", 0) * weeks))
        return {key: ImpactFigures(**values) for key, values in found.items()}

    async def _rows(self, statement) -> list[tuple]:
        async with self._database.connection() as connection:
            return [tuple(row) for row in (await connection.execute(statement)).all()]
