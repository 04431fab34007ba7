"""Structured JSON logs. Messages and extras never carry names, e-mails or question text."""

from __future__ import annotations

import logging
import sys
import uuid

from aiohttp.http_exceptions import HttpProcessingError
from pythonjsonlogger.json import JsonFormatter


class RefusedRequestFilter(logging.Filter):
    """aiohttp logs a malformed or oversized request, a client's fault it answers with 400, as
    an ERROR with a traceback (and the request's text): whoever sends many could flood the log.
    Such a record becomes one warning line without the request's content."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg, record.args = "malformed request refused", ()
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
            record.__dict__["status"] = error.code
            record.__dict__["error"] = type(error).__name__
        return True


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
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, RefusedRequestFilter) for f in server.filters):
        server.addFilter(RefusedRequestFilter())


def new_reference() -> str:
    """A short id the user can read out to support and that the log keeps."""
    return uuid.uuid4().hex[:10].upper()
