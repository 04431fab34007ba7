"""Team sessions with a digitutor: the booking form, the booking, and the clicks only sessions
have (the accepting mentor's slot, `resolveSession`, the participants' feedback).

A session is a help request of kind "session": it is offered, widened, expired, accepted,
released and cancelled through the same conditional updates as a question (Handoff.apply), and
the booking's own row (storage/session_repository.py) changes in the same transaction. The
reminders and the Teams meeting run in the background (dialogs/flows/session_background.py)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import time

from cards import requests as request_cards
from cards import sessions as session_cards
from cards.i18n import Texts
from dialogs.card_action import CardAction
from dialogs.flows.faq_library import FaqLibrary
from dialogs.flows.handoff import Handoff
from dialogs.flows.offer_rounds import CLAIM_LEASE, OfferRounds
from dialogs.redacted import readable
from dialogs.replies import Reply, refused
from dialogs.rules import sessions as rules
from dialogs.rules.help_requests import Action, InvalidTransition, State
from dialogs.rules.limits import MAX_COMMENT_CHARACTERS, MAX_MINUTES_PER_ENTRY, minutes_in_range
from dialogs.rules.people import Member
from dialogs.rules.periods import HELSINKI
from dialogs.rules.privacy import MaskLabels, mask_personal_data
from dialogs.rules.teams_links import personal_chat_url
from dialogs.rules.units import unit_name
from storage.directory_repository import DirectoryRepository
from storage.outbox import Outgoing
from storage.request_repository import RequestNotFound, RequestRecord
from storage.session_repository import SessionChange, SessionRecord, SessionRepository

# The booking form offers this many units at most (the booker's own first).
MAX_FORM_UNITS = 120


class TeamSessions:
    def __init__(self, handoff: Handoff, rounds: OfferRounds, sessions: SessionRepository,
                 directory: DirectoryRepository, library: FaqLibrary, *, meetings: bool = False) -> None:
        self._handoff = handoff
        self._rounds = rounds
        self.sessions = sessions
        self._directory = directory
        self._library = library
        # Graph is configured: an accepted session gets a Teams meeting (session_background.py).
        self._meetings = meetings

    # -- the booking ---------------------------------------------------------------------------
    async def form(self, member: Member, texts: Texts) -> Reply:
        if not member.in_directory:
            return Reply(text=texts("request_refusal.not_offered_to_you"))
        names = await self._handoff.directory.unit_names()
        own = [member.unit_id] if member.unit_id in names else []
        others = sorted((u for u in names if u not in own), key=lambda u: unit_name(names, u, texts.language) or u)
        units = [(u, unit_name(names, u, texts.language) or u) for u in [*own, *others][:MAX_FORM_UNITS]]
        limits = {"topic": rules.MAX_TOPIC_CHARACTERS, "note": rules.MAX_NOTE_CHARACTERS,
                  "headcount": rules.MAX_HEADCOUNT, "duration": rules.DEFAULT_DURATION}
        settings = await self._handoff.directory.settings()
        examples = rules.WorkingDays(time.fromisoformat(settings.working_hours_start)).example_slots(
            self._handoff.clock.now())
        return Reply(card=session_cards.booking_form_card(texts, form=secrets.token_hex(8), units=units,
                                                          unit=member.unit_id, limits=limits, examples=examples))

    async def book(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        """`bookSession`: the booking is checked whole; any problem is answered and nothing is stored."""
        if not member.in_directory:
            return Reply(text=texts("request_refusal.not_offered_to_you"))
        try:
            booking = await self._read_booking(action, texts)
        except rules.BookingProblem as problem:
            return Reply(text=texts(f"session_refusal.{problem.reason}", **problem.details))
        unit_id, topic, slots, headcount, duration, note, invitees = booking
        handoff = self._handoff
        form = action.text("form", max_length=64) or ""
        key = hashlib.sha256(f"{member.aad_object_id}\n{form}\n{topic}\n{slots}".encode()).hexdigest()
        request_id, created = await self.sessions.book(
            booking_key=key, booker_person_id=member.person_id, booker_aad_object_id=member.aad_object_id,
            unit_id=unit_id, language=texts.language, topic_id=await self._library.topic_of(None, topic),
            topic=topic, slots=slots, headcount=headcount, note=note, duration_minutes=duration,
            invitees=invitees, timer=handoff.clock.now() + CLAIM_LEASE)
        request = await handoff.requests.get(request_id)
        if created:
            await self._rounds.offer(request, fresh=True)
            # Named participants who never opened the bot could not get the feedback question.
            self._rounds.reach([i.aad_object_id for i in await self.sessions.invitees(request_id) if not i.reachable])
        card = session_cards.booked_card(Handoff.texts_of(request), await self.view(request))
        if action.shared_conversation:
            await handoff.notify(member.aad_object_id, card=card, request_id=request_id)
            return Reply(text=texts("sessions.sent_privately"))
        return Reply(card=card, text=None if created else texts("sessions.booked_again"))

    async def _read_booking(self, action: CardAction, texts: Texts):
        now = self._handoff.clock.now()
        names = await self._handoff.directory.unit_names()
        unit_id = action.text("unit", max_length=100)
        if unit_id not in names:
            raise rules.BookingProblem("unknown_unit")
        topic = _raw(action, "topic")
        if not topic.strip():
            raise rules.BookingProblem("no_topic")
        if len(topic) > rules.MAX_TOPIC_CHARACTERS:
            raise rules.BookingProblem("topic_too_long", limit=rules.MAX_TOPIC_CHARACTERS)
        note = _raw(action, "note")
        if len(note) > rules.MAX_NOTE_CHARACTERS:
            raise rules.BookingProblem("note_too_long", limit=rules.MAX_NOTE_CHARACTERS)
        slots_text = _raw(action, "slots")
        if len(slots_text) > 400:
            raise rules.BookingProblem("too_many_slots", limit=rules.MAX_SLOTS)
        slots = rules.parse_slots(slots_text, now)
        headcount = rules.parse_headcount(action.integer("headcount"))
        duration = action.integer("duration") or rules.DEFAULT_DURATION
        if duration not in rules.DURATIONS:
            duration = rules.DEFAULT_DURATION
        invitees = await self._invitees(_raw(action, "participants"))
        labels = MaskLabels.from_texts(texts)
        return (unit_id, mask_personal_data(" ".join(topic.split()), labels).text, slots, headcount, duration,
                mask_personal_data(note.strip(), labels).text or None, invitees)

    async def _invitees(self, text: str) -> list[int]:
        if len(text) > 4000:
            raise rules.BookingProblem("too_many_participants", limit=rules.MAX_PARTICIPANTS_NAMED)
        named = rules.split_people(text)
        if len(named) > rules.MAX_PARTICIPANTS_NAMED:
            raise rules.BookingProblem("too_many_participants", limit=rules.MAX_PARTICIPANTS_NAMED)
        found, unknown = [], []
        for address in named:
            person = await self._directory.find(address)
            if person is None:
                unknown.append(address)
            else:
                found.append(person[0])
        if unknown:
            raise rules.BookingProblem("unknown_participants", who=", ".join(a[:80] for a in unknown[:5]))
        return found

    # -- what the cards show -------------------------------------------------------------------
    async def view(self, request: RequestRecord, session: SessionRecord | None = None, *,
                   mentor: Member | None = None) -> session_cards.SessionView:
        """The session as its cards show it; `mentor`: the one taking it now (rendered before
        the acceptance, so that its cards go out in the acceptance's own transaction)."""
        session = session or await self.sessions.get(request.id)
        directory, texts = self._handoff.directory, Handoff.texts_of(request)
        booker = await directory.person(request.asker_person_id) if request.asker_person_id else None
        assigned = await directory.person(request.assigned_mentor_id) if request.assigned_mentor_id else None
        names = await directory.unit_names()
        return session_cards.SessionView(
            request_id=request.id, topic=session.topic,
            unit=unit_name(names, request.unit_id, request.language) or "",
            booker_name=readable(booker.name, texts) if booker else "",
            booker_aad_object_id=request.asker_aad_object_id, headcount=session.headcount,
            duration_minutes=session.duration_minutes, slots=tuple(s.astimezone(HELSINKI) for s in session.slots),
            note=session.note, chosen=session.chosen_slot.astimezone(HELSINKI) if session.chosen_slot else None,
            mentor_name=mentor.name if mentor else (readable(assigned.name, texts) if assigned else None),
            mentor_aad_object_id=mentor.aad_object_id if mentor else (assigned.aad_object_id if assigned else None),
            meeting_url=session.meeting_url, participants_named=len(session.invitees))

    async def offer_cards(self, request: RequestRecord) -> Callable[[Texts], dict]:
        """The offer card of a session in each mentor's language (for OfferRounds)."""
        view = await self.view(request)
        return lambda texts: session_cards.session_offer_card(texts, view)

    async def unanswered_card(self, request: RequestRecord) -> dict:
        return session_cards.session_unanswered_card(Handoff.texts_of(request), await self.view(request))

    def working_card(self, texts: Texts, view: session_cards.SessionView) -> dict:
        return session_cards.session_working_card(
            texts, view, chat_url=personal_chat_url(view.booker_aad_object_id),
            minutes_limit=MAX_MINUTES_PER_ENTRY, participants_limit=rules.MAX_HEADCOUNT)

    # -- the mentor ----------------------------------------------------------------------------
    async def accept(self, action: CardAction, member: Member, texts: Texts, before: RequestRecord) -> Reply:
        """`acceptRequest` on a session, with the slot the mentor picked: the database lets one
        mentor through; the booker's confirmation and the others' "taken" cards go with it."""
        handoff = self._handoff
        session = await self.sessions.get(before.id)
        now = handoff.clock.now()
        try:
            slot = rules.chosen_slot(action.text("slot", max_length=40), session.slots, now)
        except rules.BookingProblem as problem:
            return await self._accept_refused(member, before.id, texts, problem.reason)
        settings = await handoff.directory.settings()
        remind_at = rules.WorkingDays(time.fromisoformat(settings.working_hours_start)).reminder_at(slot, now)
        chosen = replace(session, chosen_slot=slot)
        view = await self.view(before, chosen, mentor=member)
        booker_texts = Handoff.texts_of(before)
        confirmed = session_cards.confirmed_card(booker_texts, view, chat_url=personal_chat_url(member.aad_object_id),
                                                 meeting="coming" if self._meetings else "manual",
                                                 reminded=remind_at is not None)
        taken = request_cards.taken_card(booker_texts, await handoff.view_taken_by(before, member.name,
                                                                                   member.aad_object_id))
        try:
            await handoff.apply(
                before.id, Action.ACCEPT, actor_person_id=member.person_id, assign_mentor=member.person_id,
                require_offer_to=member.person_id, event_data={"slot": slot.isoformat()},
                messages=[Outgoing(before.asker_aad_object_id, request_id=before.id, card=confirmed)],
                offer_cards=taken, offer_cards_except=member.person_id,
                session_change=SessionChange(chosen_slot=slot, remind_at=remind_at, meeting_wanted=self._meetings))
        except RequestNotFound:
            return refused(texts, "unknown_question")
        except InvalidTransition as refusal:
            return await self._accept_refused(member, before.id, texts, None, refusal)
        return Reply(card=self.working_card(texts, view))

    async def _accept_refused(self, member: Member, request_id: int, texts: Texts, problem: str | None,
                              refusal: InvalidTransition | None = None) -> Reply:
        """Not offered to them, already theirs (their working card again), taken by someone
        else (the "taken" card), or the slot they picked was not one the booker suggested."""
        requests = self._handoff.requests
        request = await requests.get(request_id)
        if not any(o.mentor_id == member.person_id for o in await requests.offers(request_id)):
            return Reply(text=texts("request_refusal.not_offered_to_you"))
        if request.assigned_mentor_id == member.person_id and request.state == State.ACCEPTED.value:
            return Reply(card=self.working_card(texts, await self.view(request)))
        if request.assigned_mentor_id and request.state in (State.ACCEPTED.value, State.RESOLVED.value):
            return Reply(card=request_cards.taken_card(texts, await self._handoff.view(request)))
        if problem:
            return Reply(text=texts(f"session_refusal.{problem}"))
        return Reply(text=texts(f"request_refusal.{refusal.reason}"))

    async def resolve(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        """`resolveSession`: the minutes (they count in the mentor's hours) and the participant
        count; the participants the booker named get the feedback question."""
        request = await self._session(action, texts)
        if isinstance(request, Reply):
            return request
        minutes, participants = action.integer("minutes"), action.integer("participants")
        if not minutes_in_range(minutes):
            return Reply(text=texts("session_refusal.minutes", limit=MAX_MINUTES_PER_ENTRY))
        if participants is None or participants > rules.MAX_HEADCOUNT:
            return Reply(text=texts("session_refusal.participants", limit=rules.MAX_HEADCOUNT))
        if request.assigned_mentor_id != member.person_id or member.person_id is None:
            return Reply(text=texts("request_refusal.not_yours"))
        session = await self.sessions.get(request.id)
        view = await self.view(request, session)
        if request.state == State.ACCEPTED.value and session.chosen_slot and \
                self._handoff.clock.now() < session.chosen_slot:
            return Reply(text=texts("session_refusal.not_yet", when=session_cards.when(texts, view.chosen)))
        invitees = await self.sessions.invitees(request.id)
        unreached = sum(not invitee.reachable for invitee in invitees)
        asked = [Outgoing(invitee.aad_object_id, request_id=request.id,
                          card=session_cards.session_feedback_card(await self._texts_of(invitee.person_id, request),
                                                                   view, comment_limit=MAX_COMMENT_CHARACTERS))
                 for invitee in invitees if invitee.reachable]
        try:
            await self._handoff.apply(
                request.id, Action.RESOLVE, actor_person_id=member.person_id, require_assigned=member.person_id,
                event_data={"minutes": minutes, "participants": participants}, messages=asked,
                session_change=SessionChange(participants=participants))
        except InvalidTransition as refusal:
            return Reply(text=texts(f"request_refusal.{refusal.reason}"))
        await self._handoff.requests.record_time(member.person_id, request.id, request.unit_id, minutes)
        return Reply(card=session_cards.resolved_card(texts, view, minutes=minutes, participants=participants,
                                                      asked=len(asked), unreached=unreached))

    async def rate(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        """`rateSession` (extension): a named participant's 1-5 and comment, once."""
        request = await self._session(action, texts)
        if isinstance(request, Reply):
            return request
        if member.person_id is None or member.person_id not in (await self.sessions.get(request.id)).invitees:
            return Reply(text=texts("session_refusal.not_invited"))
        if request.state != State.RESOLVED.value:
            return Reply(text=texts("session_refusal.not_held"))
        rating = action.integer("rating")
        if rating is None or not 1 <= rating <= 5:
            return Reply(text=texts("session_refusal.rating"))
        comment = _raw(action, "comment")
        if len(comment) > MAX_COMMENT_CHARACTERS:
            return Reply(text=texts("session_refusal.comment_too_long", limit=MAX_COMMENT_CHARACTERS))
        masked = mask_personal_data(comment.strip(), MaskLabels.from_texts(texts)).text or None
        if not await self.sessions.rate(request.id, member.person_id, rating, masked):
            return Reply(text=texts("session_refusal.already_rated"))
        return Reply(text=texts("sessions.feedback_thanks"))

    async def _session(self, action: CardAction, texts: Texts) -> RequestRecord | Reply:
        request_id = action.integer("request_id")
        if request_id is None:
            return refused(texts, "bad_data")
        request = await self._handoff.requests.get(request_id)
        if request is None:
            return refused(texts, "unknown_question")
        if not request.is_session:
            return Reply(text=texts("session_refusal.not_a_session"))
        return request

    async def _texts_of(self, person_id: int, request: RequestRecord) -> Texts:
        person = await self._handoff.directory.person(person_id)
        return Texts(person.languages[0]) if person and person.languages else Handoff.texts_of(request)


def _raw(action: CardAction, key: str) -> str:
    """A typed input whole, so that oversized text is refused rather than cut."""
    value = action.data.get(key)
    return value if isinstance(value, str) else ""
