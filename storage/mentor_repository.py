"""Mentors: who can take offers now, their duty, and the coordinators above them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, func, select, text, update

from storage.audit_repository import add_entry
from storage.coverage_repository import sync_coverage
from storage.db import Database
from storage.models import (
    ConversationReference,
    HelpRequest,
    MentorProfile,
    MentorTimeEntry,
    OpenHelper,
    Person,
    PersonRole,
    RequestEvent,
    RequestState,
)


@dataclass(frozen=True)
class MentorCandidate:
    """An active mentor with what eligibility and fairness need (dialogs.rules.mentor_choice)."""

    person_id: int
    name: str
    unit_id: str | None
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    status: str  # "available" | "away"
    away_until: datetime | None
    weekly_allowance: int  # minutes
    minutes_this_week: int
    reachable: bool
    has_conversation: bool
    open_requests: int
    recent_requests: int  # accepted in the last 7 days
    aad_object_id: str = ""
    busy: bool = False  # Teams presence says away, offline, do not disturb or in a call


class MentorRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def set_duty(self, person_id: int, available: bool, away_until: datetime | None = None) -> bool:
        """False when the person has no mentor profile."""
        values = {"status": "available" if available else "away", "away_until": None if available else away_until}
        if available:
            # Saying "available" also means "you can reach me again".
            values["reachable"] = True
        async with self._database.transaction() as session:
            result = await session.execute(update(MentorProfile).where(MentorProfile.person_id == person_id)
                                           .values(**values))
        return result.rowcount == 1

    async def reachable_again(self, person_id: int | None) -> None:
        """The person (re)installed the app: offers may reach them again after a refusal."""
        if person_id is None:
            return
        async with self._database.transaction() as session:
            await session.execute(update(MentorProfile).where(MentorProfile.person_id == person_id,
                                                              MentorProfile.reachable.is_(False))
                                  .values(reachable=True))
            await session.execute(update(OpenHelper).where(OpenHelper.person_id == person_id,
                                                           OpenHelper.reachable.is_(False))
                                  .values(reachable=True))

    async def mentor_candidates(self, week_start: datetime, default_allowance: int,
                                units: Collection[str] | None = None) -> list[MentorCandidate]:
        """Every active mentor (of `units`, when given) with the figures eligibility and fairness
        need, in one query."""
        query = (
            select(Person, MentorProfile, *self._load(week_start))
            .join(MentorProfile, MentorProfile.person_id == Person.id)
            .join(PersonRole, and_(PersonRole.person_id == Person.id, PersonRole.role == "mentor"))
            .where(Person.active.is_(True))
        )
        if units is not None:
            query = query.where(Person.unit_id.in_(sorted(units)))
        async with self._database.transaction() as session:
            rows = (await session.execute(query)).all()
        return [
            _candidate(person, tuple(profile.topics or ()), profile.status, profile.away_until,
                       profile.weekly_minutes if profile.weekly_minutes is not None else default_allowance,
                       profile.reachable, load)
            for person, profile, *load in rows
        ]

    async def helper_candidates(self, week_start: datetime, allowance: int,
                                units: Collection[str] | None = None) -> list[MentorCandidate]:
        """Every active open helper (of `units`, when given), as a candidate with their topics and
        the organisation's helper allowance. They have no duty of their own: offering help is
        being on duty, and "stop helping" ends it. A named mentor is offered as a mentor only
        (their own topics and allowance), even if they offered help before becoming one."""
        named_mentor = exists().where(PersonRole.person_id == Person.id, PersonRole.role == "mentor")
        query = (
            select(Person, OpenHelper, *self._load(week_start))
            .join(OpenHelper, OpenHelper.person_id == Person.id)
            .where(Person.active.is_(True), OpenHelper.state == "active", ~named_mentor)
        )
        if units is not None:
            query = query.where(Person.unit_id.in_(sorted(units)))
        async with self._database.transaction() as session:
            rows = (await session.execute(query)).all()
        return [_candidate(person, tuple(helper.topics or ()), "available", None, allowance, helper.reachable, load)
                for person, helper, *load in rows]

    def _load(self, week_start: datetime) -> tuple:
        """This week's minutes, open requests, recent acceptances and whether the person can be
        reached: correlated subqueries on Person."""
        week_minutes = (
            select(func.coalesce(func.sum(MentorTimeEntry.minutes), 0))
            .where(MentorTimeEntry.mentor_id == Person.id, MentorTimeEntry.logged_at >= week_start)
            .scalar_subquery()
        )
        open_requests = (
            select(func.count()).select_from(HelpRequest)
            .where(HelpRequest.assigned_mentor_id == Person.id, HelpRequest.state == RequestState.ACCEPTED.value)
            .scalar_subquery()
        )
        recent = (
            select(func.count()).select_from(RequestEvent)
            .where(RequestEvent.actor_person_id == Person.id, RequestEvent.kind == "accept",
                   RequestEvent.at >= self._database.now() - timedelta(days=7))
            .scalar_subquery()
        )
        has_conversation = exists().where(
            ConversationReference.aad_object_id == Person.aad_object_id,
            ConversationReference.conversation_type == "personal",
        )
        return week_minutes, open_requests, recent, has_conversation

    async def coordinators_for(self, unit_id: str | None, parents: dict[str, str | None]) -> list[tuple[int, str]]:
        """(person id, aad id) of coordinators whose scope covers the unit, nearest first, then admins."""
        chain = []
        current = unit_id
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        async with self._database.transaction() as session:
            rows = (await session.execute(text(
                "SELECT p.id, p.aad_object_id, s.unit_id FROM people p "
                "JOIN coordinator_scopes s ON s.person_id = p.id WHERE p.active = :active"
            ), {"active": True})).all()
            admins = (await session.execute(
                select(Person.id, Person.aad_object_id).join(PersonRole, PersonRole.person_id == Person.id)
                .where(PersonRole.role == "admin", Person.active.is_(True))
            )).all()
        ranked = sorted((chain.index(r.unit_id), r.id, r.aad_object_id) for r in rows if r.unit_id in chain)
        found: list[tuple[int, str]] = []
        for _, person_id, aad in ranked:
            if (person_id, aad) not in found:
                found.append((person_id, aad))
        for person_id, aad in admins:
            if (person_id, aad) not in found:
                found.append((person_id, aad))
        return found

    async def change_role(self, *, actor: str, person_id: int, mentor: bool) -> bool:
        """Makes the person a mentor or not; recorded in the audit log. False if nothing changed,
        also when another coordinator made the same change at the same moment."""
        async with self._database.transaction() as session:
            if mentor:
                added = await session.execute(
                    self._database.insert(PersonRole).values(person_id=person_id, role="mentor")
                    .on_conflict_do_nothing())
                changed = bool(added.rowcount)
                await session.execute(
                    self._database.insert(MentorProfile).values(person_id=person_id, topics=[], weekly_minutes=None)
                    .on_conflict_do_nothing())
            else:
                removed = await session.execute(delete(PersonRole).where(PersonRole.person_id == person_id,
                                                                          PersonRole.role == "mentor"))
                changed = bool(removed.rowcount)
            if changed:
                add_entry(session, self._database, actor=actor, action="add_mentor" if mentor else "remove_mentor",
                          person_id=person_id)
                # A unit's last mentor removed: the loss (and its alert) commits with the removal.
                await sync_coverage(session, self._database)
        return changed

    async def set_allowance(self, *, actor: str, person_id: int, weekly_minutes: int) -> bool:
        async with self._database.transaction() as session:
            profile = await session.get(MentorProfile, person_id)
            if profile is None:
                return False
            before = profile.weekly_minutes
            profile.weekly_minutes = weekly_minutes
            add_entry(session, self._database, actor=actor, action="set_allowance", person_id=person_id,
                      before=before, after=weekly_minutes)
        return True

    async def find_person(self, text: str) -> tuple[int, str, str | None] | None:
        """(id, name, unit) by e-mail or Entra object id, active people only."""
        key = text.strip().lower()
        async with self._database.transaction() as session:
            row = await session.scalar(select(Person).where(
                Person.active.is_(True), (func.lower(Person.email) == key) | (Person.aad_object_id == key)))
        return (row.id, row.name, row.unit_id) if row else None


def _candidate(person: Person, topics: tuple[str, ...], status: str, away_until: datetime | None, allowance: int,
               reachable: bool, load) -> MentorCandidate:
    minutes, open_count, recent_count, reachable_chat = load
    return MentorCandidate(
        person_id=person.id,
        name=person.name,
        unit_id=person.unit_id,
        languages=tuple(person.languages or ()),
        topics=topics,
        status=status,
        away_until=away_until,
        weekly_allowance=allowance,
        minutes_this_week=int(minutes),
        reachable=reachable,
        has_conversation=bool(reachable_chat),
        open_requests=int(open_count),
        recent_requests=int(recent_count),
        aad_object_id=person.aad_object_id,
    )
