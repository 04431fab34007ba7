"""Microsoft Graph through the real msgraph-sdk client (and the real azure-identity
ClientSecretCredential) against a loopback Graph: directory, presence, reach, group chats,
retries and Graph being down. Plus the department mapping rules."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.graph import PRESENCE_BATCH_SIZE, TOPIC_LIMIT, GraphGateway, Presence, is_busy
from bot.graph_transport import graph_scope
from bot.retry_after import retry_after_seconds
from dialogs.ports import GraphProfile
from dialogs.rules.department_mapping import DepartmentRule, rules_from, rules_to_dicts, unit_for
from dialogs.rules.teams_links import group_chat_url, personal_chat_url
from tests.support.graph_server import TOKEN, LoopbackGraph, loopback_credential

MAIJA = "6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
MENTOR = "7a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d"
STRANGER = "8b3c4d5e-6f7a-4b2c-8d3e-4f5a6b7c8d9e"
CATALOG_ID = "a1b2c3d4-0000-4000-8000-000000000001"
MANIFEST_ID = "a1b2c3d4-0000-4000-8000-0000000000ff"

RULES = (
    DepartmentRule(unit="ward-3", department="Osasto 3"),
    DepartmentRule(unit="home-care-kotka", department_pattern="^Kotihoito", office_location="Kotka"),
    DepartmentRule(unit="home-care", department_pattern="^Kotihoito"),
    DepartmentRule(unit="hamina-office", office_location="Hamina"),
)


def uid(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-{n:012x}"


@pytest.fixture
async def graph() -> AsyncIterator[LoopbackGraph]:
    server = await LoopbackGraph().start()
    server.add_user(MAIJA, display_name="Maija Virtanen", department="OSASTO  3", office_location="Kotka",
                    mail="maija.virtanen@example.fi", presence=("Available", "Available"))
    server.add_user(MENTOR, display_name="Mikko Mentor", department="Kotihoito Pohjoinen", office_location="Kotka",
                    presence=("Busy", "InAMeeting"))
    server.add_catalog_app(CATALOG_ID, MANIFEST_ID)
    yield server
    await server.close()


@pytest.fixture
async def gateway(graph: LoopbackGraph) -> AsyncIterator[GraphGateway]:
    gw = GraphGateway(credential=loopback_credential(graph), base_url=graph.base_url, owns_credential=True,
                      timeout=3.0, presence_timeout=2.0, max_retry_wait=3.0, cooldown=30.0)
    yield gw
    await gw.close()


# -- department rules ------------------------------------------------------------------------
def test_exact_department_ignores_case_and_spacing() -> None:
    assert unit_for(RULES, "osasto 3", None) == "ward-3"
    assert unit_for(RULES, "  OSASTO   3 ", "Anywhere") == "ward-3"
    assert unit_for(RULES, "Osasto 31", None) is None


def test_patterns_prefixes_office_locations_and_first_match_wins() -> None:
    assert unit_for(RULES, "Kotihoito Pohjoinen", "Kotka") == "home-care-kotka"
    assert unit_for(RULES, "kotihoito etelä", "KOTKA ") == "home-care-kotka"
    assert unit_for(RULES, "Kotihoito Etelä", "Hamina") == "home-care"  # first match wins
    assert unit_for(RULES, "Sairaalan kotihoito", None) is None  # ^ makes it a prefix rule
    assert unit_for(RULES, "Talous", "Hamina") == "hamina-office"
    assert unit_for(RULES, None, None) is None
    assert unit_for(RULES, "", "  ") is None
    assert unit_for((), "Osasto 3", None) is None


def test_bad_rules_are_refused_and_rules_round_trip() -> None:
    with pytest.raises(ValueError, match="not both"):
        DepartmentRule(unit="x", department="a", department_pattern="^a")
    with pytest.raises(ValueError, match="needs department"):
        DepartmentRule(unit="x")
    with pytest.raises(ValueError, match="regular expression"):
        DepartmentRule(unit="x", department_pattern="(")
    with pytest.raises(ValueError, match="rule 1: unknown field"):
        rules_from([{"unit": "a", "department": "A"}, {"unit": "b", "departmnet": "B"}])
    with pytest.raises(ValueError, match="rule 0: a department rule needs a unit"):
        rules_from([{"department": "A"}])
    assert rules_from(rules_to_dicts(RULES)) == RULES


# -- presence rules --------------------------------------------------------------------------
@pytest.mark.parametrize("availability, activity, busy", [
    ("Available", "Available", False),
    ("AvailableIdle", "Available", False),
    ("Busy", "InAMeeting", False),
    ("Busy", "Busy", False),
    ("PresenceUnknown", "PresenceUnknown", False),
    (None, None, False),
    ("Away", "Away", True),
    ("BeRightBack", "BeRightBack", True),
    ("Offline", "OffWork", True),
    ("DoNotDisturb", "Presenting", True),
    ("DoNotDisturb", "UrgentInterruptionsOnly", True),
    ("Busy", "InACall", True),
    ("Busy", "InAConferenceCall", True),
    ("Available", "OutOfOffice", True),
])
def test_is_busy(availability, activity, busy) -> None:
    assert is_busy(availability, activity) is busy


def test_retry_after_parsing() -> None:
    now = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("0") == 0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_personal_chat_link_opens_a_chat_with_the_person() -> None:
    assert personal_chat_url(MAIJA) == f"https://teams.microsoft.com/l/chat/0/0?users=8:orgid:{MAIJA}"


def test_scope_follows_the_graph_host() -> None:
    assert graph_scope("https://graph.microsoft.com/v1.0") == "https://graph.microsoft.com/.default"
    assert graph_scope("https://graph.microsoft.us/v1.0") == "https://graph.microsoft.us/.default"
    assert graph_scope("http://127.0.0.1:1234/v1.0") == "https://graph.microsoft.com/.default"


# -- directory -------------------------------------------------------------------------------
async def test_profile_places_a_new_employee_by_department(graph: LoopbackGraph, gateway: GraphGateway) -> None:
    profile = await gateway.user_profile(MAIJA)
    assert profile == GraphProfile("OSASTO  3", "Kotka", "Maija Virtanen", "maija.virtanen@example.fi")
    assert unit_for(RULES, profile.department, profile.office_location) == "ward-3"
    mentor = await gateway.user_profile(MENTOR)
    assert unit_for(RULES, mentor.department, mentor.office_location) == "home-care-kotka"

    [request, _] = graph.requests
    assert request.method == "GET" and request.path == f"/users/{MAIJA}"
    assert set(request.query["$select"].split(",")) >= {"department", "officeLocation", "displayName", "mail"}
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    # App-only: one client-credentials token for the Graph scope, reused for later calls.
    [token_request] = graph.token_requests
    assert token_request["grant_type"] == "client_credentials"
    assert token_request["scope"] == "https://graph.microsoft.com/.default"


async def test_unknown_user_is_none_without_cooldown(graph: LoopbackGraph, gateway: GraphGateway) -> None:
    assert await gateway.user_profile(STRANGER) is None
    assert gateway.available  # a 404 says nothing about Graph's health
    assert await gateway.user_profile(MAIJA) is not None


# -- presence --------------------------------------------------------------------------------
async def test_presence_batches_of_650_and_cache(graph: LoopbackGraph, gateway: GraphGateway) -> None:
    ids = [uid(n) for n in range(1, 1301)]
    graph.presence.update({ids[0]: ("Away", "Away"), ids[700]: ("Busy", "InACall"),
                           ids[1299]: ("Available", "Available")})
    first = await gateway.presences(ids)
    batches = graph.graph_requests("POST", "/communications/getPresencesByUserId")
    assert len(batches) == 2
    assert [len(b.body["ids"]) for b in batches] == [PRESENCE_BATCH_SIZE, PRESENCE_BATCH_SIZE]
    assert sorted(batches[0].body["ids"] + batches[1].body["ids"]) == sorted(ids)
    assert len(first) == 1300
    assert first[ids[0]] == Presence("Away", "Away")
    assert first[ids[700]] == Presence("Busy", "InACall")

    # Within the cache time no new request, however the ids are spelled or repeated.
    second = await gateway.presences([i.upper() for i in ids] + ids[:10])
    assert len(graph.graph_requests("POST", "/communications")) == 2
    assert second == first
    assert await gateway.busy_ids(ids) == {ids[0], ids[700]}
    assert len(graph.graph_requests("POST", "/communications")) == 2


async def test_presence_cache_expires(graph: LoopbackGraph) -> None:
    now = [1000.0]
    gw = GraphGateway(credential=loopback_credential(graph), base_url=graph.base_url, owns_credential=True,
                      presence_ttl=60.0, clock=lambda: now[0])
    try:
        assert (await gw.presences([MAIJA, MENTOR]))[MAIJA] == Presence("Available", "Available")
        graph.presence[MAIJA] = ("DoNotDisturb", "Presenting")
        now[0] += 59
        assert (await gw.presences([MAIJA]))[MAIJA] == Presence("Available", "Available")
        assert len(graph.graph_requests("POST")) == 1
        now[0] += 2
        assert await gw.busy_ids([MAIJA, MENTOR]) == {MAIJA}  # Busy/InAMeeting is not skipped
        [_, refresh] = graph.graph_requests("POST")
        assert sorted(refresh.body["ids"]) == sorted([MAIJA, MENTOR])
    finally:
        await gw.close()


async def test_presence_mixes_cached_and_missing_ids(graph: LoopbackGraph, gateway: GraphGateway) -> None:
    await gateway.presences([MAIJA])
    await gateway.presences([MAIJA, MENTOR])
    [_, second] = graph.graph_requests("POST")
    assert second.body["ids"] == [MENTOR]
    assert await gateway.presences([]) == {}


# -- reaching a mentor ------------------------------------------------------------------------
async def test_install_app_created_and_conflict_both_succeed(graph: LoopbackGraph, gateway: GraphGateway) -> None:
    assert await gateway.install_app_for(MENTOR, CATALOG_ID) is True  # 201
    assert await gateway.install_app_for(MENTOR, CATALOG_ID) is True  # 409: already installed
    installs = graph.graph_requests("POST", f"/users/{MENTOR}/teamwork/installedApps")
    assert len(installs) == 2
    assert installs[0].body["teamsApp@odata.bind"] == f"{graph.base_url}/appCatalogs/teamsApps/{CATALOG_ID}"
    assert await gateway.install_app_for(MENTOR, "not-in-catalog") is False  # 404
    assert await gateway.install_app_for(STRANGER, CATALOG_ID) is False


async def test_personal_chat_after_install(graph: LoopbackGraph, gateway: GraphGateway) -> None:
    assert await gateway.personal_chat_id(MENTOR, CATALOG_ID) is None  # not installed yet
    assert await gateway.catalog_app_id(MANIFEST_ID) == CATALOG_ID
    chat_id = await gateway.ensure_personal_chat(MENTOR, CATALOG_ID)
    assert chat_id == graph.chat_id_for(MENTOR, CATALOG_ID)
    lookup = graph.graph_requests("GET", f"/users/{MENTOR}/teamwork/installedApps")[-2]
    assert lookup.query["$filter"] == f"teamsApp/id eq '{CATALOG_ID}'"
    assert "teamsApp" in lookup.query["$expand"]
    assert graph.graph_requests("GET")[-1].path.endswith("/chat")
    assert await gateway.catalog_app_id(MANIFEST_ID) == CATALOG_ID
    assert len(graph.graph_requests("GET", "/appCatalogs")) == 1  # cached


# -- group chat ------------------------------------------------------------------------------
async def test_group_chat_body(graph: LoopbackGraph, gateway: GraphGateway) -> None:
    question = "Miten jaan kalenterini työkaverille? " * 20
    chat_id = await gateway.create_group_chat([MAIJA, MENTOR.upper(), MAIJA], question)
    assert chat_id and chat_id.endswith("@thread.v2")
    [request] = graph.graph_requests("POST", "/chats")
    body = request.body
    assert body["chatType"] == "group"
    assert len(body["topic"]) <= TOPIC_LIMIT and body["topic"].startswith("Miten jaan kalenterini")
    assert [m["@odata.type"] for m in body["members"]] == ["#microsoft.graph.aadUserConversationMember"] * 2
    assert [m["user@odata.bind"] for m in body["members"]] == [
        f"{graph.base_url}/users('{MAIJA}')", f"{graph.base_url}/users('{MENTOR}')"]
    assert all(m["roles"] == ["owner"] for m in body["members"])
    assert group_chat_url(chat_id, "tenant-1") == (
        f"https://teams.microsoft.com/l/chat/{chat_id.replace(':', '%3A').replace('@', '%40')}/0?tenantId=tenant-1")
    assert group_chat_url(chat_id) == (
        f"https://teams.microsoft.com/l/chat/{chat_id.replace(':', '%3A').replace('@', '%40')}/0")
    assert await gateway.create_group_chat([MAIJA], "alone") is None
    assert len(graph.graph_requests("POST", "/chats")) == 1


# -- retries ---------------------------------------------------------------------------------
async def test_429_then_success_honours_retry_after(graph: LoopbackGraph, gateway: GraphGateway) -> None:
    graph.fail_next(429, retry_after="1")
    started = time.monotonic()
    profile = await gateway.user_profile(MAIJA)
    elapsed = time.monotonic() - started
    assert profile is not None and profile.display_name == "Maija Virtanen"
    assert 1.0 <= elapsed < 6.0  # waited the second Retry-After asked for, and not much more
    first, second = graph.graph_requests("GET", "/users/")
    assert "Retry-Attempt" not in first.headers and second.headers["Retry-Attempt"] == "1"


async def test_503_and_502_are_retried(graph: LoopbackGraph, gateway: GraphGateway) -> None:
    graph.fail_next(503, retry_after="0")
    graph.fail_next(502, retry_after="0")
    assert await gateway.install_app_for(MENTOR, CATALOG_ID) is True
    assert len(graph.graph_requests("POST")) == 3


async def test_retry_after_beyond_the_bound_gives_up_at_once(graph: LoopbackGraph, gateway: GraphGateway) -> None:
    graph.fail_next(429, retry_after="120")
    started = time.monotonic()
    assert await gateway.presences([MAIJA]) == {}
    assert time.monotonic() - started < 5.0  # not the 120 s Graph asked for
    assert len(graph.requests) == 1
    assert not gateway.available  # throttled: leave Graph alone for the cool-down
    assert await gateway.user_profile(MAIJA) is None
    assert len(graph.requests) == 1


async def test_retries_are_bounded(graph: LoopbackGraph, gateway: GraphGateway) -> None:
    graph.fail_next(503, times=10, retry_after="0")
    assert await gateway.create_group_chat([MAIJA, MENTOR], "topic") is None
    assert len(graph.requests) == 4  # the first try and three retries


# -- Graph down ------------------------------------------------------------------------------
async def test_graph_down_answers_empty_quickly(graph: LoopbackGraph, caplog: pytest.LogCaptureFixture) -> None:
    gw = GraphGateway(credential=loopback_credential(graph), base_url=graph.base_url, owns_credential=True,
                      cooldown=0.0)
    try:
        assert await gw.user_profile(MAIJA) is not None  # token fetched while the server was up
        await graph.close()
        caplog.set_level(logging.INFO)
        started = time.monotonic()
        assert await gw.user_profile(MAIJA) is None
        assert await gw.presences([MAIJA, MENTOR]) == {}
        assert await gw.busy_ids([MAIJA]) == set()
        assert await gw.install_app_for(MENTOR, CATALOG_ID) is False
        assert await gw.personal_chat_id(MENTOR, CATALOG_ID) is None
        assert await gw.create_group_chat([MAIJA, MENTOR], "Kysymys") is None
        assert await gw.catalog_app_id(MANIFEST_ID) is None
        assert time.monotonic() - started < 5.0
    finally:
        await gw.close()
    failures = [r for r in caplog.records if r.name == "digimentor.graph"]
    assert len(failures) >= 7
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        for personal in (MAIJA, MENTOR, "Maija", "Kysymys"):
            assert personal not in text


async def test_hanging_graph_is_cut_at_the_timeout_then_skipped(graph: LoopbackGraph) -> None:
    gw = GraphGateway(credential=loopback_credential(graph), base_url=graph.base_url, owns_credential=True,
                      timeout=1.0, presence_timeout=0.5, cooldown=30.0)
    try:
        await gw.user_profile(MAIJA)  # fetch the token first
        graph.delay = 10.0
        started = time.monotonic()
        assert await gw.presences([MAIJA]) == {}
        assert time.monotonic() - started < 5.0  # cut at the timeout, not the 10 s hang
        started = time.monotonic()
        assert await gw.user_profile(MAIJA) is None  # cooling down: not even tried
        assert time.monotonic() - started < 0.9  # under the 1 s timeout a real try would take
        assert not gw.available
    finally:
        graph.delay = 0.0
        await gw.close()


async def test_token_endpoint_refusing_is_a_quiet_failure(graph: LoopbackGraph) -> None:
    gw = GraphGateway(credential=loopback_credential(graph, secret="wrong"), base_url=graph.base_url,
                      owns_credential=True)
    try:
        assert await gw.user_profile(MAIJA) is None
        assert graph.requests == []  # no token, no Graph call
        assert not gw.available
    finally:
        await gw.close()


async def test_production_factory_builds_without_network() -> None:
    gw = GraphGateway.from_client_secret("tenant", "client", "secret")
    try:
        assert gw.request_adapter.base_url == "https://graph.microsoft.com/v1.0"
        assert gw.available
    finally:
        await gw.close()
    with pytest.raises(ValueError):
        GraphGateway()


async def test_concurrent_callers_share_the_gateway(graph: LoopbackGraph, gateway: GraphGateway) -> None:
    profiles = await asyncio.gather(*(gateway.user_profile(MAIJA) for _ in range(10)))
    assert all(p is not None and p.department == "OSASTO  3" for p in profiles)
