"""Delivering the outbox: every process runs this worker, and the database decides which process
sends which message (storage/outbox.py).

Each message is sent through the Messenger port (bot/messenger.py: the outbound queue's rate
limits, quick retries of transient answers). What follows a delivery or a failure:

- an offer whose request was taken, cancelled or expired meanwhile is not sent at all;
- an update of an offer card waits for the card to have been delivered (messages to one person
  go out in order) and is dropped when the card never was;
- a transient failure is tried again later, with a growing pause (5 s, 30 s, 2 min, 10 min),
  then given up;
- 403 (blocked, uninstalled) or no conversation at all marks the message unreachable; for an
  offer the mentor is marked unreachable too, and when that was the last open offer the round
  goes on with other mentors (dialogs/flows/offer_rounds.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from dialogs.clock import Clock
from dialogs.flows.offer_rounds import OfferRounds
from dialogs.ports import Delivery, DeliveryFailed, Messenger
from storage.db import StorageUnavailable
from storage.outbox import Claimed, OutboxRepository
from storage.request_repository import RequestRepository

log = logging.getLogger(__name__)

RETRY_PAUSES = (timedelta(seconds=5), timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10))
# A retry cannot change these answers (Teams: 400, 401, 404; 413: too large, refused before sending).
PERMANENT = frozenset({400, 401, 404, 413})
IN_FLIGHT = 32  # messages being sent at once by one process
POLL_SECONDS = 1.0  # how often to look for messages stored by other processes
DRAIN_SECONDS = 4.0  # at shutdown, how long the sends in flight may take to finish


class Deliveries:
    def __init__(self, outbox: OutboxRepository, messenger: Messenger, requests: RequestRepository,
                 rounds: OfferRounds, clock: Clock, *, in_flight: int = IN_FLIGHT,
                 poll_seconds: float = POLL_SECONDS,
                 announcement_card: Callable[[int], Awaitable[dict | None]] | None = None) -> None:
        self._outbox = outbox
        # An announcement's card is made when it is sent (dialogs/flows/announcements.py).
        self._announcement_card = announcement_card
        self._messenger = messenger
        self._requests = requests
        self._rounds = rounds
        self._clock = clock
        self._in_flight = in_flight
        self._poll_seconds = poll_seconds
        self._sending: dict[asyncio.Task, Claimed] = {}
        self._claiming = asyncio.Lock()
        self._wake = asyncio.Event()
        self._more = False  # the last claim was full: there may be more waiting

    def wake(self) -> None:
        """Something was stored: look now instead of at the next poll."""
        self._wake.set()

    async def run(self, stopping: asyncio.Event, *, drain: float = DRAIN_SECONDS) -> None:
        """The worker: until `stopping`, claims what is due and sends it; then lets the sends in
        flight finish within `drain` seconds and gives the rest back."""
        try:
            await self._run(stopping)
        finally:
            await self.stop(drain)

    async def _run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self.deliver_due()
            except StorageUnavailable:
                log.warning("outbox round skipped: database unavailable")
            except Exception:
                log.exception("outbox round failed")
            waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stopping.wait())]
            await asyncio.wait(waits, timeout=self._poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()
            self._wake.clear()

    async def deliver_due(self) -> int:
        """Claims as many due messages as there is room for and starts sending them."""
        async with self._claiming:  # what is claimed is being sent once this returns
            return await self._claim_and_send()

    async def _claim_and_send(self) -> int:
        room = self._in_flight - len(self._sending)
        if room <= 0:
            self._more = True
            return 0
        claimed = await self._outbox.claim(room)
        self._more = len(claimed) == room
        offers = [(m.request_id, m.mentor_id) for m in claimed if m.purpose == "offer"]
        try:
            still_open = await self._requests.open_offers(offers) if offers else set()
        except StorageUnavailable:
            still_open = set(offers)  # sent as they are: the database will not record it anyway
        for message in claimed:
            wanted = message.purpose != "offer" or (message.request_id, message.mentor_id) in still_open
            task = asyncio.create_task(self._deliver(message, wanted))
            self._sending[task] = message
            task.add_done_callback(self._sent)
        return len(claimed)

    async def settle(self, timeout: float = 30.0) -> None:
        """Until nothing is due and nothing is being sent (tests, and the end of a drain)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            claimed = await self.deliver_due()
            if self._sending:
                await asyncio.wait(list(self._sending), timeout=max(0.0, deadline - loop.time()))
            elif not claimed:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"the outbox did not settle within {timeout:g} s")

    async def stop(self, grace: float) -> None:
        """Lets the sends in flight finish within `grace`; the rest go back to the outbox unsent,
        for any process to send."""
        if self._sending:
            _, late = await asyncio.wait(list(self._sending), timeout=grace)
            left = [self._sending[task] for task in late]
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            with contextlib.suppress(StorageUnavailable):
                await self._outbox.release(left)

    async def forget_delivered(self) -> int:
        """Delivered and given-up messages carry question texts: kept a day, for inspection."""
        return await self._outbox.forget_finished_older_than(timedelta(days=1))

    def _sent(self, task: asyncio.Task) -> None:
        self._sending.pop(task, None)
        if self._more:
            self._wake.set()

    async def _deliver(self, message: Claimed, wanted: bool = True) -> None:
        try:
            if not wanted:
                await self._outbox.finish(message, "skipped")  # taken, cancelled or declined meanwhile
                return
            if message.purpose == "update":
                card = await self._requests.offer_card(message.request_id, message.mentor_id)
                if card is None:
                    await self._outbox.finish(message, "skipped")  # the card never reached them
                    return
                await self._messenger.update_card(Delivery(message.recipient, *card), message.card)
                await self._outbox.sent(message, *card)
                return
            card = message.card
            if message.purpose == "announcement":
                card = await self._announcement_card(message.announcement_delivery_id) \
                    if self._announcement_card is not None else None
                if card is None:
                    await self._outbox.finish(message, "skipped")  # the announcement is gone
                    return
            delivery = await self._messenger.send(message.recipient, text=message.text, card=card)
            await self._outbox.sent(message, delivery.conversation_id, delivery.activity_id)
        except DeliveryFailed as failure:
            await self._failed(message, failure)
        except StorageUnavailable:
            # Left claimed: the lease runs out, or this process dies and another takes it.
            log.warning("outbox message left for later: database unavailable", extra={"outbox_id": message.id})
        except Exception:
            log.exception("outbox message failed", extra={"outbox_id": message.id})
            if not await self._retry_or_give_up(message):
                await self._outbox.finish(message, "failed")

    async def _failed(self, message: Claimed, failure: DeliveryFailed) -> None:
        log.warning("outbox message not delivered", extra={
            "outbox_id": message.id, "purpose": message.purpose, "status": failure.status,
            "unreachable": failure.unreachable, "attempt": message.attempts})
        if failure.unreachable:
            await self._outbox.finish(message, "unreachable")
        elif failure.status in PERMANENT or not await self._retry_or_give_up(message):
            await self._outbox.finish(message, "failed")
        else:
            return
        if message.purpose == "offer":
            await self._rounds.offer_failed(message.request_id, message.mentor_id, failure.unreachable)

    async def _retry_or_give_up(self, message: Claimed) -> bool:
        """True when the message will be tried again later."""
        if message.attempts > len(RETRY_PAUSES):
            return False
        await self._outbox.retry(message, self._clock.now() + RETRY_PAUSES[message.attempts - 1])
        return True
