"""Handing a question to a digimentor: offers, exactly-once acceptance, escalation, closure.

State that spans two people lives in the database (storage.request_repository); this service
decides who is told what, through the Messenger. No botbuilder here.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from bot.domain.help_requests import Action, InvalidTransition, State
from bot.domain.mentor_choice import (
    WorkingHours,
    choose_mentors,
    unit_tiers,
    week_start,
)
from bot.domain.people import Member
from bot.graph import GraphGateway, chat_web_url
from bot.i18n import Texts
from bot.messenger import Delivery, DeliveryFailed, Messenger
from bot.replies import Reply
from cards import requests as request_cards
from cards.faq_admin import faq_form_card
from storage.mentor_repository import MentorRepository
from storage.models import utcnow
from storage.question_repository import QuestionRepository
from storage.request_repository import RequestRecord, RequestRepository

log = logging.getLogger(__name__)
CLAIM_LEASE = timedelta(seconds=60)
MINUTES_LIMIT = 480


class HandoffService:
    def __init__(self, requests: RequestRepository, mentors: MentorRepository, questions: QuestionRepository,
                 messenger: Messenger, faq_titles: Callable[[list[str], str], Awaitable[list[tuple[str, str]]]],
                 group_size: int = 3) -> None:
        self._mentors = mentors
        self._faq_titles = faq_titles
        # The time the rules see (working hours, timers); tests set a fixed clock here.
        self.clock: Callable[[], datetime] = utcnow
        # Microsoft Graph when configured: presence filters mentors, and the app is installed
        # for mentors who have never opened it. None means the directory alone.
        self.graph: GraphGateway | None = None
        self.teams_app_id = ""
        self._manifest_id = ""
        self.group_chats = False
        self._installs_tried: set[str] = set()
        self._requests = requests
        self._questions = questions
        self._messenger = messenger
        self._group_size = group_size

    # -- asking --------------------------------------------------------------------------------
    async def ask(self, member: Member, question_id: int, texts: Texts) -> Reply:
        question = await self._questions.get(question_id)
        if question is None:
            return Reply(text=texts("card_refusal.unknown_question"))
        if question.asker_aad_object_id != member.aad_object_id:
            return Reply(text=texts("card_refusal.not_yours"))
        request, created = await self._requests.create(
            question_id=question.id,
            asker_person_id=member.person_id,
            asker_aad_object_id=member.aad_object_id,
            unit_id=member.unit_id,
            language=question.language,
            topic=None,
        )
        view = await self._view(request, question.text)
        if created:
            await self._offer_round(request)
        return Reply(card=request_cards.asker_waiting_card(Texts(request.language), view))

    async def _offer_round(self, request: RequestRecord, now: datetime | None = None) -> None:
        """Offers in the request's current tier, widening at once past tiers nobody can take."""
        now = now or self.clock()
        settings = await self._requests.settings()
        parents = await self._requests.unit_parents()
        tiers = unit_tiers(request.unit_id, parents)
        hours = WorkingHours.parse(settings.working_hours_start, settings.working_hours_end)
        tier = request.tier
        # Loaded once for the round: only the exclusions change from one tier to the next.
        everyone = await self._mentors.mentor_candidates(week_start(now), settings.mentor_weekly_minutes)
        while True:
            if tier >= len(tiers):
                await self._expire(request, parents)
                return
            offered = {offer.mentor_id for offer in await self._requests.offers(request.id)}
            exclude = offered | ({request.asker_person_id} if request.asker_person_id else set())
            candidates = await self._with_presence(everyone, tiers[tier], exclude)
            chosen = choose_mentors(candidates, tier_units=tiers[tier], language=request.language,
                                    topic=request.topic, now=now, hours=hours, exclude=exclude,
                                    group_size=self._group_size)
            if chosen:
                if await self._send_offers(request, tier, chosen):
                    await self._requests.set_timer(request.id, now + settings.offer_timeout)
                    if tier > 0:
                        await self._tell_asker_widened(request, tier, tiers, parents)
                    return
                continue  # every send failed; those mentors are now excluded, so try the rest
            if not await self._requests.widen(request.id, tier, None):
                return  # someone else moved the request on meanwhile
            tier += 1

    def connect_graph(self, graph: GraphGateway, *, teams_app_id: str = "", manifest_id: str = "",
                      group_chats: bool = False) -> None:
        self.graph, self.teams_app_id, self._manifest_id = graph, teams_app_id, manifest_id
        self.group_chats = group_chats

    async def _with_presence(self, candidates: list, tier_units, exclude: set[int]) -> list:  # noqa: ANN001
        """Marks mentors busy by their Teams presence, and asks Graph to install the app for
        mentors the bot cannot reach yet (they can be offered from the next round). Graph being
        slow or down costs a bounded wait and changes nothing."""
        if self.graph is None:
            return candidates
        pool = [c for c in candidates if c.aad_object_id and c.person_id not in exclude
                and (tier_units is None or c.unit_id in tier_units)]
        for candidate in pool:
            if not candidate.has_conversation and candidate.aad_object_id not in self._installs_tried:
                self._installs_tried.add(candidate.aad_object_id)
                asyncio.create_task(self._install_for(candidate.aad_object_id))
        busy = await self.graph.busy_ids([c.aad_object_id for c in pool])
        if not busy:
            return candidates
        return [replace(c, busy=True) if c.aad_object_id.lower() in busy else c for c in candidates]

    async def _install_for(self, aad_object_id: str) -> None:
        app_id = self.teams_app_id
        if not app_id and self._manifest_id:
            app_id = await self.graph.catalog_app_id(self._manifest_id) or ""
        if app_id:
            await self.graph.install_app_for(aad_object_id, app_id)

    async def _send_offers(self, request: RequestRecord, tier: int, chosen) -> int:  # noqa: ANN001
        added = await self._requests.add_offers(request.id, tier, [c.person_id for c in chosen])
        question = await self._question_text(request)
        view = await self._view(request, question)
        by_id = {c.person_id: c for c in chosen}

        async def offer(mentor_id: int) -> bool:
            mentor = by_id[mentor_id]
            person = await self._requests.person(mentor_id)
            language = mentor.languages[0] if mentor.languages else request.language
            try:
                delivery = await self._messenger.send_card(person[0], request_cards.offer_card(Texts(language), view))
            except DeliveryFailed as failure:
                log.warning("offer not delivered", extra={"request": request.id, "unreachable": failure.unreachable})
                await self._requests.offer_failed(request.id, mentor_id, failure.unreachable)
                return False
            await self._requests.offer_delivered(request.id, mentor_id, delivery.conversation_id, delivery.activity_id)
            return True

        results = await asyncio.gather(*(offer(mentor_id) for mentor_id in added))
        return sum(results)

    async def _tell_asker_widened(self, request: RequestRecord, tier: int, tiers: list, parents: dict) -> None:
        texts = Texts(request.language)
        unit_name = None
        if tiers[tier] is not None and request.unit_id:
            names = await self._requests.unit_names()
            ancestor = request.unit_id
            for _ in range(tier):
                ancestor = parents.get(ancestor) or ancestor
            unit_name = _unit_name(names, ancestor, request.language)
        whole_organisation = tiers[tier] is None
        await self._notify(request.asker_aad_object_id,
                           text=request_cards.asker_widened_text(texts, 2 if whole_organisation else 1, unit_name))

    async def _expire(self, request: RequestRecord, parents: dict) -> None:
        try:
            expired = await self._requests.transition(request.id, Action.EXPIRE, actor_person_id=None)
        except InvalidTransition:
            return
        question = await self._question_text(expired)
        view = await self._view(expired, question)
        coordinators = await self._mentors.coordinators_for(expired.unit_id, parents)
        if coordinators:
            person_id, aad = coordinators[0]
            await self._requests.add_offers(expired.id, 99, [person_id])
            try:
                delivery = await self._messenger.send_card(aad, request_cards.coordinator_alert_card(
                    Texts(expired.language), view))
                await self._requests.offer_delivered(expired.id, person_id, delivery.conversation_id,
                                                     delivery.activity_id)
            except DeliveryFailed:
                log.warning("coordinator alert not delivered", extra={"request": expired.id})
        suggestions = []
        if expired.question_id is not None:
            stored = await self._questions.get(expired.question_id)
            titles = await self._faq_titles(list(stored.shown_entry_ids), expired.language)
            suggestions = [(entry_id, title, expired.question_id) for entry_id, title in titles]
        await self._notify(expired.asker_aad_object_id,
                           card=request_cards.asker_unanswered_card(Texts(expired.language), view, suggestions))

    # -- timers --------------------------------------------------------------------------------
    async def escalate_due(self, now: datetime | None = None) -> int:
        """Widens every request whose offer timed out; each fires exactly once across processes."""
        fired = 0
        now = now or self.clock()
        for request_id, tier in await self._requests.claim_due(now, CLAIM_LEASE):
            if await self._requests.widen(request_id, tier, None):
                request = await self._requests.get(request_id)
                if request is not None:
                    await self._offer_round(request, now)
                    fired += 1
        return fired

    # -- mentor actions ------------------------------------------------------------------------
    async def accept(self, member: Member, request_id: int, texts: Texts) -> Reply:
        if member.person_id is None:
            return Reply(text=texts("request_refusal.not_offered_to_you"))
        try:
            request = await self._requests.transition(
                request_id, Action.ACCEPT, actor_person_id=member.person_id,
                assigned_mentor_id=member.person_id, require_offer_to=member.person_id,
            )
        except LookupError:
            return Reply(text=texts("card_refusal.unknown_question"))
        except InvalidTransition as refusal:
            return await self._accept_refused(member, request_id, refusal, texts)
        question = await self._question_text(request)
        view = await self._view(request, question)
        group_chat = await self._group_chat(request, member, question)
        await asyncio.gather(
            self._update_offer_cards(request, request_cards.taken_card(Texts(request.language), view),
                                     except_for=member.person_id),
            self._tell_asker_assigned(request, view, group_chat),
        )
        return Reply(card=request_cards.working_card(texts, view, group_chat or _chat_url(view.asker_aad_object_id)))

    async def _group_chat(self, request: RequestRecord, mentor: Member, question: str) -> str | None:
        """With GRAPH_GROUP_CHATS on, one Teams group chat for the asker and the mentor, named
        after the (masked) question; its link replaces the 1:1 chat links."""
        if self.graph is None or not self.group_chats:
            return None
        chat_id = await self.graph.create_group_chat([request.asker_aad_object_id, mentor.aad_object_id], question)
        return chat_web_url(chat_id) if chat_id else None

    async def _accept_refused(self, member: Member, request_id: int, refusal: InvalidTransition,
                              texts: Texts) -> Reply:
        request = await self._requests.get(request_id)
        offers = await self._requests.offers(request_id)
        if not any(o.mentor_id == member.person_id for o in offers):
            return Reply(text=texts("request_refusal.not_offered_to_you"))
        if request.state == State.ACCEPTED.value and request.assigned_mentor_id == member.person_id:
            view = await self._view(request, await self._question_text(request))
            return Reply(card=request_cards.working_card(texts, view, _chat_url(view.asker_aad_object_id)))
        if request.state in (State.ACCEPTED.value, State.RESOLVED.value) and request.assigned_mentor_id:
            view = await self._view(request, await self._question_text(request))
            return Reply(card=request_cards.taken_card(texts, view))
        return Reply(text=texts(f"request_refusal.{refusal.reason}"))

    async def _update_offer_cards(self, request: RequestRecord, card: dict, *, except_for: int | None = None) -> None:
        """Replaces the offer card of every mentor it was delivered to (but `except_for`)."""
        async def update(offer) -> None:  # noqa: ANN001
            if offer.mentor_id == except_for or not offer.activity_id:
                return
            try:
                await self._messenger.update_card(
                    Delivery(offer.mentor_aad_object_id, offer.conversation_id, offer.activity_id), card)
            except DeliveryFailed:
                log.info("could not update an offer card", extra={"request": request.id})

        await asyncio.gather(*(update(offer) for offer in await self._requests.offers(request.id)))

    async def _tell_asker_assigned(self, request: RequestRecord, view, group_chat: str | None) -> None:  # noqa: ANN001
        await self._notify(request.asker_aad_object_id, card=request_cards.asker_assigned_card(
            Texts(request.language), view, group_chat or _chat_url(view.mentor_aad_object_id)))

    async def my_requests(self, member: Member, texts: Texts) -> Reply:
        accepted, offered = await self._requests.open_for_mentor(member.person_id)
        views = [[await self._view(r, await self._question_text(r)) for r in group] for group in (accepted, offered)]
        return Reply(card=request_cards.my_requests_card(texts, *views))

    async def open_request(self, member: Member, request_id: int, texts: Texts) -> Reply:
        """The working card again, for the mentor the request is assigned to."""
        request = await self._requests.get(request_id)
        if request is None:
            return Reply(text=texts("card_refusal.unknown_question"))
        if request.state != State.ACCEPTED.value or request.assigned_mentor_id != member.person_id:
            return Reply(text=texts("request_refusal.not_yours"))
        view = await self._view(request, await self._question_text(request))
        return Reply(card=request_cards.working_card(texts, view, _chat_url(view.asker_aad_object_id)))

    async def decline(self, member: Member, request_id: int, texts: Texts) -> Reply:
        if member.person_id is None or not await self._requests.decline(request_id, member.person_id):
            return Reply(text=texts("request_refusal.not_offered_to_you"))
        request = await self._requests.get(request_id)
        if request.state == State.OFFERED.value and await self._requests.open_offers_left(request_id) == 0:
            # Everyone in this tier said no: widen now rather than wait for the timer.
            if await self._requests.widen(request_id, request.tier, None):
                await self._offer_round(await self._requests.get(request_id))
        return Reply(text=texts("request.declined_thanks"))

    async def resolve(self, member: Member, request_id: int, minutes: int | None, proposed_answer: str | None,
                      texts: Texts) -> Reply:
        if minutes is None or not 1 <= minutes <= MINUTES_LIMIT:
            return Reply(text=texts("request_refusal.minutes", limit=MINUTES_LIMIT))
        try:
            request = await self._requests.transition(
                request_id, Action.RESOLVE, actor_person_id=member.person_id, require_assigned=member.person_id,
                event_data={"minutes": minutes, "faq_proposed": bool(proposed_answer)},
            )
        except LookupError:
            return Reply(text=texts("card_refusal.unknown_question"))
        except InvalidTransition as refusal:
            return await self._mentor_refusal(member, request_id, refusal, texts)
        await self._requests.record_time(member.person_id, request.id, request.unit_id, minutes)
        if proposed_answer:
            entry_id = await self._questions.propose_faq(request.question_id, proposed_answer, member.person_id)
            if entry_id:
                await self._send_faq_proposal(request, entry_id, proposed_answer, member)
        view = await self._view(request, await self._question_text(request))
        await self._notify(request.asker_aad_object_id, card=request_cards.feedback_card(Texts(request.language),
                                                                                          view))
        return Reply(card=request_cards.resolved_mentor_card(texts, view, minutes))

    async def _send_faq_proposal(self, request: RequestRecord, entry_id: str, answer: str, mentor: Member) -> None:
        """A coordinator gets the mentor's answer as a filled-in FAQ form: saving it publishes it."""
        parents = await self._requests.unit_parents()
        coordinators = await self._mentors.coordinators_for(request.unit_id, parents)
        if not coordinators:
            return
        texts = Texts(request.language)
        form = faq_form_card(texts, entry_id=entry_id, language=request.language,
                             question=await self._question_text(request), answer=answer)
        await self._notify(coordinators[0][1], text=texts("faq_admin.proposal", mentor=mentor.name), card=form)

    async def release(self, member: Member, request_id: int, texts: Texts) -> Reply:
        try:
            request = await self._requests.transition(
                request_id, Action.RELEASE, actor_person_id=member.person_id, require_assigned=member.person_id)
        except LookupError:
            return Reply(text=texts("card_refusal.unknown_question"))
        except InvalidTransition as refusal:
            return await self._mentor_refusal(member, request_id, refusal, texts)
        await self._offer_round(request)
        return Reply(text=texts("request.released"))

    async def _mentor_refusal(self, member: Member, request_id: int, refusal: InvalidTransition,
                              texts: Texts) -> Reply:
        current = await self._requests.get(request_id)
        if current and current.assigned_mentor_id not in (None, member.person_id):
            return Reply(text=texts("request_refusal.not_yours"))
        return Reply(text=texts(f"request_refusal.{refusal.reason}"))

    # -- asker actions -------------------------------------------------------------------------
    async def _askers_request(self, member: Member, request_id: int, texts: Texts) -> RequestRecord | Reply:
        """The request when `member` asked it; otherwise the refusal to show."""
        request = await self._requests.get(request_id)
        if request is None:
            return Reply(text=texts("card_refusal.unknown_question"))
        if request.asker_aad_object_id != member.aad_object_id:
            return Reply(text=texts("request_refusal.only_asker"))
        return request

    async def cancel(self, member: Member, request_id: int, texts: Texts) -> Reply:
        request = await self._askers_request(member, request_id, texts)
        if isinstance(request, Reply):
            return request
        try:
            request = await self._requests.transition(request_id, Action.CANCEL, actor_person_id=member.person_id)
        except InvalidTransition as refusal:
            return Reply(text=texts(f"request_refusal.{refusal.reason}"))
        view = await self._view(request, await self._question_text(request))
        await self._update_offer_cards(request, request_cards.cancelled_offer_card(Texts(request.language), view))
        return Reply(card=request_cards.cancelled_card(texts, view))

    async def rate(self, member: Member, request_id: int, rating: int | None, comment: str | None,
                   texts: Texts) -> Reply:
        request = await self._askers_request(member, request_id, texts)
        if isinstance(request, Reply):
            return request
        if request.state != State.RESOLVED.value:
            return Reply(text=texts("request_refusal.not_resolved"))
        if rating is None or not 1 <= rating <= 5:
            return Reply(text=texts("request_refusal.rating"))
        if not await self._requests.record_feedback(request_id, rating, comment):
            return Reply(text=texts("card_refusal.already_rated"))
        view = await self._view(request, await self._question_text(request))
        return Reply(card=request_cards.feedback_thanks_card(texts, view, rating))

    async def reopen(self, member: Member, request_id: int, texts: Texts) -> Reply:
        request = await self._askers_request(member, request_id, texts)
        if isinstance(request, Reply):
            return request
        try:
            request = await self._requests.transition(request_id, Action.REOPEN, actor_person_id=member.person_id)
        except InvalidTransition as refusal:
            return Reply(text=texts(f"request_refusal.{refusal.reason}"))
        await self._offer_round(request)
        view = await self._view(request, await self._question_text(request))
        return Reply(card=request_cards.asker_waiting_card(texts, view))

    async def notify_privately(self, aad_object_id: str, card: dict) -> None:
        await self._notify(aad_object_id, card=card)

    # -- helpers -------------------------------------------------------------------------------
    async def _notify(self, aad_object_id: str, *, card: dict | None = None, text: str | None = None) -> None:
        try:
            if text is not None:
                await self._messenger.send_text(aad_object_id, text)
            if card is not None:
                await self._messenger.send_card(aad_object_id, card)
        except DeliveryFailed:
            log.warning("could not notify a person")

    async def _question_text(self, request: RequestRecord) -> str:
        if request.question_id is None:
            return ""
        question = await self._questions.get(request.question_id)
        return question.text if question else ""

    async def _view(self, request: RequestRecord, question: str) -> request_cards.RequestView:
        asker = await self._requests.person(request.asker_person_id) if request.asker_person_id else None
        mentor = await self._requests.person(request.assigned_mentor_id) if request.assigned_mentor_id else None
        names = await self._requests.unit_names()
        waited = max(0, int((self.clock() - request.created_at).total_seconds() // 60))
        return request_cards.RequestView(
            request_id=request.id,
            question=question,
            asker_name=asker[1] if asker else "",
            asker_unit=_unit_name(names, request.unit_id, request.language),
            asker_aad_object_id=request.asker_aad_object_id,
            language=request.language,
            waiting_minutes=waited,
            mentor_name=mentor[1] if mentor else None,
            mentor_aad_object_id=mentor[0] if mentor else None,
            topic=request.topic,
        )


def _unit_name(names: dict[str, dict], unit_id: str | None, language: str) -> str | None:
    if unit_id is None:
        return None
    localized = names.get(unit_id) or {}
    return localized.get(language) or localized.get("fi") or next(iter(localized.values()), unit_id)


def _chat_url(aad_object_id: str | None) -> str:
    """A Teams deep link that opens a 1:1 chat with the person."""
    return f"https://teams.microsoft.com/l/chat/0/0?users=8:orgid:{aad_object_id or ''}"
