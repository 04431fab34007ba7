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
    # These log request lines and URLs that carry people's object ids: warnings only.
    for noisy in ("aiohttp.access", "httpx", "httpcore", "azure.identity",
                  "azure.core.pipeline.policies.http_logging_policy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def new_reference() -> str:
    """A short id the user can read out to support and that the log keeps."""
    return uuid.uuid4().hex[:10].upper()
