"""What both halves of a hand-off share (offer rounds and the clicks on request cards): the
request as its cards show it, state changes by the rules, and messages to the people in it.

State that spans two people lives in the database; this decides who is told what. Messages go
through the outbox (storage/outbox.py), mostly in the very transaction of the change."""

from __future__ import annotations

from dataclasses import replace

from cards import requests as request_cards
from cards.i18n import Texts
from dialogs.clock import Clock
from dialogs.flows.directory import Directory
from dialogs.redacted import readable
from dialogs.rules.help_requests import TRANSITIONS, Action, InvalidTransition
from dialogs.rules.units import unit_name
from storage.outbox import OutboxRepository, Outgoing
from storage.question_repository import QuestionRepository
from storage.request_repository import RequestRecord, RequestRepository, StateConflict
from storage.session_repository import SessionChange, SessionRepository


class Handoff:
    def __init__(self, requests: RequestRepository, directory: Directory, questions: QuestionRepository,
                 outbox: OutboxRepository, clock: Clock) -> None:
        self.requests = requests
        self.directory = directory
        self.questions = questions
        self.outbox = outbox
        self.clock = clock
        # Team sessions' bookings (set by dialogs/wiring.py): their topic stands for the question.
        self.sessions: SessionRepository | None = None

    async def apply(self, request_id: int, action: Action, *, actor_person_id: int | None,
                    assign_mentor: int | None = None, require_offer_to: int | None = None,
                    require_assigned: int | None = None, event_data: dict | None = None,
                    messages: list[Outgoing] | tuple = (), offer_cards: dict | None = None,
                    offer_cards_except: int | None = None,
                    session_change: SessionChange | None = None) -> RequestRecord:
        """The rule's transition, applied by the database; InvalidTransition when the request
        is in a state it may not start from, RequestNotFound when there is no such request.
        `messages`, and with `offer_cards` the replacement of every offer card (but that of
        `offer_cards_except`), are stored in the same transaction; so is a team session's
        `session_change` (its chosen slot, its participant count)."""
        rule = TRANSITIONS[action]
        try:
            return await self.requests.transition(
                request_id, kind=action.value, from_states=rule.sources, to_state=rule.target,
                actor_person_id=actor_person_id, assign_mentor=assign_mentor, unassign=rule.unassign,
                stop_timer=rule.stop_timer, require_offer_to=require_offer_to, require_assigned=require_assigned,
                event_data=event_data, messages=messages, offer_cards=offer_cards,
                offer_cards_except=offer_cards_except, session_change=session_change)
        except StateConflict as conflict:
            raise InvalidTransition(action, conflict.state) from None

    async def question_text(self, request: RequestRecord) -> str:
        """The question, or a team session's topic (the request cards show it in its place)."""
        if request.is_session and self.sessions is not None:
            session = await self.sessions.get(request.id)
            return session.topic if session else ""
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

    async def view_taken_by(self, request: RequestRecord, mentor_name: str,
                            mentor_aad_object_id: str) -> request_cards.RequestView:
        """The request as its cards show it once the mentor has it: rendered before the change,
        so that the cards go out in the change's own transaction."""
        return replace(await self.view(request), mentor_name=mentor_name, mentor_aad_object_id=mentor_aad_object_id)

    async def notify(self, aad_object_id: str, *, card: dict | None = None, text: str | None = None,
                     request_id: int | None = None) -> None:
        """A message to the person, stored in the outbox: delivered (and retried) in the
        background, so that nobody waits on Teams and nothing is lost to a stop."""
        await self.outbox.add([Outgoing(aad_object_id, "notice", text=text, card=card, request_id=request_id)])

    @staticmethod
    def texts_of(request: RequestRecord) -> Texts:
        """The request's own language: the asker's, and every mentor offered speaks it."""
        return Texts(request.language)
