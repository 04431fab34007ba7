"""The process's background work: periodic jobs and long-running workers that stop gracefully.

A stop lets every job finish the round it is in (within a grace period) instead of cancelling
it in the middle; whatever is still running after the grace period is cancelled. Work that is
cut off this way leaves nothing stranded: every round commits its state changes together with
what must follow them (the next timer, the outbox messages), and unfinished claims and leases
are taken over by the other processes or the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.logging_setup import new_reference
from storage.db import StorageUnavailable

log = logging.getLogger("digimentor.background")


class Background:
    def __init__(self) -> None:
        self.stopping = asyncio.Event()
        self._tasks: dict[str, asyncio.Task] = {}

    def every(self, seconds: float, job: Callable[[], Awaitable[object]], name: str, *,
              at_once: bool = False) -> None:
        """Runs `job` every `seconds` (first at once when `at_once`); a failure is logged and the
        next round tries again."""
        self._tasks[name] = asyncio.create_task(self._every(seconds, job, name, at_once), name=name)

    def run(self, worker: Callable[[asyncio.Event], Awaitable[None]], name: str) -> None:
        """A long-running worker, handed the event that says it is time to stop."""
        self._tasks[name] = asyncio.create_task(worker(self.stopping), name=name)

    async def stop(self, grace: float, *, last: tuple[str, ...] = ()) -> None:
        """Stops every task, those named in `last` after the others."""
        self.stopping.set()
        first = [task for name, task in self._tasks.items() if name not in last]
        await _finish(first, grace)
        await _finish([self._tasks[name] for name in last if name in self._tasks], grace)
        self._tasks.clear()

    async def _every(self, seconds: float, job: Callable[[], Awaitable[object]], name: str, at_once: bool) -> None:
        if not at_once and await _stopped_within(self.stopping, seconds):
            return
        while True:
            try:
                await job()
            except StorageUnavailable:
                log.warning("background job skipped: database unavailable", extra={"job": name})
            except Exception:
                log.exception("background job failed", extra={"job": name, "reference": new_reference()})
            if await _stopped_within(self.stopping, seconds):
                return


async def _stopped_within(stopping: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
    return stopping.is_set()


async def _finish(tasks: list[asyncio.Task], grace: float) -> None:
    if not tasks:
        return
    _, late = await asyncio.wait(tasks, timeout=grace)
    for task in late:
        log.warning("background work cut off at shutdown", extra={"job": task.get_name()})
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
