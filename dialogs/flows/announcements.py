"""Rollouts supported through the mentors: a coordinator announces a rollout with a form
(`announce`); the target units' mentors get it at once, with Acknowledge; everyone in the target
units gets it when working hours start on the start date; the coordinator sees the deliveries
and acknowledgements per unit; questions asked in the units during the rollout are tagged with it.

Nothing here sends: every delivery is an outbox message stored with its delivery row
(storage/announcement_repository.py), and its card is made here when the worker sends it.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime

from cards.announcements import (
    AnnouncementView,
    StatusRow,
    announcement_card,
    announcement_form_card,
    announcement_status_card,
)
from cards.formatting import clock_time, day
from cards.i18n import Texts
from dialogs.card_action import CardAction
from dialogs.clock import Clock
from dialogs.flows.directory import Directory
from dialogs.flows.faq_library import FaqLibrary, entry_view
from dialogs.replies import Reply, refused
from dialogs.rules.announcements import dedupe_key, open_rollout, read_form, staff_due_at, window
from dialogs.rules.people import Member
from dialogs.rules.periods import HELSINKI
from dialogs.rules.units import subtree, unit_name
from storage.announcement_repository import AnnouncementRecord, AnnouncementRepository, NewAnnouncement
from storage.directory_repository import DirectoryRepository

log = logging.getLogger(__name__)

# Choices on the form: with both lists full the card stays under Teams' 28 KB.
MAX_UNIT_CHOICES, MAX_FAQ_CHOICES = 120, 100
MAX_STATUS_UNITS = 40
_CACHED_CARDS = 64  # rendered cards kept, per announcement, language and audience
# A unit's rollout windows are kept this long: every question asks for them, and a rollout made
# in another process reaches this one's questions this much later (one made here at once).
ROLLOUT_WINDOWS_SECONDS = 5.0


class Announcements:
    def __init__(self, announcements: AnnouncementRepository, directory_repository: DirectoryRepository,
                 directory: Directory, library: FaqLibrary, clock: Clock) -> None:
        self._announcements = announcements
        self._directory_repository = directory_repository
        self._directory = directory
        self._library = library
        self._clock = clock
        self._cards: dict[tuple[int, str, str], dict] = {}
        self._windows: dict[str, tuple[float, list[tuple[int, datetime, datetime]]]] = {}

    # -- the coordinator -----------------------------------------------------------------------
    async def form(self, member: Member, texts: Texts, *, values: dict | None = None,
                   problems: list[str] = ()) -> Reply:
        parents = await self._directory_repository.unit_parents()
        allowed = await self._directory.visible_units(member, parents)
        names = await self._directory_repository.unit_names()
        units = [(u, unit_name(names, u, texts.language)) for u in _tree_order(parents, allowed)][:MAX_UNIT_CHOICES]
        index = await self._library.index()
        faq = sorted(((entry_id, entry_view(entry, texts.language).title) for entry_id, entry in index.entries.items()),
                     key=lambda pair: pair[1].casefold())[:MAX_FAQ_CHOICES]
        recent = [(a.id, a.title, a.starts_on) for a in await self._announcements.recent()
                  if _visible(a, member, allowed)]
        card = announcement_form_card(texts, units=units, faq=faq, form_id=uuid.uuid4().hex, today=self._today(),
                                      values=values, problems=list(problems), recent=recent)
        return Reply(card=card)

    async def send(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        parents = await self._directory_repository.unit_parents()
        allowed = await self._directory.visible_units(member, parents)
        index = await self._library.index()
        draft = read_form(action.data, today=self._today(), units_allowed=allowed, units_known=set(parents),
                          faq_known=set(index.entries))
        if isinstance(draft, list):
            values = {key: action.data[key] for key in ("title", "text", "units", "starts", "ends", "links",
                                                        "faq_entries") if isinstance(action.data.get(key), str)}
            problems = [texts(f"announce.problems.{key}", **params) for key, params in draft]
            return await self.form(member, texts, values=values, problems=problems)
        settings = await self._directory_repository.settings()
        starts_at, ends_at = window(draft.starts_on, draft.ends_on)
        record, created, mentors = await self._announcements.create(NewAnnouncement(
            created_by=member.person_id, title=draft.title, text=draft.text, links=draft.links,
            faq_entry_ids=draft.faq_entry_ids, units=draft.units, reached_units=frozenset(subtree(set(draft.units),
                                                                                                   parents)),
            starts_on=draft.starts_on, ends_on=draft.ends_on, window_starts_at=starts_at, window_ends_at=ends_at,
            staff_due_at=staff_due_at(draft.starts_on, settings.working_hours_start),
            dedupe_key=dedupe_key(member.aad_object_id, draft)), settings.default_language)
        if not created:
            return await self._status_reply(record, texts, texts("announce.already_sent"))
        log.info("announcement stored", extra={"announcement_id": record.id, "mentors": mentors})
        self._windows.clear()  # questions asked here are tagged with it from now on
        # Starting today, after working hours began: the staff get it now as well.
        await self.release_due()
        record = await self._announcements.get(record.id)
        local_due = record.staff_due_at.astimezone(HELSINKI)
        return await self._status_reply(record, texts, texts("announce.sent", mentors=mentors,
                                                             day=_day_text(texts, local_due)))

    async def status(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        announcement_id = action.integer("announcement_id")
        if announcement_id is None:
            return refused(texts, "bad_data")
        record = await self._announcements.get(announcement_id)
        allowed = await self._directory.visible_units(member, await self._directory_repository.unit_parents())
        if record is None or not _visible(record, member, allowed):
            return Reply(text=texts("announce.unknown"))
        return await self._status_reply(record, texts)

    async def _status_reply(self, record: AnnouncementRecord, texts: Texts, text: str | None = None) -> Reply:
        names = await self._directory_repository.unit_names()
        rows = [StatusRow(unit_name(names, c.unit_id, texts.language) or "–", c.mentors, c.mentors_delivered,
                          c.acknowledged, c.staff, c.staff_delivered, c.unreachable)
                for c in await self._announcements.counts(record.id)]
        rows.sort(key=lambda row: row.unit.casefold())
        card = announcement_status_card(
            texts, title=record.title, starts_on=record.starts_on, ends_on=record.ends_on,
            staff_sent=record.staff_released_at is not None, rows=rows[:MAX_STATUS_UNITS],
            questions=await self._announcements.questions_asked(record.id),
            not_shown=max(0, len(rows) - MAX_STATUS_UNITS))
        return Reply(card=card, text=text)

    # -- the mentor ----------------------------------------------------------------------------
    async def acknowledge(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        announcement_id = action.integer("announcement_id")
        if announcement_id is None:
            return refused(texts, "bad_data")
        record = await self._announcements.get(announcement_id)
        if record is None:
            return Reply(text=texts("announce.unknown"))
        delivery = await self._announcements.delivery_to(announcement_id, member.person_id)
        if delivery is None or delivery.audience != "mentor":
            return Reply(text=texts("announce.not_for_you"))
        first = await self._announcements.acknowledge(announcement_id, member.person_id)
        reader = Texts(delivery.language)
        card = announcement_card(reader, await self._view(record, reader.language), for_mentor=True,
                                 acknowledged=True)
        return Reply(card=card, text=None if first else texts("announce.already_acknowledged"))

    # -- the background and the outbox ---------------------------------------------------------
    async def release_due(self) -> int:
        """Every process, every half minute: announcements whose start has come go to everyone."""
        settings = await self._directory_repository.settings()
        released = await self._announcements.release_due(settings.default_language)
        for announcement_id, people in released:
            log.info("announcement released to staff", extra={"announcement_id": announcement_id, "people": people})
        return len(released)

    async def card_for(self, delivery_id: int) -> dict | None:
        """The card of one delivery, made when the outbox sends it; None when it is gone."""
        delivery = await self._announcements.delivery(delivery_id)
        if delivery is None:
            return None
        key = (delivery.announcement_id, delivery.language, delivery.audience)
        card = self._cards.get(key)
        if card is None or delivery.acknowledged_at is not None:
            record = await self._announcements.get(delivery.announcement_id)
            if record is None:
                return None
            view = await self._view(record, delivery.language)
            card = announcement_card(Texts(delivery.language), view, for_mentor=delivery.audience == "mentor",
                                     acknowledged=delivery.acknowledged_at is not None)
            if delivery.acknowledged_at is None:
                if len(self._cards) >= _CACHED_CARDS:
                    self._cards.clear()
                self._cards[key] = card
        return card

    async def rollout_for(self, unit_id: str | None) -> int | None:
        """The rollout a question asked in the unit now is tagged with, if any."""
        if unit_id is None:
            return None
        cached = self._windows.get(unit_id)
        if cached is None or time.monotonic() - cached[0] >= ROLLOUT_WINDOWS_SECONDS:
            if len(self._windows) > 10_000:
                self._windows.clear()
            cached = (time.monotonic(), await self._announcements.rollout_windows(unit_id))
            self._windows[unit_id] = cached
        return open_rollout(cached[1], self._clock.now())

    async def _view(self, record: AnnouncementRecord, language: str) -> AnnouncementView:
        faq = []
        for entry_id in record.faq_entry_ids:
            entry = await self._library.entry(entry_id)
            if entry is not None:
                view = entry_view(entry, language)
                faq.append((view.title, view.answer))
        return AnnouncementView(record.id, record.title, record.text, record.links, tuple(faq), record.starts_on,
                                record.ends_on)

    def _today(self):
        return self._clock.now().astimezone(HELSINKI).date()


def _visible(record: AnnouncementRecord, member: Member, allowed: set[str] | None) -> bool:
    """A coordinator sees the announcements they made and those reaching their units."""
    return allowed is None or record.created_by == member.person_id or bool(record.reached_units & allowed)


def _tree_order(parents: dict[str, str | None], allowed: set[str] | None) -> list[str]:
    """Units parent first, depth first, so that an area comes before its units on the form."""
    children: dict[str | None, list[str]] = {}
    for unit, parent in parents.items():
        children.setdefault(parent if parent in parents else None, []).append(unit)
    ordered: list[str] = []
    stack = sorted(children.get(None, []), reverse=True)
    while stack:
        unit = stack.pop()
        ordered.append(unit)
        stack.extend(sorted(children.get(unit, []), reverse=True))
    return [u for u in ordered if allowed is None or u in allowed]


def _day_text(texts: Texts, moment: datetime) -> str:
    return texts("announce.when", day=day(moment.date(), texts.language), time=clock_time(moment, texts.language))
