"""The organisation file (docs/design.md, "Organisation file"): its schema and whole-file checks.

`parse_organization_file` either returns a complete, consistent plan (what storage writes) or raises FileInvalid
listing every problem with its line and field; nothing partial ever leaves this module.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cards.i18n import LANGUAGES
from dialogs.rules.department_mapping import DepartmentRule, rules_to_dicts
from dialogs.rules.limits import MAX_WEEKLY_MINUTES
from dialogs.rules.topics import check_topic
from dialogs.rules.yaml_files import (
    FileError,
    FileInvalid,
    LocatedDocument,
    load_located,
    validate_model,
)
from storage.directory_repository import OrganizationSettings
from storage.organization_repository import MentorPlan, OrganizationPlan, PersonPlan, UnitPlan

Language = Literal[LANGUAGES]
# helpdesk: an IT helpdesk agent, who may hand a question to the digimentors for an employee.
Role = Literal["employee", "mentor", "coordinator", "admin", "supervisor", "helpdesk"]
MentorModel = Literal["named", "open", "both"]
SLUG = r"^[a-z0-9][a-z0-9._-]{0,99}$"
AAD_OBJECT_ID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{3,28}[0-9]$")
HTTPS_URL = re.compile(r"^https://\S+$")
HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


_DEFAULTS = OrganizationSettings()


class HelpdeskSpec(_Strict):
    """How to reach the IT helpdesk: what a fault question's card tells the asker. `name` and
    `hours` are one text, or one per language ({fi: ..., sv: ..., en: ...})."""

    name: str | dict[Language, str] = Field(min_length=1)
    phone: str | None = None
    url: str | None = Field(default=None, max_length=2000)
    hours: str | dict[Language, str] | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not PHONE.match(value):
            raise ValueError("expected a phone number, such as +358 9 123 4567")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not HTTPS_URL.match(value):
            raise ValueError("expected an https:// address")
        return value

    @field_validator("name", "hours")
    @classmethod
    def _text(cls, value: str | dict | None) -> str | dict | None:
        for text in ([value] if isinstance(value, str) else (value or {}).values()):
            if not 1 <= len(text.strip()) <= 200:
                raise ValueError("expected a text of 1 to 200 characters")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> "HelpdeskSpec":
        if self.phone is None and self.url is None:
            raise ValueError("give a phone number or a url (https), so that people can reach the helpdesk")
        return self

    def stored(self) -> dict:
        """{language: text} for name and hours: one text serves every language."""
        def per_language(value: str | dict | None) -> dict | None:
            if value is None:
                return None
            return dict(value) if isinstance(value, dict) else {language: value for language in LANGUAGES}

        return {"name": per_language(self.name), "phone": self.phone, "url": self.url,
                "hours": per_language(self.hours)}


class ImpactSpec(_Strict):
    """The impact report's assumptions, printed on its card."""

    minutes_per_faq_answer: float = Field(default=_DEFAULTS.minutes_per_faq_answer, ge=0, le=480)
    minutes_per_helpdesk_contact: float = Field(default=_DEFAULTS.minutes_per_helpdesk_contact, ge=0, le=480)


class OrganizationSpec(_Strict):
    name: str = Field(min_length=1, max_length=200)
    default_language: Language = _DEFAULTS.default_language
    mentor_weekly_minutes: int = Field(default=_DEFAULTS.mentor_weekly_minutes, ge=0, le=MAX_WEEKLY_MINUTES)
    offer_timeout_minutes: float = Field(default=_DEFAULTS.offer_timeout.total_seconds() / 60, gt=0, le=1440)
    working_hours: str = f"{_DEFAULTS.working_hours_start}-{_DEFAULTS.working_hours_end}"
    # named: the file's digimentors only; open / both: anyone may also offer help on topics.
    mentor_model: MentorModel = _DEFAULTS.mentor_model
    # Extension: the weekly allowance of those open helpers.
    helper_weekly_minutes: int = Field(default=_DEFAULTS.helper_weekly_minutes, ge=0, le=MAX_WEEKLY_MINUTES)
    helpdesk: HelpdeskSpec | None = None
    coverage_goal: int = Field(default=_DEFAULTS.coverage_goal, ge=0, le=100)
    impact: ImpactSpec = Field(default_factory=ImpactSpec)

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        match = HOURS.match(value)
        if not match or value[:5] >= value[6:]:
            raise ValueError("expected HH:MM-HH:MM with the start before the end, e.g. 08:00-16:00")
        return value

    @property
    def working_hours_start(self) -> str:
        return self.working_hours[:5]

    @property
    def working_hours_end(self) -> str:
        return self.working_hours[6:]


