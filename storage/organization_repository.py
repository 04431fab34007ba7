"""Writes a validated organisation file into the directory tables, in one transaction.

Re-importing the same file changes nothing; a changed file updates in place. People and units
missing from the file are deactivated rather than deleted, because their history stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select

from bot.domain.department_mapping import rules_to_dicts
from bot.domain.org_file import OrganizationFile, units_in_parent_order
from storage.db import Database
from storage.models import (
    CoordinatorScope,
    MentorProfile,
    Organization,
    Person,
    PersonRole,
    Unit,
    utcnow,
)


@dataclass
class ImportSummary:
    created: dict[str, int] = field(default_factory=lambda: {"units": 0, "people": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"units": 0, "people": 0, "organization": 0})
    deactivated: dict[str, int] = field(default_factory=lambda: {"units": 0, "people": 0})

    @property
    def changed(self) -> bool:
        return any(v for d in (self.created, self.updated, self.deactivated) for v in d.values())


async def import_organization(database: Database, plan: OrganizationFile) -> ImportSummary:
    summary = ImportSummary()
    async with database.transaction() as session:
        await _apply_settings(session, plan, summary)
        await _apply_units(session, plan, summary)
        await _apply_people(session, plan, summary)
    return summary


async def _apply_settings(session, plan: OrganizationFile, summary: ImportSummary) -> None:
    settings = plan.organization
    wanted = {
        "name": settings.name,
        "default_language": settings.default_language,
        "mentor_weekly_minutes": settings.mentor_weekly_minutes,
        "offer_timeout_minutes": float(settings.offer_timeout_minutes),
        "working_hours_start": settings.working_hours_start,
        "working_hours_end": settings.working_hours_end,
        "department_rules": rules_to_dicts([rule.to_rule() for rule in plan.graph.department_rules]),
    }
    row = await session.get(Organization, 1)
    if row is None:
        session.add(Organization(id=1, updated_at=utcnow(), **wanted))
        summary.updated["organization"] += 1
        return
    if any(getattr(row, key) != value for key, value in wanted.items()):
        for key, value in wanted.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        summary.updated["organization"] += 1


async def _apply_units(session, plan: OrganizationFile, summary: ImportSummary) -> None:
    existing = {unit.id: unit for unit in (await session.scalars(select(Unit))).all()}
    in_file = {unit.id for unit in plan.units}
    for spec in units_in_parent_order(plan.units):
        names = dict(spec.name)
        row = existing.get(spec.id)
        if row is None:
            session.add(Unit(id=spec.id, parent_id=spec.parent, names=names, active=True))
            summary.created["units"] += 1
        elif (row.parent_id, row.names, row.active) != (spec.parent, names, True):
            row.parent_id, row.names, row.active = spec.parent, names, True
            summary.updated["units"] += 1
        await session.flush()
    for unit_id, row in existing.items():
        if unit_id not in in_file and row.active:
            row.active = False
            summary.deactivated["units"] += 1


async def _apply_people(session, plan: OrganizationFile, summary: ImportSummary) -> None:
    people = {p.aad_object_id: p for p in (await session.scalars(select(Person))).all()}
    roles: dict[int, set[str]] = {}
    for row in (await session.scalars(select(PersonRole))).all():
        roles.setdefault(row.person_id, set()).add(row.role)
    scopes: dict[int, set[str]] = {}
    for row in (await session.scalars(select(CoordinatorScope))).all():
        scopes.setdefault(row.person_id, set()).add(row.unit_id)
    profiles = {p.person_id: p for p in (await session.scalars(select(MentorProfile))).all()}

    in_file: set[str] = set()
    for spec in plan.people:
        in_file.add(spec.aad_object_id)
        person = people.get(spec.aad_object_id)
        wanted = {
            "name": spec.name,
            "email": spec.email,
            "unit_id": spec.unit,
            "languages": list(spec.languages),
            "active": True,
            "source": "import",
        }
        changed = False
        is_new = person is None
        if person is None:
            person = Person(aad_object_id=spec.aad_object_id, updated_at=utcnow(), **wanted)
            session.add(person)
            await session.flush()
            summary.created["people"] += 1
        elif any(getattr(person, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(person, key, value)
            changed = True

        changed |= await _replace_set(
            session, PersonRole, "role", person.id, roles.get(person.id, set()), set(spec.roles)
        )
        changed |= await _replace_set(
            session, CoordinatorScope, "unit_id", person.id, scopes.get(person.id, set()), set(spec.coordinator_of)
        )
        if spec.mentor is not None or "mentor" in spec.roles:
            mentor = spec.mentor
            topics = list(mentor.topics) if mentor else []
            weekly = mentor.weekly_minutes if mentor else None
            profile = profiles.get(person.id)
            if profile is None:
                session.add(MentorProfile(person_id=person.id, topics=topics, weekly_minutes=weekly))
                changed = True
            elif (profile.topics, profile.weekly_minutes) != (topics, weekly):
                profile.topics, profile.weekly_minutes = topics, weekly
                changed = True
        if changed and not is_new:
            person.updated_at = utcnow()
            summary.updated["people"] += 1

    for aad_object_id, person in people.items():
        # People placed through Graph are not in the file by design; an import leaves them be.
        if aad_object_id not in in_file and person.active and person.source != "graph":
            person.active = False
            person.updated_at = utcnow()
            summary.deactivated["people"] += 1


async def _replace_set(session, model, column: str, person_id: int, current: set[str], wanted: set[str]) -> bool:
    if current == wanted:
        return False
    stale = current - wanted
    if stale:
        await session.execute(
            delete(model).where(model.person_id == person_id, getattr(model, column).in_(stale))
        )
    for value in sorted(wanted - current):
        session.add(model(person_id=person_id, **{column: value}))
    return True
