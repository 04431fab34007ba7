"""Placing a person in a unit from what Microsoft Graph says about them.

Graph gives every user a free-text `department` (and `officeLocation`), written by whoever keeps
the tenant's HR feed: "Osasto 3", "OSASTO 3 ", "Kotihoito Pohjoinen". The organisation file lists
rules that turn those texts into the unit ids of the directory; the first rule that matches wins.
Plain Python, no I/O: the Graph call and the database live elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_SPACES = re.compile(r"\s+")


def normalise(text: str | None) -> str:
    """Case- and spacing-insensitive form of a directory text ("  OSASTO  3" -> "osasto 3")."""
    return _SPACES.sub(" ", text or "").strip().casefold()


@dataclass(frozen=True)
class DepartmentRule:
    """One mapping rule; every condition it gives must hold.

    - `department`: the department equals this text, ignoring case and extra spaces;
    - `department_pattern`: a regular expression searched in the department, ignoring case
      (anchor it with `^` for a prefix rule: "^Kotihoito");
    - `office_location`: the office location equals this text, ignoring case and extra spaces.

    `department` and `department_pattern` exclude each other; a rule needs at least one condition.
    """

    unit: str
    department: str | None = None
    department_pattern: str | None = None
    office_location: str | None = None
    _compiled: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.unit:
            raise ValueError("a department rule needs a unit")
        if self.department is not None and self.department_pattern is not None:
            raise ValueError("give department or department_pattern, not both")
        if not any(v is not None and str(v).strip() for v in
                   (self.department, self.department_pattern, self.office_location)):
            raise ValueError("a department rule needs department, department_pattern or office_location")
        if self.department_pattern is not None:
            try:
                compiled = re.compile(self.department_pattern, re.IGNORECASE)
            except re.error as error:
                raise ValueError(f"department_pattern is not a valid regular expression: {error}") from None
            object.__setattr__(self, "_compiled", compiled)

    def matches(self, department: str | None, office_location: str | None) -> bool:
        if self.department is not None and normalise(department) != normalise(self.department):
            return False
        # Patterns see the text with its outer spaces trimmed but its case as written.
        if self._compiled is not None and (not department or not self._compiled.search(department.strip())):
            return False
        return self.office_location is None or normalise(office_location) == normalise(self.office_location)


def unit_for(rules: Iterable[DepartmentRule], department: str | None,
             office_location: str | None = None) -> str | None:
    """The unit of the first rule that matches, or None when none does (or nothing is known)."""
    if not normalise(department) and not normalise(office_location):
        return None
    for rule in rules:
        if rule.matches(department, office_location):
            return rule.unit
    return None


def rules_from(items: Iterable[Mapping[str, object]]) -> tuple[DepartmentRule, ...]:
    """Rules from plain mappings (the organisation file, or a JSON column); ValueError if bad."""
    allowed = {"unit", "department", "department_pattern", "office_location"}
    rules = []
    for index, item in enumerate(items):
        unknown = set(item) - allowed
        if unknown:
            raise ValueError(f"department rule {index}: unknown field(s) {', '.join(sorted(unknown))}")
        text = {key: None if item.get(key) is None else str(item.get(key)) for key in allowed}
        try:
            rules.append(DepartmentRule(unit=text["unit"] or "", department=text["department"],
                                        department_pattern=text["department_pattern"],
                                        office_location=text["office_location"]))
        except ValueError as error:
            raise ValueError(f"department rule {index}: {error}") from None
    return tuple(rules)


def rules_to_dicts(rules: Iterable[DepartmentRule]) -> list[dict[str, str]]:
    """The inverse of `rules_from`, for storing rules as JSON."""
    return [
        {key: value for key, value in (("unit", r.unit), ("department", r.department),
                                       ("department_pattern", r.department_pattern),
                                       ("office_location", r.office_location)) if value is not None}
        for r in rules
    ]