class UnitSpec(_Strict):
    id: str = Field(pattern=SLUG)
    parent: str | None = None
    name: dict[Language, str] = Field(min_length=1)


class MentorSpec(_Strict):
    topics: list[str] = Field(default_factory=list)
    weekly_minutes: int | None = Field(default=None, ge=0, le=MAX_WEEKLY_MINUTES)

    @field_validator("topics")
    @classmethod
    def _topics(cls, topics: list[str]) -> list[str]:
        for topic in topics:
            check_topic(topic)
        return sorted(set(topics), key=topics.index)


class PersonSpec(_Strict):
    aad_object_id: str = Field(pattern=AAD_OBJECT_ID)
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    unit: str | None = None
    languages: list[Language] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=lambda: ["employee"], min_length=1)
    mentor: MentorSpec | None = None
    coordinator_of: list[str] = Field(default_factory=list)

    @field_validator("aad_object_id")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    @model_validator(mode="after")
    def _unique_lists(self) -> "PersonSpec":
        self.roles = sorted(set(self.roles), key=self.roles.index)
        self.languages = sorted(set(self.languages), key=self.languages.index)
        return self


class DepartmentRuleSpec(_Strict):
    """Places people Microsoft Graph knows but the file does not, by their department."""

    unit: str = Field(pattern=SLUG)
    department: str | None = Field(default=None, min_length=1, max_length=200)
    department_pattern: str | None = Field(default=None, min_length=1, max_length=500)
    office_location: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _valid(self) -> "DepartmentRuleSpec":
        self.to_rule()  # refuses both/neither condition and a bad pattern
        return self

    def to_rule(self) -> DepartmentRule:
        return DepartmentRule(self.unit, self.department, self.department_pattern, self.office_location)


class GraphSpec(_Strict):
    department_rules: list[DepartmentRuleSpec] = Field(default_factory=list)


class OrganizationFile(_Strict):
    organization: OrganizationSpec
    units: list[UnitSpec] = Field(default_factory=list)
    people: list[PersonSpec] = Field(default_factory=list)
    graph: GraphSpec = Field(default_factory=GraphSpec)


def parse_organization_file(text: str, filename: str = "organization.yaml") -> OrganizationPlan:
    document = load_located(text, filename)
    if not isinstance(document.data, dict):
        raise FileInvalid(filename, [FileError(1, "", "expected a mapping with organization, units and people")])
    plan = validate_model(document, OrganizationFile, filename)
    problems = _consistency_problems(plan, document)
    if problems:
        raise FileInvalid(filename, problems)
    for person in plan.people:
        if not person.languages:
            person.languages = [plan.organization.default_language]
    return to_plan(plan)


