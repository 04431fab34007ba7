"""The HTTP driver under every reused ConnectorClient: aiohttp on the event loop.

msrest's default driver runs `requests` in the loop's default thread pool: two thread hops per
call, and no more calls in flight than that pool has threads (six on a 2-CPU host), so one
slow Bot Connector call holds up the replies of other turns. This driver keeps what requests
did with msrest's configuration (headers, timeouts, TLS, proxy, redirects and urllib3's retry
decisions) and hands msrest the same response objects; tests/test_outbound_clients.py checks
it against the stock client. It is also where every Bot Connector call waits for its slot in
the deployment's one Teams budget (bot/teams_budget.py): replies in a turn, proactive sends and
card updates alike.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from dataclasses import dataclass
from typing import Any

import aiohttp
import requests
from botframework.connector import BotFrameworkConnectorConfiguration
from msrest.exceptions import ClientRequestError, raise_with_traceback
from msrest.universal_http import ClientRequest
from msrest.universal_http.async_abc import AsyncHTTPSender
from msrest.universal_http.async_requests import AsyncRequestsClientResponse
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict
from requests.utils import (
    DEFAULT_CA_BUNDLE_PATH,
    get_encoding_from_headers,
    get_environ_proxies,
    select_proxy,
)
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError
from yarl import URL

from bot.teams_budget import TeamsBudget


class _SessionHeaders:
    """What botframework's credentials policy signs: it sets or removes `headers["Authorization"]`.

    AsyncBfPipeline hands the driver's `session` to AppCredentials.signed_session, which only
    touches `.headers`; the driver sends those headers with every request, as requests would.
    """

    __slots__ = ("headers",)

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}


def _as_requests_response(response: aiohttp.ClientResponse, body: bytes, url: str) -> requests.Response:
    """The fully read aiohttp response as the requests.Response msrest would have had, so that
    text decoding, raise_for_status and ErrorResponseException.response stay what they were."""
    headers = CaseInsensitiveDict()
    for name, value in response.headers.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value  # as urllib3 joins them
    result = requests.Response()
    result.status_code = response.status
    result.reason = response.reason
    result.headers = headers
    result.encoding = get_encoding_from_headers(headers)
    result.url = url
    result._content = body
    result._content_consumed = True
    return result


class _RetryAfterView:
    """The two things urllib3's Retry reads from a response."""

    def __init__(self, status: int, headers: Any) -> None:
        self.status = status
        self.headers = headers

    def get_redirect_location(self) -> bool:
        return False  # aiohttp follows redirects itself


