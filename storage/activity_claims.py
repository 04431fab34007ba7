"""Recognising re-delivered activities, without ever skipping one whose turn did not finish.

Teams re-sends an activity it got no answer to (after about 15 s, or soon after a 503), and the
Connector's retries may reach any replica. Each delivery is claimed by a row naming the process
that runs its turn; the row counts for good only once the turn has finished. A redelivery:

- of a finished turn is a duplicate: nothing is done;
- of a turn still running in a live process waits (polling) for it to finish, and is then a
  duplicate; if it is still running after `wait` seconds, the live owner will answer, and the
  redelivery is a duplicate too;
- of a turn whose process is dead (its heartbeat is stale, or it stopped) takes the claim over
  with a conditional update, and runs the turn again: exactly one of several redeliveries wins;
- of a turn that failed gives no trouble: a failing turn gives its claim back (no owner), and
  the redelivery takes it over. When the database itself failed (so that failed too), this
  process keeps trying to give it back, and a redelivery reaching this process takes the claim
  over at once. The claim row stays: the question the first turn recorded is on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database, StorageUnavailable
from storage.models import ProcessedActivity
from storage.processes import ProcessRegistry

# How long a redelivery waits for the first delivery's turn in a live process to finish; longer
# than a process takes to be seen dead, so a redelivery arriving just after a crash runs.


@dataclass(frozen=True)
class Delivery:
    """The delivery whose turn is running: its stored key, and whether this turn took the claim
    over from an earlier turn (which may have recorded things the redelivery should find)."""

    key: str
    taken_over: bool


# Set by the handler for the turn: lets what the turn records be found again by its redelivery
# (storage/question_repository.py).
current_delivery: ContextVar[Delivery | None] = ContextVar("current_delivery", default=None)

CLAIM_WAIT_SECONDS = 8.0
POLL_SECONDS = 0.2
_RUN, _TAKEN, _DUPLICATE, _WAIT = object(), object(), object(), object()


class ActivityClaims:
    def __init__(self, database: Database, processes: ProcessRegistry, *, wait: float = CLAIM_WAIT_SECONDS,
                 poll: float = POLL_SECONDS) -> None:
        self._database = database
        self._processes = processes
        self._wait = wait
        self._poll = poll
        # Turns running in this process, by stored key: set when the turn ends.
        self._running: dict[str, asyncio.Event] = {}
        # Claims this process could not write back because the database was down: to delete
        # (the turn failed) or to mark finished (it answered); retried by `write_back`.
        self._to_release: set[str] = set()
        self._to_finish: set[str] = set()
        # Running turns that took their claim over from an earlier turn.
        self._taken_over: set[str] = set()

    async def claim(self, activity_key: str) -> bool:
        """True when this delivery's turn is to run here; False for a duplicate."""
        key = _stored_key(activity_key)
        if key in self._to_finish:
            return False  # answered here; only the database did not hear of it yet
        me = await self._processes.id()
        deadline = time.monotonic() + self._wait
        while True:
            running = self._running.get(key)
            if running is None:
                # Reserved before the database is asked: a claim of this process's own that
                # no running turn holds is then surely one left by a failed turn.
                self._running[key] = asyncio.Event()
                try:
                    outcome = await self._try(key, me)
                except BaseException:
                    self._ended(key)
                    raise
                if outcome is not _DUPLICATE and outcome is not _WAIT:
                    self._to_release.discard(key)
                    if outcome is _TAKEN:
                        self._taken_over.add(key)
                    return True
                self._ended(key)
                if outcome is _DUPLICATE:
                    return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False  # its live owner is still answering it
            if running is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(running.wait(), remaining)
            else:
                await asyncio.sleep(min(self._poll, remaining))

    async def _try(self, key: str, me: int) -> object:
        """Claims the key for this process if its turn is to run: _RUN (a first delivery),
        _TAKEN (taken over from an earlier turn), _DUPLICATE, or _WAIT while another live
        process runs it."""
        while True:
            if await self._insert(key, me):
                return _RUN
            state = await self._read(key)
            if state is None:
                continue  # given back meanwhile: claim it afresh
            owner, finished, owner_alive = state
            if finished:
                return _DUPLICATE
            if owner == me or not owner_alive:
                # Ours with no turn running it (it failed while the database was down), or
                # its process is gone: take it over, unless another redelivery just did.
                if await self._take_over(key, me, only_from=owner):
                    return _TAKEN
                continue
            return _WAIT

    async def finish(self, activity_key: str) -> None:
        """The turn answered: redeliveries are duplicates from now on."""
        key = _stored_key(activity_key)
        try:
            await self._mark_finished(key)
        except StorageUnavailable:
            self._to_finish.add(key)
        finally:
            self._ended(key)

    def delivery(self, activity_key: str) -> Delivery:
        """The running turn's delivery, for `delivery_scope`."""
        key = _stored_key(activity_key)
        return Delivery(key, key in self._taken_over)

    async def release(self, activity_key: str) -> None:
        """A turn that failed gives its claim back, so that Teams' retry is processed."""
        key = _stored_key(activity_key)
        try:
            await self._give_back(key)
        except StorageUnavailable:
            self._to_release.add(key)
            raise
        finally:
            self._ended(key)

    async def write_back(self) -> None:
        """Retries what the database missed while it was down (called with the heartbeat)."""
        for key in list(self._to_finish):
            await self._mark_finished(key)
            self._to_finish.discard(key)
        for key in list(self._to_release):
            if key not in self._running:
                await self._give_back(key)
            self._to_release.discard(key)

    async def forget_older_than(self, age: timedelta) -> int:
        async with self._database.transaction() as session:
            result = await session.execute(
                delete(ProcessedActivity).where(ProcessedActivity.received_at < self._database.now() - age))
            return result.rowcount or 0

    # -- SQL -----------------------------------------------------------------------------------
    async def _insert(self, key: str, me: int) -> bool:
        # The first delivery is by far the commonest: a plain insert is the cheapest claim.
        try:
            async with self._database.connection() as connection:
                await connection.execute(insert(ProcessedActivity).values(
                    activity_key=key, received_at=self._database.now(), owner_process_id=me))
            return True
        except IntegrityError:
            return False

    async def _read(self, key: str) -> tuple[int | None, bool, bool] | None:
        """(owner, finished, owner alive) of the claim, or None when there is none."""
        claim = ProcessedActivity
        query = select(claim.owner_process_id, claim.finished_at.is_not(None),
                       self._processes.alive(claim.owner_process_id)).where(claim.activity_key == key)
        async with self._database.connection() as connection:
            row = (await connection.execute(query)).one_or_none()
        return None if row is None else (row[0], bool(row[1]), bool(row[2]))

    async def _take_over(self, key: str, me: int, *, only_from: int | None) -> bool:
        """Claims an unfinished claim whose owner is still `only_from` and, unless that is this
        process, still dead: of two redeliveries taking over at once, one wins."""
        claim = ProcessedActivity
        owner = claim.owner_process_id
        conditions = [claim.activity_key == key, claim.finished_at.is_(None),
                      owner.is_(None) if only_from is None else owner == only_from]
        if only_from != me:
            conditions.append(or_(owner.is_(None), ~self._processes.alive(owner)))
        async with self._database.connection() as connection:
            result = await connection.execute(update(claim).where(and_(*conditions))
                                              .values(owner_process_id=me, received_at=self._database.now()))
        return result.rowcount == 1

    async def _mark_finished(self, key: str) -> None:
        async with self._database.connection() as connection:
            await connection.execute(update(ProcessedActivity).where(ProcessedActivity.activity_key == key)
                                     .values(finished_at=self._database.now()))

    async def _give_back(self, key: str) -> None:
        # Only an unfinished claim this process still owns: another process may have taken it over.
        me = self._processes.registered_id
        async with self._database.connection() as connection:
            await connection.execute(update(ProcessedActivity).where(
                ProcessedActivity.activity_key == key, ProcessedActivity.finished_at.is_(None),
                ProcessedActivity.owner_process_id == me).values(owner_process_id=None))

    # -- this process's running turns ----------------------------------------------------------
    def _started(self, key: str) -> bool:
        self._running[key] = asyncio.Event()
        return True

    def _ended(self, key: str) -> None:
        self._taken_over.discard(key)
        event = self._running.pop(key, None)
        if event is not None:
            event.set()


@contextlib.contextmanager
def delivery_scope(delivery: Delivery) -> Iterator[None]:
    """The turn of this delivery runs inside: see `current_delivery`."""
    token = current_delivery.set(delivery)
    try:
        yield
    finally:
        current_delivery.reset(token)


def _stored_key(activity_key: str) -> str:
    """A fixed-length digest: cutting a long key short would make two deliveries in a
    conversation with a long id look like one, and the second would be dropped."""
    return hashlib.sha256(activity_key.encode("utf-8", "surrogatepass")).hexdigest()
