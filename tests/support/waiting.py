"""Waiting on a condition instead of sleeping and hoping."""

from __future__ import annotations

import asyncio
import time


async def wait_until(condition, what: str, timeout: float = 5.0) -> None:
    """Polls `condition` until it holds; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.005)
