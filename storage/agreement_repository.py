"""Peer-mentoring agreements: goals, a schedule and both sides' commitment.

Every change of state is one conditional UPDATE ("... WHERE state = 'proposed'"), with its
outbox messages in the same transaction: of a mentee's accept and decline clicked at once one
wins; a meeting is logged only against an active agreement, by an INSERT ... SELECT that the
database runs against the agreement's state; each side evaluates once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import (
    Agreement,
    AgreementEvaluation,
    AgreementGoal,
    AgreementGoalAnswer,
    MentorTimeEntry,
)
from storage.outbox import Outgoing, enqueue


@dataclass(frozen=True)
class AgreementRecord:
    id: int
    mentor_id: int
    mentee_person_id: int | None
    mentee_unit_id: str | None
    mentee_contact_id: int | None
    topic: str
    language: str
    starts: date
    ends: date
    planned_meetings: int
    minutes_per_meeting: int
    state: str
    created_at: datetime
    closed_at: datetime | None
    reminded_meetings: int
    goals: tuple[str, ...]
    meetings_logged: int
    minutes_logged: int
    evaluated_by: frozenset[int]


@dataclass(frozen=True)
class NewAgreement:
    creation_key: str
    mentor_id: int
    mentee_person_id: int | None
    mentee_unit_id: str | None
    topic: str
    language: str
    starts: date
    ends: date
    planned_meetings: int
    minutes_per_meeting: int
    goals: tuple[str, ...]
    next_check_at: datetime | None


class AgreementRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(self, new: NewAgreement,
                     messages_for: Callable[[int], Sequence[Outgoing]]) -> tuple[int, bool]:
        """(id, created): the proposed agreement, and the messages `messages_for(its id)` gives
        (the mentee's card), in one transaction; the same creation key again (a double click)
        finds the first one."""
        now = self._database.now()
        try:
            return await self._insert(new, messages_for, now), True
        except IntegrityError:
            async with self._database.transaction() as session:
                found = await session.scalar(select(Agreement.id).where(Agreement.creation_key == new.creation_key))
            if found is None:
                raise
            return found, False

    async def _insert(self, new: NewAgreement, messages_for: Callable[[int], Sequence[Outgoing]],
                      now: datetime) -> int:
        async with self._database.transaction() as session:
            row = Agreement(creation_key=new.creation_key, mentor_id=new.mentor_id,
                            mentee_person_id=new.mentee_person_id, mentee_unit_id=new.mentee_unit_id,
                            topic=new.topic, language=new.language,
                            starts=new.starts, ends=new.ends, planned_meetings=new.planned_meetings,
                            minutes_per_meeting=new.minutes_per_meeting, state="proposed", created_at=now,
                            reminded_meetings=0, next_check_at=None)
            session.add(row)
            await session.flush()
            for position, text in enumerate(new.goals, start=1):
                session.add(AgreementGoal(agreement_id=row.id, position=position, text=text))
            await enqueue(session, messages_for(row.id), now)
            return row.id

    async def get(self, agreement_id: int) -> AgreementRecord | None:
        found = await self._records(Agreement.id == agreement_id)
        return found[0] if found else None

    async def decide(self, agreement_id: int, *, accept: bool, contact_id: int, next_check_at: datetime | None,
                     messages: Sequence[Outgoing]) -> bool:
        """The mentee side accepts (the agreement starts) or declines (it never does); False when
        it was decided already, or withdrawn."""
        now = self._database.now()
        values: dict = {"state": "active" if accept else "declined", "decided_at": now,
                        "mentee_contact_id": contact_id}
        if accept:
            values["next_check_at"] = next_check_at
        return await self._change(agreement_id, ("proposed",), values, messages)

    async def withdraw(self, agreement_id: int, mentor_id: int, messages: Sequence[Outgoing]) -> bool:
        """The mentor takes back a proposal the mentee has not answered."""
        now = self._database.now()
        return await self._change(agreement_id, ("proposed",), {"state": "withdrawn", "closed_at": now,
                                                                "closed_by": mentor_id},
                                  messages, Agreement.mentor_id == mentor_id)

    async def close(self, agreement_id: int, by_person_id: int | None, messages: Sequence[Outgoing]) -> bool:
        """Closed early by one side, or at its end date (`by_person_id` None); False when it was
        not active (closed already, or never started)."""
        now = self._database.now()
        return await self._change(agreement_id, ("active",), {"state": "closed", "closed_at": now,
                                                              "closed_by": by_person_id, "next_check_at": None},
                                  messages)

    async def remind(self, agreement_id: int, *, reminded: int, to: int, next_check_at: datetime | None,
                     messages: Sequence[Outgoing]) -> bool:
        """Planned meetings up to `to` have been reminded of (claimed from `reminded`: once)."""
        return await self._change(agreement_id, ("active",), {"reminded_meetings": to, "next_check_at": next_check_at},
                                  messages, Agreement.reminded_meetings == reminded)

    async def reschedule(self, agreement_id: int, next_check_at: datetime | None) -> None:
        async with self._database.transaction() as session:
            await session.execute(update(Agreement).where(Agreement.id == agreement_id, Agreement.state == "active")
                                  .values(next_check_at=next_check_at))

    async def _change(self, agreement_id: int, from_states: tuple[str, ...], values: dict,
                      messages: Sequence[Outgoing], *conditions) -> bool:
        async with self._database.transaction() as session:
            result = await session.execute(
                update(Agreement).where(Agreement.id == agreement_id, Agreement.state.in_(from_states), *conditions)
                .values(**values))
            if result.rowcount != 1:
                return False
            await enqueue(session, messages, self._database.now())
        return True

    async def log_meeting(self, agreement_id: int, mentor_id: int, unit_id: str | None, minutes: int,
                          note: str | None) -> bool:
        """A meeting of an active agreement of this mentor, as a time entry: it counts in the
        mentor's hours and against the agreement. The database checks the agreement's state in
        the same statement, so a meeting cannot land on an agreement closed at that moment."""
        now = self._database.now()
        columns = MentorTimeEntry.__table__.c
        source = select(*(literal(value, type_=columns[name].type) for name, value in (
            ("mentor_id", mentor_id), ("agreement_id", agreement_id), ("unit_id", unit_id), ("minutes", minutes),
            ("note", note), ("logged_at", now)))) \
            .where(select(Agreement.id).where(Agreement.id == agreement_id, Agreement.mentor_id == mentor_id,
                                              Agreement.state == "active").exists())
        async with self._database.transaction() as session:
            result = await session.execute(MentorTimeEntry.__table__.insert().from_select(
                ["mentor_id", "agreement_id", "unit_id", "minutes", "note", "logged_at"], source))
        return result.rowcount == 1

    async def evaluate(self, agreement_id: int, person_id: int, *, rating: int, comment: str | None,
                       answers: Mapping[int, str]) -> bool:
        """One side's evaluation of a closed agreement, once (False the second time)."""
        now = self._database.now()
        try:
            async with self._database.transaction() as session:
                session.add(AgreementEvaluation(agreement_id=agreement_id, person_id=person_id, rating=rating,
                                                comment=comment, given_at=now))
                for position, answer in sorted(answers.items()):
                    session.add(AgreementGoalAnswer(agreement_id=agreement_id, position=position,
                                                    person_id=person_id, answer=answer))
                await session.flush()
        except IntegrityError:
            return False
        return True

    async def of_person(self, person_id: int, unit_ids: Collection[str], *, closed_since: datetime,
                        limit: int = 10) -> list[AgreementRecord]:
        """Agreements the person is a side of (as the mentor, the mentee, the one who answered for
        a team, or for a team of `unit_ids` they answer for): open ones and those closed since."""
        side = or_(Agreement.mentor_id == person_id, Agreement.mentee_person_id == person_id,
                   Agreement.mentee_contact_id == person_id,
                   and_(Agreement.mentee_unit_id.in_(sorted(unit_ids)), Agreement.state == "proposed"))
        recent = or_(Agreement.state.in_(("proposed", "active")), Agreement.closed_at >= closed_since,
                     Agreement.created_at >= closed_since)
        return (await self._records(and_(side, recent), limit=limit))

    async def checks_due(self, now: datetime, limit: int = 50) -> list[AgreementRecord]:
        return await self._records(and_(Agreement.state == "active", Agreement.next_check_at <= now), limit=limit)

    async def _records(self, condition, *, limit: int | None = None) -> list[AgreementRecord]:
        logged = (select(func.count(MentorTimeEntry.id)).where(MentorTimeEntry.agreement_id == Agreement.id)
                  .scalar_subquery())
        minutes = (select(func.coalesce(func.sum(MentorTimeEntry.minutes), 0))
                   .where(MentorTimeEntry.agreement_id == Agreement.id).scalar_subquery())
        query = select(Agreement, logged, minutes).where(condition).order_by(Agreement.created_at.desc(),
                                                                             Agreement.id.desc())
        if limit is not None:
            query = query.limit(limit)
        async with self._database.transaction() as session:
            rows = (await session.execute(query)).all()
            ids = [row.id for row, _, _ in rows]
            goals = (await session.execute(select(AgreementGoal.agreement_id, AgreementGoal.text)
                                           .where(AgreementGoal.agreement_id.in_(ids))
                                           .order_by(AgreementGoal.agreement_id, AgreementGoal.position))).all()
            evaluated = (await session.execute(select(AgreementEvaluation.agreement_id, AgreementEvaluation.person_id)
                                               .where(AgreementEvaluation.agreement_id.in_(ids)))).all()
        goals_of: dict[int, list[str]] = {}
        for agreement_id, text in goals:
            goals_of.setdefault(agreement_id, []).append(text)
        evaluated_of: dict[int, set[int]] = {}
        for agreement_id, person_id in evaluated:
            evaluated_of.setdefault(agreement_id, set()).add(person_id)
        return [AgreementRecord(
            id=row.id, mentor_id=row.mentor_id, mentee_person_id=row.mentee_person_id,
            mentee_unit_id=row.mentee_unit_id, mentee_contact_id=row.mentee_contact_id, topic=row.topic,
            language=row.language, starts=row.starts, ends=row.ends, planned_meetings=row.planned_meetings,
            minutes_per_meeting=row.minutes_per_meeting, state=row.state, created_at=row.created_at,
            closed_at=row.closed_at, reminded_meetings=row.reminded_meetings,
            goals=tuple(goals_of.get(row.id, ())), meetings_logged=int(count), minutes_logged=int(total),
            evaluated_by=frozenset(evaluated_of.get(row.id, ()))) for row, count, total in rows]
