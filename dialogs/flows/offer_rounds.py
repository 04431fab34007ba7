"""Offer rounds: which mentors get a question, widening tier by tier when nobody can take it or
nobody accepts in time, and finally telling a coordinator and the asker.

Each escalation timer fires exactly once across processes: storage claims due rows with a lease.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta

from cards import requests as request_cards
from cards.formatting import clock_time, day
from cards.i18n import Texts
from dialogs.flows.faq_library import FaqLibrary
from dialogs.flows.handoff import Handoff
from dialogs.ports import DeliveryFailed, Graph
from dialogs.rules.help_requests import Action, InvalidTransition, State
from dialogs.rules.mentor_choice import WorkingHours, choose_mentors
from dialogs.rules.periods import HELSINKI, week_start
from dialogs.rules.units import ancestor, offer_tiers, unit_name
from storage.mentor_repository import MentorCandidate, MentorRepository
from storage.request_repository import RequestRecord

log = logging.getLogger(__name__)
CLAIM_LEASE = timedelta(seconds=60)
# The tier a coordinator's alert is recorded in: past every tier of mentors.
COORDINATOR_TIER = 99


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
        self._installs_tried: set[str] = set()

    async def offer(self, request: RequestRecord) -> None:
        """Offers in the request's current tier, widening at once past tiers nobody can take.
        Outside working hours it waits for the next working-day start instead."""
        handoff = self._handoff
        now = handoff.clock.now()
        settings = await handoff.directory.settings()
        hours = WorkingHours.parse(settings.working_hours_start, settings.working_hours_end)
        if not hours.contains(now):
            await self._wait_for_working_hours(request, hours.next_start(now))
            return
        parents = await handoff.directory.unit_parents()
        tiers = offer_tiers(request.unit_id, parents)
        tier = request.tier
        # Loaded once for the round: only the exclusions change from one tier to the next.
        everyone = await self._mentors.mentor_candidates(week_start(now), settings.mentor_weekly_minutes)
        while True:
            if tier >= len(tiers):
                await self._expire(request, parents)
                return
            offered = {offer.mentor_id for offer in await handoff.requests.offers(request.id)}
            exclude = offered | ({request.asker_person_id} if request.asker_person_id else set())
            candidates = await self._with_presence(everyone, tiers[tier], exclude)
            chosen = choose_mentors(candidates, tier_units=tiers[tier], language=request.language,
                                    topic=request.topic, now=now, hours=hours, exclude=exclude,
                                    group_size=self._group_size)
            if chosen:
                # The timer first: a process stopped in the middle of the sends leaves a
                # request that widens on time, not one that waits for ever.
                await handoff.requests.set_timer(request.id, now + settings.offer_timeout)
                if await self._send_offers(request, tier, chosen):
                    if tier > 0:
                        await self._tell_asker_widened(request, tier, tiers, parents)
                    return
                continue  # every send failed; those mentors are now excluded, so try the rest
            if not await handoff.requests.widen(request.id, tier, now + CLAIM_LEASE):
                return  # someone else moved the request on meanwhile
            tier += 1

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
            if request is not None and request.state == State.OPEN.value:
                await self.offer(request)  # it waited for working hours, or every send failed
                fired += 1
            elif await requests.widen(request_id, tier, now + CLAIM_LEASE):
                # The widening commits with a timer, so a stop before the sends strands nothing.
                await self.offer(await requests.get(request_id))
                fired += 1
        return fired

    async def sweep_stranded(self) -> int:
        """Gives every waiting request without a timer one that is due now (a safety net)."""
        return await self._handoff.requests.time_the_untimed(self._handoff.clock.now())

    async def _wait_for_working_hours(self, request: RequestRecord, start: datetime) -> None:
        await self._handoff.requests.set_timer(request.id, start)
        if request.tier == 0 and not await self._handoff.requests.offers(request.id):
            texts = Handoff.texts_of(request)
            local = start.astimezone(HELSINKI)
            when = texts("request.after_hours_when", day=texts(f"weekdays.{local.weekday()}"),
                         date=day(local.date(), texts.language), time=clock_time(local, texts.language))
            await self._handoff.notify(request.asker_aad_object_id, text=texts("request.after_hours", when=when))

    async def _with_presence(self, candidates: list[MentorCandidate], tier_units: frozenset[str] | None,
                             exclude: set[int]) -> list[MentorCandidate]:
        """Marks mentors busy by their Teams presence, and asks Graph to install the app for
        mentors the bot cannot reach yet (they can be offered from the next round). Graph being
        slow or down costs a bounded wait and changes nothing."""
        if self._graph is None:
            return candidates
        pool = [c for c in candidates if c.aad_object_id and c.person_id not in exclude
                and (tier_units is None or c.unit_id in tier_units)]
        for candidate in pool:
            if not candidate.has_conversation and candidate.aad_object_id not in self._installs_tried:
                self._installs_tried.add(candidate.aad_object_id)
                asyncio.create_task(self._install_for(candidate.aad_object_id))
        busy = await self._graph.busy_ids([c.aad_object_id for c in pool])
        if not busy:
            return candidates
        return [replace(c, busy=True) if c.aad_object_id.lower() in busy else c for c in candidates]

    async def _install_for(self, aad_object_id: str) -> None:
        app_id = self._teams_app_id
        if not app_id and self._manifest_id:
            app_id = await self._graph.catalog_app_id(self._manifest_id) or ""
        if app_id:
            await self._graph.install_app_for(aad_object_id, app_id)

    async def _send_offers(self, request: RequestRecord, tier: int, chosen: list[MentorCandidate]) -> int:
        handoff = self._handoff
        added = await handoff.requests.add_offers(request.id, tier, [c.person_id for c in chosen])
        view = await handoff.view(request)
        by_id = {c.person_id: c for c in chosen}

        async def offer(mentor_id: int) -> bool:
            mentor = by_id[mentor_id]
            language = mentor.languages[0] if mentor.languages else request.language
            try:
                delivery = await handoff.messenger.send_card(mentor.aad_object_id,
                                                             request_cards.offer_card(Texts(language), view))
            except DeliveryFailed as failure:
                log.warning("offer not delivered", extra={"request": request.id, "unreachable": failure.unreachable})
                await handoff.requests.offer_failed(request.id, mentor_id, failure.unreachable)
                return False
            await handoff.requests.offer_delivered(request.id, mentor_id, delivery.conversation_id,
                                                   delivery.activity_id)
            return True

        results = await asyncio.gather(*(offer(mentor_id) for mentor_id in added))
        return sum(results)

    async def _tell_asker_widened(self, request: RequestRecord, tier: int, tiers: list,
                                  parents: dict[str, str | None]) -> None:
        texts = Handoff.texts_of(request)
        whole_organisation = tiers[tier] is None
        name = None
        if not whole_organisation and request.unit_id:
            names = await self._handoff.directory.unit_names()
            name = unit_name(names, ancestor(request.unit_id, parents, tier), request.language)
        await self._handoff.notify(request.asker_aad_object_id, text=request_cards.asker_widened_text(
            texts, 2 if whole_organisation else 1, name))

    async def _expire(self, request: RequestRecord, parents: dict[str, str | None]) -> None:
        handoff = self._handoff
        try:
            expired = await handoff.apply(request.id, Action.EXPIRE, actor_person_id=None)
        except InvalidTransition:
            return
        view = await handoff.view(expired)
        coordinators = await self._mentors.coordinators_for(expired.unit_id, parents)
        if coordinators:
            person_id, aad = coordinators[0]
            await handoff.requests.add_offers(expired.id, COORDINATOR_TIER, [person_id])
            try:
                delivery = await handoff.messenger.send_card(aad, request_cards.coordinator_alert_card(
                    Handoff.texts_of(expired), view))
                await handoff.requests.offer_delivered(expired.id, person_id, delivery.conversation_id,
                                                       delivery.activity_id)
            except DeliveryFailed:
                log.warning("coordinator alert not delivered", extra={"request": expired.id})
        suggestions = []
        if expired.question_id is not None:
            stored = await handoff.questions.get(expired.question_id)
            titles = await self._library.titles(list(stored.shown_entry_ids), expired.language)
            suggestions = [(entry_id, title, expired.question_id) for entry_id, title in titles]
        await handoff.notify(expired.asker_aad_object_id,
                             card=request_cards.asker_unanswered_card(Handoff.texts_of(expired), view, suggestions))

