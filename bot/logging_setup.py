"""Structured JSON logs. Messages and extras never carry names, e-mails or question text."""

from __future__ import annotations

import logging
import sys
import uuid

from pythonjsonlogger.json import JsonFormatter


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level"})
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log would record every request line; keep it at warnings.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def new_reference() -> str:
    """A short id the user can read out to support and that the log keeps."""
    return uuid.uuid4().hex[:10].upper()
