"""Looking people up in the imported directory."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from bot.domain.people import Member, stranger
from storage.db import Database
from storage.models import CoordinatorScope, Person, PersonRole


CACHE_SECONDS = 30.0


class DirectoryRepository:
    """People by Entra object id. Lookups are cached briefly: every turn needs one, while the
    directory changes only with an import (which any replica sees within CACHE_SECONDS)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._cache: dict[str, tuple[float, Member | None]] = {}

    async def member(self, aad_object_id: str, display_name: str = "") -> Member:
        key = (aad_object_id or "").lower()
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1] or stranger(key, display_name)
        member = await self._lookup(key)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (time.monotonic(), member)
        return member or stranger(key, display_name)

    def forget(self) -> None:
        self._cache.clear()

    async def _lookup(self, key: str) -> Member | None:
        async with self._database.transaction() as session:
            person = await session.scalar(select(Person).where(Person.aad_object_id == key, Person.active.is_(True)))
            if person is None:
                return None
            roles = (await session.scalars(select(PersonRole.role).where(PersonRole.person_id == person.id))).all()
        return Member(
            aad_object_id=key,
            name=person.name,
            person_id=person.id,
            unit_id=person.unit_id,
            languages=tuple(person.languages or ()),
            roles=frozenset(roles) or frozenset({"employee"}),
        )

    async def coordinated_units(self, person_id: int) -> set[str]:
        async with self._database.transaction() as session:
            return set((await session.scalars(
                select(CoordinatorScope.unit_id).where(CoordinatorScope.person_id == person_id))).all())

    async def count_people(self) -> int:
        async with self._database.transaction() as session:
            return await session.scalar(select(func.count()).select_from(Person))
