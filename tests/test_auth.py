"""Bot Framework authentication over the real HTTP endpoint, with tokens signed locally and keys
served from a loopback OpenID metadata document."""

from __future__ import annotations

import jwt
import pytest

from tests.conftest import BotClient, settings_for, start_bot
from tests.support.activities import TENANT, message
from tests.support.connector import new_signing_key

APP_ID = "9f0b6b0a-1111-4a2b-9c3d-000000000001"
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def secured_bot(database_url, connector):
    settings = settings_for(
        database_url,
        MicrosoftAppId=APP_ID,
        MicrosoftAppPassword="loopback-secret",
        BOT_OPENID_METADATA_URL=connector.openid_url,
        BOT_LOGIN_URL=connector.url,
        ALLOWED_TENANTS=f"{TENANT}, 00000000-0000-0000-0000-0000000000ff",
    )
    client = await start_bot(settings)
    yield BotClient(client)
    await client.close()


async def test_a_valid_channel_token_is_accepted_and_replies_carry_the_bots_own_token(secured_bot, connector):
    activity = message("ohje", service_url=connector.url)
    token = connector.token(app_id=APP_ID, service_url=connector.url)
    response = await secured_bot.post(activity, token=token)
    assert response.status == 200
    [sent] = await connector.wait_for(1)
    assert sent.authorization == "Bearer outbound-token"
    assert connector.token_requests[0]["client_id"] == APP_ID
    assert connector.token_requests[0]["scope"] == "https://api.botframework.com/.default"


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda c: None, id="missing"),
        pytest.param(lambda c: "not-a-jwt", id="malformed"),
        pytest.param(lambda c: c.token(app_id=APP_ID, expires_in=-3600), id="expired"),
        pytest.param(lambda c: c.token(app_id="someone-else"), id="wrong-audience"),
        pytest.param(lambda c: c.token(app_id=APP_ID, issuer="https://evil.example"), id="wrong-issuer"),
        pytest.param(
            lambda c: c.token(app_id=APP_ID, key=new_signing_key(kid=c.published_keys[0].kid)), id="bad-signature"
        ),
        pytest.param(lambda c: c.token(app_id=APP_ID, key=new_signing_key()), id="unknown-key"),
        pytest.param(lambda c: c.token(app_id=APP_ID, service_url="https://elsewhere.example"), id="other-service-url"),
        pytest.param(lambda c: c.token(app_id=APP_ID, service_url=None), id="no-service-url"),
        pytest.param(lambda c: jwt.encode({"aud": APP_ID}, c.published_keys[0].private_key, algorithm="RS256"),
                     id="no-key-id"),
    ],
)
async def test_bad_tokens_get_401_and_nothing_happens(secured_bot, connector, make_token):
    token = make_token(connector)
    response = await secured_bot.post(message("ohje", service_url=connector.url), token=token)
    assert response.status == 401
    assert await response.json() == {"error": "unauthorized"}
    # A turn sends its replies before its HTTP answer: had one run, they would be here by now.
    assert connector.sent == []


async def test_a_key_not_endorsed_for_teams_gets_401(secured_bot, connector):
    webchat_only = new_signing_key(endorsements=["webchat"])
    connector.published_keys.append(webchat_only)
    token = connector.token(app_id=APP_ID, key=webchat_only)
    response = await secured_bot.post(message("ohje", service_url=connector.url), token=token)
    assert response.status == 401


async def test_a_token_in_a_basic_header_gets_401(secured_bot, connector):
    token = connector.token(app_id=APP_ID)
    response = await secured_bot.http.post(
        "/api/messages", json=message("ohje", service_url=connector.url), headers={"Authorization": f"Basic {token}"}
    )
    assert response.status == 401


async def test_an_invoke_with_a_bad_token_gets_401_not_500(secured_bot, connector):
    invoke = message("", service_url=connector.url)
    invoke.update(type="invoke", name="adaptiveCard/action",
                  value={"action": {"type": "Action.Execute", "verb": "askMentor", "data": {"question_id": 1}}})
    response = await secured_bot.post(invoke, token=connector.token(app_id=APP_ID, expires_in=-3600))
    assert response.status == 401


async def test_a_foreign_tenant_gets_403(secured_bot, connector):
    activity = message("ohje", service_url=connector.url, tenant="99999999-9999-9999-9999-999999999999")
    response = await secured_bot.post(activity, token=connector.token(app_id=APP_ID))
    assert response.status == 403
    assert connector.sent == []


async def test_key_service_down_gives_503_so_the_connector_retries(database_url, connector):
    settings = settings_for(
        database_url,
        MicrosoftAppId=APP_ID,
        MicrosoftAppPassword="loopback-secret",
        BOT_OPENID_METADATA_URL="http://127.0.0.1:9/v1/.well-known/openidconfiguration",
        BOT_LOGIN_URL=connector.url,
    )
    client = await start_bot(settings)
    try:
        response = await BotClient(client).post(message("ohje", service_url=connector.url),
                                                token=connector.token(app_id=APP_ID))
        assert response.status == 503
        # A token that names no key can never be valid: 401 at once, key service or not.
        keyless = jwt.encode({"aud": APP_ID}, connector.published_keys[0].private_key, algorithm="RS256")
        response = await BotClient(client).post(message("ohje", service_url=connector.url), token=keyless)
        assert response.status == 401
    finally:
        await client.close()
