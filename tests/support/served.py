"""`python app.py serve` as a real subprocess on a free port, for tests of the process itself."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def served(database_url: str, log_level: str = "WARNING") -> AsyncIterator[tuple[int, subprocess.Popen]]:
    """Yields (port, process) once /healthz answers 200; stops the process with SIGTERM."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), "LOG_LEVEL": log_level}
    process = subprocess.Popen([sys.executable, "app.py", "serve"], cwd=ROOT, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(150):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the server did not become healthy")
        yield port, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.stdout_text, process.stderr_text = process.communicate(timeout=30)
