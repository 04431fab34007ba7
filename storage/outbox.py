"""The durable outbound queue: proactive messages (offers, card updates, notices, digests) stored
in the same transaction as the state change that needs them, then delivered by a worker that
runs in every process (dialogs/flows/deliveries.py).

A message is claimed by one process at a time: `FOR UPDATE SKIP LOCKED` on PostgreSQL, one
conditional UPDATE on SQLite (which has one writer at a time). The claim names the process; a
message whose process died (storage/processes.py) or whose lease ran out is made pending again
(each process looks every second) and claimed anew.
Messages to one person go out in the order they were stored: a message is not claimed while an
earlier one to the same person is still waiting or being sent.

A message is sent twice only when its process dies between the Bot Connector accepting it and
the worker recording that (a few milliseconds); the Bot Connector has no idempotency key that
would let a second process tell.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, and_, bindparam, case, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.db import Database
from storage.models import AnnouncementDelivery, OutboxMessage, RequestOffer, UtcDateTime
from storage.processes import ProcessRegistry

# A message being sent by a live process is left to it this long before another may take it.
LEASE = timedelta(minutes=5)
# How often a process looks for messages left "sending" by a dead process (elapsed time).
RECLAIM_SECONDS = 1.0
WAITING = ("pending", "sending")
FINISHED = ("sent", "skipped", "failed", "unreachable")


@dataclass(frozen=True)
class Outgoing:
    """A message to store. `purpose`: "offer" (the offer card of request_offers row
    (request_id, mentor_id)), "update" (replace that offer card), "notice", "digest" or
    "announcement" (announcement_deliveries row `announcement_delivery_id`, its card made when
    it is sent)."""

    recipient: str
    purpose: str = "notice"
    text: str | None = None
    card: dict | None = None
    request_id: int | None = None
    mentor_id: int | None = None
    announcement_delivery_id: int | None = None


@dataclass(frozen=True)
class Claimed:
    id: int
    recipient: str
    purpose: str
    text: str | None
    card: dict | None
    request_id: int | None
    mentor_id: int | None
    attempts: int  # this one included
    announcement_delivery_id: int | None = None


async def enqueue(session: AsyncSession, messages: Iterable[Outgoing | None], now: datetime) -> int:
    """Stores the messages in the caller's transaction; the worker hears of them on commit."""
    rows = [{"recipient": m.recipient.lower(), "purpose": m.purpose, "text": m.text, "card": m.card,
             "request_id": m.request_id, "mentor_id": m.mentor_id, "state": "pending", "attempts": 0,
             "announcement_delivery_id": m.announcement_delivery_id, "due_at": now, "created_at": now}
            for m in messages if m is not None]
    if rows:
        await session.execute(OutboxMessage.__table__.insert(), rows)
        session.info["outbox"] = True
    return len(rows)


async def _mark_delivery(session: AsyncSession, message: Claimed, state: str, delivered_at: datetime | None) -> None:
    """An announcement's delivery follows its message, in the message's own transaction."""
    if message.announcement_delivery_id is not None:
        await session.execute(update(AnnouncementDelivery).where(
            AnnouncementDelivery.id == message.announcement_delivery_id, AnnouncementDelivery.state == "pending")
            .values(state=state, delivered_at=delivered_at))


