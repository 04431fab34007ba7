"""What both halves of a hand-off share (offer rounds and the clicks on request cards): the
request as its cards show it, state changes by the rules, and messages to the people in it.

State that spans two people lives in the database; this decides who is told what."""

from __future__ import annotations

import asyncio
import logging

from cards import requests as request_cards
from cards.i18n import Texts
from dialogs.clock import Clock
from dialogs.ports import Delivery, DeliveryFailed, Messenger
from dialogs.redacted import readable
from dialogs.rules.help_requests import TRANSITIONS, Action, InvalidTransition
from dialogs.rules.units import unit_name
from storage.directory_repository import DirectoryRepository
from storage.question_repository import QuestionRepository
from storage.request_repository import RequestRecord, RequestRepository, StateConflict

log = logging.getLogger(__name__)


class Handoff:
    def __init__(self, requests: RequestRepository, directory: DirectoryRepository, questions: QuestionRepository,
                 messenger: Messenger, clock: Clock) -> None:
        self.requests = requests
        self.directory = directory
        self.questions = questions
        self.messenger = messenger
        self.clock = clock

    async def apply(self, request_id: int, action: Action, *, actor_person_id: int | None,
                    assign_mentor: int | None = None, require_offer_to: int | None = None,
                    require_assigned: int | None = None, event_data: dict | None = None) -> RequestRecord:
        """The rule's transition, applied by the database; InvalidTransition when the request
        is in a state it may not start from, RequestNotFound when there is no such request."""
        rule = TRANSITIONS[action]
        try:
            return await self.requests.transition(
                request_id, kind=action.value, from_states=rule.sources, to_state=rule.target,
                actor_person_id=actor_person_id, assign_mentor=assign_mentor, unassign=rule.unassign,
                stop_timer=rule.stop_timer, require_offer_to=require_offer_to, require_assigned=require_assigned,
                event_data=event_data)
        except StateConflict as conflict:
            raise InvalidTransition(action, conflict.state) from None

    async def question_text(self, request: RequestRecord) -> str:
        if request.question_id is None:
            return ""
        question = await self.questions.get(request.question_id)
        return readable(question.text, self.texts_of(request)) if question else ""

    async def view(self, request: RequestRecord) -> request_cards.RequestView:
        asker = await self.directory.person(request.asker_person_id) if request.asker_person_id else None
        mentor = await self.directory.person(request.assigned_mentor_id) if request.assigned_mentor_id else None
        names = await self.directory.unit_names()
        waited = max(0, int((self.clock.now() - request.created_at).total_seconds() // 60))
        return request_cards.RequestView(
            request_id=request.id,
            question=await self.question_text(request),
            asker_name=readable(asker.name, self.texts_of(request)) if asker else "",
            asker_unit=unit_name(names, request.unit_id, request.language),
            asker_aad_object_id=request.asker_aad_object_id,
            language=request.language,
            waiting_minutes=waited,
            mentor_name=readable(mentor.name, self.texts_of(request)) if mentor else None,
            mentor_aad_object_id=mentor.aad_object_id if mentor else None,
            topic=request.topic,
        )

    async def notify(self, aad_object_id: str, *, card: dict | None = None, text: str | None = None) -> None:
        """Best effort: a person who cannot be reached is logged, and the flow goes on."""
        try:
            if text is not None:
                await self.messenger.send_text(aad_object_id, text)
            if card is not None:
                await self.messenger.send_card(aad_object_id, card)
        except DeliveryFailed:
            log.warning("could not notify a person")

    async def update_offer_cards(self, request: RequestRecord, card: dict, *, except_for: int | None = None) -> None:
        """Replaces the offer card of every mentor it was delivered to (but `except_for`)."""
        async def update(offer) -> None:
            if offer.mentor_id == except_for or not offer.activity_id:
                return
            try:
                await self.messenger.update_card(
                    Delivery(offer.mentor_aad_object_id, offer.conversation_id, offer.activity_id), card)
            except DeliveryFailed:
                log.info("could not update an offer card", extra={"request": request.id})

        await asyncio.gather(*(update(offer) for offer in await self.requests.offers(request.id)))

    @staticmethod
    def texts_of(request: RequestRecord) -> Texts:
        """The request's own language: the asker's, and every mentor offered speaks it."""
        return Texts(request.language)
