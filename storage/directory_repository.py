"""Looking people up in the imported directory."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.domain.people import Member, stranger
from storage.db import Database
from storage.models import Person, PersonRole


class DirectoryRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def member(self, aad_object_id: str, display_name: str = "") -> Member:
        key = (aad_object_id or "").lower()
        async with self._database.transaction() as session:
            person = await session.scalar(select(Person).where(Person.aad_object_id == key, Person.active.is_(True)))
            if person is None:
                return stranger(key, display_name)
            roles = (await session.scalars(select(PersonRole.role).where(PersonRole.person_id == person.id))).all()
        return Member(
            aad_object_id=key,
            name=person.name,
            person_id=person.id,
            unit_id=person.unit_id,
            languages=tuple(person.languages or ()),
            roles=frozenset(roles) or frozenset({"employee"}),
        )

    async def count_people(self) -> int:
        async with self._database.transaction() as session:
            return await session.scalar(select(func.count()).select_from(Person))
