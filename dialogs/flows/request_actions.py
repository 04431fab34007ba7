"""The clicks on request cards: the asker asks, cancels, rates or reopens; a mentor accepts,
declines, resolves, releases or reopens their working card. Every click is checked against the
database and against who clicked; a stale or forged one is refused and changes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cards import requests as request_cards
from cards import sessions as session_cards
from cards.faq_admin import faq_form_card
from cards.i18n import Texts
from dialogs.card_action import CardAction
from dialogs.flows.faq_library import FaqLibrary
from dialogs.flows.handoff import Handoff
from dialogs.flows.offer_rounds import CLAIM_LEASE, OfferRounds
from dialogs.ports import Graph
from dialogs.replies import Reply, refused
from dialogs.rules.help_requests import Action, InvalidTransition, State
from dialogs.rules.limits import (
    MAX_COMMENT_CHARACTERS,
    MAX_FAQ_PROPOSAL_CHARACTERS,
    MAX_MINUTES_PER_ENTRY,
    minutes_in_range,
)
from dialogs.rules.people import Member
from dialogs.rules.privacy import MaskLabels, mask_personal_data
from dialogs.rules.teams_links import group_chat_url, personal_chat_url
from storage.mentor_repository import MentorRepository
from storage.outbox import Outgoing
from storage.request_repository import RequestNotFound, RequestRecord
from storage.session_repository import SessionChange
from storage.variant_repository import VariantRepository

if TYPE_CHECKING:
    from dialogs.flows.sessions import TeamSessions

# The feedback card's optional "Would you otherwise have contacted the IT helpdesk?"
HELPDESK_ANSWERS = {"yes": True, "true": True, "no": False, "false": False}


class RequestActions:
    def __init__(self, handoff: Handoff, rounds: OfferRounds, mentors: MentorRepository, library: FaqLibrary,
                 variants: VariantRepository, *, graph: Graph | None = None, group_chats: bool = False) -> None:
        self._handoff = handoff
        self._library = library
        self._variants = variants
        self._rounds = rounds
        self._mentors = mentors
        self._graph = graph
        self._group_chats = group_chats
        # Team sessions (set by dialogs/wiring.py): a session's request takes these same verbs,
        # and accepting one takes the slot the mentor picked.
        self.sessions: TeamSessions | None = None

    # -- the asker -----------------------------------------------------------------------------
    async def ask(self, member: Member, question_id: int, texts: Texts, *, shared_conversation: bool = False,
                  topic: str | None = None) -> Reply:
        """`topic`: what the request is about when the asker said so (a survey area's "book a
        mentor"); otherwise the topic of the FAQ entry they were shown, or of the closest one."""
        handoff = self._handoff
        question = await handoff.questions.get(question_id)
        if question is None:
            return refused(texts, "unknown_question")
        if question.asker_aad_object_id != member.aad_object_id:
            return refused(texts, "not_yours")
        card = await self._ask(member, question, topic)
        if shared_conversation:
            # A channel or group chat sees only that the question went on; the details go to the
            # asker's own chat with the bot.
            await handoff.notify(member.aad_object_id, card=card)
            return Reply(text=texts("request.sent_privately"))
        return Reply(card=card)

    async def ask_on_behalf(self, asker: Member, question_id: int, told: str) -> None:
        """A helpdesk agent handed the asker's question (already stored as theirs) to the
        digimentors: the request is the asker's, and they are told, with their waiting card."""
        question = await self._handoff.questions.get(question_id)
        card = await self._ask(asker, question)
        await self._handoff.notify(asker.aad_object_id, text=told, card=card)

    async def _ask(self, member: Member, question, topic: str | None = None) -> dict:
        """The request for the asker's question, offered to mentors; the asker's waiting card."""
        handoff = self._handoff
        request, created = await handoff.requests.create(
            question_id=question.id, asker_person_id=member.person_id, asker_aad_object_id=member.aad_object_id,
            unit_id=member.unit_id, language=question.language,
            topic=topic or await self._library.topic_of(question.faq_entry_id, question.text),
            timer=handoff.clock.now() + CLAIM_LEASE)
        view = await handoff.view(request)
        if created:
            await self._rounds.offer(request, view=view, fresh=True)
        elif request.state == State.OPEN.value:
            # Asked again (a redelivered click): if the first round was cut off, it runs now.
            await handoff.requests.hurry(request.id)
        return request_cards.asker_waiting_card(Handoff.texts_of(request), view)

    async def ask_from_card(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        question_id = action.integer("question_id")
        if question_id is None:
            return refused(texts, "bad_data")
        return await self.ask(member, question_id, texts, shared_conversation=action.shared_conversation)

    async def cancel(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        request = await self._askers_request(action, member, texts)
        if isinstance(request, Reply):
            return request
        view = await self._handoff.view(request)
        try:
            await self._handoff.apply(request.id, Action.CANCEL, actor_person_id=member.person_id,
                                      offer_cards=request_cards.cancelled_offer_card(Handoff.texts_of(request), view))
        except InvalidTransition as refusal:
            return Reply(text=texts(f"request_refusal.{refusal.reason}"))
        if request.is_session and self.sessions is not None:
            return Reply(card=session_cards.session_cancelled_card(texts, await self.sessions.view(request)))
        return Reply(card=request_cards.cancelled_card(texts, view))

    async def rate(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        request = await self._askers_request(action, member, texts)
        if isinstance(request, Reply):
            return request
        if request.is_session:
            # A session's feedback comes from the participants (rateSession), not the booker.
            return Reply(text=texts("request_refusal.invalid"))
        rating = action.integer("rating")
        if request.state != State.RESOLVED.value:
            return Reply(text=texts("request_refusal.not_resolved"))
        if rating is None or not 1 <= rating <= 5:
            return Reply(text=texts("request_refusal.rating"))
        helpdesk = action.text("helpdesk", max_length=10)
        helpdesk_avoided = HELPDESK_ANSWERS.get(helpdesk.strip().lower()) if helpdesk else None
        if helpdesk and helpdesk_avoided is None:
            return Reply(text=texts("request_refusal.helpdesk_answer"))
        comment = _masked(action.text("comment", max_length=MAX_COMMENT_CHARACTERS), request)
        if not await self._handoff.requests.record_feedback(request.id, rating, comment, helpdesk_avoided):
            return refused(texts, "already_rated")
        return Reply(card=request_cards.feedback_thanks_card(texts, await self._handoff.view(request), rating))

    async def reopen(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        request = await self._askers_request(action, member, texts)
        if isinstance(request, Reply):
            return request
        if request.is_session:
            return Reply(text=texts("request_refusal.invalid"))
        try:
            request = await self._handoff.apply(request.id, Action.REOPEN, actor_person_id=member.person_id)
        except InvalidTransition as refusal:
            return Reply(text=texts(f"request_refusal.{refusal.reason}"))
        await self._rounds.offer(request)
        return Reply(card=request_cards.asker_waiting_card(texts, await self._handoff.view(request)))

    async def _askers_request(self, action: CardAction, member: Member, texts: Texts) -> RequestRecord | Reply:
        """The request when `member` asked it; otherwise the refusal to show."""
        request_id = action.integer("request_id")
        if request_id is None:
            return refused(texts, "bad_data")
        request = await self._handoff.requests.get(request_id)
        if request is None:
            return refused(texts, "unknown_question")
        if request.asker_aad_object_id != member.aad_object_id:
            return Reply(text=texts("request_refusal.only_asker"))
        return request

    # -- the mentor ----------------------------------------------------------------------------
    async def accept(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        request_id = action.integer("request_id")
        if request_id is None:
            return refused(texts, "bad_data")
        if member.person_id is None:
            return Reply(text=texts("request_refusal.not_offered_to_you"))
        handoff = self._handoff
        before = await handoff.requests.get(request_id)
        if before is None:
            return refused(texts, "unknown_question")
        if before.is_session and self.sessions is not None:
            return await self.sessions.accept(action, member, texts, before)
        # The cards are rendered first, so that they are stored with the acceptance itself: the
        # other mentors' cards turn to "taken by X", and the asker is told who helps.
        view = await handoff.view_taken_by(before, member.name, member.aad_object_id)
        request_texts = Handoff.texts_of(before)
        told = [] if self._group_chats_on else [Outgoing(
            before.asker_aad_object_id, request_id=request_id,
            card=request_cards.asker_assigned_card(request_texts, view, personal_chat_url(member.aad_object_id)))]
        try:
            request = await handoff.apply(request_id, Action.ACCEPT, actor_person_id=member.person_id,
                                          assign_mentor=member.person_id, require_offer_to=member.person_id,
                                          messages=told, offer_cards=request_cards.taken_card(request_texts, view),
                                          offer_cards_except=member.person_id)
        except RequestNotFound:
            return refused(texts, "unknown_question")
        except InvalidTransition as refusal:
            return await self._accept_refused(member, request_id, refusal, texts)
        choices = await self._library.closest(view.question, request.language)
        group_chat = await self._group_chat(request, member, view.question)
        if self._group_chats_on:
            await handoff.notify(request.asker_aad_object_id, request_id=request.id,
                                 card=request_cards.asker_assigned_card(
                                     request_texts, view, group_chat or personal_chat_url(member.aad_object_id)))
        return Reply(card=working_card(texts, view, group_chat or personal_chat_url(view.asker_aad_object_id),
                                       choices))

    @property
    def _group_chats_on(self) -> bool:
        return self._graph is not None and self._group_chats

    async def _group_chat(self, request: RequestRecord, mentor: Member, question: str) -> str | None:
        """With GRAPH_GROUP_CHATS on, one Teams group chat for the asker and the mentor, named
        after the (masked) question; its link replaces the 1:1 chat links."""
        if self._graph is None or not self._group_chats:
            return None
        chat_id = await self._graph.create_group_chat([request.asker_aad_object_id, mentor.aad_object_id], question)
        return group_chat_url(chat_id) if chat_id else None

    async def _accept_refused(self, member: Member, request_id: int, refusal: InvalidTransition,
                              texts: Texts) -> Reply:
        handoff = self._handoff
        request = await handoff.requests.get(request_id)
        offers = await handoff.requests.offers(request_id)
        if not any(o.mentor_id == member.person_id for o in offers):
            return Reply(text=texts("request_refusal.not_offered_to_you"))
        if request.state == State.ACCEPTED.value and request.assigned_mentor_id == member.person_id:
            view = await handoff.view(request)
            choices = await self._library.closest(view.question, request.language)
            return Reply(card=working_card(texts, view, personal_chat_url(view.asker_aad_object_id), choices))
        if request.state in (State.ACCEPTED.value, State.RESOLVED.value) and request.assigned_mentor_id:
            return Reply(card=request_cards.taken_card(texts, await handoff.view(request)))
        return Reply(text=texts(f"request_refusal.{refusal.reason}"))

    async def decline(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        request_id = action.integer("request_id")
        if request_id is None:
            return refused(texts, "bad_data")
        requests = self._handoff.requests
        if member.person_id is None or not await requests.decline(request_id, member.person_id):
            return Reply(text=texts("request_refusal.not_offered_to_you"))
        request = await requests.get(request_id)
        # Everyone in this tier said no: widen now rather than wait for the timer.
        if request.state == State.OFFERED.value and await requests.open_offers_left(request_id) == 0:
            await self._rounds.offer(request, widen=True)
        return Reply(text=texts("request.declined_thanks"))

    async def resolve(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        request_id = action.integer("request_id")
        if request_id is None:
            return refused(texts, "bad_data")
        minutes = action.integer("minutes_other") or action.integer("minutes")
        proposed = (action.text("faq_answer", max_length=MAX_FAQ_PROPOSAL_CHARACTERS)
                    if action.flag("propose_faq") else None)
        if not minutes_in_range(minutes):
            return Reply(text=texts("request_refusal.minutes", limit=MAX_MINUTES_PER_ENTRY))
        before = await self._handoff.requests.get(request_id)
        if before is None:
            return refused(texts, "unknown_question")
        if before.is_session:
            return Reply(text=texts("session_refusal.use_session_card"))
        if proposed is not None:
            proposed = _masked(proposed, before)
        handoff = self._handoff
        view = await handoff.view(before)
        asked_for_feedback = Outgoing(before.asker_aad_object_id, request_id=request_id,
                                      card=feedback_card(Handoff.texts_of(before), view))
        try:
            request = await handoff.apply(
                request_id, Action.RESOLVE, actor_person_id=member.person_id, require_assigned=member.person_id,
                event_data={"minutes": minutes, "faq_proposed": bool(proposed)}, messages=[asked_for_feedback])
        except RequestNotFound:
            return refused(texts, "unknown_question")
        except InvalidTransition as refusal:
            return await self._mentor_refusal(member, request_id, refusal, texts)
        await handoff.requests.record_time(member.person_id, request.id, request.unit_id, minutes)
        answered_by = action.text("faq_entry", max_length=100)
        if answered_by and request.question_id is not None and await self._library.entry(answered_by):
            # The mentor named the FAQ answer that helped: the asker's words may become its variant.
            question = await handoff.questions.get(request.question_id)
            await self._variants.propose(entry_id=answered_by, language=question.language, text=question.text,
                                         question_id=question.id, source="mentor")
        if proposed:
            entry_id = await handoff.questions.propose_faq(request.question_id, proposed, member.person_id)
            if entry_id:
                await self._send_faq_proposal(request, entry_id, proposed, member)
        return Reply(card=request_cards.resolved_mentor_card(texts, view, minutes))

    async def _send_faq_proposal(self, request: RequestRecord, entry_id: str, answer: str, mentor: Member) -> None:
        """A coordinator gets the mentor's answer as a filled-in FAQ form: saving it publishes it."""
        parents = await self._handoff.directory.unit_parents()
        coordinators = await self._mentors.coordinators_for(request.unit_id, parents)
        if not coordinators:
            return
        texts = Handoff.texts_of(request)
        form = faq_form_card(texts, entry_id=entry_id, language=request.language,
                             question=await self._handoff.question_text(request), answer=answer)
        await self._handoff.notify(coordinators[0][1], text=texts("faq_admin.proposal", mentor=mentor.name), card=form)

    async def release(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        request_id = action.integer("request_id")
        if request_id is None:
            return refused(texts, "bad_data")
        before = await self._handoff.requests.get(request_id)
        # A session given back forgets its slot, reminder and meeting; the booker is told.
        session = before is not None and before.is_session
        told = [Outgoing(before.asker_aad_object_id, request_id=request_id,
                         text=Handoff.texts_of(before)("sessions.released", mentor=member.name))] if session else []
        try:
            request = await self._handoff.apply(request_id, Action.RELEASE, actor_person_id=member.person_id,
                                                require_assigned=member.person_id, messages=told,
                                                session_change=SessionChange(reset=True) if session else None)
        except RequestNotFound:
            return refused(texts, "unknown_question")
        except InvalidTransition as refusal:
            return await self._mentor_refusal(member, request_id, refusal, texts)
        await self._rounds.offer(request)
        return Reply(text=texts("sessions.released_mentor" if session else "request.released"))

    async def open_working_card(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        """The working card again, for the mentor the request is assigned to."""
        request_id = action.integer("request_id")
        request = await self._handoff.requests.get(request_id) if request_id is not None else None
        if request is None:
            return refused(texts, "unknown_question" if request_id is not None else "bad_data")
        if request.state != State.ACCEPTED.value or request.assigned_mentor_id != member.person_id:
            return Reply(text=texts("request_refusal.not_yours"))
        if request.is_session and self.sessions is not None:
            return Reply(card=self.sessions.working_card(texts, await self.sessions.view(request)))
        view = await self._handoff.view(request)
        choices = await self._library.closest(view.question, request.language)
        return Reply(card=working_card(texts, view, personal_chat_url(view.asker_aad_object_id), choices))

    async def my_requests(self, member: Member, texts: Texts) -> Reply:
        accepted, offered = await self._handoff.requests.open_for_mentor(member.person_id)
        views = [[await self._handoff.view(r) for r in group] for group in (accepted, offered)]
        return Reply(card=request_cards.my_requests_card(texts, *views))

    async def _mentor_refusal(self, member: Member, request_id: int, refusal: InvalidTransition,
                              texts: Texts) -> Reply:
        current = await self._handoff.requests.get(request_id)
        if current and current.assigned_mentor_id not in (None, member.person_id):
            return Reply(text=texts("request_refusal.not_yours"))
        return Reply(text=texts(f"request_refusal.{refusal.reason}"))


def _masked(text: str | None, request: RequestRecord | None) -> str | None:
    """Free text a person typed on a card goes through the privacy guard too."""
    if not text:
        return text
    texts = Handoff.texts_of(request) if request else Texts()
    return mask_personal_data(text, MaskLabels.from_texts(texts)).text


def working_card(texts: Texts, view: request_cards.RequestView, chat_url: str,
                 faq_choices: list[tuple[str, str]]) -> dict:
    return request_cards.working_card(texts, view, chat_url, minutes_limit=MAX_MINUTES_PER_ENTRY,
                                      answer_limit=MAX_FAQ_PROPOSAL_CHARACTERS, faq_choices=faq_choices)


def feedback_card(texts: Texts, view: request_cards.RequestView) -> dict:
    return request_cards.feedback_card(texts, view, comment_limit=MAX_COMMENT_CHARACTERS)
