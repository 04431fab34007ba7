"""Coordinators manage the mentors of their units from chat; every change is audited.

A change made here lasts until the next import of the organisation file, which is the
directory's source of truth.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cards.i18n import Texts
from cards.reports import mentors_card
from dialogs.card_action import CardAction
from dialogs.clock import Clock
from dialogs.flows.directory import Directory
from dialogs.replies import Reply, refused
from dialogs.rules.limits import MAX_WEEKLY_MINUTES, allowance_in_range
from dialogs.rules.mentor_choice import on_duty
from dialogs.rules.people import Member
from dialogs.rules.periods import week_start
from dialogs.rules.units import unit_name
from storage.directory_repository import DirectoryRepository
from storage.helper_repository import HelperRepository
from storage.mentor_repository import MentorRepository

# About 1 KB a mentor: beyond this many the card would pass Teams' 28 KB limit.
MAX_LISTED = 20


class MentorAdmin:
    def __init__(self, mentors: MentorRepository, directory_repository: DirectoryRepository, directory: Directory,
                 clock: Clock, *, after_change: Callable[[], Awaitable[object]] | None = None,
                 helpers: HelperRepository | None = None) -> None:
        self._mentors = mentors
        # The open helpers ("anyone who knows helps"), listed under the mentors in the open and
        # both models.
        self._helpers = helpers
        # A removal may have left a unit without a mentor: its alert goes out at once.
        self._after_change = after_change
        self._directory_repository = directory_repository
        self._directory = directory
        self._clock = clock

    async def _in_scope(self, member: Member, unit_id: str | None) -> bool:
        scope = await self._directory.visible_units(member, await self._directory_repository.unit_parents())
        return scope is None or unit_id in scope

    async def overview(self, member: Member, texts: Texts, *, notice: str | None = None) -> Reply:
        scope = await self._directory.visible_units(member, await self._directory_repository.unit_parents())
        now = self._clock.now()
        settings = await self._directory_repository.settings()
        mentors = [m for m in await self._mentors.mentor_candidates(week_start(now), settings.mentor_weekly_minutes)
                   if scope is None or m.unit_id in scope]
        all_names = await self._directory_repository.unit_names()
        names = {unit: unit_name(all_names, unit, texts.language) for unit in all_names}
        mentors.sort(key=lambda m: m.name)
        helpers, helper_allowance = [], None
        if self._helpers is not None and settings.open_helpers:
            # A mentor's own limit on the card's size is shared: the two lists together stay under it.
            helpers, helper_allowance = await self._helpers.helpers(scope), settings.helper_weekly_minutes
        shown_helpers = max(0, MAX_LISTED - min(len(mentors), MAX_LISTED))
        return Reply(text=notice, card=mentors_card(
            texts, mentors[:MAX_LISTED], names, available_now=lambda mentor: on_duty(mentor, now),
            not_shown=max(0, len(mentors) - MAX_LISTED), allowance_limit=MAX_WEEKLY_MINUTES,
            helpers=helpers[:shown_helpers], helpers_not_shown=max(0, len(helpers) - shown_helpers),
            helper_allowance=helper_allowance))

    async def add(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        who = action.text("new_mentor", max_length=320) or ""
        person = await self._mentors.find_person(who)
        if person is None:
            return Reply(text=texts("mentors.not_found", who=who))
        if not await self._in_scope(member, person[2]):
            return Reply(text=texts("mentors.not_in_scope"))
        await self._mentors.change_role(actor=member.aad_object_id, person_id=person[0], mentor=True)
        self._directory.forget()
        return await self.overview(member, texts)

    async def remove(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        person_id = action.integer("person_id")
        person = await self._directory_repository.person(person_id) if person_id is not None else None
        if person is None:
            return refused(texts, "bad_data")
        if not await self._in_scope(member, person.unit_id):
            return Reply(text=texts("mentors.not_in_scope"))
        await self._mentors.change_role(actor=member.aad_object_id, person_id=person_id, mentor=False)
        self._directory.forget()
        if self._after_change is not None:
            await self._after_change()
        return await self.overview(member, texts)

    async def set_allowance(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        person_id = action.integer("person_id")
        minutes = action.integer(f"allowance_{person_id}") if person_id is not None else None
        person = await self._directory_repository.person(person_id) if person_id is not None else None
        if person is None or not allowance_in_range(minutes):
            return Reply(text=texts("mentors.bad_allowance", limit=MAX_WEEKLY_MINUTES))
        if not await self._in_scope(member, person.unit_id):
            return Reply(text=texts("mentors.not_in_scope"))
        if not await self._mentors.set_allowance(actor=member.aad_object_id, person_id=person_id,
                                                 weekly_minutes=minutes):
            return refused(texts, "bad_data")
        return await self.overview(member, texts)

    async def remove_helper(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        """A coordinator removes an open helper of their units (audited): no more offers, and
        offering again does not bring them back."""
        person_id = action.integer("person_id")
        person = await self._directory_repository.person(person_id) if person_id is not None else None
        if person is None or self._helpers is None:
            return refused(texts, "bad_data")
        if not await self._in_scope(member, person.unit_id):
            return Reply(text=texts("mentors.not_in_scope"))
        if not await self._helpers.remove(person_id=person_id, by_person_id=member.person_id,
                                          actor=member.aad_object_id):
            return Reply(text=texts("helpers.not_helper"))
        self._directory.forget()
        return await self.overview(member, texts, notice=texts("helpers.removed"))
