"""The directory: the organisation's settings, its units and its people."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select

from storage.audit_repository import GRAPH_ACTOR, add_entry
from storage.db import Database
from storage.models import CoordinatorScope, OpenHelper, Organization, Person, PersonRole, Unit


@dataclass(frozen=True)
class OrganizationSettings:
    """As stored from the organisation file; the defaults serve before the first import."""

    default_language: str = "fi"
    mentor_weekly_minutes: int = 120
    offer_timeout: timedelta = timedelta(minutes=10)
    working_hours_start: str = "08:00"
    working_hours_end: str = "16:00"
    department_rules: tuple[dict, ...] = ()
    mentor_model: str = "named"  # named | open | both
    helper_weekly_minutes: int = 60
    # {name, phone, url, hours}; name and hours are {language: text}. None: no helpdesk given.
    helpdesk: dict | None = None
    coverage_goal: int = 100  # percent of units with a named digimentor
    minutes_per_faq_answer: float = 5.0
    minutes_per_helpdesk_contact: float = 15.0

    @property
    def open_helpers(self) -> bool:
        """Whether anyone may offer help on topics (the open and both models)."""
        return self.mentor_model in ("open", "both")


@dataclass(frozen=True)
class DirectoryEntry:
    person_id: int
    aad_object_id: str
    name: str
    unit_id: str | None
    languages: tuple[str, ...]
    roles: frozenset[str]


@dataclass(frozen=True)
class PersonSummary:
    aad_object_id: str
    name: str
    unit_id: str | None
    email: str | None = None
    languages: tuple[str, ...] = ()


class DirectoryRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def settings(self) -> OrganizationSettings:
        async with self._database.transaction() as session:
            row = await session.get(Organization, 1)
        if row is None:
            return OrganizationSettings()
        return OrganizationSettings(
            default_language=row.default_language,
            mentor_weekly_minutes=row.mentor_weekly_minutes,
            offer_timeout=timedelta(minutes=row.offer_timeout_minutes),
            working_hours_start=row.working_hours_start,
            working_hours_end=row.working_hours_end,
            department_rules=tuple(row.department_rules or ()),
            mentor_model=row.mentor_model,
            helpdesk=row.helpdesk or None,
            coverage_goal=row.coverage_goal,
            minutes_per_faq_answer=row.minutes_per_faq_answer,
            minutes_per_helpdesk_contact=row.minutes_per_helpdesk_contact,
            helper_weekly_minutes=row.helper_weekly_minutes,
        )

    async def unit_parents(self) -> dict[str, str | None]:
        """Every active unit and its parent: the unit tree."""
        async with self._database.transaction() as session:
            rows = (await session.execute(select(Unit.id, Unit.parent_id).where(Unit.active.is_(True)))).all()
        return {row.id: row.parent_id for row in rows}

    async def unit_names(self) -> dict[str, dict[str, str]]:
        async with self._database.transaction() as session:
            rows = (await session.execute(select(Unit.id, Unit.names))).all()
        return {row.id: row.names or {} for row in rows}

    async def entry(self, aad_object_id: str) -> DirectoryEntry | None:
        """An active person by Entra object id (lower case)."""
        async with self._database.transaction() as session:
            person = await session.scalar(select(Person).where(Person.aad_object_id == aad_object_id,
                                                               Person.active.is_(True)))
            if person is None:
                return None
            roles = set((await session.scalars(select(PersonRole.role)
                                               .where(PersonRole.person_id == person.id))).all())
            # "helper" is no role in the file: it is someone's own offer of help, while it lasts.
            helper = await session.scalar(select(OpenHelper.state).where(OpenHelper.person_id == person.id))
            if helper == "active":
                roles.add("helper")
        return DirectoryEntry(person.id, aad_object_id, person.name, person.unit_id,
                              tuple(person.languages or ()), frozenset(roles))

    async def person(self, person_id: int) -> PersonSummary | None:
        async with self._database.transaction() as session:
            row = await session.get(Person, person_id)
        return PersonSummary(row.aad_object_id, row.name, row.unit_id, row.email, tuple(row.languages or ())) \
            if row else None

    async def find(self, text: str) -> tuple[int, PersonSummary] | None:
        """An active person by e-mail (any case) or Entra object id."""
        key = text.strip().lower()
        if not key:
            return None
        async with self._database.transaction() as session:
            row = await session.scalar(select(Person).where(
                Person.active.is_(True), (func.lower(Person.email) == key) | (Person.aad_object_id == key))
                .order_by(Person.id).limit(1))
        return (row.id, PersonSummary(row.aad_object_id, row.name, row.unit_id, row.email,
                                      tuple(row.languages or ()))) if row else None

    async def people_with_role(self, role: str, unit_id: str) -> list[tuple[int, str]]:
        """(person id, aad id) of the unit's active people with the role (a team's supervisors)."""
        async with self._database.transaction() as session:
            return [tuple(row) for row in (await session.execute(
                select(Person.id, Person.aad_object_id).join(PersonRole, PersonRole.person_id == Person.id)
                .where(PersonRole.role == role, Person.unit_id == unit_id, Person.active.is_(True))
                .order_by(Person.id))).all()]

    async def add_graph_person(self, *, aad_object_id: str, name: str, email: str | None, unit_id: str,
                               language: str) -> None:
        """Someone Microsoft Graph placed in a unit; two turns placing them at once add one row
        (and one audit entry)."""
        async with self._database.transaction() as session:
            await session.execute(self._database.insert(Person).values(
                aad_object_id=aad_object_id, name=name[:200], email=email, unit_id=unit_id, languages=[language],
                active=True, source="graph", updated_at=self._database.now(),
            ).on_conflict_do_nothing(index_elements=["aad_object_id"]))
            person_id = await session.scalar(select(Person.id).where(Person.aad_object_id == aad_object_id))
            added = await session.execute(self._database.insert(PersonRole).values(person_id=person_id,
                                                                                   role="employee")
                                          .on_conflict_do_nothing())
            if added.rowcount:
                add_entry(session, self._database, actor=GRAPH_ACTOR, action="person_added", person_id=person_id,
                          roles_added=["employee"])

    async def person_by_email(self, email: str) -> PersonSummary | None:
        """An active person by e-mail address, whatever its case; the first if several share it."""
        async with self._database.transaction() as session:
            row = (await session.execute(
                select(Person.aad_object_id, Person.name, Person.unit_id)
                .where(Person.active.is_(True), func.lower(Person.email) == email.strip().lower())
                .order_by(Person.id).limit(1))).first()
        return PersonSummary(*row) if row else None

    async def named_like(self, first_word: str, limit: int = 50) -> list[PersonSummary]:
        """Active people whose name starts with the word, whatever its case (SQLite folds only
        ASCII, so the word's own and capitalised spellings are tried too)."""
        word = first_word.strip()
        if not word:
            return []
        spellings = {word, word.capitalize(), word.lower()}
        query = (select(Person.aad_object_id, Person.name, Person.unit_id)
                 .where(Person.active.is_(True),
                        or_(*(Person.name.like(f"{s}%") for s in spellings),
                            func.lower(Person.name).like(f"{word.lower()}%")))
                 .order_by(Person.name).limit(limit))
        async with self._database.transaction() as session:
            rows = (await session.execute(query)).all()
        return [PersonSummary(*row) for row in rows]

    async def coordinators_of(self, unit_ids: Collection[str]) -> list[tuple[int, str]]:
        """(person id, aad id) of the active coordinators whose coordinator_of names one of the
        units (a unit and its ancestors: those who coordinate it)."""
        async with self._database.transaction() as session:
            return [tuple(row) for row in (await session.execute(
                select(Person.id, Person.aad_object_id).join(CoordinatorScope, CoordinatorScope.person_id == Person.id)
                .where(CoordinatorScope.unit_id.in_(sorted(unit_ids)), Person.active.is_(True))
                .distinct().order_by(Person.id))).all()]

    async def coordinated_units(self, person_id: int | None) -> set[str]:
        """The units named in the person's coordinator_of (not their subtrees)."""
        async with self._database.transaction() as session:
            return set((await session.scalars(
                select(CoordinatorScope.unit_id).where(CoordinatorScope.person_id == person_id))).all())

    async def count_people(self) -> int:
        async with self._database.transaction() as session:
            return await session.scalar(select(func.count()).select_from(Person))
