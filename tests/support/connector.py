"""A loopback Bot Connector (the /v3/conversations API), AAD token endpoint and Bot Framework
OpenID metadata, so that the bot's real HTTP client code is exercised end to end."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from dataclasses import dataclass, field

import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass
class SentActivity:
    method: str
    conversation_id: str
    reply_to_id: str | None
    activity: dict
    authorization: str | None

    @property
    def text(self) -> str | None:
        return self.activity.get("text")

    @property
    def cards(self) -> list[dict]:
        return [
            a["content"]
            for a in self.activity.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass(frozen=True)
class Arrival:
    """One request to the /v3/conversations API as it arrived, whatever it was answered."""

    at: float  # time.monotonic() on arrival
    method: str  # send | reply | update
    conversation_id: str
    status: int
    tenant_id: str | None = None  # the activity's conversation.tenantId


@dataclass
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    endorsements: list[str] = field(default_factory=lambda: ["msteams"])

    def jwk(self) -> dict:
        numbers = self.private_key.public_key().public_numbers()

        def b64(value: int) -> str:
            raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        return {"kty": "RSA", "use": "sig", "kid": self.kid, "n": b64(numbers.n), "e": b64(numbers.e),
                "endorsements": self.endorsements}


def new_signing_key(kid: str | None = None, endorsements: list[str] | None = None) -> SigningKey:
    return SigningKey(
        kid=kid or uuid.uuid4().hex,
        private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        endorsements=["msteams"] if endorsements is None else endorsements,
    )


class LoopbackConnector:
    ISSUER = "https://api.botframework.com"

    def __init__(self) -> None:
        self.sent: list[SentActivity] = []
        self.token_requests: list[dict] = []
        self.published_keys: list[SigningKey] = [new_signing_key("published-key")]
        # Conversations where the bot is blocked or uninstalled: sends get 403, as in Teams.
        self.refused_conversations: set[str] = set()
        # Conversations that answer 429 (Retry-After: 0) this many more times before accepting.
        self.throttled: dict[str, int] = {}
        self.throttled_answers = 0
        # Answers to give, in order, to the next requests to a conversation before the normal
        # answer: a status, or (status, headers), e.g. [(429, {"Retry-After": "1"}), 503].
        self.scripted: dict[str, list[int | tuple[int, dict]]] = {}
        # Seconds every request to the conversations API takes to be answered.
        self.delay = 0.0
        # While set, requests arriving (or done waiting for `delay`) are held unanswered until it
        # is cleared, or the bot closes the connection (then nothing was delivered): a Bot
        # Connector that stalls, so that a test can stop or kill the bot mid-send.
        self.hold = False
        # Every request to the conversations API, in order of arrival, with its answer.
        self.arrivals: list[Arrival] = []
        # Requests to the conversations API being held for `delay` right now.
        self.held = 0
        self._server: TestServer | None = None
        self._arrived = asyncio.Condition()

    @property
    def url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("")).rstrip("/")

    @property
    def openid_url(self) -> str:
        return f"{self.url}/v1/.well-known/openidconfiguration"

    async def start(self) -> "LoopbackConnector":
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._reply)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/keys", self._keys)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    # -- what the bot sent ---------------------------------------------------------------
    def to(self, conversation_id: str) -> list[SentActivity]:
        return [s for s in self.sent if s.conversation_id == conversation_id]

    def cards_to(self, conversation_id: str) -> list[tuple[str, dict]]:
        """(method, card) of every card sent or updated in the conversation, in order."""
        return [(s.method, card) for s in self.to(conversation_id) for card in s.cards]

    def arrivals_to(self, conversation_id: str) -> list[Arrival]:
        return [a for a in self.arrivals if a.conversation_id == conversation_id]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[SentActivity]:
        async def enough() -> None:
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(self.sent) >= count)

        await asyncio.wait_for(enough(), timeout)
        return self.sent

    # -- tokens for inbound requests -----------------------------------------------------
    def token(
        self,
        *,
        app_id: str,
        key: SigningKey | None = None,
        issuer: str | None = None,
        expires_in: int = 3600,
        service_url: str | None = "",
        **claims: object,
    ) -> str:
        """A channel token as Bot Framework issues it: for this connector's service URL unless
        `service_url` says otherwise (None: a token that names no service URL)."""
        key = key or self.published_keys[0]
        service_url = self.url if service_url == "" else service_url
        now = int(time.time())
        payload = {
            "iss": issuer or self.ISSUER,
            "aud": app_id,
            "iat": now - 10,
            "nbf": now - 10,
            "exp": now + expires_in,
            **({"serviceurl": service_url} if service_url else {}),
            **claims,
        }
        return jwt.encode(payload, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    # -- handlers ------------------------------------------------------------------------
    async def _record(self, request: web.Request, method: str, reply_to: str | None) -> web.Response:
        arrived = time.monotonic()
        conversation = request.match_info["conversation"]
        try:
            tenant = ((await request.json()).get("conversation") or {}).get("tenantId")
        except ValueError:
            tenant = None
        if self.delay or self.hold:
            self.held += 1
            try:
                await asyncio.sleep(self.delay)
                while self.hold and not (request.transport is None or request.transport.is_closing()):
                    await asyncio.sleep(0.02)
            finally:
                self.held -= 1
            if request.transport is None or request.transport.is_closing():
                # The bot gave up on the request (it stopped or died): nothing was delivered.
                self.arrivals.append(Arrival(arrived, method, conversation, 499, tenant))
                return web.Response(status=499)
        response = await self._answer(request, method, reply_to, conversation)
        self.arrivals.append(Arrival(arrived, method, conversation, response.status, tenant))
        return response

    async def _answer(self, request: web.Request, method: str, reply_to: str | None,
                      conversation: str) -> web.Response:
        if conversation in self.refused_conversations:
            return web.json_response({"error": {"code": "BotDisabledByAdmin", "message": "blocked"}}, status=403)
        if self.throttled.get(conversation, 0) > 0:
            self.throttled[conversation] -= 1
            self.throttled_answers += 1
            return web.json_response({"error": {"code": "Throttled"}}, status=429, headers={"Retry-After": "0"})
        if self.scripted.get(conversation):
            answer = self.scripted[conversation].pop(0)
            status, headers = answer if isinstance(answer, tuple) else (answer, {})
            return web.json_response({"error": {"code": "Scripted", "message": str(status)}}, status=status,
                                     headers=headers)
        activity = await request.json()
        async with self._arrived:
            self.sent.append(
                SentActivity(method, request.match_info["conversation"], reply_to, activity,
                             request.headers.get("Authorization"))
            )
            self._arrived.notify_all()
        return web.json_response({"id": f"sent-{len(self.sent)}"})

    async def _reply(self, request: web.Request) -> web.Response:
        return await self._record(request, "reply", request.match_info["activity"])

    async def _send(self, request: web.Request) -> web.Response:
        return await self._record(request, "send", None)

    async def _update(self, request: web.Request) -> web.Response:
        return await self._record(request, "update", request.match_info["activity"])

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append(form)
        if form.get("client_secret") != "loopback-secret":
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response({"token_type": "Bearer", "expires_in": 3600, "access_token": "outbound-token"})

    async def _metadata(self, request: web.Request) -> web.Response:
        return web.json_response({"issuer": self.ISSUER, "jwks_uri": f"{self.url}/v1/keys"})

    async def _keys(self, request: web.Request) -> web.Response:
        return web.Response(text=json.dumps({"keys": [k.jwk() for k in self.published_keys]}),
                            content_type="application/json")
