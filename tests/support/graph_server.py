"""A loopback Microsoft Graph (v1.0) and Entra token endpoint, so that the real msgraph-sdk client
and the real azure-identity ClientSecretCredential are exercised end to end.

Graph endpoints served (JSON as Graph returns it, with `@odata.context`):
  GET  /v1.0/users/{id}?$select=...
  POST /v1.0/communications/getPresencesByUserId           (400 above 650 ids, as Graph)
  POST /v1.0/users/{id}/teamwork/installedApps             (201 empty body; 409 when installed)
  GET  /v1.0/users/{id}/teamwork/installedApps?$expand=teamsApp&$filter=teamsApp/id eq '...'
  GET  /v1.0/users/{id}/teamwork/installedApps/{installation-id}/chat
  POST /v1.0/chats
  GET  /v1.0/appCatalogs/teamsApps?$filter=externalId eq '...'
  POST /{tenant}/oauth2/v2.0/token                         (client credentials grant)

Every Graph request needs `Authorization: Bearer <TOKEN>` (401 otherwise) and is recorded.
`fail_next` queues error answers (429 with Retry-After, 503 ...), `delay` slows every answer, and
`close()` stops the server so that connections are refused.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from aiohttp.test_utils import TestServer
from azure.core.pipeline.transport import AioHttpTransport

TENANT_ID = "00000000-0000-4000-8000-00000000000a"
CLIENT_ID = "00000000-0000-4000-8000-00000000000b"
CLIENT_SECRET = "graph-loopback-secret"
TOKEN = "graph-loopback-token"
LOGIN_AUTHORITY = "login.loopback.test"
MAX_PRESENCE_IDS = 650
JSON_BODY = web.RequestKey("json_body", object)


@dataclass
class GraphRequest:
    method: str
    path: str  # decoded, without /v1.0
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None


@dataclass
class _Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message,
                   "innerError": {"request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())}}},
        status=status, headers=headers)


class LoopbackGraph:
    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.presence: dict[str, tuple[str, str]] = {}
        self.catalog: dict[str, str] = {}  # app-catalog id -> manifest (external) id
        self.installations: dict[tuple[str, str], str] = {}  # (user id, catalog id) -> installation id
        self.chats: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []  # calendar events (team sessions' Teams meetings)
        self.requests: list[GraphRequest] = []
        self.token_requests: list[dict[str, str]] = []
        self.failures: list[_Failure] = []
        self.delay = 0.0
        self._server: TestServer | None = None

    # -- life ------------------------------------------------------------------------------
    async def start(self) -> "LoopbackGraph":
        app = web.Application(middlewares=[self._gate])
        app.router.add_get("/v1.0/users/{user}", self._user)
        app.router.add_post("/v1.0/communications/getPresencesByUserId", self._presences)
        app.router.add_post("/v1.0/users/{user}/teamwork/installedApps", self._install)
        app.router.add_get("/v1.0/users/{user}/teamwork/installedApps", self._installed)
        app.router.add_get("/v1.0/users/{user}/teamwork/installedApps/{installation}/chat", self._personal_chat)
        app.router.add_post("/v1.0/chats", self._create_chat)
        app.router.add_post("/v1.0/users/{user}/events", self._create_event)
        app.router.add_get("/v1.0/appCatalogs/teamsApps", self._catalog)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("")).rstrip("/")

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1.0"

    # -- test set-up -----------------------------------------------------------------------
    def add_user(self, aad_object_id: str, *, display_name: str = "", department: str | None = None,
                 office_location: str | None = None, mail: str | None = None,
                 presence: tuple[str, str] | None = None) -> None:
        key = aad_object_id.lower()
        self.users[key] = {"id": key, "displayName": display_name, "department": department,
                           "officeLocation": office_location, "mail": mail,
                           "userPrincipalName": mail, "jobTitle": None}
        if presence is not None:
            self.presence[key] = presence

    def add_catalog_app(self, catalog_id: str, manifest_id: str) -> None:
        self.catalog[catalog_id] = manifest_id

    def fail_next(self, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.failures.extend(_Failure(status, headers) for _ in range(times))

    def graph_requests(self, method: str | None = None, path_prefix: str = "") -> list[GraphRequest]:
        return [r for r in self.requests if (method is None or r.method == method) and r.path.startswith(path_prefix)]

    def chat_id_for(self, user_id: str, catalog_id: str) -> str:
        return f"19:{user_id.lower()}_{catalog_id}@unq.gbl.spaces"

    # -- plumbing --------------------------------------------------------------------------
    @web.middleware
    async def _gate(self, request: web.Request, handler):
        if not request.path.startswith("/v1.0/"):
            return await handler(request)
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
        self.requests.append(GraphRequest(request.method, request.path[len("/v1.0"):], dict(request.query),
                                          dict(request.headers), body))
        request[JSON_BODY] = body
        if self.delay:
            await asyncio.sleep(self.delay)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        if self.failures:
            failure = self.failures.pop(0)
            code = {429: "TooManyRequests", 503: "ServiceNotAvailable", 502: "BadGateway",
                    504: "GatewayTimeout", 403: "Forbidden"}.get(failure.status, "generalException")
            return _error(failure.status, code, "Injected failure.", failure.headers)
        return await handler(request)

    def _context(self, suffix: str) -> str:
        return f"{self.base_url}/$metadata#{suffix}"

    # -- Graph -----------------------------------------------------------------------------
    async def _user(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["user"].lower())
        if user is None:
            return _error(404, "Request_ResourceNotFound",
                          f"Resource '{request.match_info['user']}' does not exist or one of its queried "
                          "reference-property objects are not present.")
        select = [s for s in request.query.get("$select", "").split(",") if s]
        shown = {key: user.get(key) for key in select} if select else dict(user)
        body = {"@odata.context": self._context(f"users({','.join(select)})/$entity" if select
                                                 else "users/$entity"), **shown}
        return web.json_response(body)

    async def _presences(self, request: web.Request) -> web.Response:
        ids = (request[JSON_BODY] or {}).get("ids")
        if not isinstance(ids, list) or not ids:
            return _error(400, "BadRequest", "ids is required.")
        if len(ids) > MAX_PRESENCE_IDS:
            return _error(400, "BadRequest", f"A maximum of {MAX_PRESENCE_IDS} ids is allowed.")
        value = []
        for user_id in ids:
            availability, activity = self.presence.get(user_id.lower(), ("PresenceUnknown", "PresenceUnknown"))
            value.append({"id": user_id, "availability": availability, "activity": activity,
                          "statusMessage": None})
        return web.json_response({"@odata.context": self._context("Collection(microsoft.graph.presence)"),
                                  "value": value})

    async def _install(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user"].lower()
        bind = str((request[JSON_BODY] or {}).get("teamsApp@odata.bind") or "")
        match = re.search(r"/appCatalogs/teamsApps/([^/?#]+)$", bind)
        if user_id not in self.users:
            return _error(404, "NotFound", "User not found.")
        if match is None or match.group(1) not in self.catalog:
            return _error(404, "NotFound", "The app was not found in the catalog.")
        key = (user_id, match.group(1))
        if key in self.installations:
            return _error(409, "Conflict", "App is already installed.")
        self.installations[key] = base64.b64encode(f"{user_id}##{match.group(1)}".encode()).decode()
        return web.Response(status=201)

    async def _installed(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user"].lower()
        wanted = None
        match = re.fullmatch(r"teamsApp/id eq '([^']*)'", request.query.get("$filter", ""))
        if match:
            wanted = match.group(1)
        value = []
        for (owner, app_id), installation_id in self.installations.items():
            if owner != user_id or (wanted is not None and app_id != wanted):
                continue
            item: dict[str, Any] = {"id": installation_id}
            if "teamsApp" in request.query.get("$expand", ""):
                item["teamsApp"] = {"id": app_id, "externalId": self.catalog.get(app_id),
                                    "displayName": "Digimentor", "distributionMethod": "organization"}
            value.append(item)
        return web.json_response({"@odata.context": self._context(f"users('{user_id}')/teamwork/installedApps"),
                                  "value": value})

    async def _personal_chat(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user"].lower()
        installation = request.match_info["installation"]
        for (owner, app_id), installation_id in self.installations.items():
            if owner == user_id and installation_id == installation:
                return web.json_response({
                    "@odata.context": self._context("chats/$entity"),
                    "id": self.chat_id_for(user_id, app_id), "topic": None, "chatType": "oneOnOne",
                    "createdDateTime": "2024-01-01T08:00:00Z", "lastUpdatedDateTime": "2024-01-01T08:00:00Z",
                    "tenantId": TENANT_ID, "webUrl": None})
        return _error(404, "NotFound", "Installation not found.")

    async def _create_chat(self, request: web.Request) -> web.Response:
        body = request[JSON_BODY] or {}
        members = body.get("members") or []
        if body.get("chatType") not in ("group", "oneOnOne") or len(members) < 2:
            return _error(400, "BadRequest", "chatType and at least two members are required.")
        for member in members:
            if member.get("@odata.type") != "#microsoft.graph.aadUserConversationMember" \
                    or not member.get("user@odata.bind"):
                return _error(400, "BadRequest", "Members must be aadUserConversationMember with user@odata.bind.")
        chat = {"@odata.context": self._context("chats/$entity"),
                "id": f"19:{uuid.uuid4().hex}@thread.v2", "topic": body.get("topic"),
                "chatType": body["chatType"], "createdDateTime": "2024-01-01T08:00:00Z",
                "lastUpdatedDateTime": "2024-01-01T08:00:00Z", "tenantId": TENANT_ID}
        self.chats.append({**chat, "request": body})
        return web.json_response(chat, status=201)

    async def _create_event(self, request: web.Request) -> web.Response:
        """A calendar event; an online one gets a Teams join URL, as Graph answers."""
        body = request[JSON_BODY] or {}
        if not body.get("subject") or not isinstance(body.get("start"), dict) or not isinstance(body.get("end"), dict):
            return _error(400, "BadRequest", "subject, start and end are required.")
        event_id = uuid.uuid4().hex
        event = {"@odata.context": self._context("users('x')/events/$entity"), "id": event_id,
                 "subject": body["subject"], "start": body["start"], "end": body["end"],
                 "isOnlineMeeting": bool(body.get("isOnlineMeeting")), "attendees": body.get("attendees") or []}
        if body.get("isOnlineMeeting"):
            event["onlineMeeting"] = {"joinUrl": f"https://teams.microsoft.com/l/meetup-join/{event_id}"}
        self.events.append({**event, "organizer": request.match_info["user"], "request": body})
        return web.json_response(event, status=201)

    async def _catalog(self, request: web.Request) -> web.Response:
        match = re.fullmatch(r"externalId eq '([^']*)'", request.query.get("$filter", ""))
        value = [{"id": catalog_id, "externalId": external, "displayName": "Digimentor",
                  "distributionMethod": "organization"}
                 for catalog_id, external in self.catalog.items() if match is None or external == match.group(1)]
        return web.json_response({"@odata.context": self._context("appCatalogs/teamsApps"), "value": value})

    # -- Entra token endpoint --------------------------------------------------------------
    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(form)
        if request.match_info["tenant"] != TENANT_ID or form.get("client_id") != CLIENT_ID \
                or form.get("client_secret") != CLIENT_SECRET or form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "invalid_client", "error_description": "AADSTS7000215"}, status=401)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                  "access_token": TOKEN})


class LoopbackLoginTransport(AioHttpTransport):
    """azure-identity only accepts https authorities: this transport sends the credential's
    requests for https://login.loopback.test/... to the loopback server's http address."""

    def __init__(self, target: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._target = target.rstrip("/")

    async def send(self, request, **config):
        parsed = urlparse(request.url)
        if parsed.hostname == LOGIN_AUTHORITY:
            request.url = self._target + parsed.path + (f"?{parsed.query}" if parsed.query else "")
        return await super().send(request, **config)


def loopback_credential(graph: LoopbackGraph, *, secret: str = CLIENT_SECRET):
    """The real ClientSecretCredential, talking to the loopback token endpoint."""
    from azure.identity.aio import ClientSecretCredential

    return ClientSecretCredential(TENANT_ID, CLIENT_ID, secret, authority=LOGIN_AUTHORITY,
                                  transport=LoopbackLoginTransport(graph.url))
