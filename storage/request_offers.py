"""The offers of help requests: who was offered which request, in which tier, and where their
offer card landed. Part of RequestRepository (storage/request_repository.py).

An offer round commits in one transaction: the widening to its tier (if any), the offers, the
request's next timer and the outbox messages that carry the offer cards. A process stopped at
any point leaves either all of it or none of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from storage.db import Database
from storage.models import HelpRequest, MentorProfile, OpenHelper, Person, RequestEvent, RequestOffer, RequestState
from storage.outbox import Outgoing, enqueue

# Offers a mentor can still act on.
OPEN_OFFER_STATES = ("pending", "sent")
WAITING_STATES = (RequestState.OPEN.value, RequestState.OFFERED.value)
# The tier a coordinator's alert is recorded in: past every tier of mentors.
COORDINATOR_TIER = 99


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


class _MovedOn(Exception):
    """The request left the tier the round was for: the round's writes are rolled back."""


class OfferStore:
    _database: Database

    async def add_offers(self, request_id: int, tier: int, mentor_ids: list[int], *, from_tier: int | None = None,
                         timer: datetime | None = None, offer_messages: Mapping[int, Outgoing] | None = None,
                         messages: Sequence[Outgoing] = ()) -> list[int] | None:
        """Records offers; returns the mentors newly offered. A retry, or another process
        offering the same mentor at the same moment, does not offer twice.

        With `from_tier`, the request must still be waiting in that tier (None otherwise:
        someone moved it on meanwhile, and nothing is written), and moves to `tier` when that
        is further, with an "escalated" event for each step. `timer` is its next escalation;
        `offer_messages` the offer card of each mentor, stored for those newly offered, and
        `messages` other messages that go out with them."""
        now = self._database.now()
        try:
            async with self._database.transaction() as session:
                added = await self._insert_offers(session, request_id, tier, mentor_ids, now) if mentor_ids else []
                if not added:
                    return added
                values: dict = {"state": RequestState.OFFERED.value, "updated_at": now}
                if timer is not None:
                    values["next_escalation_at"] = timer
                waiting = update(HelpRequest).where(HelpRequest.id == request_id)
                if from_tier is None:
                    waiting = waiting.where(HelpRequest.state == RequestState.OPEN.value)
                else:
                    waiting = waiting.where(HelpRequest.tier == from_tier, HelpRequest.state.in_(WAITING_STATES))
                    if tier != from_tier:
                        values.update(tier=tier, escalated=True, version=HelpRequest.version + 1)
                moved = await session.execute(waiting.values(**values))
                if from_tier is not None and moved.rowcount != 1:
                    raise _MovedOn
                if from_tier is not None:
                    add_widening_events(session, request_id, from_tier, tier, now)
                session.add(RequestEvent(request_id=request_id, kind="offered", at=now,
                                         data={"tier": tier, "mentors": added}))
                offer_messages = offer_messages or {}
                await enqueue(session, [*(offer_messages.get(m) for m in added), *messages], now)
        except _MovedOn:
            return None
        return added

    async def _insert_offers(self, session, request_id: int, tier: int, mentor_ids: list[int],
                             now: datetime) -> list[int]:
        # In id order: two rounds offering the same mentors then lock the rows in the same order,
        # so one waits for the other instead of the two deadlocking.
        rows = [{"request_id": request_id, "mentor_id": mentor_id, "tier": tier, "state": "pending",
                 "offered_at": now} for mentor_id in sorted(set(mentor_ids))]
        inserted = await session.execute(
            self._database.insert(RequestOffer).values(rows).on_conflict_do_nothing().returning(RequestOffer.mentor_id))
        new = set(inserted.scalars().all())
        return [mentor_id for mentor_id in dict.fromkeys(mentor_ids) if mentor_id in new]

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
                # An open helper is offered through the same rows.
                await session.execute(update(OpenHelper).where(OpenHelper.person_id == mentor_id)
                                      .values(reachable=False))

    async def open_offers(self, offers: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        """Which of these (request id, mentor id) offers can still be accepted: worth sending."""
        offers = set(offers)
        if not offers:
            return set()
        async with self._database.transaction() as session:
            rows = (await session.execute(
                select(RequestOffer.request_id, RequestOffer.mentor_id)
                .join(HelpRequest, HelpRequest.id == RequestOffer.request_id)
                .where(RequestOffer.request_id.in_({r for r, _ in offers}),
                       RequestOffer.mentor_id.in_({m for _, m in offers}),
                       RequestOffer.state.in_(OPEN_OFFER_STATES),
                       HelpRequest.state.in_([RequestState.OFFERED.value, RequestState.EXPIRED.value])))).all()
        return {(row.request_id, row.mentor_id) for row in rows} & offers

    async def offer_card(self, request_id: int, mentor_id: int) -> tuple[str, str] | None:
        """(conversation id, activity id) of the offer card delivered to the mentor, if any."""
        async with self._database.transaction() as session:
            row = (await session.execute(
                select(RequestOffer.conversation_id, RequestOffer.activity_id)
                .where(RequestOffer.request_id == request_id, RequestOffer.mentor_id == mentor_id))).one_or_none()
        return (row.conversation_id, row.activity_id) if row is not None and row.activity_id else None

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


def add_widening_events(session, request_id: int, from_tier: int, to_tier: int, now: datetime) -> None:
    for tier in range(from_tier + 1, to_tier + 1):
        session.add(RequestEvent(request_id=request_id, kind="escalated", at=now, data={"tier": tier}))
