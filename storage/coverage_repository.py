"""Coverage: which units have an active named digimentor, since when, and the loss of a unit's
last one, recorded in the very transaction of the change that caused it.

`sync_coverage` runs inside every transaction that can take a unit's mentor away or give it one
(an import, a mentor added or removed in chat, an erasure) and in a periodic sweep that catches
anything else. It compares who is a mentor now with `unit_coverage`; a conditional update on that
row decides which of two racing transactions records the loss, so that a unit's coordinators
get one alert, sent by whichever process claims it first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select, update

from storage.db import Database
from storage.models import (
    CoordinatorScope,
    CoverageChange,
    MentorProfile,
    MentorTimeEntry,
    Person,
    PersonRole,
    Unit,
    UnitCoverage,
)
from storage.outbox import Outgoing, enqueue


@dataclass(frozen=True)
class UnitMentor:
    person_id: int
    name: str
    status: str  # available | away
    away_until: datetime | None


@dataclass(frozen=True)
class UnitCoverageRecord:
    """A unit with staff: its active mentors, and since when it has had one (None: it has none)."""

    unit_id: str
    staff: int
    mentors: tuple[UnitMentor, ...]
    covered_since: datetime | None


@dataclass(frozen=True)
class Candidate:
    """Someone in the unit who is not a mentor now, and when they last helped someone."""

    aad_object_id: str
    name: str
    last_helped_at: datetime


@dataclass(frozen=True)
class PendingLoss:
    change_id: int
    unit_id: str
    at: datetime


@dataclass(frozen=True)
class LossContext:
    """What the alert about a lost unit needs, read when it is sent."""

    still_uncovered: bool
    recipients: tuple[tuple[str, tuple[str, ...]], ...]  # (aad object id, languages)
    candidates: tuple[Candidate, ...]


def _mentor_units():
    return (select(Person.unit_id).distinct()
            .join(PersonRole, and_(PersonRole.person_id == Person.id, PersonRole.role == "mentor"))
            .join(Unit, and_(Unit.id == Person.unit_id, Unit.active.is_(True)))
            .where(Person.active.is_(True)))


async def sync_coverage(session, database: Database) -> tuple[set[str], set[str]]:
    """Brings unit_coverage in step with the directory as the caller's transaction sees it;
    returns (units that gained a mentor, units that lost their last one)."""
    now = database.now()
    covered_now = set((await session.scalars(_mentor_units())).all())
    known = dict((await session.execute(select(UnitCoverage.unit_id, UnitCoverage.covered_since))).all())
    active = set((await session.scalars(select(Unit.id).where(Unit.active.is_(True)))).all())
    gained, lost = set(), set()
    for unit_id in sorted(covered_now):
        if unit_id not in known:
            result = await session.execute(database.insert(UnitCoverage).values(unit_id=unit_id, covered_since=now)
                                           .on_conflict_do_nothing())
        elif known[unit_id] is None:
            result = await session.execute(update(UnitCoverage).where(
                UnitCoverage.unit_id == unit_id, UnitCoverage.covered_since.is_(None)).values(covered_since=now))
        else:
            continue
        if result.rowcount:
            gained.add(unit_id)
    for unit_id, since in sorted(known.items()):
        if since is None or unit_id in covered_now:
            continue
        result = await session.execute(update(UnitCoverage).where(
            UnitCoverage.unit_id == unit_id, UnitCoverage.covered_since.is_not(None)).values(covered_since=None))
        if result.rowcount:
            lost.add(unit_id)
    rows = [{"unit_id": u, "covered": True, "at": now, "alerted_at": now} for u in sorted(gained)]
    # A unit closed by an import needs no mentor: its loss is history, not an alert.
    rows += [{"unit_id": u, "covered": False, "at": now, "alerted_at": None if u in active else now}
             for u in sorted(lost)]
    if rows:
        await session.execute(CoverageChange.__table__.insert(), rows)
    return gained, lost


class CoverageRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def sync(self) -> set[str]:
        """The sweep: units that lost their last mentor by a path that did not sync itself."""
        async with self._database.transaction() as session:
            return (await sync_coverage(session, self._database))[1]

    async def overview(self, units: set[str] | None) -> list[UnitCoverageRecord]:
        """Every active unit in `units` (None: all) with active people in it."""
        def scoped(query, column):
            return query if units is None else query.where(column.in_(sorted(units)))

        async with self._database.transaction() as session:
            staff = dict((await session.execute(scoped(
                select(Person.unit_id, func.count()).join(Unit, Unit.id == Person.unit_id)
                .where(Person.active.is_(True), Unit.active.is_(True)).group_by(Person.unit_id),
                Person.unit_id))).all())
            mentors = (await session.execute(scoped(
                select(Person.unit_id, Person.id, Person.name, MentorProfile.status, MentorProfile.away_until)
                .join(PersonRole, and_(PersonRole.person_id == Person.id, PersonRole.role == "mentor"))
                .join(MentorProfile, MentorProfile.person_id == Person.id, isouter=True)
                .where(Person.active.is_(True)).order_by(Person.name), Person.unit_id))).all()
            since = dict((await session.execute(select(UnitCoverage.unit_id, UnitCoverage.covered_since))).all())
        by_unit: dict[str, list[UnitMentor]] = {}
        for unit_id, person_id, name, status, away_until in mentors:
            by_unit.setdefault(unit_id, []).append(UnitMentor(person_id, name, status or "available", away_until))
        return [UnitCoverageRecord(unit_id, int(count), tuple(by_unit.get(unit_id, ())),
                                   since.get(unit_id) if by_unit.get(unit_id) else None)
                for unit_id, count in sorted(staff.items())]

    async def covered_units_at(self, moment: datetime) -> set[str]:
        """The units that had an active mentor at `moment`, by the recorded history."""
        async with self._database.transaction() as session:
            rows = (await session.execute(select(CoverageChange.unit_id, CoverageChange.covered)
                                          .where(CoverageChange.at < moment)
                                          .order_by(CoverageChange.at, CoverageChange.id))).all()
        last: dict[str, bool] = {}
        for unit_id, covered in rows:
            last[unit_id] = covered
        return {unit_id for unit_id, covered in last.items() if covered}

    async def pending_losses(self, limit: int = 50) -> list[PendingLoss]:
        async with self._database.transaction() as session:
            rows = (await session.execute(
                select(CoverageChange.id, CoverageChange.unit_id, CoverageChange.at)
                .where(CoverageChange.covered.is_(False), CoverageChange.alerted_at.is_(None))
                .order_by(CoverageChange.id).limit(limit))).all()
        return [PendingLoss(*row) for row in rows]

    async def loss_context(self, unit_id: str, parents: dict[str, str | None], candidates: int = 3) -> LossContext:
        """The unit's coordinators (those whose scope covers it, else the admins) and the people
        in it who helped others most recently."""
        chain: list[str] = []
        current: str | None = unit_id
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        async with self._database.transaction() as session:
            uncovered = await session.scalar(select(UnitCoverage.covered_since).where(UnitCoverage.unit_id == unit_id))
            coordinators = (await session.execute(
                select(Person.aad_object_id, Person.languages).join(CoordinatorScope,
                                                                    CoordinatorScope.person_id == Person.id)
                .where(CoordinatorScope.unit_id.in_(chain), Person.active.is_(True))
                .order_by(Person.aad_object_id))).all()
            if not coordinators:
                coordinators = (await session.execute(
                    select(Person.aad_object_id, Person.languages).join(PersonRole, PersonRole.person_id == Person.id)
                    .where(PersonRole.role == "admin", Person.active.is_(True)).order_by(Person.aad_object_id))).all()
            is_mentor = select(PersonRole.person_id).where(PersonRole.role == "mentor")
            helped = (await session.execute(
                select(Person.aad_object_id, Person.name, func.max(MentorTimeEntry.logged_at).label("last"))
                .join(MentorTimeEntry, MentorTimeEntry.mentor_id == Person.id)
                .where(Person.unit_id == unit_id, Person.active.is_(True), Person.id.not_in(is_mentor))
                .group_by(Person.id, Person.aad_object_id, Person.name)
                .order_by(func.max(MentorTimeEntry.logged_at).desc(), Person.name).limit(candidates))).all()
        recipients = {}
        for aad, languages in coordinators:
            recipients.setdefault(aad, tuple(languages or ()))
        return LossContext(uncovered is None, tuple(recipients.items()),
                           tuple(Candidate(aad, name, last) for aad, name, last in helped))

    async def claim_alert(self, change_id: int, messages: Iterable[Outgoing]) -> bool:
        """Marks the loss alerted and stores its messages, together; False when another process
        (or an earlier round) already did."""
        async with self._database.transaction() as session:
            result = await session.execute(update(CoverageChange).where(
                CoverageChange.id == change_id, CoverageChange.alerted_at.is_(None))
                .values(alerted_at=self._database.now()))
            if not result.rowcount:
                return False
            await enqueue(session, messages, self._database.now())
        return True