def _consistency_problems(plan: OrganizationFile, document: LocatedDocument) -> list[FileError]:
    problems: list[FileError] = []
    unit_ids: dict[str, int] = {}
    for index, unit in enumerate(plan.units):
        if unit.id in unit_ids:
            problems.append(document.error(["units", index, "id"], f"duplicate unit id {unit.id!r}"))
        unit_ids.setdefault(unit.id, index)

    parents = {unit.id: unit.parent for unit in plan.units}
    for index, unit in enumerate(plan.units):
        if unit.parent is not None and unit.parent not in unit_ids:
            problems.append(document.error(["units", index, "parent"], f"unknown unit {unit.parent!r}"))
    reported_cycle: set[str] = set()
    for index, unit in enumerate(plan.units):
        cycle = _cycle_from(unit.id, parents)
        if cycle and not reported_cycle.intersection(cycle):
            reported_cycle.update(cycle)
            shown = " -> ".join(cycle + [cycle[0]])
            problems.append(document.error(["units", index, "parent"], f"the unit tree has a cycle: {shown}"))

    for index, rule in enumerate(plan.graph.department_rules):
        if rule.unit not in unit_ids:
            problems.append(document.error(["graph", "department_rules", index, "unit"], f"unknown unit {rule.unit!r}"))

    seen_people: set[str] = set()
    for index, person in enumerate(plan.people):
        where = ["people", index]
        if person.aad_object_id in seen_people:
            problems.append(
                document.error(where + ["aad_object_id"], f"duplicate aad_object_id {person.aad_object_id}")
            )
        seen_people.add(person.aad_object_id)
        if person.unit is not None and person.unit not in unit_ids:
            problems.append(document.error(where + ["unit"], f"unknown unit {person.unit!r}"))
        for scope_index, scope in enumerate(person.coordinator_of):
            if scope not in unit_ids:
                problems.append(document.error(where + ["coordinator_of", scope_index], f"unknown unit {scope!r}"))
        if person.mentor is not None and "mentor" not in person.roles:
            problems.append(document.error(where + ["mentor"], "given, but roles does not include mentor"))
        if person.coordinator_of and "coordinator" not in person.roles:
            problems.append(document.error(where + ["coordinator_of"], "given, but roles does not include coordinator"))
        if "supervisor" in person.roles and person.unit is None:
            # A supervisor sees their own unit's survey results: without a unit there is none.
            problems.append(document.error(where + ["roles"], "a supervisor needs a unit (the unit they lead)"))
        if "coordinator" in person.roles and not person.coordinator_of:
            problems.append(document.error(where + ["roles"],
                                           "a coordinator needs coordinator_of (the units they coordinate)"))
    return problems


def _cycle_from(start: str, parents: dict[str, str | None]) -> list[str]:
    path: list[str] = []
    current: str | None = start
    while current is not None and current in parents:
        if current in path:
            cycle = path[path.index(current):]
            return cycle if start in cycle else []
        path.append(current)
        current = parents[current]
    return []


def to_plan(spec: OrganizationFile) -> OrganizationPlan:
    """What storage writes: the file's content, validated as a whole."""
    settings = spec.organization
    return OrganizationPlan(
        name=settings.name,
        default_language=settings.default_language,
        mentor_weekly_minutes=settings.mentor_weekly_minutes,
        offer_timeout_minutes=settings.offer_timeout_minutes,
        working_hours_start=settings.working_hours_start,
        working_hours_end=settings.working_hours_end,
        department_rules=rules_to_dicts([rule.to_rule() for rule in spec.graph.department_rules]),
        mentor_model=settings.mentor_model,
        helpdesk=settings.helpdesk.stored() if settings.helpdesk else None,
        coverage_goal=settings.coverage_goal,
        minutes_per_faq_answer=settings.impact.minutes_per_faq_answer,
        minutes_per_helpdesk_contact=settings.impact.minutes_per_helpdesk_contact,
        helper_weekly_minutes=settings.helper_weekly_minutes,
        units=[UnitPlan(unit.id, unit.parent, dict(unit.name)) for unit in spec.units],
        people=[
            PersonPlan(
                aad_object_id=person.aad_object_id, name=person.name, email=person.email, unit=person.unit,
                languages=tuple(person.languages), roles=tuple(person.roles),
                mentor=MentorPlan(tuple(person.mentor.topics), person.mentor.weekly_minutes) if person.mentor else None,
                coordinator_of=tuple(person.coordinator_of),
            )
            for person in spec.people
        ],
    )
