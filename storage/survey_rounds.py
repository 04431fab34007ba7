"""Survey rounds: starting one with its invitations, reminders, closing it with its results.

Every decision that two processes (or two clicks) could race on is one conditional statement:
a round starts with all its invitations and their outbox messages in one transaction, after
taking a lock on the instrument, so two starts for the same people cannot both pass the check
for an open round; each person is invited once per round (a unique index); a reminder is claimed
by raising `reminders_sent` from below its number; a round closes once, by the UPDATE that sets
`closed_at`, and its results are written in that same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, insert, literal, or_, select, update

from storage.db import Database
from storage.models import Person, PersonRole
from storage.outbox import Outgoing, enqueue
from storage.survey_models import (
    STAFF,
    SUPERVISOR,
    SurveyAnswer,
    SurveyInstrument,
    SurveyResponse,
    SurveyResultArea,
    SurveyResultItem,
    SurveyResultUnit,
    SurveyRound,
)


@dataclass(frozen=True)
class RoundRecord:
    id: int
    instrument_id: str
    instrument_version: int
    started_by: int | None
    pretest: bool
    units: tuple[str, ...]
    invited: int
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    closed_by: int | None
    reminders_sent: int

    def open_at(self, now: datetime) -> bool:
        return self.closed_at is None and now < self.closes_at


def round_record(row: SurveyRound) -> RoundRecord:
    return RoundRecord(row.id, row.instrument_id, row.instrument_version, row.started_by, row.pretest,
                       tuple(row.units or ()), row.invited, row.opened_at, row.closes_at, row.closed_at,
                       row.closed_by, row.reminders_sent)


@dataclass(frozen=True)
class Invitee:
    person_id: int
    aad_object_id: str
    unit_id: str
    languages: tuple[str, ...]
    supervisor: bool

    @property
    def staff_group(self) -> str:
        return SUPERVISOR if self.supervisor else STAFF


@dataclass(frozen=True)
class Overlap:
    """Why a round cannot start: an open round of the same instrument already invited them."""

    round_id: int
    unit_id: str


@dataclass(frozen=True)
class Progress:
    unit_id: str
    staff_group: str
    invited: int
    answered: int
    finished: int
    paper: int


# (unit, area) -> respondents there, summed over staff groups -> (unit, area) -> reporting unit.
Homes = Callable[[dict[tuple[str, str], int]], dict[tuple[str, str], str | None]]
# (round id, invitee) -> their message; the round's id exists only inside the transaction.
MessageFor = Callable[[int, Invitee], Outgoing]


def _answered(response=SurveyResponse):
    return or_(response.answered_at.is_not(None), response.person_id.is_(None))


class SurveyRoundRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def start(self, *, instrument_id: str, version: int, started_by: int, pretest: bool, units: Iterable[str],
                    closes_at: datetime, message_for: MessageFor) -> RoundRecord | Overlap | None:
        """The new round with everyone in `units` (active people of those units; for a pre-test
        only the starter) invited, each with their message in the outbox; an Overlap when an
        open round of the instrument already has one of them; None when nobody is there."""
        units = sorted(set(units))
        now = self._database.now()
        async with self._database.transaction() as session:
            lock = select(SurveyInstrument.id).where(SurveyInstrument.id == instrument_id)
            if self._database.dialect == "postgresql":
                lock = lock.with_for_update()  # starts of this instrument queue here
            await session.execute(lock)
            people = select(Person.id).where(Person.active.is_(True))
            people = people.where(Person.id == started_by) if pretest else people.where(Person.unit_id.in_(units))
            invitees = await self._invitees(session, people)
            if not invitees:
                return None
            overlap = await self._overlap(session, instrument_id, pretest, started_by, people, now)
            if overlap is not None:
                return overlap
            row = SurveyRound(instrument_id=instrument_id, instrument_version=version, started_by=started_by,
                              pretest=pretest, units=units, invited=len(invitees), opened_at=now,
                              closes_at=closes_at, closed_at=None, reminders_sent=0)
            session.add(row)
            await session.flush()
            await session.execute(insert(SurveyResponse), [
                {"round_id": row.id, "person_id": i.person_id, "unit_id": i.unit_id, "staff_group": i.staff_group,
                 "invited_at": now, "position": 0, "saved_areas": [], "revision": 0, "updated_at": now}
                for i in invitees])
            await enqueue(session, (message_for(row.id, i) for i in invitees), now)
            return round_record(row)

    async def _invitees(self, session, people) -> list[Invitee]:
        supervisors = select(PersonRole.person_id).where(PersonRole.role == "supervisor")
        rows = (await session.execute(
            select(Person.id, Person.aad_object_id, Person.unit_id, Person.languages,
                   Person.id.in_(supervisors).label("supervisor"))
            .where(Person.id.in_(people), Person.unit_id.is_not(None)).order_by(Person.id))).all()
        return [Invitee(r.id, r.aad_object_id, r.unit_id, tuple(r.languages or ()), bool(r.supervisor)) for r in rows]

    async def _overlap(self, session, instrument_id: str, pretest: bool, started_by: int, people,
                       now: datetime) -> Overlap | None:
        same_kind = and_(SurveyRound.instrument_id == instrument_id, SurveyRound.pretest.is_(pretest),
                         SurveyRound.closed_at.is_(None), SurveyRound.closes_at > now)
        # A pre-test overlaps only its starter's other pre-test; a round, any round that invited them.
        clash = SurveyRound.started_by == started_by if pretest else SurveyResponse.person_id.in_(people)
        found = (await session.execute(
            select(SurveyRound.id, SurveyResponse.unit_id)
            .join(SurveyResponse, SurveyResponse.round_id == SurveyRound.id)
            .where(same_kind, clash).order_by(SurveyRound.id, SurveyResponse.unit_id).limit(1))).first()
        return Overlap(found.id, found.unit_id) if found else None

    async def get(self, round_id: int) -> RoundRecord | None:
        async with self._database.transaction() as session:
            row = await session.get(SurveyRound, round_id)
        return round_record(row) if row else None

    async def rounds(self, *, open_only: bool = False, closed_only: bool = False) -> list[RoundRecord]:
        """Newest first."""
        query = select(SurveyRound).order_by(SurveyRound.id.desc())
        if open_only:
            query = query.where(SurveyRound.closed_at.is_(None))
        if closed_only:
            query = query.where(SurveyRound.closed_at.is_not(None)).order_by(None).order_by(
                SurveyRound.closed_at.desc(), SurveyRound.id.desc())
        async with self._database.transaction() as session:
            return [round_record(row) for row in (await session.scalars(query)).all()]

    async def units_of(self, round_id: int) -> set[str]:
        """The units its invitations and paper forms are in."""
        async with self._database.transaction() as session:
            return set((await session.scalars(select(SurveyResponse.unit_id)
                                              .where(SurveyResponse.round_id == round_id).distinct())).all())

    async def progress(self, round_id: int) -> list[Progress]:
        """Invited and answered so far, per unit and staff group (counts only)."""
        r = SurveyResponse
        async with self._database.transaction() as session:
            rows = (await session.execute(self._progress_query(r).where(r.round_id == round_id))).all()
        return [Progress(*row) for row in rows]

    @staticmethod
    def _progress_query(r):
        return (select(r.unit_id, r.staff_group,
                       func.sum(case((r.person_id.is_not(None), 1), else_=0)),
                       func.sum(case((_answered(r), 1), else_=0)),
                       func.sum(case((r.finished_at.is_not(None), 1), else_=0)),
                       func.sum(case((r.person_id.is_(None), 1), else_=0)))
                .group_by(r.unit_id, r.staff_group).order_by(r.unit_id, r.staff_group))

    async def claim_reminder(self, round_id: int, number: int, message_for: MessageFor) -> int | None:
        """Reminder `number` to everyone invited who has not reached the end, once however many
        processes try: None when another process (or an earlier run) sent it, or the round closed."""
        now = self._database.now()
        async with self._database.transaction() as session:
            claimed = await session.execute(
                update(SurveyRound).where(SurveyRound.id == round_id, SurveyRound.reminders_sent < number,
                                          SurveyRound.closed_at.is_(None), SurveyRound.closes_at > now)
                .values(reminders_sent=number))
            if not claimed.rowcount:
                return None
            waiting = select(SurveyResponse.person_id).where(
                SurveyResponse.round_id == round_id, SurveyResponse.person_id.is_not(None),
                SurveyResponse.finished_at.is_(None))
            invitees = await self._invitees(session, select(Person.id).where(Person.id.in_(waiting),
                                                                              Person.active.is_(True)))
            return await enqueue(session, (message_for(round_id, i) for i in invitees), now)

    async def due_to_close(self) -> list[int]:
        now = self._database.now()
        async with self._database.transaction() as session:
            return list((await session.scalars(select(SurveyRound.id).where(
                SurveyRound.closed_at.is_(None), SurveyRound.closes_at <= now).order_by(SurveyRound.id))).all())

    async def close(self, round_id: int, closed_by: int | None, homes: Homes) -> bool:
        """Closes the round and writes its results, together; False when it was closed already.
        On PostgreSQL the UPDATE waits for saves that hold the round FOR SHARE, so every answer
        saved before the close is counted and none after it is taken."""
        r, a = SurveyResponse, SurveyAnswer
        async with self._database.transaction() as session:
            closed = await session.execute(update(SurveyRound).where(
                SurveyRound.id == round_id, SurveyRound.closed_at.is_(None))
                .values(closed_at=self._database.now(), closed_by=closed_by))
            if not closed.rowcount:
                return False
            progress = self._progress_query(r).where(r.round_id == round_id)
            await session.execute(_with_round(SurveyResultUnit, round_id, progress, [
                "unit_id", "staff_group", "invited", "answered", "finished", "paper"]))
            counts = [func.sum(case((a.value == value, 1), else_=0)) for value in range(6)]
            items = (select(r.unit_id, r.staff_group, a.item_id, a.area_id, *counts)
                     .join(r, r.id == a.response_id).where(r.round_id == round_id)
                     .group_by(r.unit_id, r.staff_group, a.item_id, a.area_id))
            await session.execute(_with_round(SurveyResultItem, round_id, items, [
                "unit_id", "staff_group", "item_id", "area_id", "n0", "n1", "n2", "n3", "n4", "n5"]))
            respondents = (await session.execute(
                select(r.unit_id, r.staff_group, a.area_id, func.count(a.response_id.distinct()))
                .join(r, r.id == a.response_id).where(r.round_id == round_id)
                .group_by(r.unit_id, r.staff_group, a.area_id))).all()
            totals: dict[tuple[str, str], int] = {}
            for unit_id, _, area_id, count in respondents:
                totals[(unit_id, area_id)] = totals.get((unit_id, area_id), 0) + count
            home_of = homes(totals)
            if respondents:
                await session.execute(insert(SurveyResultArea), [
                    {"round_id": round_id, "unit_id": unit_id, "staff_group": group, "area_id": area_id,
                     "home_unit_id": home_of.get((unit_id, area_id)), "respondents": count}
                    for unit_id, group, area_id, count in respondents])
        return True


def _with_round(model, round_id: int, query, columns: list[str]):
    """INSERT INTO model (columns..., round_id) SELECT query's columns, :round_id."""
    selected = query.add_columns(literal(round_id).label("round_id"))
    return insert(model).from_select([*columns, "round_id"], selected)
