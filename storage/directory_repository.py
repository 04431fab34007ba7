"""Looking people up in the imported directory (and, with Graph, placing newcomers)."""

from __future__ import annotations

import time

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.domain.department_mapping import rules_from, unit_for
from bot.domain.people import Member, stranger
from bot.domain.stats import subtree
from storage.db import Database
from storage.models import CoordinatorScope, Organization, Person, PersonRole, utcnow

CACHE_SECONDS = 30.0


class DirectoryRepository:
    """People by Entra object id. Lookups are cached briefly: every turn needs one, while the
    directory changes only with an import (which any replica sees within CACHE_SECONDS)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._cache: dict[str, tuple[float, Member | None]] = {}
        # Set when Microsoft Graph is configured: people not in the directory are then placed
        # in a unit by their Graph department, through the organisation file's rules.
        self.graph = None

    async def member(self, aad_object_id: str, display_name: str = "") -> Member:
        key = (aad_object_id or "").lower()
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1] or stranger(key, display_name)
        member = await self._lookup(key)
        if member is None and self.graph is not None and key:
            member = await self._place_from_graph(key, display_name)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (time.monotonic(), member)
        return member or stranger(key, display_name)

    async def _place_from_graph(self, key: str, display_name: str) -> Member | None:
        profile = await self.graph.user_profile(key)
        if profile is None:
            return None
        async with self._database.transaction() as session:
            organization = await session.get(Organization, 1)
        if organization is None:
            return None
        unit = unit_for(rules_from(organization.department_rules or []), profile.department,
                        profile.office_location)
        if unit is None:
            return None
        insert = pg_insert if self._database.dialect == "postgresql" else sqlite_insert
        async with self._database.transaction() as session:
            await session.execute(insert(Person).values(
                aad_object_id=key, name=(profile.display_name or display_name or "")[:200], email=profile.mail,
                unit_id=unit, languages=[organization.default_language], active=True, source="graph",
                updated_at=utcnow()).on_conflict_do_nothing(index_elements=["aad_object_id"]))
            person_id = await session.scalar(select(Person.id).where(Person.aad_object_id == key))
            await session.execute(insert(PersonRole).values(person_id=person_id, role="employee")
                                  .on_conflict_do_nothing())
        return await self._lookup(key)

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

    async def visible_units(self, member: Member, parents: dict[str, str | None]) -> set[str] | None:
        """The units a coordinator may see (their subtrees); None for an admin: everything."""
        if "admin" in member.roles:
            return None
        async with self._database.transaction() as session:
            roots = set((await session.scalars(
                select(CoordinatorScope.unit_id).where(CoordinatorScope.person_id == member.person_id))).all())
        return subtree(roots, parents)

    async def count_people(self) -> int:
        async with self._database.transaction() as session:
            return await session.scalar(select(func.count()).select_from(Person))
