"""Microsoft Graph, app-only, through the official SDK (msgraph-sdk): who people are, whether a
mentor is around, reaching a mentor who never opened the app, and group chats for a hand-off.

Graph is an optional helper. Every public method of GraphGateway is bounded in time and never
raises: a failure (Graph down, throttled past the bound, a permission missing) is logged without
personal data and answered with None / False / an empty result, so the caller carries on with the
imported directory alone. After a failure that says "Graph is unwell" (no connection, a timeout,
5xx, 429 past the retry bound, no token) calls are skipped for `cooldown` seconds, so a Graph
outage costs one timeout, not one per question.

Authentication: `azure.identity.aio.ClientSecretCredential` (tenant id, client id, secret) behind
kiota's AzureIdentityAuthenticationProvider, asking for `https://<graph host>/.default` and sending
the token only to the Graph host. Tests give any AsyncTokenCredential (the real
ClientSecretCredential with a loopback transport works) and `base_url` pointing at loopback.

Requests are built by the SDK's request builders and sent through its request adapter (URL
templates, query options, body serialisation, auth, middleware, ODataError on failure), but answers
are read as plain JSON: the SDK's typed models cost ~3 ms of CPU per Graph entity (and ~1 s on first
use), which for 650 presences would stall the event loop for seconds. See `_send_json`.

Retries: our own middleware (BoundedRetryHandler) replaces kiota's RetryHandler in the SDK's
middleware chain. Kiota's handler honours Retry-After but without a cap (up to 180 s) and does not
retry 502; ours retries 429/502/503/504, honours Retry-After (seconds or an HTTP date), and gives
up at once when the wait would pass the call's deadline or the gateway's retry budget.

Presence rules (`is_busy`): a mentor is skipped when their availability is Away, BeRightBack,
Offline or DoNotDisturb (DoNotDisturb covers Presenting, Focusing and UrgentInterruptionsOnly), or
their activity is InACall, InAConferenceCall or Presenting (in a call), or OutOfOffice or OffWork
(not at work whatever the availability says). Busy / InAMeeting is *not* skipped: meetings are
many and long, and the issue asks only for calls. PresenceUnknown or no answer is not skipped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urlparse

import httpx
from azure.core.credentials_async import AsyncTokenCredential
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_information import RequestInformation
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphServiceClient
from msgraph.generated.app_catalogs.teams_apps.teams_apps_request_builder import (
    TeamsAppsRequestBuilder,
)
from msgraph.generated.communications.get_presences_by_user_id.get_presences_by_user_id_post_request_body import (
    GetPresencesByUserIdPostRequestBody,
)
from msgraph.generated.models.aad_user_conversation_member import (
    AadUserConversationMember,
)
from msgraph.generated.models.attendee import Attendee
from msgraph.generated.models.attendee_type import AttendeeType
from msgraph.generated.models.chat import Chat
from msgraph.generated.models.chat_type import ChatType
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.event import Event
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.online_meeting_provider_type import OnlineMeetingProviderType
from msgraph.generated.models.user_scope_teams_app_installation import (
    UserScopeTeamsAppInstallation,
)
from msgraph.generated.users.item.teamwork.installed_apps.installed_apps_request_builder import (
    InstalledAppsRequestBuilder,
)
from msgraph.generated.users.item.user_item_request_builder import (
    UserItemRequestBuilder,
)
from msgraph.graph_request_adapter import GraphRequestAdapter

from bot.graph_transport import DEADLINE, build_http_client, graph_scope
from dialogs.ports import GraphProfile

log = logging.getLogger("digimentor.graph")

DEFAULT_BASE_URL = "https://graph.microsoft.com/v1.0"
PRESENCE_BATCH_SIZE = 650  # getPresencesByUserId accepts at most 650 ids per call
TOPIC_LIMIT = 250

AWAY_AVAILABILITIES = frozenset({"away", "berightback", "offline", "donotdisturb"})
SKIPPED_ACTIVITIES = frozenset({"inacall", "inaconferencecall", "presenting", "outofoffice", "offwork"})

_ERRORS = {"XXX": ODataError}  # what the generated request builders map every error status to

# The monotonic time (loop.time()) by which the current Graph call must be over; the retry
# middleware runs in the caller's task, so it sees the deadline of the call it belongs to.


class Presence(NamedTuple):
    availability: str | None
    activity: str | None


def is_busy(availability: str | None, activity: str | None) -> bool:
    """True when a mentor should not get an offer now (see the module docstring for the rules)."""
    return (availability or "").strip().lower() in AWAY_AVAILABILITIES or \
        (activity or "").strip().lower() in SKIPPED_ACTIVITIES


@dataclass
class _Outcome:
    ok: bool
    value: Any = None
    status: int | None = None  # the HTTP status of an API error; None on success or no answer


class GraphGateway:
    """Every Graph call the bot makes. See the module docstring for the guarantees."""

    def __init__(self, *, credential: AsyncTokenCredential | None = None,
                 request_adapter: GraphRequestAdapter | None = None,
                 base_url: str | None = None,
                 timeout: float = 10.0,
                 presence_timeout: float = 3.0,
                 presence_ttl: float = 60.0,
                 cooldown: float = 30.0,
                 max_retries: int = 3,
                 max_retry_wait: float = 10.0,
                 owns_credential: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._credential = credential
        self._owns_credential = owns_credential
        self._http_client: httpx.AsyncClient | None = None
        if request_adapter is None:
            if credential is None:
                raise ValueError("GraphGateway needs a credential or a request adapter")
            self._http_client = build_http_client(self._base_url, timeout=timeout, max_retries=max_retries,
                                                  max_total_wait=max_retry_wait)
            host = urlparse(self._base_url).hostname or ""
            auth = AzureIdentityAuthenticationProvider(credential, scopes=[graph_scope(self._base_url)],
                                                       allowed_hosts=[host] if host else [])
            request_adapter = GraphRequestAdapter(auth, client=self._http_client)
        # The SDK takes its base URL from the adapter (tests point it at loopback this way).
        request_adapter.base_url = self._base_url
        self.request_adapter = request_adapter
        self.client = GraphServiceClient(request_adapter=request_adapter)
        self.timeout = timeout
        self.presence_timeout = presence_timeout
        self.presence_ttl = presence_ttl
        self.cooldown = cooldown
        self._clock = clock
        self._down_until = 0.0
        self._presence_cache: dict[str, tuple[float, Presence | None]] = {}
        self._catalog_ids: dict[str, str] = {}
        _quiet_library_loggers()

    @classmethod
    def from_client_secret(cls, tenant_id: str, client_id: str, client_secret: str, *,
                           base_url: str | None = None, **options: Any) -> "GraphGateway":
        """The production gateway: app-only credentials of an Entra app registration."""
        from azure.identity.aio import ClientSecretCredential

        credential = ClientSecretCredential(tenant_id, client_id, client_secret)
        return cls(credential=credential, base_url=base_url, owns_credential=True, **options)

    async def close(self) -> None:
        if self._http_client is not None:
            await self._http_client.aclose()
        if self._owns_credential and self._credential is not None:
            await self._credential.close()

    @property
    def available(self) -> bool:
        """False while calls are skipped after a failure (the cool-down)."""
        return self._clock() >= self._down_until

    # -- directory -------------------------------------------------------------------------
    async def user_profile(self, aad_object_id: str) -> GraphProfile | None:
        """department, officeLocation, displayName and mail of a user; None if unknown or on failure."""
        if not aad_object_id:
            return None
        query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
            select=["id", "department", "officeLocation", "displayName", "mail"])
        outcome = await self._request("user_profile", lambda: self.client.users.by_user_id(
            aad_object_id).to_get_request_information(RequestConfiguration(query_parameters=query)))
        user = outcome.value
        if not outcome.ok or not isinstance(user, dict):
            return None
        return GraphProfile(_text(user.get("department")), _text(user.get("officeLocation")),
                            _text(user.get("displayName")), _text(user.get("mail")))

    # -- presence --------------------------------------------------------------------------
    async def presences(self, aad_object_ids: Iterable[str]) -> dict[str, Presence]:
        """Presence of each id Graph answered for (keys lower-case). Ids answered within
        `presence_ttl` seconds come from the cache; ids of a failed batch are simply missing."""
        now = self._clock()
        wanted = list(dict.fromkeys(i.strip().lower() for i in aad_object_ids if i and i.strip()))
        result: dict[str, Presence] = {}
        missing: list[str] = []
        for key in wanted:
            cached = self._presence_cache.get(key)
            if cached is not None and now - cached[0] < self.presence_ttl:
                if cached[1] is not None:
                    result[key] = cached[1]
            else:
                missing.append(key)
        if not missing:
            return result
        batches = [missing[i:i + PRESENCE_BATCH_SIZE] for i in range(0, len(missing), PRESENCE_BATCH_SIZE)]
        answers = await asyncio.gather(*(self._presence_batch(batch) for batch in batches))
        if len(self._presence_cache) > 50_000:
            self._presence_cache = {k: v for k, v in self._presence_cache.items() if now - v[0] < self.presence_ttl}
        stamp = self._clock()
        for batch, answer in zip(batches, answers, strict=True):
            if answer is None:
                continue  # failed: not cached, so the next call asks again (after the cool-down)
            for key in batch:
                presence = answer.get(key)
                self._presence_cache[key] = (stamp, presence)
                if presence is not None:
                    result[key] = presence
        return result

    async def _presence_batch(self, ids: list[str]) -> dict[str, Presence] | None:
        body = GetPresencesByUserIdPostRequestBody(ids=ids)
        outcome = await self._request(
            "presences", lambda: self.client.communications.get_presences_by_user_id.to_post_request_information(body),
            timeout=self.presence_timeout)
        if not outcome.ok:
            return None
        found: dict[str, Presence] = {}
        for item in _values(outcome.value):
            if item.get("id"):
                found[str(item["id"]).lower()] = Presence(_text(item.get("availability")), _text(item.get("activity")))
        return found

    async def busy_ids(self, aad_object_ids: Iterable[str]) -> set[str]:
        """The ids (lower-case) whose presence says "do not offer now"; empty when Graph is down."""
        return {key for key, p in (await self.presences(aad_object_ids)).items() if is_busy(*p)}

    # -- reaching a mentor -----------------------------------------------------------------
    async def install_app_for(self, aad_object_id: str, teams_app_id: str) -> bool:
        """Installs the app (its app-catalog id) in the user's personal scope. True when installed
        now or already (409 Conflict); Teams then sends the bot the installation update."""
        if not aad_object_id or not teams_app_id:
            return False
        body = UserScopeTeamsAppInstallation(
            additional_data={"teamsApp@odata.bind": f"{self._base_url}/appCatalogs/teamsApps/{teams_app_id}"})
        outcome = await self._request(
            "install_app",
            lambda: self.client.users.by_user_id(aad_object_id).teamwork.installed_apps
            .to_post_request_information(body),
            accept_statuses=frozenset({409}))
        return outcome.ok

    async def personal_chat_id(self, aad_object_id: str, teams_app_id: str) -> str | None:
        """The id of the 1:1 chat between the user and the app ("19:...@unq.gbl.spaces"), which is
        the bot's conversation id for proactive messages; None if the app is not installed."""
        if not aad_object_id or not teams_app_id:
            return None
        query = InstalledAppsRequestBuilder.InstalledAppsRequestBuilderGetQueryParameters(
            expand=["teamsApp"], filter=f"teamsApp/id eq '{_odata_literal(teams_app_id)}'")

        async def lookup() -> str | None:
            user = self.client.users.by_user_id(aad_object_id)
            installations = await self._send_json(
                user.teamwork.installed_apps.to_get_request_information(RequestConfiguration(query_parameters=query)))
            for installation in _values(installations):
                if installation.get("id"):
                    chat = await self._send_json(user.teamwork.installed_apps.by_user_scope_teams_app_installation_id(
                        str(installation["id"])).chat.to_get_request_information())
                    return _text(chat.get("id")) if isinstance(chat, dict) else None
            return None

        outcome = await self._call("personal_chat", lookup)
        return outcome.value if outcome.ok else None

    async def ensure_personal_chat(self, aad_object_id: str, teams_app_id: str) -> str | None:
        """Install if needed, then the personal chat id (None when either step fails)."""
        if not await self.install_app_for(aad_object_id, teams_app_id):
            return None
        return await self.personal_chat_id(aad_object_id, teams_app_id)

    async def catalog_app_id(self, manifest_id: str) -> str | None:
        """The org app-catalog id of the app whose manifest id is `manifest_id` (cached)."""
        if manifest_id in self._catalog_ids:
            return self._catalog_ids[manifest_id]
        query = TeamsAppsRequestBuilder.TeamsAppsRequestBuilderGetQueryParameters(
            filter=f"externalId eq '{_odata_literal(manifest_id)}'")
        outcome = await self._request("catalog_app_id", lambda: self.client.app_catalogs.teams_apps
                                      .to_get_request_information(RequestConfiguration(query_parameters=query)))
        found = next((_text(app.get("id")) for app in _values(outcome.value if outcome.ok else None) if app.get("id")),
                     None)
        if found:
            self._catalog_ids[manifest_id] = found
        return found

    # -- group chat for a hand-off ---------------------------------------------------------
    async def create_group_chat(self, member_ids: Iterable[str], topic: str) -> str | None:
        """A group chat of the given users with `topic` (shortened to TOPIC_LIMIT characters);
        its id, or None. Needs at least two distinct members."""
        members = list(dict.fromkeys(m.strip().lower() for m in member_ids if m and m.strip()))
        if len(members) < 2:
            return None
        chat = Chat(
            chat_type=ChatType.Group,
            topic=_shorten(topic, TOPIC_LIMIT) or None,
            members=[AadUserConversationMember(
                roles=["owner"], additional_data={"user@odata.bind": f"{self._base_url}/users('{member}')"})
                for member in members],
        )
        outcome = await self._request("create_group_chat", lambda: self.client.chats.to_post_request_information(chat))
        return _text(outcome.value.get("id")) if outcome.ok and isinstance(outcome.value, dict) else None

    async def create_meeting(self, *, organizer: str, subject: str, start: datetime, end: datetime,
                             attendees: list[str]) -> str | None:
        """A team session's Teams meeting: `POST /users/{organizer}/events` with
        `isOnlineMeeting`, which needs the application permission `Calendars.ReadWrite`. The
        invitations go out from the organizer's calendar. Its join URL, or None."""
        def moment(value: datetime) -> DateTimeTimeZone:
            return DateTimeTimeZone(date_time=value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), time_zone="UTC")

        event = Event(
            subject=_shorten(subject, TOPIC_LIMIT), start=moment(start), end=moment(end), is_online_meeting=True,
            online_meeting_provider=OnlineMeetingProviderType.TeamsForBusiness,
            attendees=[Attendee(email_address=EmailAddress(address=address), type=AttendeeType.Required)
                       for address in dict.fromkeys(attendees)])
        outcome = await self._request(
            "create_meeting", lambda: self.client.users.by_user_id(organizer).events.to_post_request_information(event))
        if not outcome.ok or not isinstance(outcome.value, dict):
            return None
        meeting = outcome.value.get("onlineMeeting") or {}
        return _text(meeting.get("joinUrl") if isinstance(meeting, dict) else None) or \
            _text(outcome.value.get("onlineMeetingUrl"))

    # -- the one place calls are made ------------------------------------------------------
    async def _request(self, operation: str, build: Callable[[], RequestInformation], **options: Any) -> _Outcome:
        """One Graph request built by the SDK's request builders (built inside the guard too)."""
        return await self._call(operation, lambda: self._send_json(build()), **options)

    async def _send_json(self, info: RequestInformation) -> Any:
        """Sends a request the SDK built (URL template, query, serialised body, auth, middleware)
        and returns the JSON answer as plain data; a Graph error raises the SDK's ODataError.

        The SDK's typed models are not used for answers: `Entity.get_field_deserializers` runs
        ~1,200 import statements per object (3 ms each, and ~1 s to import them all on first use),
        so 650 presences would block the event loop for seconds."""
        raw = await self.request_adapter.send_primitive_async(info, "bytes", _ERRORS)
        return json.loads(raw) if raw else None

    async def _call(self, operation: str, make: Callable[[], Awaitable[Any]], *, timeout: float | None = None,
                    accept_statuses: frozenset[int] = frozenset()) -> _Outcome:
        if not self.available:
            return _Outcome(False)
        limit = self.timeout if timeout is None else timeout
        token = DEADLINE.set(asyncio.get_running_loop().time() + limit)
        try:
            async with asyncio.timeout(limit):
                return _Outcome(True, await make())
        except APIError as error:
            status = error.response_status_code
            if status in accept_statuses:
                return _Outcome(True, None, status)
            # 401: our token is refused, so every call would fail alike; 403/404 concern one call.
            unwell = status is None or status in (401, 429) or status >= 500
            self._failed(operation, unwell, status=status, code=_error_code(error), kind=type(error).__name__)
            return _Outcome(False, None, status)
        except TimeoutError:
            self._failed(operation, True, kind="timeout")
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - Graph must never break the caller
            # Connection refused, TLS, DNS, token endpoint unreachable or refusing: Graph is unusable.
            self._failed(operation, True, kind=type(error).__name__)
        finally:
            DEADLINE.reset(token)
        return _Outcome(False)

    def _failed(self, operation: str, unwell: bool, **details: Any) -> None:
        # Only the operation, status and error class/code: never ids, names or Graph's message text.
        if unwell:
            self._down_until = self._clock() + self.cooldown
        level = logging.INFO if details.get("status") == 404 else logging.WARNING  # 404: e.g. a guest user
        log.log(level, "graph call failed", extra={"operation": operation, "cooldown": unwell, **details})


def _quiet_library_loggers() -> None:
    """httpx logs every request line at INFO, and Graph URLs carry people's object ids;
    azure-core/azure-identity log each token request and its headers at INFO."""
    for name in ("httpx", "httpcore", "azure.core.pipeline.policies.http_logging_policy", "azure.identity"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


def _values(answer: Any) -> list[dict]:
    """The `value` array of a Graph collection answer, dicts only."""
    items = answer.get("value") if isinstance(answer, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(getattr(value, "value", value)).strip()
    return text or None


def _shorten(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _odata_literal(value: str) -> str:
    return value.replace("'", "''")


def _error_code(error: APIError) -> str | None:
    main = getattr(error, "error", None)
    code = getattr(main, "code", None)
    return str(code) if code else None
