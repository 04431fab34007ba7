"""End to end through the real HTTP endpoint, with a loopback Bot Connector receiving replies."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.web import DATABASE, FLOWS
from cards.formatting import month_name
from cards.i18n import Texts
from dialogs.clock import Clock
from dialogs.rules.limits import MAX_QUESTION_CHARACTERS
from dialogs.rules.org_file import parse_organization_file
from dialogs.rules.signed_links import LIFETIME_SECONDS
from storage.activity_claims import ActivityClaims
from storage.conversation_repository import ConversationRepository
from storage.db import Database, StorageUnavailable
from storage.models import ConversationReference, ProcessedActivity, Question
from storage.organization_repository import import_organization
from storage.processes import ProcessRegistry
from tests.conftest import BotClient, settings_for, start_bot
from tests.support.activities import installation, members_added, message
from tests.support.outage import database_outage

COORDINATOR = "00000000-0000-0000-0000-0000000000c1"
EMPLOYEE = "00000000-0000-0000-0000-0000000000a1"
FI, SV, EN = Texts("fi"), Texts("sv"), Texts("en")

ORG = f"""
organization: {{name: Testikunta}}
units:
  - {{id: sote, name: {{fi: Sote}}}}
people:
  - aad_object_id: {EMPLOYEE}
    name: Maija Virtanen
    unit: sote
  - aad_object_id: {COORDINATOR}
    name: Kaisa Laine
    unit: sote
    languages: [fi, sv]
    roles: [employee, coordinator]
    coordinator_of: [sote]
