"""Coordinators manage the mentors of their units from chat; every change is audited.

A change made here lasts until the next import of the organisation file, which is the
directory's source of truth.
"""

from __future__ import annotations

from bot.domain.mentor_choice import on_duty, week_start
from bot.domain.people import Member
from bot.i18n import Texts
from bot.replies import Reply
from cards.reports import mentors_card
from storage.directory_repository import DirectoryRepository
from storage.mentor_repository import MentorRepository
from storage.models import utcnow
from storage.request_repository import RequestRepository

MAX_WEEKLY_MINUTES = 2400
MAX_LISTED = 20


class MentorAdminService:
    def __init__(self, mentors: MentorRepository, requests: RequestRepository, directory: DirectoryRepository,
                 on_change) -> None:  # noqa: ANN001 - a callable that drops cached directory lookups
        self._mentors = mentors
        self._requests = requests
        self._directory = directory
        self._on_change = on_change

    async def _scope(self, member: Member) -> set[str] | None:
        return await self._directory.visible_units(member, await self._requests.unit_parents())

    async def overview(self, member: Member, texts: Texts) -> Reply:
        scope = await self._scope(member)
        now = utcnow()
        settings = await self._requests.settings()
        mentors = [m for m in await self._mentors.mentor_candidates(week_start(now), settings.mentor_weekly_minutes)
                   if scope is None or m.unit_id in scope]
        names = {unit: (localized.get(texts.language) or localized.get("fi") or unit)
                 for unit, localized in (await self._requests.unit_names()).items()}

        mentors.sort(key=lambda m: m.name)
        # About 1 KB a mentor: beyond this many the card would pass Teams' 28 KB limit.
        return Reply(card=mentors_card(texts, mentors[:MAX_LISTED], names, available_now=lambda mentor: on_duty(mentor, now),
                                       not_shown=max(0, len(mentors) - MAX_LISTED)))

    async def _in_scope(self, member: Member, unit_id: str | None) -> bool:
        scope = await self._scope(member)
        return scope is None or unit_id in scope

    async def add(self, member: Member, who: str | None, texts: Texts) -> Reply:
        person = await self._mentors.find_person(who or "")
        if person is None:
            return Reply(text=texts("mentors.not_found", who=who or ""))
        if not await self._in_scope(member, person[2]):
            return Reply(text=texts("mentors.not_in_scope"))
        await self._mentors.change_role(actor=member.aad_object_id, person_id=person[0], mentor=True)
        self._on_change()
        return await self.overview(member, texts)

    async def remove(self, member: Member, person_id: int | None, texts: Texts) -> Reply:
        person = await self._requests.person(person_id) if person_id is not None else None
        if person is None:
            return Reply(text=texts("card_refusal.bad_data"))
        if not await self._in_scope(member, person[2]):
            return Reply(text=texts("mentors.not_in_scope"))
        await self._mentors.change_role(actor=member.aad_object_id, person_id=person_id, mentor=False)
        self._on_change()
        return await self.overview(member, texts)

    async def set_allowance(self, member: Member, person_id: int | None, minutes: int | None, texts: Texts) -> Reply:
        person = await self._requests.person(person_id) if person_id is not None else None
        if person is None or minutes is None or not 0 <= minutes <= MAX_WEEKLY_MINUTES:
            return Reply(text=texts("mentors.bad_allowance", limit=MAX_WEEKLY_MINUTES))
        if not await self._in_scope(member, person[2]):
            return Reply(text=texts("mentors.not_in_scope"))
        if not await self._mentors.set_allowance(actor=member.aad_object_id, person_id=person_id,
                                                 weekly_minutes=minutes):
            return Reply(text=texts("card_refusal.bad_data"))
        return await self.overview(member, texts)
