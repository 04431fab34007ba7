"""Offer rounds: which mentors get a question, widening tier by tier when nobody can take it or
nobody accepts in time, and finally telling a coordinator and the asker.

Each escalation timer fires exactly once across processes: storage claims due rows with a lease.
A round sends nothing itself: its offer cards and notices are stored in the outbox in the same
transaction as the offers and the next timer, and delivered by dialogs/flows/deliveries.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from cards import requests as request_cards
from cards.formatting import clock_time, day
from cards.i18n import Texts
from dialogs.flows.faq_library import FaqLibrary
from dialogs.flows.handoff import Handoff
from dialogs.ports import Graph
from dialogs.rules.help_requests import TRANSITIONS, Action, State
from dialogs.rules.mentor_choice import WorkingHours, choose_mentors
from dialogs.rules.periods import HELSINKI, week_start
from dialogs.rules.units import OfferStep, ancestor, offer_steps, unit_name
from storage.directory_repository import OrganizationSettings
from storage.mentor_repository import MentorCandidate, MentorRepository
from storage.outbox import Outgoing
from storage.request_repository import RequestRecord

CLAIM_LEASE = timedelta(seconds=60)


class SessionCards(Protocol):
    async def offer_cards(self, request: RequestRecord) -> Callable[[Texts], dict]: ...

    async def unanswered_card(self, request: RequestRecord) -> dict: ...


class OfferRounds:
    def __init__(self, handoff: Handoff, mentors: MentorRepository, library: FaqLibrary, *, group_size: int = 3,
                 graph: Graph | None = None, teams_app_id: str = "", manifest_id: str = "") -> None:
        self._handoff = handoff
        self._mentors = mentors
        self._library = library
        self._group_size = group_size
        # Microsoft Graph when configured: presence filters mentors, and the app is installed
        # for mentors who have never opened it. None means the directory alone.
        self._graph = graph
        self._teams_app_id = teams_app_id
        self._manifest_id = manifest_id
        # Asked for or done in this process; a failed install is forgotten so the next round asks
        # again. The tasks are held here because the event loop keeps only weak references.
        self._installs_tried: set[str] = set()
        self._installing: set[asyncio.Task] = set()
        # Team sessions' cards (dialogs/flows/sessions.py, set by dialogs/wiring.py): a session is
        # offered, widened and expired like a question, with its own offer and waiting cards.
        self.session_cards: SessionCards | None = None

    async def offer(self, request: RequestRecord, *, widen: bool = False,
                    view: request_cards.RequestView | None = None, fresh: bool = False) -> None:
        """Offers in the request's current tier (the next one when `widen`), widening at once past
        tiers nobody can take; after the last tier it expires to a coordinator. The round commits
        in one transaction with the offer cards in the outbox, so the click that started it
        answers without waiting for Teams. Outside working hours it waits for the next
        working-day start instead."""
        handoff = self._handoff
        now = handoff.clock.now()
        settings = await handoff.directory.settings()
        hours = WorkingHours.parse(settings.working_hours_start, settings.working_hours_end)
        if not hours.contains(now):
            await self._wait_for_working_hours(request, hours.next_start(now))
            return
        parents = await handoff.directory.unit_parents()
        # Open helpers take questions on their own topics only (a team session is a digitutor's).
        helpers = settings.open_helpers and request.topic is not None and request.kind == "question"
        tiers = offer_steps(request.unit_id, parents, open_helpers=helpers)
        tier = request.tier + (1 if widen else 0)
        # A request just created has no offers yet; `view` is its cards' view, when known.
        offered = set() if fresh else {offer.mentor_id for offer in await handoff.requests.offers(request.id)}
        exclude = offered | ({request.asker_person_id} if request.asker_person_id else set())
        while tier < len(tiers):
            step = tiers[tier]
            pool = await self._pool(step, request, week_start(now), settings)
            candidates = await self._with_presence(pool, step.units, exclude)
            chosen = choose_mentors(candidates, tier_units=step.units, language=request.language,
                                    topic=request.topic, now=now, hours=hours, exclude=exclude,
                                    group_size=self._group_size)
            if chosen:
                view = view or await handoff.view(request)
                make = await self._offer_card_maker(request, view)
                cards = {c.person_id: Outgoing(c.aad_object_id, "offer", request_id=request.id, mentor_id=c.person_id,
                                               card=make(Texts(_first_language(c, request))))
                         for c in chosen}
                widened = [await self._widened_notice(request, tier, tiers, parents)] if tier > request.tier else []
                await handoff.requests.add_offers(request.id, tier, [c.person_id for c in chosen],
                                                  from_tier=request.tier, timer=now + settings.offer_timeout,
                                                  offer_messages=cards, messages=widened)
                return
            tier += 1
        await self._expire(request, parents, tier)

    async def _offer_card_maker(self, request: RequestRecord,
                                view: request_cards.RequestView) -> Callable[[Texts], dict]:
        if request.is_session and self.session_cards is not None:
            return await self.session_cards.offer_cards(request)
        return lambda texts: request_cards.offer_card(texts, view)

    async def _pool(self, step: OfferStep, request: RequestRecord, week: datetime,
                    settings: OrganizationSettings) -> list[MentorCandidate]:
        """The step's candidates: its units' named mentors (most rounds end in the asker's own
        unit), or the open helpers who offered to help on the request's topic, under the
        organisation's helper allowance."""
        if not step.helpers:
            return await self._mentors.mentor_candidates(week, settings.mentor_weekly_minutes, units=step.units)
        helpers = await self._mentors.helper_candidates(week, settings.helper_weekly_minutes)
        return [helper for helper in helpers if request.topic in helper.topics]

    async def offer_failed(self, request_id: int, mentor_id: int, unreachable: bool) -> None:
        """An offer card could not be delivered: when it was the last open offer, the round goes
        on without that mentor (the others in the tier, else the next tier)."""
        requests = self._handoff.requests
        await requests.offer_failed(request_id, mentor_id, unreachable)
        request = await requests.get(request_id)
        if request is not None and request.state == State.OFFERED.value and \
                await requests.open_offers_left(request_id) == 0:
            await self.offer(request)

    async def escalate_due(self) -> int:
        """Widens every request whose offer timed out, and offers the ones that waited for
        working hours; each timer fires exactly once across processes."""
        requests, now = self._handoff.requests, self._handoff.clock.now()
        settings = await self._handoff.directory.settings()
        hours = WorkingHours.parse(settings.working_hours_start, settings.working_hours_end)
        fired = 0
        for request_id, tier in await requests.claim_due(now, CLAIM_LEASE):
            if not hours.contains(now):
                # Nobody is on duty to take it wider: it waits, in its tier, for the morning.
                await requests.set_timer(request_id, hours.next_start(now))
                continue
            request = await requests.get(request_id)
            if request is None or request.tier != tier:
                continue
            if request.state == State.OPEN.value:
                await self.offer(request)  # it waited for working hours, or its round was cut off
                fired += 1
            elif request.state == State.OFFERED.value:
                # The widening commits with its offers and their timer, so a stop strands nothing.
                await self.offer(request, widen=True)
                fired += 1
        return fired

    async def sweep_stranded(self) -> int:
        """Gives every waiting request without a timer one that is due now (a safety net)."""
        return await self._handoff.requests.time_the_untimed(self._handoff.clock.now())

    async def _wait_for_working_hours(self, request: RequestRecord, start: datetime) -> None:
        notice = None
        if request.tier == 0 and not await self._handoff.requests.offers(request.id):
            texts = Handoff.texts_of(request)
            local = start.astimezone(HELSINKI)
            when = texts("request.after_hours_when", day=texts(f"weekdays.{local.weekday()}"),
                         date=day(local.date(), texts.language), time=clock_time(local, texts.language))
            notice = Outgoing(request.asker_aad_object_id, request_id=request.id,
                              text=texts("request.after_hours", when=when))
        await self._handoff.requests.set_timer(request.id, start, messages=[notice] if notice else [])

    async def _with_presence(self, candidates: list[MentorCandidate], tier_units: frozenset[str] | None,
                             exclude: set[int]) -> list[MentorCandidate]:
        """Marks mentors busy by their Teams presence, and asks Graph to install the app for
        mentors the bot cannot reach yet (they can be offered from the next round). Graph being
        slow or down costs a bounded wait and changes nothing."""
        if self._graph is None:
            return candidates
        pool = [c for c in candidates if c.aad_object_id and c.person_id not in exclude
                and (tier_units is None or c.unit_id in tier_units)]
        self.reach([c.aad_object_id for c in pool if not c.has_conversation])
        busy = await self._graph.busy_ids([c.aad_object_id for c in pool])
        if not busy:
            return candidates
        return [replace(c, busy=True) if c.aad_object_id.lower() in busy else c for c in candidates]

    def reach(self, aad_object_ids: list[str]) -> None:
        """Asks Graph, in the background, to install the app for people the bot has no chat with,
        so that its cards can reach them later: once per person in this process until it succeeds.
        Without Graph nothing happens."""
        if self._graph is None:
            return
        for aad_object_id in aad_object_ids:
            if aad_object_id not in self._installs_tried:
                self._installs_tried.add(aad_object_id)
                task = asyncio.create_task(self._install_for(aad_object_id))
                self._installing.add(task)
                task.add_done_callback(self._installing.discard)

    async def _install_for(self, aad_object_id: str) -> None:
        installed = False
        try:
            app_id = self._teams_app_id
            if not app_id and self._manifest_id:
                app_id = await self._graph.catalog_app_id(self._manifest_id) or ""
            if app_id:
                installed = await self._graph.install_app_for(aad_object_id, app_id)
        finally:
            if not installed:
                self._installs_tried.discard(aad_object_id)

    async def _widened_notice(self, request: RequestRecord, tier: int, tiers: list,
                              parents: dict[str, str | None]) -> Outgoing:
        texts = Handoff.texts_of(request)
        step = tiers[tier]
        if step.helpers:
            return Outgoing(request.asker_aad_object_id, request_id=request.id,
                            text=texts("request.widened_helpers"))
        whole_organisation = step.units is None
        name = None
        if not whole_organisation and request.unit_id:
            names = await self._handoff.directory.unit_names()
            name = unit_name(names, ancestor(request.unit_id, parents, step.levels_up), request.language)
        return Outgoing(request.asker_aad_object_id, request_id=request.id,
                        text=request_cards.asker_widened_text(texts, 2 if whole_organisation else 1, name))

    async def _expire(self, request: RequestRecord, parents: dict[str, str | None], to_tier: int) -> None:
        """Nobody took it in any tier: a coordinator is alerted (and can take it), and the asker
        is told honestly, in the transaction that expires it."""
        handoff = self._handoff
        texts = Handoff.texts_of(request)
        view = await handoff.view(request)
        coordinator = None
        coordinators = await self._mentors.coordinators_for(request.unit_id, parents)
        session = request.is_session and self.session_cards is not None
        if coordinators:
            person_id, aad = coordinators[0]
            # A session's coordinator gets its offer card: they may take it, picking a slot.
            alert = (await self.session_cards.offer_cards(request))(texts) if session \
                else request_cards.coordinator_alert_card(texts, view)
            coordinator = (person_id, Outgoing(aad, "offer", request_id=request.id, mentor_id=person_id, card=alert))
        suggestions = []
        if request.question_id is not None:
            stored = await handoff.questions.get(request.question_id)
            titles = await self._library.titles(list(stored.shown_entry_ids), request.language)
            suggestions = [(entry_id, title, request.question_id) for entry_id, title in titles]
        unanswered = await self.session_cards.unanswered_card(request) if session \
            else request_cards.asker_unanswered_card(texts, view, suggestions)
        told = Outgoing(request.asker_aad_object_id, request_id=request.id, card=unanswered)
        await handoff.requests.expire(request.id, from_states=TRANSITIONS[Action.EXPIRE].sources,
                                      from_tier=request.tier, to_tier=to_tier, coordinator=coordinator,
                                      messages=[told])


def _first_language(mentor: MentorCandidate, request: RequestRecord) -> str:
    return mentor.languages[0] if mentor.languages else request.language
