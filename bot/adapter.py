"""The botbuilder edge: one CloudAdapter per application, fed by our own request handling.

botbuilder-python 4.17.1 has defects on its HTTP path (every invoke with a body answered with
500, JWT failures answered with 500, blocking key refresh) and builds a new ConnectorClient,
token client and retry policy for every turn. This module keeps botbuilder's turn pipeline but
authenticates with bot.auth, serialises invoke responses itself and reuses outbound clients.
Those clients send with aiohttp on the event loop instead of msrest's default, the `requests`
library run in a thread pool (see _AioHttpConnectorDriver).
Everything botbuilder-specific stays here and in the handler, so that a move to the
Microsoft 365 Agents SDK touches only bot/.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import aiohttp
import requests
from botbuilder.core import BotAdapter, InvokeResponse, TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from botframework.connector import AsyncBfPipeline, BotFrameworkConnectorConfiguration
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)
from botframework.connector.auth._user_token_client_impl import _UserTokenClientImpl
from msrest.exceptions import ClientRequestError, raise_with_traceback
from msrest.serialization import Model
from msrest.universal_http import ClientRequest
from msrest.universal_http.async_abc import AsyncHTTPSender
from msrest.universal_http.async_requests import AsyncRequestsClientResponse
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_encoding_from_headers, get_environ_proxies, select_proxy
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError
from yarl import URL

from bot.auth import ChannelTokenValidator
from bot.config import Settings

log = logging.getLogger(__name__)

TO_CHANNEL_SCOPE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE  # https://api.botframework.com
PUBLIC_CLOUD_CALLER_ID = "urn:botframework:azure"


class TenantRefused(Exception):
    """The activity comes from a tenant outside ALLOWED_TENANTS."""


class OutboundTokenCache:
    """An app-only token for calls to the Bot Connector, fetched with aiohttp ahead of need.

    msrest asks for the token synchronously while it sends; fetching it there would block the
    event loop, so the token is refreshed asynchronously before every turn and proactive send.
    """

    def __init__(self, settings: Settings, http: aiohttp.ClientSession) -> None:
        tenant = settings.app_tenant_id if settings.app_type == "SingleTenant" else "botframework.com"
        self._url = f"{settings.login_url}/{tenant}/oauth2/v2.0/token"
        self._form = {
            "grant_type": "client_credentials",
            "client_id": settings.app_id,
            "client_secret": settings.app_password,
            "scope": f"{TO_CHANNEL_SCOPE}/.default",
        }
        self._http = http
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def token(self) -> str:
        if self._token is None:
            raise PermissionError("no Bot Connector token has been fetched yet")
        return self._token

    async def ensure_fresh(self) -> None:
        if self._token is not None and time.monotonic() < self._expires_at - 300:
            return
        async with self._lock:
            if self._token is not None and time.monotonic() < self._expires_at - 300:
                return
            async with self._http.post(self._url, data=self._form, timeout=aiohttp.ClientTimeout(total=15)) as response:
                body = await response.json(content_type=None)
                if response.status != 200 or "access_token" not in body:
                    raise PermissionError(f"token endpoint answered {response.status}: {body.get('error', 'unknown')}")
            self._token = body["access_token"]
            self._expires_at = time.monotonic() + float(body.get("expires_in", 3600))


class _CachedTokenCredentials(AppCredentials):
    def __init__(self, app_id: str, tokens: OutboundTokenCache | None) -> None:
        super().__init__(app_id=app_id, oauth_scope=TO_CHANNEL_SCOPE)
        self._tokens = tokens

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self._tokens.token if self._tokens else ""


class _CredentialsFactory(ServiceClientCredentialsFactory):
    def __init__(self, app_id: str, tokens: OutboundTokenCache | None) -> None:
        self._app_id = app_id
        self._credentials = _CachedTokenCredentials(app_id, tokens)

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self._app_id

    async def is_authentication_disabled(self) -> bool:
        return not self._app_id

    async def create_credentials(self, app_id, oauth_scope, login_endpoint, validate_authority) -> AppCredentials:  # noqa: ANN001
        return self._credentials


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

    def __init__(self, status: int, headers: Any) -> None:  # noqa: ANN401 - a multidict
        self.status = status
        self.headers = headers

    def get_redirect_location(self) -> bool:
        return False  # aiohttp follows redirects itself


class _AioHttpConnectorDriver(AsyncHTTPSender):
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

    def __init__(self, transport: "_Transport") -> None:
        self.session = _SessionHeaders()
        self.config: BotFrameworkConnectorConfiguration | None = None  # set once the configuration exists
        self._transport = transport
        # trust_env stays off: the proxy was resolved once for the service URL, and aiohttp
        # would otherwise read netrc and the environment in a worker thread for every request.
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))

    async def __aenter__(self) -> "_AioHttpConnectorDriver":
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        await self.close()

    async def close(self) -> None:
        if not self._http.closed:
            await self._http.close()

    async def send(self, request: ClientRequest, **kwargs: Any) -> AsyncRequestsClientResponse:  # noqa: ANN401
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
            try:
                async with self._http.request(method, url, headers=headers, data=data, **options) as response:
                    body = await response.read()
            except (aiohttp.InvalidURL, aiohttp.TooManyRedirects):
                raise_with_traceback(ClientRequestError, "Error occurred in request.")
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
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
class _Transport:
    """The proxy and TLS trust requests would use for a service URL, worked out once."""

    proxy: str | None
    tls: ssl.SSLContext | bool  # True: aiohttp's default (only met by a plain-http service URL)

    @classmethod
    def for_url(cls, service_url: str) -> "_Transport":
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


def _retry_delay(retry: Any, response: _RetryAfterView) -> float:  # noqa: ANN401 - urllib3 Retry
    if retry.respect_retry_after_header:
        try:
            retry_after = retry.get_retry_after(response)
        except Exception:  # noqa: BLE001 - an unparseable Retry-After falls back to the backoff
            retry_after = None
        if retry_after:
            return retry_after
    return retry.get_backoff_time()


class ReusedConnectorFactory(ConnectorFactory):
    """One ConnectorClient, and one aiohttp session under it, per service URL and audience for
    the life of the process."""

    def __init__(self, credentials_factory: _CredentialsFactory, app_id: str) -> None:
        self._credentials_factory = credentials_factory
        self._app_id = app_id
        self._clients: dict[tuple[str, str], ConnectorClient] = {}

    async def create(self, service_url: str, audience: str = None) -> ConnectorClient:  # noqa: RUF013
        key = (service_url, audience or TO_CHANNEL_SCOPE)
        client = self._clients.get(key)
        if client is None:
            credentials = await self._credentials_factory.create_credentials(self._app_id, key[1], None, True)
            transport = await asyncio.to_thread(_Transport.for_url, service_url)  # reads CA files
            client = self._clients.get(key)  # another turn may have made it meanwhile
            if client is None:
                client = self._clients[key] = _connector_client(credentials, service_url, transport)
        return client

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.__aexit__(None, None, None)


def _connector_client(credentials: AppCredentials, service_url: str, transport: _Transport) -> ConnectorClient:
    # botframework's own AsyncBfPipeline: user agent, credentials (AsyncRequestsCredentialsPolicy
    # signing the driver's `session`), RawDeserializer, HTTP logger; only the driver is ours.
    driver = _AioHttpConnectorDriver(transport)
    config = BotFrameworkConnectorConfiguration(
        credentials, service_url, pipeline_type=AsyncBfPipeline, driver=driver
    )
    config.add_user_agent("Digimentor")
    driver.config = config
    return ConnectorClient(credentials, custom_configuration=config)


class DigimentorAuthentication(BotFrameworkAuthentication):
    """Supplies botbuilder with reused outbound clients; inbound auth is done by bot.auth."""

    def __init__(self, settings: Settings, tokens: OutboundTokenCache | None) -> None:
        self._settings = settings
        self._credentials_factory = _CredentialsFactory(settings.app_id, tokens)
        self.connectors = ReusedConnectorFactory(self._credentials_factory, settings.app_id)
        self._user_token_client: UserTokenClient | None = None

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        raise NotImplementedError("inbound requests are authenticated by bot.auth before they reach botbuilder")

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> AuthenticateRequestResult:
        raise PermissionError("streaming connections are not supported")

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self.connectors

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        if self._user_token_client is None:
            credentials = await self._credentials_factory.create_credentials(self._settings.app_id, TO_CHANNEL_SCOPE, None, True)
            self._user_token_client = _UserTokenClientImpl(
                self._settings.app_id, credentials, AuthenticationConstants.OAUTH_URL
            )
        return self._user_token_client

    def get_originating_audience(self) -> str:
        return TO_CHANNEL_SCOPE

    def request_result(self, claims: dict) -> AuthenticateRequestResult:
        result = AuthenticateRequestResult()
        result.claims_identity = ClaimsIdentity(claims, True)
        result.audience = TO_CHANNEL_SCOPE
        result.caller_id = PUBLIC_CLOUD_CALLER_ID if self._settings.auth_enabled else None
        result.connector_factory = self.connectors
        return result


@dataclass(frozen=True)
class TurnOutcome:
    status: int
    body: object | None = None


class BotEndpoint:
    """Runs one inbound activity through botbuilder and says what to answer over HTTP."""

    def __init__(
        self,
        settings: Settings,
        http: aiohttp.ClientSession,
        on_turn_error: Callable[[TurnContext, Exception], Awaitable[None]],
    ) -> None:
        self._settings = settings
        self._tokens = OutboundTokenCache(settings, http) if settings.auth_enabled else None
        self.authentication = DigimentorAuthentication(settings, self._tokens)
        self.adapter = CloudAdapter(self.authentication)
        self.adapter.on_turn_error = on_turn_error
        self._validator: ChannelTokenValidator | None = None
        if settings.auth_enabled:
            from bot.auth import SigningKeyCache

            self._validator = ChannelTokenValidator(
                app_id=settings.app_id,
                issuer=settings.token_issuer,
                keys=SigningKeyCache(settings.openid_metadata_url, http),
            )

    async def process(
        self, activity: Activity, authorization: str | None, logic: Callable[[TurnContext], Awaitable]
    ) -> TurnOutcome:
        """Raises bot.auth.Unauthorized, TenantRefused or whatever the turn could not handle."""
        claims: dict = {}
        if self._validator is not None:
            claims = await self._validator.validate(
                authorization, channel_id=activity.channel_id or "", service_url=activity.service_url
            )
        if self._settings.allowed_tenants:
            tenant = tenant_id_of(activity)
            if (tenant or "").lower() not in self._settings.allowed_tenants:
                raise TenantRefused(tenant or "")
        await self.ensure_outbound_token()
        result = self.authentication.request_result(claims)
        invoke_response: InvokeResponse | None = await self.adapter.process_activity(result, activity, logic)
        if invoke_response is None:
            return TurnOutcome(200)
        return TurnOutcome(invoke_response.status or 200, _serialise(invoke_response.body))

    async def ensure_outbound_token(self) -> None:
        if self._tokens is not None:
            await self._tokens.ensure_fresh()

    async def continue_conversation(self, reference, logic: Callable[[TurnContext], Awaitable]) -> None:  # noqa: ANN001
        await self.ensure_outbound_token()
        await self.adapter.continue_conversation(reference, logic, self._settings.app_id)

    async def close(self) -> None:
        await self.authentication.connectors.close()


def _serialise(body: object) -> object:
    # botbuilder's own path calls serializer_helper on every body and fails on plain dicts,
    # which is what Action.Execute responses are.
    if isinstance(body, Model):
        return serializer_helper(body)
    if isinstance(body, list):
        return [_serialise(item) for item in body]
    return body


def tenant_id_of(activity: Activity) -> str | None:
    """Teams puts the tenant in channelData.tenant.id; conversation.tenant_id arrives as None."""
    channel_data = activity.channel_data or {}
    if isinstance(channel_data, dict):
        tenant = channel_data.get("tenant") or {}
        if isinstance(tenant, dict) and tenant.get("id"):
            return str(tenant["id"])
    conversation = activity.conversation
    return getattr(conversation, "tenant_id", None) if conversation else None


__all__ = ["BotAdapter", "BotEndpoint", "TenantRefused", "TurnOutcome", "tenant_id_of"]
