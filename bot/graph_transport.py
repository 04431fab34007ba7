"""The HTTP side of the Microsoft Graph client: msgraph-sdk's middleware chain with a retry
handler that honours Retry-After but never sleeps past the caller's deadline."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from urllib.parse import urlparse

import httpx
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware import RetryHandler
from kiota_http.middleware.middleware import BaseMiddleware
from msgraph.graph_request_adapter import options as GRAPH_MIDDLEWARE_OPTIONS
from msgraph_core import GraphClientFactory
from msgraph_core.middleware import GraphTelemetryHandler
from msgraph_core.middleware.options import GraphTelemetryHandlerOption

from bot.retry_after import retry_after_seconds

log = logging.getLogger("digimentor.graph")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# When the current Graph call must be over (event-loop time), so that retries never outlast it.
DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("graph_deadline", default=None)


class BoundedRetryHandler(BaseMiddleware):
    """Retries 429/502/503/504, waiting what Retry-After asks (else 0.5 s, 1 s, 2 s ...), while the
    wait fits both `max_total_wait` and the deadline of the call; otherwise hands back the error
    response at once, so the caller's bounded timeout is never spent sleeping in vain."""

    def __init__(self, max_retries: int = 3, max_total_wait: float = 10.0, backoff: float = 0.5) -> None:
        super().__init__()
        self.max_retries = max_retries
        self.max_total_wait = max_total_wait
        self.backoff = backoff

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport) -> httpx.Response:
        waited = 0.0
        attempt = 0
        while True:
            response = await super().send(request, transport)
            if response.status_code not in RETRY_STATUSES or attempt >= self.max_retries:
                return response
            delay = retry_after_seconds(response.headers.get("Retry-After"))
            if delay is None:
                delay = self.backoff * (2 ** attempt)
            budget = self.max_total_wait - waited
            deadline = DEADLINE.get()
            if deadline is not None:
                # Leave a little room for the retried request itself.
                budget = min(budget, deadline - asyncio.get_running_loop().time() - 0.2)
            if delay > budget:
                log.info("graph retry skipped: the wait would pass the bound",
                         extra={"status": response.status_code, "retry_after": delay})
                return response
            await response.aclose()
            await asyncio.sleep(delay)
            waited += delay
            attempt += 1
            request.headers["Retry-Attempt"] = str(attempt)


def build_http_client(base_url: str, *, timeout: float = 10.0, max_retries: int = 3,
                      max_total_wait: float = 10.0, http2: bool = True) -> httpx.AsyncClient:
    """An httpx client with the SDK's Graph middleware chain, our retry handler in place of kiota's."""
    client = httpx.AsyncClient(base_url=base_url, http2=http2,
                               timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))
    middleware: list[BaseMiddleware] = []
    for ware in KiotaClientFactory.get_default_middleware(GRAPH_MIDDLEWARE_OPTIONS):
        if isinstance(ware, RetryHandler):
            ware = BoundedRetryHandler(max_retries=max_retries, max_total_wait=max_total_wait)
        middleware.append(ware)
    telemetry = GRAPH_MIDDLEWARE_OPTIONS.get(GraphTelemetryHandlerOption.get_key())
    middleware.append(GraphTelemetryHandler(options=telemetry) if telemetry else GraphTelemetryHandler())
    return GraphClientFactory.create_with_custom_middleware(middleware, client=client)


def graph_scope(base_url: str) -> str:
    """`https://graph.microsoft.com/.default` for the public cloud, the national host's elsewhere;
    the public-cloud scope for a loopback test server."""
    parsed = urlparse(base_url)
    if parsed.scheme == "https" and parsed.hostname:
        return f"https://{parsed.hostname}/.default"
    return "https://graph.microsoft.com/.default"
