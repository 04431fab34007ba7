"""Who is writing: the directory's person, placed in a unit through Microsoft Graph when the
directory does not know them yet, and the language to answer them in."""

from __future__ import annotations

import time
from datetime import datetime

from cards.i18n import Texts
from dialogs.ports import Graph
from dialogs.rules.department_mapping import rules_from, unit_for
from dialogs.rules.language import language_of
from dialogs.rules.mentor_choice import WorkingHours
from dialogs.rules.people import Member
from dialogs.rules.units import subtree
from storage.directory_repository import DirectoryRepository, OrganizationSettings

# Every turn needs a lookup, while the directory changes only with an import, which every
# replica then sees within this many seconds. Elapsed time, so the monotonic clock.
CACHE_SECONDS = 30.0
_CACHE_LIMIT = 10_000


class Directory:
    def __init__(self, directory: DirectoryRepository, graph: Graph | None = None) -> None:
        self._directory = directory
        self._graph = graph
        self._cache: dict[str, tuple[float, Member | None]] = {}
        self._settings: tuple[float, OrganizationSettings] | None = None

    async def member(self, aad_object_id: str, display_name: str = "") -> Member:
        key = (aad_object_id or "").lower()
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1] or Member.stranger(key, display_name)
        entry = await self._directory.entry(key)
        member = Member.from_entry(entry) if entry else None
        if member is None and self._graph is not None and key:
            member = await self._place_from_graph(key, display_name)
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = (time.monotonic(), member)
        return member or Member.stranger(key, display_name)

    async def member_and_texts(self, aad_object_id: str, display_name: str, locale: str | None) -> tuple[Member, Texts]:
        member = await self.member(aad_object_id, display_name)
        return member, Texts(member.preferred_language(language_of(locale, fallback="")))

    def forget(self) -> None:
        """After a change in chat (a mentor added or removed), look people up afresh."""
        self._cache.clear()
        self._settings = None

    async def _place_from_graph(self, key: str, display_name: str) -> Member | None:
        profile = await self._graph.user_profile(key)
        if profile is None:
            return None
        settings = await self._directory.settings()
        unit = unit_for(rules_from(settings.department_rules), profile.department, profile.office_location)
        if unit is None:
            return None
        await self._directory.add_graph_person(aad_object_id=key, name=profile.display_name or display_name or "",
                                               email=profile.mail, unit_id=unit, language=settings.default_language)
        entry = await self._directory.entry(key)
        return Member.from_entry(entry) if entry else None

    async def settings(self) -> OrganizationSettings:
        """Read on every question (working hours, the helpdesk): cached like people are."""
        if self._settings is None or time.monotonic() - self._settings[0] >= CACHE_SECONDS:
            self._settings = (time.monotonic(), await self._directory.settings())
        return self._settings[1]

    async def outside_working_hours(self, moment: datetime) -> bool:
        settings = await self.settings()
        return not WorkingHours.parse(settings.working_hours_start, settings.working_hours_end).contains(moment)

    async def visible_units(self, member: Member, parents: dict[str, str | None]) -> set[str] | None:
        """The units a coordinator may see (their subtrees); None for an admin: everything."""
        if "admin" in member.roles:
            return None
        return subtree(await self._directory.coordinated_units(member.person_id), parents)
