"""Help requests, their offers, events, time entries and feedback.

Every state change is one conditional UPDATE ("... WHERE state IN (allowed)") plus its event in
the same transaction: when two mentors click Accept at once, the database lets exactly one
update through, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from bot.domain.help_requests import (
    Action,
    InvalidTransition,
    State,
    allowed_from,
    target_of,
)
from storage.db import Database
from storage.models import (
    Feedback,
    HelpRequest,
    MentorProfile,
    MentorTimeEntry,
    Organization,
    Person,
    Question,
    RequestEvent,
    RequestOffer,
    Unit,
    utcnow,
)


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


@dataclass(frozen=True)
class OrganizationSettings:
    default_language: str
    mentor_weekly_minutes: int
    offer_timeout: timedelta
    working_hours_start: str
    working_hours_end: str


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

    async def settings(self) -> OrganizationSettings:
        async with self._database.transaction() as session:
            row = await session.get(Organization, 1)
        if row is None:
            return OrganizationSettings("fi", 120, timedelta(minutes=10), "08:00", "16:00")
        return OrganizationSettings(
            row.default_language,
            row.mentor_weekly_minutes,
            timedelta(minutes=row.offer_timeout_minutes),
            row.working_hours_start,
            row.working_hours_end,
        )

    async def unit_parents(self) -> dict[str, str | None]:
        async with self._database.transaction() as session:
            rows = (await session.execute(select(Unit.id, Unit.parent_id).where(Unit.active.is_(True)))).all()
        return {row.id: row.parent_id for row in rows}

    async def unit_names(self) -> dict[str, dict]:
        async with self._database.transaction() as session:
            rows = (await session.execute(select(Unit.id, Unit.names))).all()
        return {row.id: row.names or {} for row in rows}

    async def create(
        self,
        *,
        question_id: int,
        asker_person_id: int | None,
        asker_aad_object_id: str,
        unit_id: str | None,
        language: str,
        topic: str | None,
    ) -> tuple[RequestRecord, bool]:
        """The request for this question; `created` is False when it already existed."""
        now = utcnow()
        try:
            async with self._database.transaction() as session:
                row = HelpRequest(
                    question_id=question_id,
                    asker_person_id=asker_person_id,
                    asker_aad_object_id=asker_aad_object_id,
                    unit_id=unit_id,
                    language=language,
                    topic=topic,
                    state=State.OPEN.value,
                    tier=0,
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
        action: Action,
        *,
        actor_person_id: int | None,
        assigned_mentor_id: int | None = None,
        require_offer_to: int | None = None,
        require_assigned: int | None = None,
        next_escalation_at: datetime | None = None,
        event_data: dict | None = None,
    ) -> RequestRecord:
        """Applies `action` if the request's state allows it; InvalidTransition otherwise."""
        now = utcnow()
        target = target_of(action)
        conditions = [HelpRequest.id == request_id, HelpRequest.state.in_([s.value for s in allowed_from(action)])]
        if require_offer_to is not None:
            conditions.append(
                exists().where(
                    RequestOffer.request_id == request_id,
                    RequestOffer.mentor_id == require_offer_to,
                    RequestOffer.state.in_(["pending", "sent"]),
                )
            )
        if require_assigned is not None:
            conditions.append(HelpRequest.assigned_mentor_id == require_assigned)
        values: dict = {"state": target.value, "updated_at": now, "version": HelpRequest.version + 1}
        if action == Action.ACCEPT:
            values["assigned_mentor_id"] = assigned_mentor_id
            values["next_escalation_at"] = None
            values["accepted_at"] = func.coalesce(HelpRequest.accepted_at, now)
        elif action in (Action.RELEASE, Action.REOPEN):
            values["assigned_mentor_id"] = None
            values["tier"] = 0
        elif action in (Action.CANCEL, Action.RESOLVE, Action.EXPIRE):
            values["next_escalation_at"] = None
        if next_escalation_at is not None:
            values["next_escalation_at"] = next_escalation_at
        async with self._database.transaction() as session:
            result = await session.execute(update(HelpRequest).where(and_(*conditions)).values(**values))
            row = await session.get(HelpRequest, request_id, populate_existing=True)
            if result.rowcount != 1:
                if row is None:
                    raise LookupError(request_id)
                raise InvalidTransition(action, State(row.state))
            session.add(RequestEvent(request_id=request_id, kind=action.value, actor_person_id=actor_person_id,
                                     at=now, data=event_data or {}))
            if action == Action.ACCEPT:
                await session.execute(
                    update(RequestOffer)
                    .where(RequestOffer.request_id == request_id, RequestOffer.state.in_(["pending", "sent"]))
                    .values(state="lost")
                )
                await session.execute(
                    update(RequestOffer)
                    .where(RequestOffer.request_id == request_id, RequestOffer.mentor_id == assigned_mentor_id)
                    .values(state="won")
                )
            return _record(row)

    async def widen(self, request_id: int, from_tier: int, next_escalation_at: datetime | None) -> bool:
        """Moves an offered request to the next tier; False when another process already did."""
        now = utcnow()
        async with self._database.transaction() as session:
            result = await session.execute(
                update(HelpRequest)
                .where(HelpRequest.id == request_id, HelpRequest.tier == from_tier,
                       HelpRequest.state.in_([State.OPEN.value, State.OFFERED.value]))
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

    async def claim_due(self, now: datetime, lease: timedelta, limit: int = 20) -> list[tuple[int, int]]:
        """Due escalation timers as (request id, tier), each claimed by exactly one process.

        The claim pushes the timer forward by `lease`: if this process dies before it widens
        the offer, another process picks the request up when the lease runs out.
        """
        states = [State.OFFERED.value, State.OPEN.value]
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
                .where(HelpRequest.assigned_mentor_id == person_id, HelpRequest.state == State.ACCEPTED.value)
                .order_by(HelpRequest.created_at)
            )).all()
            offered = (await session.scalars(
                select(HelpRequest)
                .join(RequestOffer, RequestOffer.request_id == HelpRequest.id)
                .where(RequestOffer.mentor_id == person_id, RequestOffer.state.in_(["pending", "sent"]),
                       HelpRequest.state.in_([State.OFFERED.value, State.EXPIRED.value]))
                .order_by(HelpRequest.created_at)
            )).all()
        return [_record(r) for r in accepted], [_record(r) for r in offered]

    # -- offers --------------------------------------------------------------------------------
    async def add_offers(self, request_id: int, tier: int, mentor_ids: list[int]) -> list[int]:
        """Records offers; returns the mentors newly offered (a retry does not offer twice)."""
        added = []
        async with self._database.transaction() as session:
            existing = set((await session.scalars(
                select(RequestOffer.mentor_id).where(RequestOffer.request_id == request_id))).all())
            for mentor_id in mentor_ids:
                if mentor_id in existing:
                    continue
                session.add(RequestOffer(request_id=request_id, mentor_id=mentor_id, tier=tier, state="pending",
                                         offered_at=utcnow()))
                added.append(mentor_id)
            if added:
                await session.execute(
                    update(HelpRequest)
                    .where(HelpRequest.id == request_id, HelpRequest.state == State.OPEN.value)
                    .values(state=State.OFFERED.value, updated_at=utcnow())
                )
                session.add(RequestEvent(request_id=request_id, kind="offered", at=utcnow(),
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
                    .values(reachable=False, last_send_refused_at=utcnow())
                )

    async def decline(self, request_id: int, mentor_id: int) -> bool:
        async with self._database.transaction() as session:
            result = await session.execute(
                update(RequestOffer)
                .where(RequestOffer.request_id == request_id, RequestOffer.mentor_id == mentor_id,
                       RequestOffer.state.in_(["pending", "sent"]))
                .values(state="declined")
            )
            if result.rowcount != 1:
                return False
            session.add(RequestEvent(request_id=request_id, kind="declined", actor_person_id=mentor_id, at=utcnow()))
            return True

    async def open_offers_left(self, request_id: int) -> int:
        async with self._database.transaction() as session:
            return await session.scalar(
                select(func.count()).select_from(RequestOffer)
                .where(RequestOffer.request_id == request_id, RequestOffer.state.in_(["pending", "sent"]))
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

    async def person(self, person_id: int) -> tuple[str, str, str | None] | None:
        """(aad id, name, unit id)."""
        async with self._database.transaction() as session:
            row = await session.get(Person, person_id)
        return (row.aad_object_id, row.name, row.unit_id) if row else None

    # -- after the help ------------------------------------------------------------------------
    async def record_time(self, mentor_id: int, request_id: int | None, unit_id: str | None, minutes: int,
                          note: str | None = None) -> bool:
        try:
            async with self._database.transaction() as session:
                session.add(MentorTimeEntry(mentor_id=mentor_id, request_id=request_id, unit_id=unit_id,
                                            minutes=minutes, note=note, logged_at=utcnow()))
        except IntegrityError:
            return False
        return True

    async def record_feedback(self, request_id: int, rating: int, comment: str | None) -> bool:
        try:
            async with self._database.transaction() as session:
                session.add(Feedback(request_id=request_id, rating=rating, comment=comment, given_at=utcnow()))
                session.add(RequestEvent(request_id=request_id, kind="rated", at=utcnow(), data={"rating": rating}))
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