class AioHttpConnectorDriver(AsyncHTTPSender):
    """The msrest driver of one ConnectorClient: aiohttp on the event loop, one session per client.

    msrest's default driver runs `requests` in the loop's default thread pool: two thread hops
    per call, and no more calls in flight than that pool has threads (min(32, CPUs + 4): six on
    a 2-CPU host), so one slow Bot Connector call holds up the replies of other turns.
    msrest's own aiohttp driver (msrest.universal_http.aiohttp.AioHTTPSender) cannot stand in:
    it sends neither the request's headers nor its body, passes msrest's `stream` flag on to
    aiohttp, and has no `session` for botframework's credentials policy to sign.

    What requests did with msrest's configuration is kept: the headers (the signed
    Authorization, config.headers, the request's own), timeouts and TLS verification from
    config.connection with requests' choice of CA bundle, redirects from config.redirect_policy,
    the environment's proxy for the service URL, and the retry decisions, taken by the very
    urllib3 Retry object msrest configures (config.retry_policy): connection failures retried
    for every method, read failures and the retry status codes only for idempotent methods,
    Retry-After honoured. Transport failures surface as msrest.exceptions.ClientRequestError.
    """

    def __init__(self, transport: "Transport", budget: TeamsBudget | None = None) -> None:
        self.session = _SessionHeaders()
        # Every attempt waits for its slot in the deployment's Teams budget (bot/teams_budget.py).
        self._budget = budget
        self.config: BotFrameworkConnectorConfiguration | None = None  # set once the configuration exists
        self._transport = transport
        # trust_env stays off: the proxy was resolved once for the service URL, and aiohttp
        # would otherwise read netrc and the environment in a worker thread for every request.
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))

    async def __aenter__(self) -> "AioHttpConnectorDriver":
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        await self.close()

    async def close(self) -> None:
        if not self._http.closed:
            await self._http.close()

    async def send(self, request: ClientRequest, **kwargs: Any) -> AsyncRequestsClientResponse:
        config = self.config
        if request.files:
            raise ClientRequestError("multipart uploads are not supported by the Bot Connector driver")
        # requests' precedence: session headers (the signed Authorization), then the
        # configuration's, then the request's own; None drops a header; Content-Length is
        # recomputed from the body.
        merged = CaseInsensitiveDict(self.session.headers)
        merged.update(config.headers)
        merged.update(request.headers)
        merged.pop("Content-Length", None)
        headers = [(name, value) for name, value in merged.items() if value is not None]
        data = request.data
        if isinstance(data, str):
            data = data.encode("utf-8")
        options = self._request_options(config, kwargs)
        method = request.method.upper()
        url = _as_requests_sends_it(request.url)
        retry = config.retry_policy()
        while True:
            if self._budget is not None:
                await self._budget.acquire(request.url)
            try:
                async with self._http.request(method, url, headers=headers, data=data, **options) as response:
                    body = await response.read()
                    if response.status == 429 and self._budget is not None:
                        self._budget.throttled(request.url, response.headers.get("Retry-After"))
            except (aiohttp.InvalidURL, aiohttp.TooManyRedirects):
                raise_with_traceback(ClientRequestError, "Error occurred in request.")
            except (TimeoutError, aiohttp.ClientError) as error:
                try:
                    retry = retry.increment(method, request.url, error=_as_urllib3_error(error, request.url))
                except (MaxRetryError, ConnectTimeoutError, ProtocolError, ReadTimeoutError, Urllib3SSLError):
                    raise_with_traceback(ClientRequestError, "Error occurred in request.")
                await asyncio.sleep(retry.get_backoff_time())
                continue
            if retry.is_retry(method, response.status, bool(response.headers.get("Retry-After"))):
                view = _RetryAfterView(response.status, response.headers)
                try:
                    retry = retry.increment(method, request.url, response=view)
                except MaxRetryError:
                    if retry.raise_on_status:
                        raise_with_traceback(ClientRequestError, "Error occurred in request.")
                    return AsyncRequestsClientResponse(request, _as_requests_response(response, body, str(url)))
                await asyncio.sleep(_retry_delay(retry, view))
                continue
            return AsyncRequestsClientResponse(request, _as_requests_response(response, body, str(url)))

    def _request_options(self, config: BotFrameworkConnectorConfiguration, kwargs: dict) -> dict:
        timeout = kwargs.get("timeout", config.connection.timeout)
        connect_timeout, read_timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        verify = kwargs.get("verify", config.connection.verify)
        redirects = config.redirect_policy
        return {
            "timeout": aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout, sock_read=read_timeout),
            "allow_redirects": bool(kwargs.get("allow_redirects", bool(redirects))),
            "max_redirects": int(redirects()),
            "proxy": self._transport.proxy,
            "ssl": self._transport.tls if verify is True else _tls_context(verify),
        }


@dataclass(frozen=True)
class Transport:
    """The proxy and TLS trust requests would use for a service URL, worked out once."""

    proxy: str | None
    tls: ssl.SSLContext | bool  # True: aiohttp's default (only met by a plain-http service URL)

    @classmethod
    def for_url(cls, service_url: str) -> "Transport":
        tls = _tls_context(True) if service_url.lower().startswith("https:") else True
        return cls(proxy=select_proxy(service_url, get_environ_proxies(service_url)), tls=tls)


def _tls_context(verify: bool | str) -> ssl.SSLContext | bool:
    """requests' rules: False = no verification; a path = that CA bundle; True = the bundle in
    REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, else certifi's."""
    if verify is False:
        return False
    if verify is True:
        verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or DEFAULT_CA_BUNDLE_PATH
    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)


def _as_requests_sends_it(url: str) -> URL:
    """The URL byte for byte as requests sends it. yarl would otherwise normalise msrest's
    quoting, e.g. send a Teams conversation id "19%3Aabc%40thread.tacv2%3Bmessageid%3D1"
    as "19:abc@thread.tacv2;messageid=1"."""
    prepared = PreparedRequest()
    prepared.prepare_url(url, None)
    return URL(prepared.url, encoded=True)


def _as_urllib3_error(error: BaseException, url: str) -> Exception:
    """Classifies an aiohttp failure the way urllib3's Retry expects to see it."""
    if isinstance(error, (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError)) and not isinstance(
        error, aiohttp.ClientSSLError
    ):
        return NewConnectionError(None, str(error))  # connection never made: retried for every method
    if isinstance(error, aiohttp.ClientSSLError):
        return Urllib3SSLError(str(error))
    if isinstance(error, (aiohttp.SocketTimeoutError, asyncio.TimeoutError)):
        return ReadTimeoutError(None, url, str(error))
    return ProtocolError(str(error), error)  # request may have been sent: retried only if idempotent


def _retry_delay(retry: Any, response: _RetryAfterView) -> float:
    if retry.respect_retry_after_header:
        try:
            retry_after = retry.get_retry_after(response)
        except Exception:  # noqa: BLE001 - an unparseable Retry-After falls back to the backoff
            retry_after = None
        if retry_after:
            return retry_after
    return retry.get_backoff_time()
