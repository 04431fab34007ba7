"""Peer-mentoring agreements: a mentor (or coordinator) writes one on a form (`agreement`), the
mentee side accepts it (the commitment is recorded and it starts) or declines it (it never
starts); the mentor logs meetings against it (`log 45 #12 ...` or the card), which count in
their hours too; both sides are reminded when a planned meeting passes unlogged; at its end
date, or earlier by either side, it closes and each side answers per goal and rates it.

The database decides every move (storage/agreement_repository.py): a second click, a stale card
or a click racing the end-date sweep finds the state moved on and changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import replace
from datetime import time, timedelta

from cards.agreements import (
    AgreementView,
    agreement_card,
    agreement_form_card,
    closing_card,
    evaluation_thanks_card,
    my_agreements_card,
    proposal_card,
)
from cards.formatting import day
from cards.i18n import Texts
from dialogs.card_action import MAX_INTEGER, CardAction
from dialogs.clock import Clock
from dialogs.flows.agreement_sides import AgreementSides, Side
from dialogs.flows.asking import Asking
from dialogs.replies import Reply, refused
from dialogs.rules import agreements as rules
from dialogs.rules.limits import MAX_COMMENT_CHARACTERS, MAX_LOG_NOTE_CHARACTERS, MAX_MINUTES_PER_ENTRY
from dialogs.rules.people import Member
from dialogs.rules.periods import HELSINKI
from storage.agreement_repository import AgreementRecord, AgreementRepository, NewAgreement
from storage.directory_repository import DirectoryRepository
from storage.outbox import Outgoing

log = logging.getLogger(__name__)

_LOG = re.compile(r"^\s*(\d{1,4})\s*(?:min|minuuttia|minuter|minutes)?\s*#(\d+)\s*(.*)$",
                  re.IGNORECASE | re.DOTALL)
# `my agreements` shows closed agreements this long after they closed.
RECENT = timedelta(days=90)
MAX_MENTEE_CHARACTERS, MAX_GOALS_CHARACTERS = 320, 1600
LIMITS = {"topic": rules.MAX_TOPIC_CHARACTERS, "goals": rules.MAX_GOALS, "meetings": rules.MAX_MEETINGS,
          "min_minutes": rules.MIN_MEETING_MINUTES, "max_minutes": rules.MAX_MEETING_MINUTES}


def _problem(texts: Texts, reason: str, **details: object) -> Reply:
    return Reply(text=texts(f"agreement_refusal.{reason}", **details))


def _whole_number(value: object) -> int | None:
    """Input.Number arrives as a number or as its text, "4" or "4.0"; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**31:
        return int(value)
    return value if isinstance(value, int) and abs(value) < 2**31 else None


