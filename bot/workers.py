"""`python app.py serve --workers N`: N serving processes on one port.

The supervisor migrates the database once, then starts N children (`app.py serve` each), which
all bind the same host and port with SO_REUSEPORT: the kernel spreads the connections between
them. Each child is a whole Digimentor process (heartbeat, outbox worker, background loops,
its share of the Teams budget); the database decides between them as between replicas.

SIGTERM or SIGINT to the supervisor is passed on to every child, which drains as a single
process does; the supervisor exits once they all have. A child that dies is started again; one
that keeps dying at once (five times within its first ten seconds) stops the whole service.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dialogs.cores import usable_cores

log = logging.getLogger("digimentor.workers")

APP = Path(__file__).resolve().parent.parent / "app.py"
QUICK_DEATH_SECONDS = 10.0
QUICK_DEATHS_ALLOWED = 5
STOP_TIMEOUT_SECONDS = 40.0


class WorkersRefused(ValueError):
    """The number of workers cannot be served on this database."""


def default_workers(database_url: str) -> int:
    """One per usable core (within a container's CPU quota) on PostgreSQL; one on SQLite, which
    has one writer at a time."""
    if database_url.startswith("sqlite"):
        return 1
    return usable_cores()


def check_workers(database_url: str, workers: int) -> None:
    if workers < 1:
        raise WorkersRefused("--workers: expected at least 1")
    if workers > 1 and database_url.startswith("sqlite"):
        raise WorkersRefused(f"--workers {workers}: several processes need PostgreSQL. SQLite has one writer "
                             f"at a time and its file is not shared between hosts: serve it with --workers 1, "
                             f"or set DATABASE_URL to postgresql+asyncpg://...")


class Supervisor:
    def __init__(self, workers: int, environ: dict[str, str] | None = None) -> None:
        self._workers = workers
        # The children skip the migration the supervisor has done, and share the port.
        self._environ = {**(environ or os.environ), "MIGRATE_ON_START": "false"}
        self._children: dict[int, tuple[subprocess.Popen, float]] = {}
        self._stopping = False
        self._quick_deaths = 0

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for slot in range(self._workers):
            self._start(slot)
        while not self._stopping:
            for slot, (child, started) in list(self._children.items()):
                if child.poll() is None or self._stopping:
                    continue
                log.warning("worker died; starting it again", extra={"worker": slot, "exit_code": child.returncode})
                if time.monotonic() - started < QUICK_DEATH_SECONDS:
                    self._quick_deaths += 1
                    if self._quick_deaths >= QUICK_DEATHS_ALLOWED:
                        log.error("workers keep dying at start; stopping", extra={"deaths": self._quick_deaths})
                        self._stopping = True
                        break
                time.sleep(0.5)
                self._start(slot)
            time.sleep(0.2)
        return self._stop_all()

    def _start(self, slot: int) -> None:
        child = subprocess.Popen([sys.executable, str(APP), "serve", "--workers", "1", "--reuse-port"],
                                 env=self._environ)
        self._children[slot] = (child, time.monotonic())

    def _stop(self, signum, frame) -> None:
        self._stopping = True

    def _stop_all(self) -> int:
        for child, _ in self._children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        codes = []
        for child, _ in self._children.values():
            try:
                codes.append(child.wait(timeout=max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                log.warning("worker did not stop in time; killed", extra={"pid": child.pid})
                child.kill()
                codes.append(child.wait())
        if any(code not in (0, -signal.SIGTERM) for code in codes):
            log.warning("workers stopped with errors", extra={"exit_codes": codes})
        return 0 if self._quick_deaths < QUICK_DEATHS_ALLOWED and all(c in (0, -signal.SIGTERM) for c in codes) else 1
