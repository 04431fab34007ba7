"""Help requests, their offers, events, time entries and feedback.

Every state change is one conditional UPDATE ("... WHERE state IN (allowed)") plus its event in
the same transaction: when two mentors click Accept at once, the database lets exactly one
update through, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import (
    Feedback,
    HelpRequest,
    MentorProfile,
    MentorTimeEntry,
    Person,
    Question,
    RequestEvent,
    RequestOffer,
    RequestState,
)

# Offers a mentor can still act on.
OPEN_OFFER_STATES = ("pending", "sent")


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


@dataclass(frozen=True)
class OfferRecord:
    request_id: int
    mentor_id: int
    mentor_aad_object_id: str
    mentor_name: str
    tier: int
    state: str
    conversation_id: str | None
    activity_id: str | None


def _record(row: HelpRequest) -> RequestRecord:
    return RequestRecord(
        id=row.id,
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


class RequestRepository:
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
    ) -> RequestRecord:
        """Moves the request to `to_state` if it is in one of `from_states` (and the other
        conditions hold), with its event, in one conditional UPDATE: of two concurrent clicks
        the database lets exactly one through. RequestNotFound or StateConflict otherwise."""
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
            return _record(row)

    async def widen(self, request_id: int, from_tier: int, next_escalation_at: datetime | None) -> bool:
        """Moves an offered request to the next tier; False when another process already did."""
        now = self._database.now()
        async with self._database.transaction() as session:
            result = await session.execute(
                update(HelpRequest)
                .where(HelpRequest.id == request_id, HelpRequest.tier == from_tier,
                       HelpRequest.state.in_([RequestState.OPEN.value, RequestState.OFFERED.value]))
                .values(tier=from_tier + 1, next_escalation_at=next_escalation_at, updated_at=now,
                        version=HelpRequest.version + 1, escalated=True)
            )
            if result.rowcount != 1:
                return False
            session.add(RequestEvent(request_id=request_id, kind="escalated", at=now, data={"tier": from_tier + 1}))
            return True

    async def set_timer(self, request_id: int, due: datetime | None) -> None:
        async with self._database.transaction() as session:
            await session.execute(update(HelpRequest).where(HelpRequest.id == request_id)
                                  .values(next_escalation_at=due))

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

    # -- offers --------------------------------------------------------------------------------
    async def add_offers(self, request_id: int, tier: int, mentor_ids: list[int]) -> list[int]:
        """Records offers; returns the mentors newly offered. A retry, or another process
        offering the same mentor at the same moment, does not offer twice."""
        if not mentor_ids:
            return []
        now = self._database.now()
        # In id order: two rounds offering the same mentors then lock the rows in the same order,
        # so one waits for the other instead of the two deadlocking.
        rows = [{"request_id": request_id, "mentor_id": mentor_id, "tier": tier, "state": "pending",
                 "offered_at": now} for mentor_id in sorted(set(mentor_ids))]
        async with self._database.transaction() as session:
            inserted = await session.execute(
                self._database.insert(RequestOffer).values(rows).on_conflict_do_nothing()
                .returning(RequestOffer.mentor_id))
            new = set(inserted.scalars().all())
            added = [mentor_id for mentor_id in dict.fromkeys(mentor_ids) if mentor_id in new]
            if added:
                await session.execute(
                    update(HelpRequest)
                    .where(HelpRequest.id == request_id, HelpRequest.state == RequestState.OPEN.value)
                    .values(state=RequestState.OFFERED.value, updated_at=now)
                )
                session.add(RequestEvent(request_id=request_id, kind="offered", at=now,
                                         data={"tier": tier, "mentors": added}))
        return added

    async def offer_delivered(self, request_id: int, mentor_id: int, conversation_id: str, activity_id: str) -> None:
        async with self._database.transaction() as session:
            await session.execute(
                update(RequestOffer)
                .where(RequestOffer.request_id == request_id, RequestOffer.mentor_id == mentor_id,
                       RequestOffer.state == "pending")
                .values(state="sent", conversation_id=conversation_id, activity_id=activity_id)
            )

    async def offer_failed(self, request_id: int, mentor_id: int, unreachable: bool) -> None:
        async with self._database.transaction() as session:
            await session.execute(
                update(RequestOffer)
                .where(RequestOffer.request_id == request_id, RequestOffer.mentor_id == mentor_id)
                .values(state="failed")
            )
            if unreachable:
                await session.execute(
                    update(MentorProfile).where(MentorProfile.person_id == mentor_id)
                    .values(reachable=False, last_send_refused_at=self._database.now())
                )

    async def decline(self, request_id: int, mentor_id: int) -> bool:
        async with self._database.transaction() as session:
            result = await session.execute(
                update(RequestOffer)
                .where(RequestOffer.request_id == request_id, RequestOffer.mentor_id == mentor_id,
                       RequestOffer.state.in_(OPEN_OFFER_STATES))
                .values(state="declined")
            )
            if result.rowcount != 1:
                return False
            session.add(RequestEvent(request_id=request_id, kind="declined", actor_person_id=mentor_id,
                                     at=self._database.now()))
            return True

    async def open_offers_left(self, request_id: int) -> int:
        async with self._database.transaction() as session:
            return await session.scalar(
                select(func.count()).select_from(RequestOffer)
                .where(RequestOffer.request_id == request_id, RequestOffer.state.in_(OPEN_OFFER_STATES))
            )

    async def offers(self, request_id: int) -> list[OfferRecord]:
        async with self._database.transaction() as session:
            rows = (await session.execute(
                select(RequestOffer, Person.aad_object_id, Person.name)
                .join(Person, Person.id == RequestOffer.mentor_id)
                .where(RequestOffer.request_id == request_id)
                .order_by(RequestOffer.offered_at)
            )).all()
        return [
            OfferRecord(o.request_id, o.mentor_id, aad, name, o.tier, o.state, o.conversation_id, o.activity_id)
            for o, aad, name in rows
        ]

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

    async def record_feedback(self, request_id: int, rating: int, comment: str | None) -> bool:
        try:
            async with self._database.transaction() as session:
                now = self._database.now()
                session.add(Feedback(request_id=request_id, rating=rating, comment=comment, given_at=now))
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
