"""`python app.py serve` as a real subprocess on a free port, for tests of the process itself:
its start, its shutdown (SIGTERM), its death (SIGKILL) and several of them side by side."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """One `python app.py serve` process (with `--workers N`, its supervisor)."""

    def __init__(self, database_url: str, *, log_level: str = "WARNING", port: int | None = None,
                 workers: int = 1, **environ: str) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "DATABASE_URL": database_url, "PORT": str(self.port), "LOG_LEVEL": log_level,
                       **environ}
        # Files, not pipes: a process that logs more than a pipe holds would block on its writes.
        self._out = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives as long as the process
        self._err = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen([sys.executable, "app.py", "serve", "--workers", str(workers)], cwd=ROOT,
                                        env=environment,
                                        stdout=self._out, stderr=self._err, text=True)
        self.stdout_text = self.stderr_text = ""

    async def healthy(self, timeout: float = 30.0) -> Served:
        async with aiohttp.ClientSession() as http:
            for _ in range(int(timeout * 10)):
                if self.process.poll() is not None:
                    break
                try:
                    async with http.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return self
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
        await self.stop()
        raise AssertionError(f"the server did not become healthy:\n{self.stderr_text[-3000:]}")

    async def kill(self) -> None:
        """kill -9: no shutdown of any kind."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        await self._collect()

    def terminate(self) -> None:
        """SIGTERM, as a redeploy sends it: the process may drain."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    async def stop(self, timeout: float = 60) -> int:
        self.terminate()
        await self._collect(timeout)
        return self.process.returncode

    async def wait(self, timeout: float = 60) -> int:
        """Until the process has exited by itself (or after terminate)."""
        await self._collect(timeout)
        return self.process.returncode

    async def _collect(self, timeout: float = 60) -> None:
        # In a thread: the loopback servers the process may still be talking to run on this loop.
        await asyncio.to_thread(self.process.wait, timeout)
        for stream, name in ((self._out, "stdout_text"), (self._err, "stderr_text")):
            stream.seek(0)
            setattr(self, name, stream.read())
        # Kept where the tests of the process contract read them.
        self.process.stdout_text, self.process.stderr_text = self.stdout_text, self.stderr_text


async def start_served(database_url: str, **options) -> Served:
    return await Served(database_url, **options).healthy()


@contextlib.asynccontextmanager
async def served(database_url: str, log_level: str = "WARNING") -> AsyncIterator[tuple[int, subprocess.Popen]]:
    """Yields (port, process) once /healthz answers 200; stops the process with SIGTERM."""
    server = await start_served(database_url, log_level=log_level)
    try:
        yield server.port, server.process
    finally:
        await server.stop(timeout=30)