class Agreements:
    def __init__(self, agreements: AgreementRepository, directory: DirectoryRepository, asking: Asking,
                 clock: Clock) -> None:
        self._agreements = agreements
        self._directory = directory
        self._sides = AgreementSides(directory)
        self._asking = asking
        self._clock = clock

    def _today(self):
        return self._clock.now().astimezone(HELSINKI).date()

    # -- the mentor writes it ------------------------------------------------------------------
    async def form(self, member: Member, texts: Texts) -> Reply:
        return Reply(card=agreement_form_card(texts, form=uuid.uuid4().hex, limits=LIMITS, today=self._today()))

    async def create(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        fields = {key: action.data.get(key) for key in ("mentee", "topic", "goals", "starts", "ends", "form")}
        if any(value is not None and not isinstance(value, str) for value in fields.values()):
            return refused(texts, "bad_data")
        mentee_text = (fields["mentee"] or "").strip()
        if len(mentee_text) > MAX_MENTEE_CHARACTERS or len(fields["goals"] or "") > MAX_GOALS_CHARACTERS \
                or len(fields["form"] or "") > 64:
            return _problem(texts, "oversized")
        try:
            terms = rules.parse_terms(topic=fields["topic"], goals=fields["goals"], starts=fields["starts"],
                                      ends=fields["ends"], meetings=_whole_number(action.data.get("meetings")),
                                      minutes=_whole_number(action.data.get("minutes")), today=self._today())
        except rules.AgreementProblem as problem:
            return _problem(texts, problem.reason, **problem.details)
        mentee_person_id, mentee_unit_id, recipients = None, None, []
        found = await self._directory.find(mentee_text) if "@" in mentee_text else None
        if found is not None:
            mentee_person_id = found[0]
            if mentee_person_id == member.person_id:
                return _problem(texts, "self")
            recipients = [await self._sides.person(mentee_person_id)]
        elif mentee_text.lower() in await self._directory.unit_parents():
            mentee_unit_id = mentee_text.lower()
            recipients, _ = await self._sides.team_answerers(mentee_unit_id)
            recipients = [side for side in recipients if side.person_id != member.person_id]
            if not recipients:
                return _problem(texts, "no_contact")
        else:
            return _problem(texts, "unknown_mentee", who=mentee_text[:80])
        # The same form sent twice (a double click, a retried delivery) makes one agreement.
        key = hashlib.sha256("\n".join(map(str, (fields["form"], member.person_id, mentee_person_id, mentee_unit_id,
                                                  terms))).encode()).hexdigest()
        draft = NewAgreement(creation_key=key, mentor_id=member.person_id, mentee_person_id=mentee_person_id,
                             mentee_unit_id=mentee_unit_id, topic=terms.topic, language=texts.language,
                             starts=terms.starts, ends=terms.ends, planned_meetings=terms.meetings,
                             minutes_per_meeting=terms.minutes, goals=terms.goals, next_check_at=None)
        # The proposal cards are made before the transaction, with the id it will have.
        # The mentee is named as the reader's cards name them (a person's name, a team's unit).
        proposals: list[tuple[Side, Texts, str]] = [
            (side, reader, await self._sides.mentee_name(mentee_person_id, mentee_unit_id, reader))
            for side, reader in ((side, Texts(side.language)) for side in recipients if side)]
        agreement_id, created = await self._agreements.create(draft, lambda new_id: [
            Outgoing(side.aad_object_id, card=proposal_card(reader, self._draft_view(draft, new_id, member, reader,
                                                                                     mentee)))
            for side, reader, mentee in proposals])
        record = await self._agreements.get(agreement_id)
        view = await self._sides.view(record, texts)
        if created:
            log.info("agreement proposed", extra={"agreement_id": agreement_id, "recipients": len(proposals)})
            text = texts("agreements.created", id=agreement_id, mentee=view.mentee)
        else:
            text = texts("agreements.created_again", id=agreement_id)
        return Reply(text=text, card=agreement_card(texts, view, mentor=True))

    def _draft_view(self, draft: NewAgreement, agreement_id: int, member: Member, texts: Texts, mentee: str):
        return AgreementView(agreement_id=agreement_id, topic=draft.topic, mentor_name=member.name, mentee=mentee,
                             starts=draft.starts, ends=draft.ends, planned_meetings=draft.planned_meetings,
                             minutes_per_meeting=draft.minutes_per_meeting, state="proposed", goals=draft.goals,
                             team=draft.mentee_unit_id is not None)

    # -- the mentee side answers ---------------------------------------------------------------
    async def accept(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        return await self._decide(action, member, texts, accept=True)

    async def decline(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        return await self._decide(action, member, texts, accept=False)

    async def _decide(self, action: CardAction, member: Member, texts: Texts, *, accept: bool) -> Reply:
        record, refusal = await self._find(action, texts)
        if refusal:
            return refusal
        if not await self._sides.answers_for_mentee(record, member):
            return _problem(texts, "not_mentee" if member.person_id == record.mentor_id else "not_a_side")
        if record.state != "proposed":
            return _problem(texts, "decided", state=texts(f"agreements.states.{record.state}"))
        settings = await self._directory.settings()
        mentor = await self._sides.person(record.mentor_id)
        messages = []
        if mentor is not None:
            reader = Texts(mentor.language)
            view = await self._sides.view(record, reader)
            notice = reader("agreements.accepted_notice" if accept else "agreements.declined_notice",
                            mentee=member.name if view.team else view.mentee, id=record.id, topic=view.topic)
            later = _as_state(record, "active" if accept else "declined")
            messages.append(Outgoing(mentor.aad_object_id, text=notice,
                                     card=agreement_card(reader, await self._sides.view(later, reader), mentor=True)
                                     if accept else None))
        next_check = rules.first_check(record.starts, record.ends, record.planned_meetings,
                                       time.fromisoformat(settings.working_hours_start))
        if not await self._agreements.decide(record.id, accept=accept, contact_id=member.person_id,
                                             next_check_at=next_check, messages=messages):
            now = await self._agreements.get(record.id)
            return _problem(texts, "decided", state=texts(f"agreements.states.{now.state}"))
        log.info("agreement answered", extra={"agreement_id": record.id, "accepted": accept})
        record = await self._agreements.get(record.id)
        return Reply(text=texts("agreements.accepted_reply" if accept else "agreements.declined_reply"),
                     card=agreement_card(texts, await self._sides.view(record, texts), mentor=False))

    # -- meetings ------------------------------------------------------------------------------
    async def log_typed(self, member: Member, argument: str, texts: Texts) -> Reply:
        """`log 45 #12 pivot tables`."""
        match = _LOG.match(argument or "")
        if not match:
            return _problem(texts, "log_usage", limit=MAX_MINUTES_PER_ENTRY)
        if len(match.group(2)) > 10 or int(match.group(2)) > MAX_INTEGER:  # not an id the database's INTEGER can hold
            return _problem(texts, "unknown")
        reply, _ = await self._log(member, int(match.group(2)), int(match.group(1)), match.group(3), texts)
        return reply

    async def log_clicked(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        """The agreement card's Log the meeting: the card comes back with the new count."""
        agreement_id = action.integer("agreement_id")
        if agreement_id is None:
            return refused(texts, "bad_data")
        note = action.data.get("note")
        if note is not None and not isinstance(note, str):
            return refused(texts, "bad_data")
        reply, record = await self._log(member, agreement_id, _whole_number(action.data.get("minutes")), note, texts)
        if record is None:
            return reply
        return Reply(text=reply.text, card=agreement_card(texts, await self._sides.view(record, texts), mentor=True))

    async def _log(self, member: Member, agreement_id: int, minutes: int | None, note: str | None,
                   texts: Texts) -> tuple[Reply, AgreementRecord | None]:
        if minutes is None or not 1 <= minutes <= MAX_MINUTES_PER_ENTRY:
            return _problem(texts, "log_usage", limit=MAX_MINUTES_PER_ENTRY), None
        if note and len(note) > MAX_LOG_NOTE_CHARACTERS:
            return _problem(texts, "oversized"), None
        record = await self._agreements.get(agreement_id)
        if record is None:
            return _problem(texts, "unknown"), None
        if record.mentor_id != member.person_id:
            return _problem(texts, "not_mentor" if self._sides.is_side(record, member) else "not_a_side"), None
        note = (note or "").strip()
        guarded = self._asking.guard(note, texts.language).text.text if note else None
        if not await self._agreements.log_meeting(agreement_id, member.person_id, member.unit_id, minutes, guarded):
            now = await self._agreements.get(agreement_id)
            return _problem(texts, "not_active", state=texts(f"agreements.states.{now.state}")), None
        record = await self._agreements.get(agreement_id)
        return Reply(text=texts("agreements.logged", minutes=minutes, id=agreement_id, logged=record.meetings_logged,
                                planned=record.planned_meetings)), record

    # -- closing -------------------------------------------------------------------------------
    async def close(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        """Either side closes a running agreement early; both are asked how the goals went. On a
        proposal not yet answered, its mentor withdraws it."""
        record, refusal = await self._find(action, texts)
        if refusal:
            return refusal
        if record.state == "proposed" and member.person_id == record.mentor_id:
            return await self._withdraw(record, member, texts)
        if not self._sides.is_side(record, member):
            return _problem(texts, "not_a_side")
        if record.state == "closed":
            return await self._closing_for(record, member, texts)
        if record.state != "active":
            return _problem(texts, "not_active", state=texts(f"agreements.states.{record.state}"))
        others = [side for side in await self._sides.everyone(record) if side.person_id != member.person_id]
        messages = await self._closing_messages(record, others, "agreements.closed_by_notice", person=member.name)
        if await self._agreements.close(record.id, member.person_id, messages):
            log.info("agreement closed early", extra={"agreement_id": record.id})
        return await self._closing_for(await self._agreements.get(record.id), member, texts)

    async def _withdraw(self, record: AgreementRecord, member: Member, texts: Texts) -> Reply:
        messages = []
        for side in await self._sides.mentee_sides(record):
            reader = Texts(side.language)
            messages.append(Outgoing(side.aad_object_id, text=reader(
                "agreements.withdrawn_notice", mentor=member.name, id=record.id, topic=record.topic)))
        if not await self._agreements.withdraw(record.id, member.person_id, messages):
            now = await self._agreements.get(record.id)
            return _problem(texts, "decided", state=texts(f"agreements.states.{now.state}"))
        record = await self._agreements.get(record.id)
        return Reply(text=texts("agreements.withdrawn", id=record.id),
                     card=agreement_card(texts, await self._sides.view(record, texts), mentor=True))

    async def _closing_messages(self, record: AgreementRecord, sides: list[Side], notice: str,
                                **params: object) -> list[Outgoing]:
        closed = _as_state(record, "closed")
        messages = []
        for side in sides:
            reader = Texts(side.language)
            messages.append(Outgoing(side.aad_object_id, text=reader(notice, id=record.id, **params),
                                     card=closing_card(reader, await self._sides.view(closed, reader),
                                                       comment_limit=MAX_COMMENT_CHARACTERS)))
        return messages

    async def _closing_for(self, record: AgreementRecord, member: Member, texts: Texts) -> Reply:
        view = await self._sides.view(record, texts)
        if member.person_id in record.evaluated_by:
            return Reply(text=texts("agreement_refusal.already_evaluated"),
                         card=agreement_card(texts, view, mentor=member.person_id == record.mentor_id))
        return Reply(card=closing_card(texts, view, comment_limit=MAX_COMMENT_CHARACTERS))

    async def evaluate(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        """`evaluateAgreement` (an extension): one side's answer per goal and rating, once."""
        record, refusal = await self._find(action, texts)
        if refusal:
            return refusal
        if not self._sides.is_side(record, member):
            return _problem(texts, "not_a_side")
        if record.state != "closed":
            return _problem(texts, "not_closed")
        if member.person_id in record.evaluated_by:
            return _problem(texts, "already_evaluated")
        try:
            answers = rules.parse_answers(action.data, len(record.goals))
        except rules.AgreementProblem as problem:
            return _problem(texts, problem.reason)
        rating = action.integer("rating")
        if rating is None or not 1 <= rating <= 5:
            return _problem(texts, "rating")
        comment = action.data.get("comment")
        if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARACTERS):
            return _problem(texts, "oversized")
        comment = (comment or "").strip()
        comment = self._asking.guard(comment, texts.language).text.text if comment else None
        if not await self._agreements.evaluate(record.id, member.person_id, rating=rating, comment=comment,
                                               answers=answers):
            return _problem(texts, "already_evaluated")
        return Reply(card=evaluation_thanks_card(texts, await self._sides.view(record, texts), answers, rating))

    # -- reading -------------------------------------------------------------------------------
    async def open(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        """`openAgreement` (an extension, from `my agreements`): the agreement as the side sees it."""
        record, refusal = await self._find(action, texts)
        if refusal:
            return refusal
        if record.state == "proposed" and await self._sides.answers_for_mentee(record, member):
            return Reply(card=proposal_card(texts, await self._sides.view(record, texts)))
        if not self._sides.is_side(record, member):
            return _problem(texts, "not_a_side")
        if record.state == "closed":
            return await self._closing_for(record, member, texts)
        return Reply(card=agreement_card(texts, await self._sides.view(record, texts),
                                         mentor=member.person_id == record.mentor_id))

    async def mine(self, member: Member, texts: Texts) -> Reply:
        if member.person_id is None:
            return Reply(card=my_agreements_card(texts, []))
        units = await self._sides.units_answered_for(member)
        records = await self._agreements.of_person(member.person_id, units,
                                                   closed_since=self._clock.now() - RECENT)
        rows = []
        for record in records:
            mentor = record.mentor_id == member.person_id
            pending = (record.state == "proposed" and not mentor) or \
                (record.state == "closed" and member.person_id not in record.evaluated_by)
            rows.append((await self._sides.view(record, texts), mentor, pending))
        return Reply(card=my_agreements_card(texts, rows))

    async def _find(self, action: CardAction, texts: Texts) -> tuple[AgreementRecord | None, Reply | None]:
        agreement_id = action.integer("agreement_id")
        if agreement_id is None:
            return None, refused(texts, "bad_data")
        record = await self._agreements.get(agreement_id)
        if record is None:
            return None, _problem(texts, "unknown")
        return record, None

    # -- the background ------------------------------------------------------------------------
    async def sweep(self) -> int:
        """Every process, every minute: agreements whose planned meeting passed unlogged remind
        both sides; those past their end date close and ask both sides how it went. Each move is
        claimed by a conditional update, so two processes send it once."""
        settings = await self._directory.settings()
        working_start = time.fromisoformat(settings.working_hours_start)
        now, moved = self._clock.now(), 0
        for record in await self._agreements.checks_due(now):
            decision = rules.check(starts=record.starts, ends=record.ends, meetings=record.planned_meetings,
                                   logged=record.meetings_logged, reminded=record.reminded_meetings, now=now,
                                   working_start=working_start)
            sides = await self._sides.everyone(record)
            if decision.close:
                messages = await self._closing_messages(record, sides, "agreements.closed_at_end")
                moved += await self._agreements.close(record.id, None, messages)
            elif decision.remind_up_to is not None:
                messages = [await self._reminder(record, side, decision.remind_up_to) for side in sides]
                moved += await self._agreements.remind(record.id, reminded=record.reminded_meetings,
                                                       to=decision.remind_up_to, next_check_at=decision.next_check,
                                                       messages=messages)
            else:
                await self._agreements.reschedule(record.id, decision.next_check)
        return moved

    async def _reminder(self, record: AgreementRecord, side: Side, number: int) -> Outgoing:
        reader = Texts(side.language)
        due = rules.meeting_due_days(record.starts, record.ends, record.planned_meetings)[number - 1]
        view = await self._sides.view(record, reader)
        text = reader("agreements.reminder", number=number, id=record.id, topic=view.topic,
                      day=day(due, reader.language))
        return Outgoing(side.aad_object_id, text=text,
                        card=agreement_card(reader, view, mentor=side.person_id == record.mentor_id))


def _as_state(record: AgreementRecord, state: str) -> AgreementRecord:
    """The record as it will be once the change being stored is made (for the cards sent with it)."""
    return replace(record, state=state)
