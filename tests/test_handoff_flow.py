"""Hand-off to digimentors, multi-user, end to end through the HTTP endpoint with a loopback
Bot Connector: offers, exactly-once acceptance, card updates, escalation, refusals."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from bot.graph import GraphGateway
from bot.web import FLOWS
from cards.i18n import Texts
from dialogs.rules.faq_file import parse_faq_file
from dialogs.rules.limits import MAX_MINUTES_PER_ENTRY
from dialogs.rules.org_file import parse_organization_file
from storage.faq_repository import FaqRepository
from storage.models import (
    ConversationReference,
    Feedback,
    HelpRequest,
    MentorProfile,
    MentorTimeEntry,
    Person,
    Question,
    RequestOffer,
)
from storage.organization_repository import import_organization
from tests.conftest import BotClient, settings_for, start_bot
from tests.support.activities import card_click, installation, message
from tests.support.graph_server import LoopbackGraph, loopback_credential
from tests.support.office import (
    AINO,
    FI,
    KAISA,
    MAIJA,
    OLLI,
    ORG,
    PEKKA,
    PEOPLE,
    SARI,
    VILLE,
    Office,
    body_text,
    chat,
    offer_of,
)
from tests.support.time import WEDNESDAY_MORNING


@pytest.fixture
async def office(bot, connector, database_url) -> Office:
    return await Office(bot, connector, database_url).setup()


async def test_the_whole_hand_off(office):
    request_id = await office.ask_a_mentor()
    # The asker's own unit first: both ward-3 mentors get the offer, nobody else.
    assert len(office.cards(PEKKA)) == 1 and len(office.cards(VILLE)) == 1
    assert office.cards(AINO) == [] and office.cards(OLLI) == []
    offer = office.cards(PEKKA)[0]
    assert "milloin palkka maksetaan" in body_text(offer) and "Maija Virtanen" in body_text(offer)
    assert offer_of(offer) == request_id

    accepted = await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    working = accepted["value"]
    assert [a["verb"] for a in working["actions"] if a["type"] == "Action.Execute"] == ["resolveRequest",
                                                                                       "releaseRequest"]
    assert f"users=8:orgid:{MAIJA}" in body_text(working)
    # Ville's offer is updated in place; Maija is told who helps, with a link to chat.
    [taken] = office.cards(VILLE, "update")
    assert "Pekka Korhonen" in body_text(taken) and "acceptRequest" not in body_text(taken)
    assigned = office.cards(MAIJA)[-1]
    assert "Pekka Korhonen" in body_text(assigned) and f"users=8:orgid:{PEKKA}" in body_text(assigned)

    resolved = await office.click(PEKKA, "resolveRequest", {"request_id": request_id, "minutes": "15"})
    assert "15 min" in body_text(resolved["value"])
    feedback_card = office.cards(MAIJA)[-1]
    assert [a["verb"] for a in feedback_card["actions"] if a["type"] == "Action.Execute"] == ["rateHelp",
                                                                                             "reopenRequest"]
    thanks = await office.click(MAIJA, "rateHelp", {"request_id": request_id, "rating": "5", "comment": "Kiitos!"})
    assert thanks["type"] == "application/vnd.microsoft.card.adaptive"

    record, events = await office.request(request_id)
    assert record.state == "resolved"
    assert events == ["created", "offered", "accept", "resolve", "rated"]
    database = office.database()
    async with database.transaction() as session:
        row = await session.get(HelpRequest, request_id)
        question = await session.get(Question, row.question_id)
    await database.dispose()
    # The report columns agree with the events.
    assert row.accepted_at is not None and row.escalated is False and question.handed is True
    assert await office.count(MentorTimeEntry, request_id=request_id, minutes=15) == 1
    assert await office.count(Feedback, request_id=request_id, rating=5) == 1


async def test_three_mentors_clicking_at_once_get_exactly_one_winner(office):
    request_id = await office.ask_a_mentor()
    # Open the circle to three: Aino (sote) is offered too after a timeout.
    await office.escalate_at(WEDNESDAY_MORNING + timedelta(minutes=11))
    replies = await asyncio.gather(*(office.click(person, "acceptRequest", {"request_id": request_id})
                                     for person in (PEKKA, VILLE, AINO)))
    winners = [r for r in replies if "resolveRequest" in body_text(r["value"])]
    assert len(winners) == 1
    losers = [r for r in replies if r is not winners[0]]
    for loser in losers:
        text = body_text(loser["value"])
        assert "resolveRequest" not in text and "acceptRequest" not in text
    record, events = await office.request(request_id)
    assert events.count("accept") == 1 and record.state == "accepted"


async def test_a_double_click_on_ask_a_mentor_makes_one_request(office):
    await office.say(MAIJA, "milloin palkka maksetaan")
    await office.connector.wait_for(1)
    button = office.cards(MAIJA)[-1]["actions"][-1]
    first, second = await asyncio.gather(office.click(MAIJA, "askMentor", button["data"]),
                                         office.click(MAIJA, "askMentor", button["data"]))
    assert first["value"] == second["value"]
    assert await office.count(HelpRequest) == 1
    assert await office.count(RequestOffer) == 2
    assert len(office.cards(PEKKA)) == 1


async def test_mentor_command_skips_the_faq(office):
    await office.say(MAIJA, "mentori miten jaan kalenterini työkaverille")
    await office.connector.wait_for(3)
    waiting = office.cards(MAIJA)[-1]
    assert "cancelRequest" in body_text(waiting)
    assert len(office.cards(PEKKA)) == 1


async def test_nobody_accepts_so_the_offer_widens_tier_by_tier_exactly_once(office, database_url):
    request_id = await office.ask_a_mentor()
    timeout = timedelta(minutes=11)

    assert await office.escalate_at(WEDNESDAY_MORNING + timeout) == 1
    assert await office.escalate_at(WEDNESDAY_MORNING + timeout) == 0  # already fired
    # Tier 1: the parent unit's subtree (sote: Aino, Sari); the asker hears about it.
    assert len(office.cards(AINO)) == 1 and len(office.cards(SARI)) == 1 and office.cards(OLLI) == []
    assert FI("request.widened_unit", unit="Sote") in office.texts(MAIJA)

    # A restart in the middle: a new app on the same database carries on.
    second = await start_bot(settings_for(database_url), office.clock)
    try:
        other, other_outbox = second.server.app[FLOWS].offers, second.server.app[FLOWS].deliveries
        office.clock.freeze(WEDNESDAY_MORNING + 2 * timeout)
        assert await other.escalate_due() == 1
        # The offers go out through the outbox: either process may be sending them.
        await asyncio.gather(other_outbox.settle(), office.settle())
        assert len(office.cards(OLLI)) == 1  # tier 2: the organisation-wide pool
        office.clock.freeze(WEDNESDAY_MORNING + 3 * timeout)
        assert await other.escalate_due() == 1
        assert await other.escalate_due() == 0
        await asyncio.gather(other_outbox.settle(), office.settle())
    finally:
        await second.close()
    # After the last tier: the coordinator can take it, and the asker is told honestly.
    [alert] = office.cards(KAISA)
    assert "acceptRequest" in body_text(alert)
    assert FI("request.unanswered_body") in body_text(office.cards(MAIJA)[-1])
    record, events = await office.request(request_id)
    assert record.state == "expired"
    database = office.database()
    async with database.transaction() as session:
        assert (await session.get(HelpRequest, request_id)).escalated is True
    await database.dispose()
    # own unit -> parent unit -> organisation pool -> coordinator: three widenings, one expiry
    assert events.count("escalated") == 3 and events.count("expire") == 1
    taken = await office.click(KAISA, "acceptRequest", {"request_id": request_id})
    assert "resolveRequest" in body_text(taken["value"])


async def test_a_blocked_mentor_is_marked_unreachable_and_another_gets_the_offer(office):
    office.connector.refused_conversations.add(chat(PEKKA))
    await office.ask_a_mentor()
    assert office.cards(PEKKA) == []
    assert len(office.cards(VILLE)) == 1
    database = office.database()
    async with database.transaction() as session:
        unreachable = (await session.scalars(
            select(Person.aad_object_id).join(MentorProfile, MentorProfile.person_id == Person.id)
            .where(MentorProfile.reachable.is_(False)))).all()
    await database.dispose()
    assert unreachable == [PEKKA]
    # He reinstalls the app: the next question reaches him again.
    office.connector.refused_conversations.clear()
    await office.bot.post(installation(service_url=office.connector.url, user=PEKKA, name=PEOPLE[PEKKA]))
    await office.ask_a_mentor(question="miten saan tulostimen toimimaan")
    welcome, offer = office.cards(PEKKA)
    assert FI("welcome.title") in body_text(welcome) and "acceptRequest" in body_text(offer)


async def test_personal_data_typed_on_cards_is_masked_before_it_is_stored_or_forwarded(office):
    request_id = await office.ask_a_mentor()
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    await office.click(PEKKA, "resolveRequest", {"request_id": request_id, "minutes": "5", "propose_faq": "true",
                                                 "faq_answer": "Soita potilaalle 040 123 4567."})
    assert "040 123 4567" not in body_text(office.cards(KAISA)[-1])
    assert FI("privacy.phone") in body_text(office.cards(KAISA)[-1])
    await office.click(MAIJA, "rateHelp", {"request_id": request_id, "rating": "4",
                                           "comment": "Kiitos, asiakas 131052-308T sai apua"})
    database = office.database()
    async with database.transaction() as session:
        comment = await session.scalar(select(Feedback.comment).where(Feedback.request_id == request_id))
    await database.dispose()
    assert comment == f"Kiitos, asiakas {FI('privacy.identity_code')} sai apua"


async def test_when_everyone_declines_the_offer_widens_at_once(office):
    request_id = await office.ask_a_mentor()
    for person in (PEKKA, VILLE):
        reply = await office.click(person, "declineRequest", {"request_id": request_id})
        assert reply["type"] == "application/vnd.microsoft.activity.message"
    assert len(office.cards(AINO)) == 1


@pytest.mark.parametrize(
    ("actor", "verb", "data", "expected"),
    [
        (AINO, "acceptRequest", {}, FI("request_refusal.not_offered_to_you")),
        (MAIJA, "acceptRequest", {}, FI("request_refusal.not_offered_to_you")),
        (PEKKA, "cancelRequest", {}, FI("request_refusal.only_asker")),
        (PEKKA, "rateHelp", {"rating": "5"}, FI("request_refusal.only_asker")),
        (MAIJA, "rateHelp", {"rating": "5"}, FI("request_refusal.not_resolved")),
        (PEKKA, "resolveRequest", {"minutes": "15"}, FI("request_refusal.not_accepted")),
        (PEKKA, "acceptRequest", {"request_id": "999999"}, FI("card_refusal.unknown_question")),
        (PEKKA, "acceptRequest", {"request_id": "not-a-number"}, FI("card_refusal.bad_data")),
        (PEKKA, "acceptRequest", {"request_id": "²"}, FI("card_refusal.bad_data")),
        (PEKKA, "acceptRequest", {"request_id": 2**63}, FI("card_refusal.bad_data")),
        (PEKKA, "acceptRequest", {"request_id": "9" * 5000}, FI("card_refusal.bad_data")),
    ],
    ids=["not-offered-mentor", "asker-accepts", "mentor-cancels", "mentor-rates", "rating-too-early",
         "resolve-before-accept", "unknown-request", "malformed-id", "superscript-id", "beyond-int64",
         "5000-digit-id"],
)
async def test_forged_or_stale_actions_are_refused_and_change_nothing(office, actor, verb, data, expected):
    request_id = await office.ask_a_mentor()
    before = await office.request(request_id)
    reply = await office.click(actor, verb, {"request_id": request_id, **data})
    assert reply["type"] == "application/vnd.microsoft.activity.message"
    assert reply["value"] == expected
    assert await office.request(request_id) == before


async def test_assigned_request_refuses_others_and_late_clicks(office):
    request_id = await office.ask_a_mentor()
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    late = await office.click(VILLE, "acceptRequest", {"request_id": request_id})
    assert "Pekka Korhonen" in body_text(late["value"])  # the "taken by" card again
    not_yours = await office.click(VILLE, "resolveRequest", {"request_id": request_id, "minutes": "5"})
    assert not_yours["value"] == FI("request_refusal.not_yours")
    bad_minutes = await office.click(PEKKA, "resolveRequest", {"request_id": request_id, "minutes": "9999"})
    assert bad_minutes["value"] == FI("request_refusal.minutes", limit=MAX_MINUTES_PER_ENTRY)
    again = await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    assert "resolveRequest" in body_text(again["value"])  # a double click shows the working card again
    record, events = await office.request(request_id)
    assert events.count("accept") == 1 and record.state == "accepted"


async def test_asker_cancels_and_the_offers_are_withdrawn(office):
    request_id = await office.ask_a_mentor()
    cancelled = await office.click(MAIJA, "cancelRequest", {"request_id": request_id})
    assert cancelled["type"] == "application/vnd.microsoft.card.adaptive"
    for mentor in (PEKKA, VILLE):
        [withdrawn] = office.cards(mentor, "update")
        assert "acceptRequest" not in body_text(withdrawn)
    late = await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    assert late["value"] == FI("request_refusal.cancelled")


async def test_release_gives_the_request_back_to_the_others(office):
    request_id = await office.ask_a_mentor()
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    released = await office.click(PEKKA, "releaseRequest", {"request_id": request_id})
    assert released["type"] == "application/vnd.microsoft.activity.message"
    record, events = await office.request(request_id)
    # Nobody else in the unit is left to offer, so it widens to the parent unit at once.
    assert events[-3:] == ["release", "escalated", "offered"]
    assert len(office.cards(AINO)) == 1
    assert record.state == "offered"
    assert record.assigned_mentor_id is None


async def test_a_mentor_who_is_away_gets_no_offers_until_available_again(office):
    await office.say(PEKKA, "poissa")
    await office.connector.wait_for(1)
    assert office.texts(PEKKA) == ['Olet poissa. Et saa uusia kysymyksiä, ennen kuin kirjoitat "paikalla".']
    await office.ask_a_mentor()
    assert len(office.cards(VILLE)) == 1 and office.cards(PEKKA) == []

    await office.say(PEKKA, "paikalla")
    await office.ask_a_mentor(question="kuka hoitaa parkkiluvat")
    assert len(office.cards(PEKKA)) == 1


async def test_an_employee_cannot_set_duty(office):
    await office.say(MAIJA, "available")
    await office.connector.wait_for(1)
    assert office.texts(MAIJA) == [FI("reply.refused_role", role=FI("roles.mentor"))]


async def test_a_throttled_send_is_retried_after_retry_after(office):
    office.connector.throttled[chat(PEKKA)] = 2
    await office.ask_a_mentor()
    assert office.connector.throttled_answers == 2
    assert len(office.cards(PEKKA)) == 1


async def test_a_proposed_faq_answer_reaches_the_coordinator_and_saving_publishes_it(office):
    request_id = await office.ask_a_mentor(question="miten varaan työauton")
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    await office.click(PEKKA, "resolveRequest", {"request_id": request_id, "minutes": "5", "propose_faq": "true",
                                                 "faq_answer": "1. Avaa Outlook.\n2. Varaa auto resurssina."})
    assert office.texts(KAISA)[-1] == FI("faq_admin.proposal", mentor="Pekka Korhonen")
    form = office.cards(KAISA)[-1]
    values = {i["id"]: i.get("value") for i in form["body"] if i["type"].startswith("Input.")}
    assert values["answer"] == "1. Avaa Outlook.\n2. Varaa auto resurssina."
    await office.click(KAISA, "saveFaq", values)
    await office.say(SARI, "miten varaan työauton")
    answer = office.cards(SARI)[-1]
    assert answer["body"][1]["text"] == "1. Avaa Outlook.\n2. Varaa auto resurssina."


async def test_my_requests_lists_accepted_and_waiting_work_with_buttons(office):
    first = await office.ask_a_mentor()
    second = await office.ask_a_mentor(question="kuka hoitaa parkkiluvat")
    await office.click(PEKKA, "acceptRequest", {"request_id": first})
    await office.say(PEKKA, "omat pyynnöt")
    card = office.cards(PEKKA)[-1]
    actions = [a for c in card["body"] if c["type"] == "Container" for a in c["items"][-1]["actions"]]
    assert [(a["verb"], a["data"]["request_id"]) for a in actions] == [
        ("openRequest", first), ("acceptRequest", second), ("declineRequest", second)]
    opened = await office.click(PEKKA, "openRequest", {"request_id": first})
    assert "resolveRequest" in body_text(opened["value"])
    not_mine = await office.click(VILLE, "openRequest", {"request_id": first})
    assert not_mine["value"] == FI("request_refusal.not_yours")


SEED_FAQ = Path(__file__).resolve().parents[1] / "storage" / "seed" / "faq.yaml"
TEAMS_APP_ID = "a1b2c3d4-0000-4000-8000-000000000001"


@pytest.fixture(params=[False], ids=["one-to-one-chats"])
async def graph_office(request, connector, database_url, clock):
    """The office with Microsoft Graph: a loopback Graph server behind the real gateway."""
    graph = await LoopbackGraph().start()
    for person in PEOPLE:
        graph.add_user(person, display_name=PEOPLE[person], presence=("Available", "Available"))
    gateway = GraphGateway(credential=loopback_credential(graph), base_url=graph.base_url, owns_credential=True,
                           timeout=3.0, presence_timeout=2.0, max_retry_wait=1.0, cooldown=30.0)
    settings = settings_for(database_url, TEAMS_APP_ID=TEAMS_APP_ID,
                            GRAPH_GROUP_CHATS="true" if request.param else "false")
    client = await start_bot(settings, clock, gateway)
    office = await Office(BotClient(client), connector, database_url).setup()
    yield office, graph
    await client.close()
    await graph.close()


async def test_presence_skips_a_mentor_in_a_call(graph_office):
    office, graph = graph_office
    graph.presence[PEKKA] = ("Busy", "InACall")
    await office.ask_a_mentor()
    assert office.cards(PEKKA) == [] and len(office.cards(VILLE)) == 1


async def test_graph_down_does_not_block_the_hand_off(graph_office):
    office, graph = graph_office
    await graph.close()
    await office.ask_a_mentor()
    assert len(office.cards(PEKKA)) == 1 and len(office.cards(VILLE)) == 1


async def test_graph_installs_the_app_for_a_mentor_the_bot_cannot_reach_yet(graph_office):
    office, graph = graph_office
    database = office.database()
    async with database.transaction() as session:
        await session.execute(delete(ConversationReference).where(ConversationReference.aad_object_id == VILLE))
    await database.dispose()
    await office.ask_a_mentor()
    for _ in range(50):
        if graph.graph_requests("POST", f"/users/{VILLE}/teamwork/installedApps"):
            break
        await asyncio.sleep(0.05)
    [install] = graph.graph_requests("POST", f"/users/{VILLE}/teamwork/installedApps")
    assert install.body["teamsApp@odata.bind"].endswith("/appCatalogs/teamsApps/a1b2c3d4-0000-4000-8000-000000000001")
    assert office.cards(VILLE) == [] and len(office.cards(PEKKA)) == 1


async def test_a_newcomer_is_placed_in_a_unit_from_their_graph_department(graph_office, database_url):
    office, graph = graph_office
    rules = ORG + '''graph:
  department_rules:
    - {department_pattern: "^Osasto 3", unit: ward-3}
'''
    database = office.database()
    await import_organization(database, parse_organization_file(rules))
    newcomer = "00000000-0000-0000-0000-0000000000e1"
    graph.add_user(newcomer, display_name="Noora Uusi", department="Osasto 3 (sisätaudit)",
                   presence=("Available", "Available"))
    await office.bot.post(installation(service_url=office.connector.url, user=newcomer, name="Noora Uusi"))
    member = await office.flows.directory.member(newcomer)
    assert (member.name, member.unit_id, member.in_directory) == ("Noora Uusi", "ward-3", True)
    # A later import of the same file leaves the newcomer be.
    summary = await import_organization(database, parse_organization_file(rules))
    await database.dispose()
    assert not summary.changed
    request_id = await office.ask_a_mentor(person=newcomer)
    assert len(office.cards(PEKKA)) == 1 and request_id


@pytest.mark.parametrize("graph_office", [True], ids=["group-chats"], indirect=True)
async def test_a_group_chat_for_asker_and_mentor_when_enabled(graph_office):
    office, graph = graph_office
    request_id = await office.ask_a_mentor()
    accepted = await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    [created] = graph.graph_requests("POST", "/chats")
    assert created.body["chatType"] == "group" and created.body["topic"] == "milloin palkka maksetaan"
    assert "https://teams.microsoft.com/l/chat/19" in body_text(accepted["value"])
    assert "https://teams.microsoft.com/l/chat/19" in body_text(office.cards(MAIJA)[-1])


async def test_a_question_from_a_channel_is_handed_on_with_details_sent_privately(office):
    thread = "19:general@thread.tacv2;messageid=1700000000001"
    await office.bot.post(message("milloin palkka maksetaan", service_url=office.connector.url, user=MAIJA,
                                  name=PEOPLE[MAIJA], conversation_id=thread, conversation_type="channel",
                                  mention_bot=True))
    [offer] = [card for _, card in office.connector.cards_to(thread)]
    ask = offer["actions"][-1]
    activity = card_click("askMentor", ask["data"], service_url=office.connector.url, user=MAIJA,
                          name=PEOPLE[MAIJA], conversation_id=thread)
    activity["conversation"]["conversationType"] = "channel"
    reply = await (await office.bot.post(activity)).json()
    assert reply["value"] == FI("request.sent_privately")
    await office.settle()
    assert "cancelRequest" in body_text(office.cards(MAIJA)[-1])  # the waiting card, in her own chat
    assert len(office.cards(PEKKA)) == 1


@pytest.mark.parametrize("person", [MAIJA, PEKKA], ids=["employee", "mentor"])
async def test_a_question_that_starts_with_a_command_word_is_answered_as_a_question(office, person):
    for question in ("log in to outlook fails, what do I do", "away status stuck in teams",
                     "export calendar to excel", "kirjaa paljon"):
        await office.say(person, question)
        # The FAQ's card (an answer, suggestions or the offer of a person), never a refusal.
        assert office.cards(person)[-1]["actions"][-1]["verb"] == "askMentor", question
    assert office.texts(person) == []


async def test_a_refusal_is_in_the_language_of_the_command_word(office):
    await office.say(MAIJA, "statistik")
    sv = Texts("sv")
    assert office.texts(MAIJA) == [sv("reply.refused_role", role=sv("roles.coordinator"))]


async def test_the_request_carries_the_faq_topic_so_a_mentor_who_knows_it_is_offered_first(
        connector, database_url, clock):
    client = await start_bot(settings_for(database_url, OFFER_GROUP_SIZE="1"), clock)
    try:
        org = ORG.replace("Ville Heikkinen, unit: ward-3, roles: [employee, mentor]}",
                          "Ville Heikkinen, unit: ward-3, roles: [employee, mentor], mentor: {topics: [outlook]}}")
        office = await Office(BotClient(client), connector, database_url, org=org).setup()
        database = office.database()
        await FaqRepository(database).import_entries(parse_faq_file(SEED_FAQ.read_text(encoding="utf-8")))
        await database.dispose()
        # Pekka knows Teams and would come first on everything else; this one is about Outlook.
        request_id = await office.ask_a_mentor(question="miten saan kalenterini näkyviin työkaverille outlookissa")
        record, _ = await office.request(request_id)
        assert record.topic == "outlook"
        assert len(office.cards(VILLE)) == 1 and office.cards(PEKKA) == []
    finally:
        await client.close()
