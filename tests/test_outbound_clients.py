"""Outbound Bot Connector calls after the speed-ups: reused clients, sent with aiohttp, and on the
wire exactly what botbuilder's stock client (msrest over requests) sends, retries included."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestServer
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from botframework.connector.aio import ConnectorClient
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError
from msrest.universal_http.requests import ClientRetryPolicy

from bot.adapter import ReusedConnectorFactory, _CachedTokenCredentials, _CredentialsFactory
from bot.msrest_speedups import apply_msrest_speedups
from bot.web import ENDPOINT
from cards.i18n import Texts
from tests.conftest import BotClient, settings_for, start_bot
from tests.support.activities import message
from tests.support.connector import LoopbackConnector

APP_ID = "9f0b6b0a-1111-4a2b-9c3d-000000000002"
CARD = "application/vnd.microsoft.card.adaptive"
# Headers that requests and aiohttp each set on their own (compression, keep-alive, host).
TRANSPORT_HEADERS = {"accept-encoding", "connection", "host", "content-length"}


# -- the msrest hot spot -------------------------------------------------------------------------


def test_patched_retry_policy_has_the_original_retry_codes():
    # The original, list-based computation, in a process where nothing has patched msrest.
    original = subprocess.run(
        [sys.executable, "-c", "import json; from msrest.universal_http.requests import ClientRetryPolicy as P; "
         "p = P().policy; print(json.dumps([p.status_forcelist, p.total, p.connect, p.read, p.backoff_factor]))"],
        capture_output=True, text=True, check=True, timeout=60,
    )
    forcelist, total, connect, read, backoff = json.loads(original.stdout)

    apply_msrest_speedups()
    apply_msrest_speedups()  # idempotent
    assert isinstance(ClientRetryPolicy.safe_codes, frozenset)
    policy = ClientRetryPolicy().policy
    assert list(policy.status_forcelist) == forcelist
    assert (policy.total, policy.connect, policy.read, policy.backoff_factor) == (total, connect, read, backoff)
    assert 408 in forcelist and 500 in forcelist and 501 not in forcelist and 429 not in forcelist


def test_building_a_retry_policy_is_cheap_once_patched():
    apply_msrest_speedups()
    started = time.perf_counter()
    for _ in range(20):
        ClientRetryPolicy()
    assert (time.perf_counter() - started) / 20 < 0.001  # msrest as shipped: about 3 ms each


# -- the wire: our client against botbuilder's stock one ----------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Recorder:
    """An HTTP server that records each request as it arrived and answers from a script."""

    def __init__(self, delay: float = 0.0) -> None:
        self.seen: list[Seen] = []
        self.script: list[tuple[int, dict]] = []
        self.delay = delay
        self._server: TestServer | None = None

    @property
    def url(self) -> str:
        return str(self._server.make_url("")).rstrip("/")

    async def start(self) -> "Recorder":
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def close(self) -> None:
        await self._server.close()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        received = {k.lower(): v for k, v in request.headers.items()}
        self.seen.append(Seen(request.method, request.raw_path, received, body))
        if self.delay:
            await asyncio.sleep(self.delay)
        status, headers = self.script.pop(0) if self.script else (200, {})
        if status < 300:
            return web.json_response({"id": f"recorded-{len(self.seen)}"}, status=status, headers=headers)
        return web.json_response({"error": {"code": "ServiceError", "message": "scripted"}}, status=status,
                                 headers=headers)


@pytest.fixture
async def recorder():
    server = await Recorder().start()
    yield server
    await server.close()


class _Tokens:
    token = "outbound-token"


def _credentials(app_id: str) -> _CachedTokenCredentials:
    return _CachedTokenCredentials(app_id, _Tokens() if app_id else None)


def stock_client(url: str, app_id: str) -> ConnectorClient:
    """What botbuilder's CloudAdapter builds for every turn: msrest's default requests pipeline."""
    return ConnectorClient(_credentials(app_id), base_url=url)


async def our_client(url: str, app_id: str) -> tuple[ConnectorClient, ReusedConnectorFactory]:
    factory = ReusedConnectorFactory(_CredentialsFactory(app_id, _Tokens() if app_id else None), app_id)
    return await factory.create(url), factory


def reply(text: str = "Näin käytät Digimentoria – ohje") -> Activity:
    return Activity(
        type="message",
        text=text,
        locale="fi-FI",
        from_property=ChannelAccount(id="28:digimentor-bot", name="Digimentor"),
        recipient=ChannelAccount(id="29:user", name="Maija Virtanen", aad_object_id="a1"),
        conversation=ConversationAccount(id="19:abc@thread.tacv2;messageid=1700000000000", conversation_type="channel"),
        reply_to_id="act-1 / ä",
        attachments=[{"contentType": CARD, "content": {"type": "AdaptiveCard", "version": "1.5",
                                                       "body": [{"type": "TextBlock", "text": "Hei! Ä ö å €"}]}}],
        channel_data={"tenant": {"id": "t"}, "notification": {"alert": True}},
    )


def _comparable(seen: Seen) -> dict:
    return {k: v for k, v in seen.headers.items() if k not in TRANSPORT_HEADERS | {"user-agent"}}


@pytest.mark.parametrize("app_id", ["", APP_ID], ids=["anonymous", "with-app-id"])
async def test_a_reply_goes_out_exactly_as_the_stock_client_sends_it(recorder, app_id):
    stock = stock_client(recorder.url, app_id)
    ours, factory = await our_client(recorder.url, app_id)
    try:
        stock_result = await stock.conversations.reply_to_activity(reply().conversation.id, "act-1 / ä", reply())
        our_result = await ours.conversations.reply_to_activity(reply().conversation.id, "act-1 / ä", reply())
    finally:
        await factory.close()
    sent_by_stock, sent_by_us = recorder.seen
    assert (sent_by_us.method, sent_by_us.path) == (sent_by_stock.method, sent_by_stock.path)
    assert sent_by_us.json == sent_by_stock.json
    assert sent_by_us.json["attachments"][0]["content"]["body"][0]["text"] == "Hei! Ä ö å €"
    assert _comparable(sent_by_us) == _comparable(sent_by_stock)
    assert sent_by_us.headers["user-agent"] == sent_by_stock.headers["user-agent"] + " Digimentor"
    if app_id:
        assert sent_by_us.headers["authorization"] == "Bearer outbound-token"
    else:
        assert "authorization" not in sent_by_us.headers
    assert (stock_result.id, our_result.id) == ("recorded-1", "recorded-2")


async def test_a_failed_reply_is_not_retried_and_raises_the_same_error(recorder):
    # bot.messenger reads error.response.status_code and .headers: the response must stay requests'.
    stock = stock_client(recorder.url, "")
    ours, factory = await our_client(recorder.url, "")
    errors = []
    try:
        for client in (stock, ours):
            recorder.script = [(403, {"Retry-After": "7"})]
            with pytest.raises(ErrorResponseException) as raised:
                await client.conversations.reply_to_activity("conv", "act", reply())
            errors.append(raised.value)
    finally:
        await factory.close()
    assert [s.method for s in recorder.seen] == ["POST", "POST"]  # POST is never retried
    assert [type(e.response) for e in errors] == [requests.Response, requests.Response]
    assert [e.response.status_code for e in errors] == [403, 403]
    assert [e.response.headers.get("retry-after") for e in errors] == ["7", "7"]
    assert errors[0].error.error.code == errors[1].error.error.code == "ServiceError"
    assert str(errors[0]) == str(errors[1])


async def test_an_idempotent_call_is_retried_on_503_and_gives_up_the_same_way(recorder):
    stock = stock_client(recorder.url, "")
    ours, factory = await our_client(recorder.url, "")
    attempts = []
    try:
        for client in (stock, ours):
            client.config.retry_policy.backoff_factor = 0
            recorder.seen.clear()
            recorder.script = [(503, {}), (200, {})]
            updated = await client.conversations.update_activity("conv", "act", reply())
            assert updated.id == "recorded-2"
            recorder.script = [(503, {})] * 4
            recorder.seen.clear()
            with pytest.raises(ClientRequestError):
                await client.conversations.update_activity("conv", "act", reply())
            attempts.append(len(recorder.seen))
    finally:
        await factory.close()
    assert attempts == [4, 4]  # the first try and msrest's three retries


async def test_retry_after_is_honoured_on_an_idempotent_call(recorder):
    ours, factory = await our_client(recorder.url, "")
    recorder.script = [(503, {"Retry-After": "1"}), (200, {})]
    try:
        started = time.monotonic()
        await ours.conversations.update_activity("conv", "act", reply())
        assert time.monotonic() - started >= 0.9
    finally:
        await factory.close()
    assert len(recorder.seen) == 2


async def test_an_unreachable_connector_raises_the_same_error():
    closed = await Recorder().start()
    url = closed.url
    await closed.close()
    stock = stock_client(url, "")
    ours, factory = await our_client(url, "")
    try:
        for client in (stock, ours):
            client.config.retry_policy.backoff_factor = 0
            with pytest.raises(ClientRequestError):
                await client.conversations.reply_to_activity("conv", "act", reply())
    finally:
        await factory.close()


async def test_replies_are_not_limited_by_a_thread_pool():
    # msrest's default sends from the default executor: min(32, CPUs + 4) calls at a time.
    slow = await Recorder(delay=0.3).start()
    ours, factory = await our_client(slow.url, "")
    try:
        started = time.monotonic()
        await asyncio.gather(*(ours.conversations.reply_to_activity("conv", f"act-{i}", reply()) for i in range(40)))
        elapsed = time.monotonic() - started
    finally:
        await factory.close()
        await slow.close()
    assert len(slow.seen) == 40
    assert elapsed < 1.5, f"40 concurrent replies to a 300 ms connector took {elapsed:.2f} s"


# -- end to end through the bot ------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_turns_on_one_service_url_share_one_client_and_replies_arrive(database_url, clock, connector,
                                                                           monkeypatch):
    created: list[tuple[str, ConnectorClient]] = []
    real_create = ReusedConnectorFactory.create

    async def spy(self, service_url, audience=None):
        client = await real_create(self, service_url, audience)
        created.append((service_url, client))
        return client

    monkeypatch.setattr(ReusedConnectorFactory, "create", spy)
    other = await LoopbackConnector().start()
    other_url = other.url
    client = await start_bot(settings_for(database_url), clock)
    try:
        bot = BotClient(client)
        first = message("help", service_url=connector.url, locale="en-US")
        second = message("ohje", service_url=connector.url)
        elsewhere = message("help", service_url=other.url, locale="en-US")
        for activity in (first, second, elsewhere):
            assert (await bot.post(activity)).status == 200
        replies = await connector.wait_for(2)
        [reply_elsewhere] = await other.wait_for(1)
        sessions = [c.config.driver._http for _, c in created]
    finally:
        await client.close()
        await other.close()

    assert created[0][1] is created[1][1]
    assert created[2][0] == other_url and created[2][1] is not created[0][1]
    assert sessions[0] is sessions[1] and sessions[2] is not sessions[0]
    assert all(session.closed for session in sessions)  # closed with the app
    assert [r.reply_to_id for r in replies] == [first["id"], second["id"]]
    assert [r.conversation_id for r in replies] == [first["conversation"]["id"], second["conversation"]["id"]]
    assert replies[0].cards[0]["body"][0]["text"] == Texts("en")("help.title")
    assert replies[1].cards[0]["body"][0]["text"] == Texts("fi")("help.title")
    assert replies[0].activity["replyToId"] == first["id"]
    assert replies[0].activity["recipient"]["id"] == first["from"]["id"]
    assert reply_elsewhere.reply_to_id == elsewhere["id"] and reply_elsewhere.cards
    assert all(r.authorization is None for r in [*replies, reply_elsewhere])  # anonymous: no Authorization


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_with_an_app_id_every_reply_carries_the_bots_token(database_url, clock, connector):
    settings = settings_for(
        database_url,
        MicrosoftAppId=APP_ID,
        MicrosoftAppPassword="loopback-secret",
        BOT_LOGIN_URL=connector.url,
        BOT_OPENID_METADATA_URL=connector.openid_url,
    )
    client = await start_bot(settings, clock)
    try:
        bot = BotClient(client)
        for text in ("help", "ohje"):
            activity = message(text, service_url=connector.url)
            token = connector.token(app_id=APP_ID, service_url=connector.url)
            assert (await bot.post(activity, token=token)).status == 200
        replies = await connector.wait_for(2)
        factory = client.server.app[ENDPOINT].authentication.connectors
        assert len(factory._clients) == 1
    finally:
        await client.close()
    assert [r.authorization for r in replies] == ["Bearer outbound-token"] * 2
    assert len(connector.token_requests) == 1


def _self_signed_certificate(directory) -> tuple[str, str]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "loopback connector")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "connector.pem", directory / "connector.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


async def test_tls_trust_follows_requests_ca_bundle_rules(tmp_path, monkeypatch):
    import ssl

    cert_file, key_file = _self_signed_certificate(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_file, key_file)
    recorder = Recorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder._handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_tls)
    await site.start()
    url = f"https://127.0.0.1:{runner.addresses[0][1]}"
    try:
        # Trusted through REQUESTS_CA_BUNDLE, as requests trusts it.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert_file)
        ours, factory = await our_client(url, "")
        for client in (stock_client(url, ""), ours):
            assert (await client.conversations.reply_to_activity("conv", "act", reply())).id
        await factory.close()
        # Without it neither trusts the self-signed connector.
        monkeypatch.delenv("REQUESTS_CA_BUNDLE")
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        stock = stock_client(url, "")
        ours, factory = await our_client(url, "")
        for client in (stock, ours):
            client.config.retry_policy.backoff_factor = 0
            with pytest.raises(ClientRequestError):
                await client.conversations.reply_to_activity("conv", "act", reply())
        await factory.close()
    finally:
        await runner.cleanup()
    assert len(recorder.seen) == 2
