"""The botbuilder edge: one CloudAdapter per application, fed by our own request handling.

botbuilder-python 4.17.1 has defects on its HTTP path (every invoke with a body answered with
500, JWT failures answered with 500, blocking key refresh) and builds a new ConnectorClient,
token client and retry policy for every turn. This module keeps botbuilder's turn pipeline but
authenticates with bot.auth, serialises invoke responses itself and reuses outbound clients.
Those clients send with aiohttp on the event loop instead of msrest's default, the `requests`
library run in a thread pool (see AioHttpConnectorDriver).
Everything botbuilder-specific stays here and in the handler, so that a move to the
Microsoft 365 Agents SDK touches only bot/.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from botbuilder.core import InvokeResponse, TurnContext, serializer_helper
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
from msrest.serialization import Model

from bot.auth import ChannelTokenValidator, SigningKeyCache
from bot.config import Settings
from bot.connector_driver import AioHttpConnectorDriver, Transport
from bot.teams_budget import TeamsBudget, current_tenant

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

    async def create_credentials(self, app_id, oauth_scope, login_endpoint, validate_authority) -> AppCredentials:
        return self._credentials


class ReusedConnectorFactory(ConnectorFactory):
    """One ConnectorClient, and one aiohttp session under it, per service URL and audience for
    the life of the process."""

    def __init__(self, credentials_factory: _CredentialsFactory, app_id: str, *,
                 retry_statuses: bool = True, budget: TeamsBudget | None = None) -> None:
        self._credentials_factory = credentials_factory
        self._app_id = app_id
        self._budget = budget
        # The app turns the driver's own status retries off: bot.messenger retries through the
        # outbound queue, so that a retry also waits for its rate-limit slot.
        self._retry_statuses = retry_statuses
        self._clients: dict[tuple[str, str], ConnectorClient] = {}

    async def create(self, service_url: str, audience: str = None) -> ConnectorClient:
        key = (service_url, audience or TO_CHANNEL_SCOPE)
        client = self._clients.get(key)
        if client is None:
            credentials = await self._credentials_factory.create_credentials(self._app_id, key[1], None, True)
            transport = await asyncio.to_thread(Transport.for_url, service_url)  # reads CA files
            client = self._clients.get(key)  # another turn may have made it meanwhile
            if client is None:
                client = self._clients[key] = _connector_client(credentials, service_url, transport, self._budget)
                if not self._retry_statuses:
                    policy = client.config.retry_policy.policy
                    policy.status_forcelist = frozenset()
                    policy.respect_retry_after_header = False
        return client

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.__aexit__(None, None, None)


def _connector_client(credentials: AppCredentials, service_url: str, transport: Transport,
                      budget: TeamsBudget | None = None) -> ConnectorClient:
    # botframework's own AsyncBfPipeline: user agent, credentials (AsyncRequestsCredentialsPolicy
    # signing the driver's `session`), RawDeserializer, HTTP logger; only the driver is ours.
    driver = AioHttpConnectorDriver(transport, budget)
    config = BotFrameworkConnectorConfiguration(
        credentials, service_url, pipeline_type=AsyncBfPipeline, driver=driver
    )
    config.add_user_agent("Digimentor")
    driver.config = config
    return ConnectorClient(credentials, custom_configuration=config)


class DigimentorAuthentication(BotFrameworkAuthentication):
    """Supplies botbuilder with reused outbound clients; inbound auth is done by bot.auth."""

    def __init__(self, settings: Settings, tokens: OutboundTokenCache | None,
                 budget: TeamsBudget | None = None) -> None:
        self._settings = settings
        self._credentials_factory = _CredentialsFactory(settings.app_id, tokens)
        self.connectors = ReusedConnectorFactory(self._credentials_factory, settings.app_id, retry_statuses=False,
                                                 budget=budget)
        self._user_token_client: UserTokenClient | None = None

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        raise NotImplementedError("inbound requests are authenticated by bot.auth before they reach botbuilder")

    async def authenticate_streaming_request(self, auth_header: str,
                                             channel_id_header: str) -> AuthenticateRequestResult:
        raise PermissionError("streaming connections are not supported")

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self.connectors

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        if self._user_token_client is None:
            credentials = await self._credentials_factory.create_credentials(
                self._settings.app_id, TO_CHANNEL_SCOPE, None, True)
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
        # Every Bot Connector call of this process waits for its slot here.
        self.budget = TeamsBudget()
        self.authentication = DigimentorAuthentication(settings, self._tokens, self.budget)
        self.adapter = CloudAdapter(self.authentication)
        self.adapter.on_turn_error = on_turn_error
        self._validator: ChannelTokenValidator | None = None
        if settings.auth_enabled:
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
        current_tenant.set(tenant_id_of(activity))  # the budget the turn's replies count against
        invoke_response: InvokeResponse | None = await self.adapter.process_activity(result, activity, logic)
        if invoke_response is None:
            return TurnOutcome(200)
        return TurnOutcome(invoke_response.status or 200, _serialise(invoke_response.body))

    async def ensure_outbound_token(self) -> None:
        if self._tokens is not None:
            await self._tokens.ensure_fresh()

    async def continue_conversation(self, reference, logic: Callable[[TurnContext], Awaitable], *,
                                    tenant_id: str | None = None) -> None:
        await self.ensure_outbound_token()
        token = current_tenant.set(tenant_id)
        try:
            await self.adapter.continue_conversation(reference, logic, self._settings.app_id)
        finally:
            current_tenant.reset(token)

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


