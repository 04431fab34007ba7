"""Who gets the weekly digest, and the claim that sends it once per person and week."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import DigestSent, Person, PersonRole


class DigestRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def recipients(self) -> list[tuple[str, str]]:
        """(aad id, kind) of active coordinators and admins, then mentors; one kind per person."""
        async with self._database.transaction() as session:
            rows = (await session.execute(
                select(Person.aad_object_id, PersonRole.role).join(PersonRole, PersonRole.person_id == Person.id)
                .where(Person.active.is_(True), PersonRole.role.in_(["coordinator", "admin", "mentor"]))
                .order_by(Person.id)
            )).all()
        kinds: dict[str, str] = {}
        for aad, role in rows:
            kind = "mentor" if role == "mentor" else "coordinator"
            if kinds.get(aad) != "coordinator":
                kinds[aad] = kind
        return list(kinds.items())

    async def claim(self, person_id: int, week: str, kind: str) -> bool:
        try:
            async with self._database.transaction() as session:
                session.add(DigestSent(person_id=person_id, week=week, kind=kind, sent_at=self._database.now()))
        except IntegrityError:
            return False
        return True

    async def release(self, person_id: int, week: str) -> None:
        async with self._database.transaction() as session:
            await session.execute(delete(DigestSent).where(DigestSent.person_id == person_id,
                                                           DigestSent.week == week))