"""


async def _seed(database_url: str, clock: Clock) -> None:
    database = Database(database_url, clock=clock.now)
    await import_organization(database, parse_organization_file(ORG))
    await database.dispose()


async def _count(database_url: str, model) -> int:
    database = Database(database_url)
    async with database.transaction() as session:
        value = await session.scalar(select(func.count()).select_from(model))
    await database.dispose()
    return value


async def test_install_sends_finnish_welcome_card_and_stores_the_reference(bot: BotClient, connector, database_url):
    response = await bot.post(installation(service_url=connector.url))
    assert response.status == 200
    [sent] = await connector.wait_for(1)
    card = sent.cards[0]
    assert card["version"] == "1.5"
    assert card["body"][0]["text"] == FI("welcome.title")
    assert sent.conversation_id == f"a:personal-{EMPLOYEE}"

    database = Database(database_url)
    stored = await ConversationRepository(database).personal(EMPLOYEE)
    await database.dispose()
    assert stored is not None
    assert stored.service_url == connector.url
    assert stored.tenant_id == "00000000-0000-0000-0000-00000000d1f1"
    assert stored.reference["conversation"]["id"] == f"a:personal-{EMPLOYEE}"


@pytest.mark.parametrize(("locale", "language"), [("sv-FI", "sv"), ("en-US", "en"), ("de-DE", "fi")])
async def test_welcome_follows_the_locale_with_finnish_as_default(bot, connector, locale, language):
    await bot.post(installation(service_url=connector.url, locale=locale))
    [sent] = await connector.wait_for(1)
    assert sent.cards[0]["body"][0]["text"] == Texts(language)("welcome.title")


async def test_bot_added_to_personal_chat_stores_the_reference_without_a_second_welcome(bot, connector, database_url):
    assert (await bot.post(members_added(service_url=connector.url))).status == 200
    assert await _count(database_url, ConversationReference) == 1
    # Whatever a turn sends has reached the connector before the turn's HTTP response: after
    # a later message's response, the only thing sent is the answer to that message.
    assert (await bot.post(message("ohje", service_url=connector.url))).status == 200
    assert [s.cards[0]["body"][0]["text"] for s in connector.sent] == [FI("help.title")]
    assert await _count(database_url, ConversationReference) == 1


async def test_first_message_stores_the_reference_and_gets_a_reply(bot, connector, database_url):
    response = await bot.post(message("mikä tämä on", service_url=connector.url))
    assert response.status == 200
    [sent] = await connector.wait_for(1)
    assert sent.cards[0]["body"][0]["text"] == FI("faq.none_title")
    assert sent.reply_to_id is not None
    assert await _count(database_url, ConversationReference) == 1


async def test_help_alias_shows_only_the_commands_the_user_may_use(bot, connector, database_url, clock):
    await _seed(database_url, clock)
    await bot.post(message("Ohje", service_url=connector.url, user=EMPLOYEE))
    await bot.post(message("hjälp", service_url=connector.url, user=COORDINATOR, locale="sv-SE"))
    employee_reply, coordinator_reply = await connector.wait_for(2)
    employee_text = json.dumps(employee_reply.cards[0], ensure_ascii=False)
    coordinator_text = json.dumps(coordinator_reply.cards[0], ensure_ascii=False)
    assert employee_reply.cards[0]["body"][0]["text"] == FI("help.title")
    assert FI("help.coordinator_commands_title") not in employee_text
    assert coordinator_reply.cards[0]["body"][0]["text"] == SV("help.title")
    assert SV("help.coordinator_commands_title") in coordinator_text


async def test_employee_asking_for_stats_gets_a_polite_refusal(bot, connector, database_url, clock):
    await _seed(database_url, clock)
    await bot.post(message("tilastot", service_url=connector.url, user=EMPLOYEE))
    [sent] = await connector.wait_for(1)
    assert sent.text == FI("reply.refused_role", role=FI("roles.coordinator"))


async def test_unknown_user_is_served_as_an_employee(bot, connector):
    stranger = "11111111-2222-3333-4444-555555555555"
    await bot.post(message("help", service_url=connector.url, user=stranger, name="Uusi Työntekijä", locale="en-GB"))
    [sent] = await connector.wait_for(1)
    assert sent.cards[0]["body"][0]["text"] == EN("help.title")


async def test_channel_mention_is_stripped_and_the_reply_is_threaded(bot, connector):
    thread = "19:abc@thread.tacv2;messageid=1700000000000"
    await bot.post(message("ohje", service_url=connector.url, conversation_id=thread,
                           conversation_type="channel", mention_bot=True))
    [sent] = await connector.wait_for(1)
    assert sent.conversation_id == thread
    assert sent.cards[0]["body"][0]["text"] == FI("help.title")


async def test_a_message_delivered_twice_is_answered_once(bot, connector, database_url):
    activity = message("ohje", service_url=connector.url)
    first, second = await asyncio.gather(bot.post(activity), bot.post(activity))
    assert {first.status, second.status} == {200}
    # Both turns are over once both responses have arrived, and whatever they sent with them.
    [sent] = connector.sent
    assert sent.cards[0]["body"][0]["text"] == FI("help.title")
    assert await _count(database_url, ProcessedActivity) == 1


async def test_oversized_question_gets_a_clear_answer(bot, connector):
    await bot.post(message("a" * 2500, service_url=connector.url))
    [sent] = await connector.wait_for(1)
    assert sent.text == FI("reply.text_too_long", length=2500, limit=MAX_QUESTION_CHARACTERS)


async def test_malformed_requests_get_400_415_and_413(bot, connector):
    http = bot.http
    bad_json = await http.post("/api/messages", data=b"{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status == 400
    assert (await bad_json.json())["error"] == "body is not valid JSON"

    not_activity = await http.post("/api/messages", json=[1, 2, 3])
    assert not_activity.status == 400

    no_conversation = await http.post("/api/messages", json={"type": "message", "serviceUrl": connector.url})
    assert no_conversation.status == 400

    wrong_type = await http.post("/api/messages", data="hello", headers={"Content-Type": "text/plain"})
    assert wrong_type.status == 415

    huge = message("x" * (300 * 1024), service_url=connector.url)
    too_large = await http.post("/api/messages", json=huge)
    assert too_large.status == 413
    assert connector.sent == []


async def test_unknown_activity_types_are_ignored_with_200(bot, connector):
    activity = message("", service_url=connector.url)
    activity["type"] = "somethingNew"
    response = await bot.post(activity)
    assert response.status == 200
    # The turn is over with its response: anything it sent would already be recorded.
    assert connector.sent == []


async def test_nul_characters_and_lone_surrogates_are_cleaned_before_anything_is_stored(bot, connector,
                                                                                          database_url):
    activity = message("miten jaan\x00 kalenterini \ud800työkaverille", service_url=connector.url)
    body = json.dumps(activity).encode()  # json escapes both as \u0000 and \ud800
    response = await bot.http.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 200
    database = Database(database_url)
    async with database.transaction() as session:
        stored = await session.scalar(select(Question.text))
    await database.dispose()
    assert stored == "miten jaan kalenterini ?työkaverille"


@pytest.mark.parametrize("entities", [
    [{"type": "mention", "mentioned": "not-an-object", "text": 5}],
    [{"type": "mention", "mentioned": {"id": None}, "text": ["<at>"]}],
    [{"type": "mention"}],
], ids=["mentioned-is-a-string", "text-is-a-list", "empty-mention"])
async def test_malformed_mention_entities_are_ignored(bot, connector, entities):
    activity = message("ohje", service_url=connector.url)
    activity["entities"] = entities
    response = await bot.post(activity)
    assert response.status == 200
    assert [card["body"][0]["text"] for _, card in connector.cards_to(activity["conversation"]["id"])] == [
        Texts("fi")("help.title")]


async def test_a_thread_with_a_600_character_id_is_answered(bot, connector):
    thread = "19:" + "t" * 600 + "@thread.tacv2;messageid=1"
    activity = message("ohje", service_url=connector.url, conversation_id=thread, conversation_type="channel")
    response = await bot.post(activity)
    assert response.status == 200
    assert len(connector.cards_to(thread)) == 1


async def test_a_sender_id_that_fits_no_column_gets_400(bot, connector):
    activity = message("ohje", service_url=connector.url)
    activity["from"]["aadObjectId"] = "a" * 65
    response = await bot.post(activity)
    assert response.status == 400
    assert connector.sent == []


async def test_json_nested_too_deep_gets_400_not_500(bot):
    body = b'{"type": "message", "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = await bot.http.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert "nested deeper" in (await response.json())["error"]


@pytest.mark.parametrize("name", ["signin/tokenExchange", "signin/verifyState", "composeExtension/query",
                                  "config/fetch", "somethingElse"])
async def test_invokes_that_are_not_card_actions_get_an_empty_200(bot, connector, name):
    activity = message("", service_url=connector.url)
    activity.update(type="invoke", name=name, value={"id": "x", "connectionName": "y", "token": "z"})
    response = await bot.post(activity)
    assert response.status == 200
    assert connector.sent == []


async def test_database_down_gives_503_and_the_redelivery_is_answered_once(bot, connector, database_url):
    database = bot.http.server.app[DATABASE]
    activity = message("ohje", service_url=connector.url)
    with database_outage(database):
        response = await bot.post(activity)
        assert response.status == 503
        assert response.headers["Retry-After"] == "5"
        health = await bot.http.get("/healthz")
        assert health.status == 503
    assert connector.sent == []
    assert await _count(database_url, ProcessedActivity) == 0
    assert await _count(database_url, ConversationReference) == 0

    retry = await bot.post(activity)
    assert retry.status == 200
    await connector.wait_for(1)
    assert (await bot.http.get("/healthz")).status == 200


async def test_a_database_failing_in_the_middle_of_a_turn_loses_no_question(bot, connector, database_url,
                                                                             monkeypatch):
    """The claim is made, then the database goes down mid-turn: 503, and the Connector's
    redelivery after recovery is answered, not skipped as a duplicate."""
    app = bot.http.server.app
    database, asking = app[DATABASE], app[FLOWS].asking
    outage = database_outage(database)

    async def fails_mid_turn(*args, **kwargs):
        outage.__enter__()
        raise StorageUnavailable("the database went away")

    monkeypatch.setattr(asking, "ask", fails_mid_turn)
    activity = message("miten jaan kalenterini", service_url=connector.url)
    assert (await bot.post(activity)).status == 503
    outage.__exit__(None, None, None)
    monkeypatch.undo()

    retry = await bot.post(activity)
    assert retry.status == 200
    [answer] = connector.cards_to(activity["conversation"]["id"])
    assert answer[1]["actions"][-1]["verb"] == "askMentor"
    assert (await bot.post(activity)).status == 200  # a third delivery is a duplicate
    assert len(connector.cards_to(activity["conversation"]["id"])) == 1


async def test_a_redelivery_waits_for_a_live_owner_and_takes_over_from_a_dead_one(database):
    """Two processes on one database. The first claims a delivery and dies in its turn: the
    redelivery reaching the second waits while the first looks alive, then runs the turn."""
    first = ActivityClaims(database, ProcessRegistry(database))
    assert await first.claim("conv|1")
    # The first process still beats: its turn may be running, so the redelivery is a duplicate.
    patient = ActivityClaims(database, ProcessRegistry(database, dead_after=60), wait=0.3)
    assert not await patient.claim("conv|1")
    # It beats no more: once its heartbeat is stale the redelivery takes the claim over.
    second = ActivityClaims(database, ProcessRegistry(database, dead_after=0.5), wait=10)
    assert await second.claim("conv|1")
    await second.finish("conv|1")
    assert not await ActivityClaims(database, ProcessRegistry(database), wait=10).claim("conv|1")
    assert not await second.claim("conv|1")


async def test_a_finished_turn_makes_its_redelivery_a_duplicate_at_once(database):
    claims = ActivityClaims(database, ProcessRegistry(database))
    assert await claims.claim("conv|1")
    waiting = asyncio.create_task(claims.claim("conv|1"))  # the same process: waits for the turn
    await claims.finish("conv|1")
    assert await waiting is False
    assert not await ActivityClaims(database, ProcessRegistry(database), wait=10).claim("conv|1")


async def test_a_stopped_process_leaves_its_unfinished_claims_to_be_taken_at_once(database):
    stopping = ProcessRegistry(database)
    assert await ActivityClaims(database, stopping).claim("conv|1")
    await stopping.stop()
    assert await ActivityClaims(database, ProcessRegistry(database), wait=10).claim("conv|1")


async def test_unexpected_error_apologises_with_a_reference_that_the_log_keeps(bot, connector, caplog, monkeypatch):
    directory = bot.http.server.app[FLOWS].directory

    async def broken(*args, **kwargs):
        raise RuntimeError("directory exploded with secret detail")

    monkeypatch.setattr(directory, "member", broken)
    with caplog.at_level(logging.ERROR, logger="digimentor.turn"):
        response = await bot.post(message("ohje", service_url=connector.url))
    assert response.status == 500
    body = await response.json()
    [sent] = await connector.wait_for(1)
    assert sent.text == FI("error.apology", reference=body["reference"])
    assert "secret detail" not in sent.text and "Traceback" not in sent.text
    assert "secret detail" not in json.dumps(body)
    assert any(getattr(r, "reference", None) == body["reference"] for r in caplog.records)


async def test_restart_on_the_same_database_keeps_references(database_url, connector, clock):
    settings = settings_for(database_url)
    first = await start_bot(settings, clock)
    await BotClient(first).post(installation(service_url=connector.url))
    await connector.wait_for(1)
    await first.close()

    second = await start_bot(settings, clock)
    try:
        database = second.server.app[DATABASE]
        stored = await ConversationRepository(database).personal(EMPLOYEE)
        assert stored is not None and stored.service_url == connector.url
        # The same activity re-delivered after the restart is still recognised.
        await BotClient(second).post(message("ohje", service_url=connector.url))
        await connector.wait_for(2)
    finally:
        await second.close()


def _export_paths(card: dict) -> dict[str, str]:
    """The export card's download links, as paths on the bot's server, by file kind."""
    urls = [a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    return {url.rsplit(".", 1)[1]: "/" + url.split("/", 3)[3] for url in urls}


async def test_export_files_are_in_the_coordinators_language_and_dead_links_answer_in_the_browsers(
        bot, connector, database_url, clock):
    await _seed(database_url, clock)
    await bot.post(message("vienti", service_url=connector.url, user=COORDINATOR, name="Kaisa Laine"))
    await bot.post(message("exportera", service_url=connector.url, user=COORDINATOR, name="Kaisa Laine",
                           locale="sv-FI"))
    finnish_card, swedish_card = (sent.cards[0] for sent in await connector.wait_for(2))
    this_month = date(2026, 11, 1)  # the clock's month
    assert finnish_card["body"][0]["text"] == FI("export.title", period=month_name(this_month, "fi"))
    assert swedish_card["body"][0]["text"] == SV("export.title", period=month_name(this_month, "sv"))
    finnish, swedish = _export_paths(finnish_card), _export_paths(swedish_card)
    assert set(finnish) == set(swedish) == {"xlsx", "csv"}

    for texts, paths in ((FI, finnish), (SV, swedish)):
        workbook = await bot.http.get(paths["xlsx"])
        assert workbook.status == 200
        book = load_workbook(io.BytesIO(await workbook.read()))
        assert book.sheetnames == [texts("export.sheets.requests"), texts("export.sheets.time_entries"),
                                   texts("export.sheets.feedback"), texts("export.sheets.sessions")]
        [header] = book[texts("export.sheets.requests")].iter_rows(values_only=True)  # no requests yet
        assert header[:2] == (texts("export.columns.request_id"),
                              texts("export.utc", column=texts("export.columns.created_at")))
        table = await bot.http.get(paths["csv"])
        assert table.status == 200
        [csv_header] = list(csv.reader(io.StringIO((await table.read()).decode("utf-8-sig"))))
        assert csv_header == list(header)
        assert csv_header[0] == texts("export.columns.request_id")

    # A forged link is refused at once, in the language the browser asks for.
    token, name = finnish["csv"].removeprefix("/exports/").split("/")
    payload, mac = token.split(".")
    forged = await bot.http.get(f"/exports/{payload}.{mac[::-1]}/{name}", headers={"Accept-Language": "en-GB"})
    assert forged.status == 404
    assert forged.content_type == "text/plain"
    assert await forged.text() == EN("export.link_expired")

    # A genuine link works until it expires; after that it answers like a forged one.
    clock.advance(timedelta(seconds=LIFETIME_SECONDS - 1))
    assert (await bot.http.get(finnish["csv"])).status == 200
    clock.advance(timedelta(seconds=2))
    swedish_browser = await bot.http.get(finnish["csv"], headers={"Accept-Language": "sv-FI,sv;q=0.9,en;q=0.8"})
    assert swedish_browser.status == 404
    assert swedish_browser.content_type == "text/plain"
    assert await swedish_browser.text() == SV("export.link_expired")
    no_preference = await bot.http.get(finnish["xlsx"])
    assert no_preference.status == 404
    assert await no_preference.text() == FI("export.link_expired")
