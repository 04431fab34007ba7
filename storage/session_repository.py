"""Team sessions: a team books a digitutor. A session is a help request of kind "session", so it
is offered, accepted (one winner, by the database), widened, expired and resolved through the
same rows and conditional updates as a question (storage/request_repository.py); this module
holds what only sessions have: the booking, the mentor's chosen slot, the reminder, the Teams
meeting and the named participants' feedback.

Each background step is claimed by one conditional UPDATE and stores its messages in the
outbox in the same transaction: a reminder goes out once, a meeting is created by one process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import (
    ConversationReference,
    HelpRequest,
    Person,
    RequestEvent,
    RequestState,
    SessionParticipant,
    TeamSession,
)
from storage.outbox import Outgoing, enqueue

# A Teams meeting is tried this many times (the click, then the background round), then the
# booker is told to send the invitation themselves.
MEETING_ATTEMPTS = 3
MEETING_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionRecord:
    request_id: int
    topic: str
    slots: tuple[datetime, ...]
    headcount: int
    note: str | None
    duration_minutes: int
    chosen_slot: datetime | None
    remind_at: datetime | None
    meeting_state: str  # none | wanted | created | failed
    meeting_url: str | None
    participants: int | None
    invitees: tuple[int, ...]  # the people the booker named
    meeting_attempts: int = 0


@dataclass(frozen=True)
class SessionChange:
    """What a transition of the session's request changes in its session row, in the same
    transaction (RequestRepository.transition): the slot an accepting mentor chose, or the
    participant count at the resolution; `reset` when the mentor gives the session back."""

    chosen_slot: datetime | None = None
    remind_at: datetime | None = None
    meeting_wanted: bool = False
    participants: int | None = None
    reset: bool = False

    def values(self) -> dict:
        if self.reset:
            return {"chosen_slot": None, "remind_at": None, "reminded_at": None, "meeting_state": "none",
                    "meeting_url": None, "meeting_attempts": 0, "meeting_lease_until": None}
        values: dict = {}
        if self.chosen_slot is not None:
            values.update(chosen_slot=self.chosen_slot, remind_at=self.remind_at, reminded_at=None,
                          meeting_state="wanted" if self.meeting_wanted else "none", meeting_attempts=0,
                          meeting_lease_until=None)
        if self.participants is not None:
            values["participants"] = self.participants
        return values


@dataclass(frozen=True)
class Invitee:
    person_id: int
    aad_object_id: str
    rating: int | None
    reachable: bool  # has a chat with the bot, so a card can reach them


def _record(row: TeamSession, invitees: Sequence[int]) -> SessionRecord:
    return SessionRecord(
        request_id=row.request_id, topic=row.topic,
        slots=tuple(datetime.fromisoformat(s) for s in row.slots or ()), headcount=row.headcount, note=row.note,
        duration_minutes=row.duration_minutes, chosen_slot=row.chosen_slot, remind_at=row.remind_at,
        meeting_state=row.meeting_state, meeting_url=row.meeting_url, participants=row.participants,
        invitees=tuple(invitees), meeting_attempts=row.meeting_attempts)


class SessionRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def book(self, *, booking_key: str, booker_person_id: int | None, booker_aad_object_id: str,
                   unit_id: str, language: str, topic_id: str | None, topic: str, slots: Sequence[datetime],
                   headcount: int, note: str | None, duration_minutes: int, invitees: Sequence[int],
                   timer: datetime) -> tuple[int, bool]:
        """(request id, created): the request and its session in one transaction. The same
        booking key again (a double click, a redelivered invoke) finds the first booking."""
        now = self._database.now()
        try:
            async with self._database.transaction() as session:
                request = HelpRequest(kind="session", question_id=None, asker_person_id=booker_person_id,
                                      asker_aad_object_id=booker_aad_object_id, unit_id=unit_id, language=language,
                                      topic=topic_id, state=RequestState.OPEN.value, tier=0,
                                      next_escalation_at=timer, created_at=now, updated_at=now)
                session.add(request)
                await session.flush()
                session.add(TeamSession(
                    request_id=request.id, booking_key=booking_key, topic=topic,
                    slots=[slot.isoformat() for slot in slots], headcount=headcount, note=note,
                    duration_minutes=duration_minutes, meeting_state="none", meeting_attempts=0))
                for person_id in dict.fromkeys(invitees):
                    session.add(SessionParticipant(request_id=request.id, person_id=person_id))
                session.add(RequestEvent(request_id=request.id, kind="created", actor_person_id=booker_person_id,
                                         at=now, data={"kind": "session", "headcount": headcount}))
                await session.flush()
                return request.id, True
        except IntegrityError:
            async with self._database.transaction() as session:
                found = await session.scalar(select(TeamSession.request_id)
                                             .where(TeamSession.booking_key == booking_key))
            if found is None:
                raise
            return found, False

    async def get(self, request_id: int) -> SessionRecord | None:
        found = await self.many([request_id])
        return found.get(request_id)

    async def many(self, request_ids: Sequence[int]) -> dict[int, SessionRecord]:
        if not request_ids:
            return {}
        async with self._database.transaction() as session:
            rows = (await session.scalars(select(TeamSession).where(TeamSession.request_id.in_(request_ids)))).all()
            named = (await session.execute(
                select(SessionParticipant.request_id, SessionParticipant.person_id)
                .where(SessionParticipant.request_id.in_(request_ids))
                .order_by(SessionParticipant.person_id))).all()
        invitees: dict[int, list[int]] = {}
        for request_id, person_id in named:
            invitees.setdefault(request_id, []).append(person_id)
        return {row.request_id: _record(row, invitees.get(row.request_id, ())) for row in rows}

    async def invitees(self, request_id: int) -> list[Invitee]:
        async with self._database.transaction() as session:
            chat = exists().where(ConversationReference.aad_object_id == func.lower(Person.aad_object_id),
                                  ConversationReference.conversation_type == "personal")
            rows = (await session.execute(
                select(SessionParticipant.person_id, Person.aad_object_id, SessionParticipant.rating, chat)
                .join(Person, Person.id == SessionParticipant.person_id)
                .where(SessionParticipant.request_id == request_id, Person.active.is_(True))
                .order_by(SessionParticipant.person_id))).all()
        return [Invitee(row[0], row[1], row[2], bool(row[3])) for row in rows]

    async def rate(self, request_id: int, person_id: int, rating: int, comment: str | None) -> bool:
        """A named participant's feedback, once: a second click finds it already given."""
        now = self._database.now()
        async with self._database.transaction() as session:
            result = await session.execute(
                update(SessionParticipant)
                .where(SessionParticipant.request_id == request_id, SessionParticipant.person_id == person_id,
                       SessionParticipant.rating.is_(None))
                .values(rating=rating, comment=comment, rated_at=now))
            if result.rowcount != 1:
                return False
            session.add(RequestEvent(request_id=request_id, kind="rated", actor_person_id=person_id, at=now,
                                     data={"rating": rating}))
        return True

    # -- reminders -----------------------------------------------------------------------------
    async def reminders_due(self, now: datetime, limit: int = 50) -> list[int]:
        async with self._database.transaction() as session:
            return list((await session.scalars(
                select(TeamSession.request_id).join(HelpRequest, HelpRequest.id == TeamSession.request_id)
                .where(TeamSession.remind_at <= now, TeamSession.reminded_at.is_(None),
                       HelpRequest.state == RequestState.ACCEPTED.value)
                .order_by(TeamSession.remind_at).limit(limit))).all())

    async def claim_reminder(self, request_id: int, slot: datetime, messages: Sequence[Outgoing]) -> bool:
        """The reminder of the session at `slot`, claimed and stored with its messages: once,
        however many processes try; not when the session was given back, moved or cancelled."""
        now = self._database.now()
        async with self._database.transaction() as session:
            result = await session.execute(
                update(TeamSession)
                .where(TeamSession.request_id == request_id, TeamSession.reminded_at.is_(None),
                       TeamSession.remind_at <= now, TeamSession.chosen_slot == slot,
                       exists().where(HelpRequest.id == request_id,
                                      HelpRequest.state == RequestState.ACCEPTED.value))
                .values(reminded_at=now))
            if result.rowcount != 1:
                return False
            await enqueue(session, messages, now)
        return True

    # -- the Teams meeting ---------------------------------------------------------------------
    async def meetings_due(self, now: datetime, limit: int = 20) -> list[int]:
        async with self._database.transaction() as session:
            return list((await session.scalars(
                select(TeamSession.request_id).where(TeamSession.meeting_state == "wanted", _lease_over(now))
                .limit(limit))).all())

    async def claim_meeting(self, request_id: int) -> SessionRecord | None:
        """The session whose meeting this process is to create now, or None (another process
        has it, it exists already, or the session was given back)."""
        now = self._database.now()
        async with self._database.transaction() as session:
            result = await session.execute(
                update(TeamSession)
                .where(TeamSession.request_id == request_id, TeamSession.meeting_state == "wanted",
                       _lease_over(now), TeamSession.meeting_attempts < MEETING_ATTEMPTS)
                .values(meeting_lease_until=now + MEETING_LEASE, meeting_attempts=TeamSession.meeting_attempts + 1))
            if result.rowcount != 1:
                return None
        return await self.get(request_id)

    async def meeting_done(self, request_id: int, slot: datetime, *, url: str | None, final: bool,
                           messages: Sequence[Outgoing]) -> bool:
        """The meeting exists (`url`), or failed: for good when `final` (the booker is told by
        `messages`), else it waits for the next round. Nothing is stored for a slot that is no
        longer the chosen one."""
        now = self._database.now()
        if url is None and not final:
            values: dict = {"meeting_lease_until": now + MEETING_LEASE}
        else:
            values = {"meeting_state": "created" if url else "failed", "meeting_url": url,
                      "meeting_lease_until": None}
        async with self._database.transaction() as session:
            result = await session.execute(
                update(TeamSession).where(TeamSession.request_id == request_id, TeamSession.chosen_slot == slot,
                                          TeamSession.meeting_state == "wanted").values(**values))
            if result.rowcount != 1:
                return False
            if "meeting_state" in values:
                await enqueue(session, messages, now)
        return True


def _lease_over(now: datetime):
    return or_(TeamSession.meeting_lease_until.is_(None), TeamSession.meeting_lease_until < now)
