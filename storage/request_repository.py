"""Help requests, their offers, events, time entries and feedback.

Every state change is one conditional UPDATE ("... WHERE state IN (allowed)") plus its event in
the same transaction: when two mentors click Accept at once, the database lets exactly one
update through, on SQLite and on PostgreSQL alike. The messages a change needs (the "taken"
cards, the asker's notice) are stored in the outbox in that same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import (
    Feedback,
    HelpRequest,
    MentorTimeEntry,
    Person,
    Question,
    RequestEvent,
    RequestOffer,
    RequestState,
    TeamSession,
)
from storage.outbox import Outgoing, enqueue
from storage.request_offers import (
    COORDINATOR_TIER,
    OPEN_OFFER_STATES,
    OfferRecord,
    OfferStore,
    add_widening_events,
)
from storage.session_repository import SessionChange

__all__ = ["OPEN_OFFER_STATES", "OfferRecord", "RequestNotFound", "RequestRecord", "RequestRepository",
           "StateConflict"]



class RequestNotFound(LookupError):
    pass


class StateConflict(Exception):
    """The request is not in a state the change may start from; `state` is where it is."""

    def __init__(self, state: RequestState) -> None:
        super().__init__(state.value)
        self.state = state


@dataclass(frozen=True)
class RequestRecord:
    id: int
    question_id: int | None
    asker_person_id: int | None
    asker_aad_object_id: str
    unit_id: str | None
    language: str
    topic: str | None
    state: str
    tier: int
    assigned_mentor_id: int | None
    created_at: datetime
    kind: str = "question"  # question | session (storage.session_repository)

    @property
    def is_session(self) -> bool:
        return self.kind == "session"


def _record(row: HelpRequest) -> RequestRecord:
    return RequestRecord(
        id=row.id,
        kind=row.kind,
        question_id=row.question_id,
        asker_person_id=row.asker_person_id,
        asker_aad_object_id=row.asker_aad_object_id,
        unit_id=row.unit_id,
        language=row.language,
        topic=row.topic,
        state=row.state,
        tier=row.tier,
        assigned_mentor_id=row.assigned_mentor_id,
        created_at=row.created_at,
    )


class RequestRepository(OfferStore):
    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(
        self,
        *,
        question_id: int,
        asker_person_id: int | None,
        asker_aad_object_id: str,
        unit_id: str | None,
        language: str,
        topic: str | None,
        timer: datetime | None = None,
    ) -> tuple[RequestRecord, bool]:
        """The request for this question; `created` is False when it already existed. `timer`:
        a first escalation timer, so that a request whose first offer round never runs (its
        process stopped) is still picked up."""
        now = self._database.now()
        try:
            async with self._database.transaction() as session:
                row = HelpRequest(
                    question_id=question_id,
                    asker_person_id=asker_person_id,
                    asker_aad_object_id=asker_aad_object_id,
                    unit_id=unit_id,
                    language=language,
                    topic=topic,
                    state=RequestState.OPEN.value,
                    tier=0,
                    next_escalation_at=timer,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                await session.flush()
                session.add(RequestEvent(request_id=row.id, kind="created", actor_person_id=asker_person_id, at=now))
                await session.execute(update(Question).where(Question.id == question_id).values(handed=True))
                return _record(row), True
        except IntegrityError:
            async with self._database.transaction() as session:
                row = await session.scalar(select(HelpRequest).where(HelpRequest.question_id == question_id))
                return _record(row), False

    async def get(self, request_id: int) -> RequestRecord | None:
        async with self._database.transaction() as session:
            row = await session.get(HelpRequest, request_id)
            return _record(row) if row is not None else None

    async def transition(
        self,
        request_id: int,
        *,
        kind: str,
        from_states: Iterable[RequestState],
        to_state: RequestState,
        actor_person_id: int | None,
        assign_mentor: int | None = None,
        unassign: bool = False,
        stop_timer: bool = False,
        require_offer_to: int | None = None,
        require_assigned: int | None = None,
        event_data: dict | None = None,
        messages: Sequence[Outgoing] = (),
        offer_cards: dict | None = None,
        offer_cards_except: int | None = None,
        session_change: SessionChange | None = None,
    ) -> RequestRecord:
        """Moves the request to `to_state` if it is in one of `from_states` (and the other
        conditions hold), with its event, in one conditional UPDATE: of two concurrent clicks
        the database lets exactly one through. RequestNotFound or StateConflict otherwise.

        In the same transaction: `messages` are stored for delivery, and with `offer_cards`
        every offer card of the request (but that of `offer_cards_except`) is to be replaced
        by that card; a session's row takes `session_change` (its chosen slot, its count)."""
        now = self._database.now()
        conditions = [HelpRequest.id == request_id, HelpRequest.state.in_([s.value for s in from_states])]
        if require_offer_to is not None:
            conditions.append(
                exists().where(
                    RequestOffer.request_id == request_id,
                    RequestOffer.mentor_id == require_offer_to,
                    RequestOffer.state.in_(OPEN_OFFER_STATES),
                )
            )
        if require_assigned is not None:
            conditions.append(HelpRequest.assigned_mentor_id == require_assigned)
        values: dict = {"state": to_state.value, "updated_at": now, "version": HelpRequest.version + 1}
        if assign_mentor is not None:
            values["assigned_mentor_id"] = assign_mentor
            values["accepted_at"] = func.coalesce(HelpRequest.accepted_at, now)
        if unassign:
            values["assigned_mentor_id"] = None
            values["tier"] = 0
        if stop_timer:
            values["next_escalation_at"] = None
        async with self._database.transaction() as session:
            result = await session.execute(update(HelpRequest).where(and_(*conditions)).values(**values))
            row = await session.get(HelpRequest, request_id, populate_existing=True)
            if result.rowcount != 1:
                if row is None:
                    raise RequestNotFound(request_id)
                raise StateConflict(RequestState(row.state))
            session.add(RequestEvent(request_id=request_id, kind=kind, actor_person_id=actor_person_id,
                                     at=now, data=event_data or {}))
            if assign_mentor is not None:
                await session.execute(
                    update(RequestOffer)
                    .where(RequestOffer.request_id == request_id, RequestOffer.state.in_(OPEN_OFFER_STATES))
                    .values(state="lost")
                )
                await session.execute(
                    update(RequestOffer)
                    .where(RequestOffer.request_id == request_id, RequestOffer.mentor_id == assign_mentor)
                    .values(state="won")
                )
            if session_change is not None and session_change.values():
                await session.execute(update(TeamSession).where(TeamSession.request_id == request_id)
                                      .values(**session_change.values()))
            if offer_cards is not None:
                messages = [*messages, *await _offer_card_updates(session, request_id, offer_cards,
                                                                  offer_cards_except)]
            await enqueue(session, messages, now)
            return _record(row)

    async def set_timer(self, request_id: int, due: datetime | None, *, messages: Sequence[Outgoing] = ()) -> None:
        async with self._database.transaction() as session:
            await session.execute(update(HelpRequest).where(HelpRequest.id == request_id)
                                  .values(next_escalation_at=due))
            await enqueue(session, messages, self._database.now())

    async def hurry(self, request_id: int) -> bool:
        """An open request that was never offered (its round was cut off) is due at once."""
        async with self._database.transaction() as session:
            result = await session.execute(
                update(HelpRequest).where(HelpRequest.id == request_id, HelpRequest.state == RequestState.OPEN.value,
                                          HelpRequest.assigned_mentor_id.is_(None),
                                          ~exists().where(RequestOffer.request_id == request_id))
                .values(next_escalation_at=self._database.now()))
        return result.rowcount == 1

    async def expire(self, request_id: int, *, from_states: Iterable[RequestState], from_tier: int, to_tier: int,
                     coordinator: tuple[int, Outgoing] | None, messages: Sequence[Outgoing] = ()) -> bool:
        """Past the last tier: the request expires (and records the widening to `to_tier`), a
        coordinator is offered it with `coordinator`'s alert, and `messages` go out; all in one
        transaction. False when the request is no longer waiting in `from_tier`."""
        now = self._database.now()
        values: dict = {"state": RequestState.EXPIRED.value, "tier": to_tier, "next_escalation_at": None,
                        "updated_at": now, "version": HelpRequest.version + 1}
        if to_tier > from_tier:
            values["escalated"] = True
        async with self._database.transaction() as session:
            result = await session.execute(
                update(HelpRequest)
                .where(HelpRequest.id == request_id, HelpRequest.tier == from_tier,
                       HelpRequest.state.in_([state.value for state in from_states]))
                .values(**values))
            if result.rowcount != 1:
                return False
            add_widening_events(session, request_id, from_tier, to_tier, now)
            session.add(RequestEvent(request_id=request_id, kind="expire", at=now, data={}))
            if coordinator is not None:
                person_id, alert = coordinator
                if await self._insert_offers(session, request_id, COORDINATOR_TIER, [person_id], now):
                    messages = [alert, *messages]
            await enqueue(session, messages, now)
        return True

    async def time_the_untimed(self, now: datetime) -> int:
        """Open or offered requests with no timer get one due now; returns how many."""
        async with self._database.transaction() as session:
            result = await session.execute(
                update(HelpRequest)
                .where(HelpRequest.state.in_([RequestState.OPEN.value, RequestState.OFFERED.value]),
                       HelpRequest.next_escalation_at.is_(None))
                .values(next_escalation_at=now))
        return result.rowcount or 0

    async def claim_due(self, now: datetime, lease: timedelta, limit: int = 20) -> list[tuple[int, int]]:
        """Due escalation timers as (request id, tier), each claimed by exactly one process.

        The claim pushes the timer forward by `lease`: if this process dies before it widens
        the offer, another process picks the request up when the lease runs out.
        """
        states = [RequestState.OFFERED.value, RequestState.OPEN.value]
        async with self._database.transaction() as session:
            due = (
                select(HelpRequest.id)
                .where(HelpRequest.state.in_(states), HelpRequest.next_escalation_at <= now)
                .order_by(HelpRequest.next_escalation_at)
                .limit(limit)
            )
            if self._database.dialect == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = list((await session.scalars(due)).all())
            if not ids:
                return []
            # SQLite holds the write lock from here to commit, so the re-check below is atomic.
            result = await session.execute(
                update(HelpRequest)
                .where(HelpRequest.id.in_(ids), HelpRequest.next_escalation_at <= now, HelpRequest.state.in_(states))
                .values(next_escalation_at=now + lease)
                .returning(HelpRequest.id, HelpRequest.tier)
            )
            return [(row.id, row.tier) for row in result.all()]

    async def open_for_mentor(self, person_id: int) -> tuple[list[RequestRecord], list[RequestRecord]]:
        """(accepted by this mentor and not yet resolved, offered to them and still waiting)."""
        async with self._database.transaction() as session:
            accepted = (await session.scalars(
                select(HelpRequest)
                .where(HelpRequest.assigned_mentor_id == person_id, HelpRequest.state == RequestState.ACCEPTED.value)
                .order_by(HelpRequest.created_at)
            )).all()
            offered = (await session.scalars(
                select(HelpRequest)
                .join(RequestOffer, RequestOffer.request_id == HelpRequest.id)
                .where(RequestOffer.mentor_id == person_id, RequestOffer.state.in_(OPEN_OFFER_STATES),
                       HelpRequest.state.in_([RequestState.OFFERED.value, RequestState.EXPIRED.value]))
                .order_by(HelpRequest.created_at)
            )).all()
        return [_record(r) for r in accepted], [_record(r) for r in offered]

    # -- after the help ------------------------------------------------------------------------
    async def record_time(self, mentor_id: int, request_id: int | None, unit_id: str | None, minutes: int,
                          note: str | None = None) -> bool:
        try:
            async with self._database.transaction() as session:
                session.add(MentorTimeEntry(mentor_id=mentor_id, request_id=request_id, unit_id=unit_id,
                                            minutes=minutes, note=note, logged_at=self._database.now()))
        except IntegrityError:
            return False
        return True

    async def record_feedback(self, request_id: int, rating: int, comment: str | None,
                              helpdesk_avoided: bool | None = None) -> bool:
        """`helpdesk_avoided`: the asker would otherwise have contacted the IT helpdesk (None: not said)."""
        try:
            async with self._database.transaction() as session:
                now = self._database.now()
                session.add(Feedback(request_id=request_id, rating=rating, comment=comment, given_at=now,
                                     helpdesk_avoided=helpdesk_avoided))
                session.add(RequestEvent(request_id=request_id, kind="rated", at=now, data={"rating": rating}))
        except IntegrityError:
            return False
        return True

    async def events(self, request_id: int) -> list[tuple[str, int | None, dict]]:
        async with self._database.transaction() as session:
            rows = (await session.execute(
                select(RequestEvent.kind, RequestEvent.actor_person_id, RequestEvent.data)
                .where(RequestEvent.request_id == request_id).order_by(RequestEvent.id)
            )).all()
        return [(r.kind, r.actor_person_id, r.data) for r in rows]


async def _offer_card_updates(session, request_id: int, card: dict, except_for: int | None) -> list[Outgoing]:
    rows = (await session.execute(
        select(RequestOffer.mentor_id, Person.aad_object_id).join(Person, Person.id == RequestOffer.mentor_id)
        .where(RequestOffer.request_id == request_id, RequestOffer.state != "failed"))).all()
    return [Outgoing(aad, "update", card=card, request_id=request_id, mentor_id=mentor_id)
            for mentor_id, aad in rows if mentor_id != except_for]
