"""Open helpers ("anyone who knows helps"): people who offered in chat to help on topics they
know. They are offered questions on those topics through the same offer rows as mentors
(storage/mentor_repository.py `helper_candidates`); this is their own record."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select, update

from storage.audit_repository import add_entry
from storage.db import Database
from storage.models import HelpRequest, OpenHelper, Person, RequestEvent, RequestState


@dataclass(frozen=True)
class HelperRecord:
    person_id: int
    name: str
    unit_id: str | None
    topics: tuple[str, ...]
    since: datetime
    people_helped: int  # since they began to help


class HelperRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def offer(self, person_id: int, topics: Collection[str]) -> tuple[str, ...] | None:
        """Adds the topics to the person's offer of help (starting it, or again after they
        stopped); the topics they now help with. None when a coordinator removed them: that
        lasts, so that a removal means something."""
        now = self._database.now()
        async with self._database.transaction() as session:
            await session.execute(self._database.insert(OpenHelper).values(
                person_id=person_id, topics=[], state="active", since=now, reachable=True)
                .on_conflict_do_nothing())
            # Locked (PostgreSQL), so that a coordinator's removal at the same moment either
            # comes first and is kept, or comes after and ends this offer.
            row = await session.get(OpenHelper, person_id, populate_existing=True, with_for_update=True)
            if row.state == "removed":
                return None
            if row.state != "active":
                row.state, row.since, row.ended_at, row.topics = "active", now, None, []
            row.topics = list(dict.fromkeys([*(row.topics or ()), *topics]))
            row.reachable = True  # offering again means "you can reach me"
            return tuple(row.topics)

    async def withdraw(self, person_id: int | None) -> bool:
        """The person stops helping; False when they were not helping."""
        if person_id is None:
            return False
        async with self._database.transaction() as session:
            result = await session.execute(
                update(OpenHelper).where(OpenHelper.person_id == person_id, OpenHelper.state == "active")
                .values(state="withdrawn", ended_at=self._database.now()))
        return result.rowcount == 1

    async def remove(self, *, person_id: int, by_person_id: int | None, actor: str) -> bool:
        """A coordinator removes a helper (audited); False when they were not helping."""
        async with self._database.transaction() as session:
            result = await session.execute(
                update(OpenHelper).where(OpenHelper.person_id == person_id, OpenHelper.state == "active")
                .values(state="removed", ended_at=self._database.now(), removed_by=by_person_id))
            if result.rowcount != 1:
                return False
            add_entry(session, self._database, actor=actor, action="remove_helper", person_id=person_id)
        return True

    async def active(self, person_id: int | None) -> tuple[str, ...] | None:
        """The topics of an active helper, else None."""
        if person_id is None:
            return None
        async with self._database.transaction() as session:
            row = await session.get(OpenHelper, person_id)
        return tuple(row.topics or ()) if row is not None and row.state == "active" else None

    async def helpers(self, units: Collection[str] | None = None) -> list[HelperRecord]:
        """Active helpers (of `units`), by name, with the people each has helped since starting."""
        helped = _people_helped(OpenHelper.person_id, OpenHelper.since).scalar_subquery()
        query = (select(Person.id, Person.name, Person.unit_id, OpenHelper.topics, OpenHelper.since, helped)
                 .join(OpenHelper, OpenHelper.person_id == Person.id)
                 .where(OpenHelper.state == "active", Person.active.is_(True)).order_by(Person.name, Person.id))
        if units is not None:
            query = query.where(Person.unit_id.in_(sorted(units)))
        async with self._database.transaction() as session:
            rows = (await session.execute(query)).all()
        return [HelperRecord(person_id, name, unit_id, tuple(topics or ()), since, int(count or 0))
                for person_id, name, unit_id, topics, since, count in rows]

    async def people_helped(self, person_id: int, start: datetime, end: datetime) -> int:
        """How many different people the person helped in [start, end): requests they resolved
        then (and that stay resolved), counted once per asker."""
        async with self._database.transaction() as session:
            return int(await session.scalar(_people_helped(person_id, start, end)) or 0)

    async def active_ids(self) -> list[tuple[int, str]]:
        """(person id, aad id) of every active helper, for the weekly thanks."""
        async with self._database.transaction() as session:
            return [tuple(row) for row in (await session.execute(
                select(Person.id, Person.aad_object_id).join(OpenHelper, OpenHelper.person_id == Person.id)
                .where(OpenHelper.state == "active", Person.active.is_(True)).order_by(Person.id))).all()]


def _people_helped(person_id, start, end=None):
    """Different askers of the requests `person_id` resolved from `start` (to `end`) that are
    resolved still: a reopened request is not help given yet."""
    resolved = select(RequestEvent.request_id).where(
        RequestEvent.kind == "resolve", RequestEvent.actor_person_id == person_id, RequestEvent.at >= start)
    if end is not None:
        resolved = resolved.where(RequestEvent.at < end)
    return (select(func.count(distinct(HelpRequest.asker_aad_object_id)))
            .where(HelpRequest.id.in_(resolved), HelpRequest.assigned_mentor_id == person_id,
                   HelpRequest.state == RequestState.RESOLVED.value))