class OutboxRepository:
    def __init__(self, database: Database, processes: ProcessRegistry, *, lease: timedelta = LEASE) -> None:
        self._database = database
        self._processes = processes
        self._lease = lease
        self._claim = None
        self._next_reclaim = 0.0

    async def add(self, messages: Iterable[Outgoing | None]) -> int:
        """Stores messages in a transaction of their own."""
        async with self._database.transaction() as session:
            return await enqueue(session, messages, self._database.now())

    async def claim(self, limit: int) -> list[Claimed]:
        """Up to `limit` messages due now, each claimed by this process alone."""
        if limit <= 0:
            return []
        me, now = await self._processes.id(), self._database.now()
        if self._claim is None:
            self._claim = self._claim_statement()
        if time.monotonic() >= self._next_reclaim:
            self._next_reclaim = time.monotonic() + RECLAIM_SECONDS
            await self._reclaim_abandoned(now)
        async with self._database.transaction() as session:
            rows = (await session.execute(self._claim, {"now": now, "limit": limit, "me": me,
                                                        "leased_until": now + self._lease})).all()
        return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)

    def _claim_statement(self):
        # Built once: the statement is run on every commit that stores messages, and building
        # it costs more than running it.
        # Pending rows are few among the delivered ones: the (state, due_at) index finds them.
        due = (select(OutboxMessage.id).where(self._claimable(bindparam("now", type_=UtcDateTime())))
               .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(bindparam("limit", type_=Integer())))
        if self._database.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        return (update(OutboxMessage).where(OutboxMessage.id.in_(due.scalar_subquery()))
                .values(state="sending", owner_process_id=bindparam("me"), leased_until=bindparam("leased_until"),
                        attempts=OutboxMessage.attempts + 1)
                .returning(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.purpose, OutboxMessage.text,
                           OutboxMessage.card, OutboxMessage.request_id, OutboxMessage.mentor_id,
                           OutboxMessage.attempts, OutboxMessage.announcement_delivery_id))

    async def _reclaim_abandoned(self, now: datetime) -> int:
        """Messages being sent by a process that died, or for longer than the lease, wait again."""
        row = OutboxMessage
        async with self._database.transaction() as session:
            result = await session.execute(
                update(row).where(row.state == "sending",
                                  or_(row.leased_until < now, ~self._processes.alive(row.owner_process_id)))
                .values(state="pending", owner_process_id=None, leased_until=None))
        return result.rowcount or 0

    async def sent(self, message: Claimed, conversation_id: str, activity_id: str) -> None:
        """Delivered. For an offer, the card's location goes on the offer too, so that any
        process can replace the card later (even if the offer was taken meanwhile)."""
        async with self._database.transaction() as session:
            await session.execute(self._mine(message).values(
                state="sent", conversation_id=conversation_id, activity_id=activity_id,
                finished_at=self._database.now(), leased_until=None))
            if message.purpose == "offer":
                await session.execute(update(RequestOffer).where(
                    RequestOffer.request_id == message.request_id, RequestOffer.mentor_id == message.mentor_id)
                    .values(conversation_id=conversation_id, activity_id=activity_id,
                            state=case((RequestOffer.state == "pending", "sent"), else_=RequestOffer.state)))
            await _mark_delivery(session, message, "sent", self._database.now())

    async def finish(self, message: Claimed, state: str) -> None:
        """Skipped (no longer needed), failed for good, or unreachable."""
        assert state in FINISHED, state
        async with self._database.transaction() as session:
            await session.execute(self._mine(message).values(state=state, finished_at=self._database.now(),
                                                             leased_until=None))
            await _mark_delivery(session, message, state, None)

    async def retry(self, message: Claimed, due_at: datetime) -> None:
        async with self._database.transaction() as session:
            await session.execute(self._mine(message).values(state="pending", due_at=due_at,
                                                             owner_process_id=None, leased_until=None))

    async def release(self, messages: Iterable[Claimed]) -> None:
        """Gives messages back unsent (this process is stopping): any process may send them now."""
        ids = [m.id for m in messages]
        if ids:
            async with self._database.transaction() as session:
                await session.execute(
                    update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.state == "sending",
                                                OutboxMessage.owner_process_id == self._processes.registered_id)
                    .values(state="pending", owner_process_id=None, leased_until=None))

    async def forget_finished_older_than(self, age: timedelta) -> int:
        """Delivered and given-up messages carry question texts: they are kept only briefly."""
        async with self._database.transaction() as session:
            result = await session.execute(delete(OutboxMessage).where(
                OutboxMessage.state.in_(FINISHED), OutboxMessage.finished_at < self._database.now() - age))
            return result.rowcount or 0

    def _mine(self, message: Claimed):
        return update(OutboxMessage).where(OutboxMessage.id == message.id, OutboxMessage.state == "sending",
                                           OutboxMessage.owner_process_id == self._processes.registered_id)

    def _claimable(self, now):
        row, earlier = OutboxMessage, aliased(OutboxMessage)
        waiting_before = exists().where(earlier.recipient == row.recipient, earlier.id < row.id,
                                        earlier.state.in_(WAITING))
        return and_(row.state == "pending", row.due_at <= now, ~waiting_before)
