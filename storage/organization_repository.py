"""Writes a validated organisation plan into the directory tables, in one transaction.

Re-importing the same plan changes nothing; a changed plan updates in place. People and units
missing from the plan are deactivated rather than deleted, because their history stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select

from storage.audit_repository import CLI_ACTOR, add_entry
from storage.coverage_repository import sync_coverage
from storage.db import Database
from storage.models import (
    CoordinatorScope,
    MentorProfile,
    Organization,
    Person,
    PersonRole,
    Unit,
)


@dataclass(frozen=True)
class UnitPlan:
    id: str
    parent: str | None
    names: dict[str, str]


@dataclass(frozen=True)
class MentorPlan:
    topics: tuple[str, ...] = ()
    weekly_minutes: int | None = None


@dataclass(frozen=True)
class PersonPlan:
    aad_object_id: str
    name: str
    email: str | None
    unit: str | None
    languages: tuple[str, ...]
    roles: tuple[str, ...]
    mentor: MentorPlan | None = None
    coordinator_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrganizationPlan:
    """What an organisation file says, already validated as a whole."""

    name: str
    default_language: str
    mentor_weekly_minutes: int
    offer_timeout_minutes: float
    working_hours_start: str
    working_hours_end: str
    department_rules: list[dict[str, str]]
    units: list[UnitPlan]
    people: list[PersonPlan]
    mentor_model: str = "named"
    helpdesk: dict | None = None
    coverage_goal: int = 100
    minutes_per_faq_answer: float = 5.0
    minutes_per_helpdesk_contact: float = 15.0
    helper_weekly_minutes: int = 60


@dataclass
class ImportSummary:
    created: dict[str, int] = field(default_factory=lambda: {"units": 0, "people": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"units": 0, "people": 0, "organization": 0})
    deactivated: dict[str, int] = field(default_factory=lambda: {"units": 0, "people": 0})
    # Units left without an active digimentor by this import: their coordinators are alerted.
    lost_mentor: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return any(v for d in (self.created, self.updated, self.deactivated) for v in d.values())


async def import_organization(database: Database, plan: OrganizationPlan, *, actor: str = CLI_ACTOR) -> ImportSummary:
    """Every role given or taken and everyone deactivated is audited, in the same transaction."""
    summary = ImportSummary()
    now = database.now()
    async with database.transaction() as session:
        def audit(action: str, person_id: int | None = None, **data: object) -> None:
            add_entry(session, database, actor=actor, action=action, person_id=person_id, **data)

        await _apply_settings(session, plan, summary, now)
        await _apply_units(session, plan, summary)
        await _apply_people(session, plan, summary, now, audit)
        await session.flush()
        summary.lost_mentor = tuple(sorted((await sync_coverage(session, database))[1]))
        if summary.changed:
            audit("import_org", created=summary.created, updated=summary.updated, deactivated=summary.deactivated)
    return summary


async def _apply_settings(session, plan: OrganizationPlan, summary: ImportSummary, now: datetime) -> None:
    wanted = {
        "name": plan.name,
        "default_language": plan.default_language,
        "mentor_weekly_minutes": plan.mentor_weekly_minutes,
        "offer_timeout_minutes": float(plan.offer_timeout_minutes),
        "working_hours_start": plan.working_hours_start,
        "working_hours_end": plan.working_hours_end,
        "department_rules": plan.department_rules,
        "mentor_model": plan.mentor_model,
        "helpdesk": plan.helpdesk,
        "coverage_goal": plan.coverage_goal,
        "minutes_per_faq_answer": float(plan.minutes_per_faq_answer),
        "minutes_per_helpdesk_contact": float(plan.minutes_per_helpdesk_contact),
        "helper_weekly_minutes": plan.helper_weekly_minutes,
    }
    row = await session.get(Organization, 1)
    if row is None:
        session.add(Organization(id=1, updated_at=now, **wanted))
        summary.updated["organization"] += 1
        return
    if any(getattr(row, key) != value for key, value in wanted.items()):
        for key, value in wanted.items():
            setattr(row, key, value)
        row.updated_at = now
        summary.updated["organization"] += 1


def _parents_first(units: list[UnitPlan]) -> list[UnitPlan]:
    """Parents before children, so that the foreign key holds at every insert."""
    by_id = {unit.id: unit for unit in units}
    ordered: list[UnitPlan] = []
    placed: set[str] = set()

    def place(unit: UnitPlan) -> None:
        if unit.id in placed:
            return
        if unit.parent is not None and unit.parent in by_id:
            place(by_id[unit.parent])
        placed.add(unit.id)
        ordered.append(unit)

    for unit in units:
        place(unit)
    return ordered


async def _apply_units(session, plan: OrganizationPlan, summary: ImportSummary) -> None:
    existing = {unit.id: unit for unit in (await session.scalars(select(Unit))).all()}
    in_plan = {unit.id for unit in plan.units}
    for spec in _parents_first(plan.units):
        names = dict(spec.names)
        row = existing.get(spec.id)
        if row is None:
            session.add(Unit(id=spec.id, parent_id=spec.parent, names=names, active=True))
            summary.created["units"] += 1
        elif (row.parent_id, row.names, row.active) != (spec.parent, names, True):
            row.parent_id, row.names, row.active = spec.parent, names, True
            summary.updated["units"] += 1
        await session.flush()
    for unit_id, row in existing.items():
        if unit_id not in in_plan and row.active:
            row.active = False
            summary.deactivated["units"] += 1


async def _apply_people(session, plan: OrganizationPlan, summary: ImportSummary, now: datetime, audit) -> None:
    people = {p.aad_object_id: p for p in (await session.scalars(select(Person))).all()}
    roles: dict[int, set[str]] = {}
    for row in (await session.scalars(select(PersonRole))).all():
        roles.setdefault(row.person_id, set()).add(row.role)
    scopes: dict[int, set[str]] = {}
    for row in (await session.scalars(select(CoordinatorScope))).all():
        scopes.setdefault(row.person_id, set()).add(row.unit_id)
    profiles = {p.person_id: p for p in (await session.scalars(select(MentorProfile))).all()}

    in_plan: set[str] = set()
    for spec in plan.people:
        in_plan.add(spec.aad_object_id)
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
        reactivated = person is not None and not person.active
        if person is None:
            person = Person(aad_object_id=spec.aad_object_id, updated_at=now, **wanted)
            session.add(person)
            await session.flush()
            summary.created["people"] += 1
        elif any(getattr(person, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(person, key, value)
            changed = True

        roles_added, roles_removed = await _replace_set(
            session, PersonRole, "role", person.id, roles.get(person.id, set()), set(spec.roles)
        )
        scopes_added, scopes_removed = await _replace_set(
            session, CoordinatorScope, "unit_id", person.id, scopes.get(person.id, set()), set(spec.coordinator_of)
        )
        changes = {key: value for key, value in (("roles_added", roles_added), ("roles_removed", roles_removed),
                                                  ("scopes_added", scopes_added), ("scopes_removed", scopes_removed))
                   if value}
        changed |= bool(changes)
        if is_new:
            audit("person_added", person.id, **changes)
        elif reactivated:
            audit("person_reactivated", person.id, **changes)
        elif changes:
            audit("roles_changed", person.id, **changes)
        if spec.mentor is not None or "mentor" in spec.roles:
            mentor = spec.mentor or MentorPlan()
            topics = list(mentor.topics)
            profile = profiles.get(person.id)
            if profile is None:
                session.add(MentorProfile(person_id=person.id, topics=topics, weekly_minutes=mentor.weekly_minutes))
                changed = True
            elif (profile.topics, profile.weekly_minutes) != (topics, mentor.weekly_minutes):
                if profile.weekly_minutes != mentor.weekly_minutes:
                    audit("set_allowance", person.id, before=profile.weekly_minutes, after=mentor.weekly_minutes)
                profile.topics, profile.weekly_minutes = topics, mentor.weekly_minutes
                changed = True
        if changed and not is_new:
            person.updated_at = now
            summary.updated["people"] += 1

    for aad_object_id, person in people.items():
        # People placed through Graph are not in the file by design; an import leaves them be.
        # Erased people keep no object id to be matched by (storage.person_erasure).
        if aad_object_id not in in_plan and person.active and person.source != "graph":
            person.active = False
            person.updated_at = now
            summary.deactivated["people"] += 1
            audit("person_deactivated", person.id, roles=sorted(roles.get(person.id, set())))


async def _replace_set(session, model, column: str, person_id: int, current: set[str],
                       wanted: set[str]) -> tuple[list[str], list[str]]:
    """(added, removed), sorted."""
    stale = current - wanted
    if stale:
        await session.execute(
            delete(model).where(model.person_id == person_id, getattr(model, column).in_(stale))
        )
    added = sorted(wanted - current)
    for value in added:
        session.add(model(person_id=person_id, **{column: value}))
    return added, sorted(stale)
