"""Team sessions with a digitutor, through the bot's HTTP endpoint: a team books on a form, the
booking is offered to the unit's digimentors like a question, exactly one of two clicking mentors
gets it with the slot they picked, the booker is told that slot (and, with Graph, a Teams meeting
is created), both sides are reminded one working day before, the mentor records minutes and
participants, the participants the booker named are asked for feedback, and it all reaches
`stats` and the mentor's hours."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from cards.i18n import Texts
from storage.models import MentorTimeEntry, OutboxMessage, RequestEvent, SessionParticipant, TeamSession
from tests.conftest import BotClient, settings_for, start_bot
from tests.support.graph_server import LoopbackGraph, loopback_credential
from tests.support.office import (
    AINO,
    KAISA,
    MAIJA,
    OLLI,
    ORG,
    PEKKA,
    PEOPLE,
    SARI,
    VILLE,
    Office,
    aad,
    body_text,
    offer_of,
)

FI = Texts("fi")
TEAMS_APP_ID = "a1b2c3d4-0000-4000-8000-000000000001"
# Someone in the directory who has never opened the bot: no chat, so no card can reach them.
NEWCOMER = aad("d9")
WITH_NEWCOMER = ORG + f"  - {{aad_object_id: {NEWCOMER}, name: Uusi Työntekijä, unit: ward-3}}\n"
# The clock stands on Wednesday 25 Nov 2026 at 10:00 in Helsinki. Friday 27 Nov 13:00 and
# Monday 30 Nov 10:00 Helsinki; the Monday session's reminder is due on Friday at 08:00.
FRIDAY_SLOT, MONDAY_SLOT = "2026-11-27 13:00", "2026-11-30 10:00"
MONDAY_SLOT_UTC = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
FRIDAY_MORNING = datetime(2026, 11, 27, 6, 0, 30, tzinfo=UTC)
MONDAY_AFTER = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
async def office(bot, connector, database_url) -> Office:
    return await Office(bot, connector, database_url).setup()


def actions(card: dict) -> dict[str, dict]:
    return {a.get("verb") or a["type"]: a for a in card.get("actions", [])}


def facts(card: dict) -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(items):
        for item in items:
            if item.get("type") == "FactSet":
                found.update({f["title"]: f["value"] for f in item["facts"]})
            walk(item.get("items", []))
    walk(card.get("body", []))
    return found


async def book(office: Office, *, participants: str = "", person: str = MAIJA,
               slots: str = f"{FRIDAY_SLOT}; {MONDAY_SLOT}") -> int:
    await office.say(person, "varaa")
    form = office.cards(person)[-1]
    assert form["body"][0]["text"] == FI("sessions.form_title")
    # The example times are the next two working days', in the form the field expects.
    [field] = [item for item in form["body"] if item.get("id") == "slots"]
    assert field["placeholder"] == "2026-11-26 10:00; 2026-11-27 13:30"
    reply = await office.click(person, "bookSession", {
        **actions(form)["bookSession"]["data"], "unit": "ward-3", "topic": "Outlookin kalenteri",
        "slots": slots, "headcount": "8", "duration": "60",
        "participants": participants, "note": "Kalenterin jakaminen ja kokouskutsut"})
    booked = reply["value"]
    assert booked["body"][0]["text"] == FI("sessions.booked_title")
    return actions(booked)["cancelRequest"]["data"]["request_id"]


async def session_row(office: Office, request_id: int) -> TeamSession:
    database = office.database()
    async with database.transaction() as session:
        row = await session.get(TeamSession, request_id)
    await database.dispose()
    return row


async def test_a_booking_is_accepted_once_when_two_mentors_click(office):
    request_id = await book(office)
    # The unit's two digimentors are offered it, each with the booker's slots to pick from.
    offers = {person: office.cards(person)[-1] for person in (PEKKA, VILLE)}
    for card in offers.values():
        assert offer_of(card) == request_id and card["body"][0]["text"] == FI("sessions.offer_title")
        slot_input = [i for i in card["body"] if i.get("id") == "slot"][0]
        assert [c["value"] for c in slot_input["choices"]] == [FRIDAY_SLOT, MONDAY_SLOT]
    assert not office.cards(SARI) and not office.cards(AINO)

    replies = await asyncio.gather(*(office.click(person, "acceptRequest",
                                                  {"request_id": request_id, "slot": MONDAY_SLOT})
                                      for person in (PEKKA, VILLE)))
    headings = sorted(r["value"]["body"][0]["text"] for r in replies)
    assert headings == sorted([FI("sessions.working_title"), FI("request.taken_title")])
    record, events = await office.request(request_id)
    assert record.state == "accepted" and events.count("accept") == 1
    winner = PEKKA if replies[0]["value"]["body"][0]["text"] == FI("sessions.working_title") else VILLE
    # One confirmation to the booker; a second click of the winner gets their working card, not a second one.
    confirmed = {FI("sessions.confirmed_title", mentor=name) for name in ("Pekka Korhonen", "Ville Heikkinen")}
    assert len([c for c in office.cards(MAIJA) if c["body"][0]["text"] in confirmed]) == 1
    again = await office.click(winner, "acceptRequest", {"request_id": request_id, "slot": FRIDAY_SLOT})
    assert again["value"]["body"][0]["text"] == FI("sessions.working_title")
    assert (await session_row(office, request_id)).chosen_slot == MONDAY_SLOT_UTC
    _, events = await office.request(request_id)
    assert events.count("accept") == 1


async def test_a_session_tomorrow_promises_no_reminder_that_cannot_come(office):
    """Agreed on Wednesday at 10:00 for Thursday: the working day before began at 08:00 today,
    so no reminder goes out, and the booker is not told one will."""
    thursday = "2026-11-26 13:00"
    request_id = await book(office, slots=thursday)
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id, "slot": thursday})
    confirmed = office.cards(MAIJA)[-1]
    assert confirmed["body"][0]["text"] == FI("sessions.confirmed_title", mentor="Pekka Korhonen")
    assert FI("sessions.meeting_manual") in body_text(confirmed)
    assert FI("sessions.reminder_promise") not in body_text(confirmed)
    office.connector.sent.clear()
    office.clock.freeze(datetime(2026, 11, 26, 6, 0, 30, tzinfo=UTC))
    assert await office.flows.session_rounds.run() == 0
    await office.settle()
    assert not office.connector.sent


async def test_the_booker_gets_the_chosen_slot_and_both_sides_a_reminder(office):
    request_id = await book(office)
    # A slot the booker did not suggest is refused and changes nothing.
    refused = await office.click(PEKKA, "acceptRequest", {"request_id": request_id, "slot": "2026-11-28 09:00"})
    assert refused["value"] == FI("session_refusal.not_a_slot") or \
        FI("session_refusal.not_a_slot") in body_text(refused)
    assert (await office.request(request_id))[0].state == "offered"

    await office.click(PEKKA, "acceptRequest", {"request_id": request_id, "slot": MONDAY_SLOT})
    confirmed = office.cards(MAIJA)[-1]
    assert confirmed["body"][0]["text"] == FI("sessions.confirmed_title", mentor="Pekka Korhonen")
    monday = FI("sessions.when", day=FI("weekdays.0"), date="30.11.2026", time="10.00")
    assert confirmed["body"][1]["text"] == FI("sessions.confirmed_body", when=monday)
    assert facts(confirmed)[FI("sessions.fact_when")] == monday
    # Without Graph the booker is told to send the invitation; the reminder is due on Friday.
    assert FI("sessions.meeting_manual") in body_text(confirmed)
    assert FI("sessions.reminder_promise") in body_text(confirmed)
    # Ville's offer turned to "taken by Pekka".
    assert office.cards(VILLE, "update")[-1]["body"][0]["text"] == FI("request.taken_title")

    office.connector.sent.clear()
    office.clock.freeze(FRIDAY_MORNING)
    assert await office.flows.session_rounds.run() == 1
    await office.settle()
    for person in (MAIJA, PEKKA):
        reminder = office.cards(person)[-1]
        assert reminder["body"][0]["text"] == FI("sessions.reminder_title")
        assert reminder["body"][1]["text"] == FI("sessions.reminder_body", when=monday)
    assert await office.flows.session_rounds.run() == 0
    await office.settle()
    assert len(office.cards(MAIJA)) == 1 and len(office.cards(PEKKA)) == 1


async def test_a_named_participant_who_never_opened_the_bot_is_reported_not_counted(bot, connector, database_url):
    """No card can reach someone with no chat with the bot: the mentor is told how many got the
    question and how many could not, rather than that it went to everyone named."""
    office = await Office(bot, connector, database_url, org=WITH_NEWCOMER).setup()
    request_id = await book(office, participants=f"{AINO}, {NEWCOMER}")
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id, "slot": MONDAY_SLOT})
    office.clock.freeze(MONDAY_AFTER)
    resolved = body_text((await office.click(PEKKA, "resolveSession", {"request_id": request_id, "minutes": "60",
                                                                       "participants": "5"}))["value"])
    assert FI("sessions.resolved_feedback", count=1) in resolved
    assert FI("sessions.resolved_unreached", count=1) in resolved
    await office.settle()
    assert office.cards(AINO)[-1]["body"][0]["text"] == FI("sessions.feedback_title")
    # Nothing was queued for the newcomer either (it would only have been marked unreachable).
    assert await office.count(OutboxMessage, recipient=NEWCOMER) == 0


async def test_minutes_and_participants_reach_stats_and_the_mentors_hours(office):
    request_id = await book(office, participants=f"{AINO}, {SARI}")
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id, "slot": MONDAY_SLOT})
    # Not before the session has started.
    early = await office.click(PEKKA, "resolveSession", {"request_id": request_id, "minutes": "75",
                                                         "participants": "7"})
    assert FI("session_refusal.not_yet", when="")[:10] in body_text(early)
    office.clock.freeze(MONDAY_AFTER)
    # Only the mentor holding it may record it.
    assert FI("request_refusal.not_yours") in body_text(
        await office.click(VILLE, "resolveSession", {"request_id": request_id, "minutes": "75", "participants": "7"}))
    resolved = await office.click(PEKKA, "resolveSession", {"request_id": request_id, "minutes": "75",
                                                            "participants": "7"})
    assert resolved["value"]["body"][0]["text"] == FI("sessions.resolved_title")
    assert FI("sessions.resolved_body", minutes=75, participants=7) in body_text(resolved)
    assert FI("sessions.resolved_feedback", count=2) in body_text(resolved)
    assert FI("sessions.resolved_unreached", count=1).split(" ", 1)[1] not in body_text(resolved)
    second = await office.click(PEKKA, "resolveSession", {"request_id": request_id, "minutes": "75",
                                                          "participants": "7"})
    assert FI("request_refusal.already_resolved") in body_text(second)
    assert await office.count(MentorTimeEntry, request_id=request_id) == 1

    # The named participants get the one-question feedback card; someone else cannot answer it.
    for person in (AINO, SARI):
        card = office.cards(person)[-1]
        assert card["body"][0]["text"] == FI("sessions.feedback_title")
        assert actions(card)["rateSession"]["data"]["request_id"] == request_id
    assert FI("session_refusal.not_invited") in body_text(
        await office.click(MAIJA, "rateSession", {"request_id": request_id, "rating": "5"}))
    thanks = await office.click(AINO, "rateSession", {"request_id": request_id, "rating": "4", "comment": "Selkeä"})
    assert FI("sessions.feedback_thanks") in body_text(thanks)
    assert FI("session_refusal.already_rated") in body_text(
        await office.click(AINO, "rateSession", {"request_id": request_id, "rating": "1"}))
    await office.click(SARI, "rateSession", {"request_id": request_id, "rating": "5"})

    await office.say(KAISA, "stats 2026-11")
    figures = facts(office.cards(KAISA)[-1])
    assert figures[FI("stats.sessions_booked")] == "1"
    assert figures[FI("stats.sessions_held")] == "1"
    assert figures[FI("stats.sessions_participants")] == "7"
    assert "75" in figures[FI("stats.sessions_minutes")]
    # Two ratings below the whole organisation are not shown (fewer than five).
    assert "4,5" not in figures[FI("stats.sessions_feedback")]

    # The activity export's sessions sheet, with the two ratings' mean withheld below the organisation.
    await office.say(KAISA, "vienti 2026-11")
    link = [a["url"] for a in office.cards(KAISA)[-1]["actions"] if a["url"].endswith(".xlsx")][0]
    workbook = load_workbook(io.BytesIO(await (await office.bot.http.get("/" + link.split("/", 3)[3])).read()))
    header, row = list(workbook[FI("export.sheets.sessions")].iter_rows(values_only=True))
    assert header[3] == FI("export.columns.topic")
    assert row[2:10] == ("ward-3", "Outlookin kalenteri", "resolved", row[5], "Pekka Korhonen", 8, 7, 75)
    assert row[10:] == (2, FI("stats.fewer_than_five"))

    await office.say(PEKKA, "my hours")
    hours = facts(office.cards(PEKKA)[-1])
    assert "75" in hours[FI("hours.on_sessions")]
    database = office.database()
    async with database.transaction() as session:
        ratings = sorted((await session.scalars(select(SessionParticipant.rating)
                                                .where(SessionParticipant.request_id == request_id))).all())
        kinds = (await session.scalars(select(RequestEvent.kind).where(RequestEvent.request_id == request_id))).all()
    await database.dispose()
    assert ratings == [4, 5] and kinds.count("resolve") == 1


async def test_a_bad_booking_is_refused_and_stores_nothing(office):
    await office.say(MAIJA, "book")
    form = actions(office.cards(MAIJA)[-1])["bookSession"]["data"]
    base = {**form, "unit": "ward-3", "topic": "Excel", "slots": MONDAY_SLOT, "headcount": "5"}
    cases = [
        ({"slots": "huomenna"}, FI("session_refusal.bad_slot", slot="huomenna")),
        ({"slots": "2026-11-20 10:00"}, FI("session_refusal.past_slot", slot="2026-11-20 10:00")),
        ({"slots": "; ".join(f"2026-12-0{d} 10:00" for d in range(1, 5))}, FI("session_refusal.too_many_slots",
                                                                               limit=3)),
        ({"unit": "nowhere"}, FI("session_refusal.unknown_unit")),
        ({"headcount": "0"}, FI("session_refusal.bad_headcount", limit=500)),
        ({"topic": "x" * 201}, FI("session_refusal.topic_too_long", limit=200)),
        ({"participants": "nobody@example.fi"}, FI("session_refusal.unknown_participants", who="nobody@example.fi")),
    ]
    for change, refusal in cases:
        reply = await office.click(MAIJA, "bookSession", {**base, **change})
        assert refusal in body_text(reply), change
    assert await office.count(TeamSession) == 0
    # The same form sent twice books once.
    first = await office.click(MAIJA, "bookSession", base)
    second = await office.click(MAIJA, "bookSession", base)
    assert await office.count(TeamSession) == 1
    assert body_text(first["value"]) == body_text(second["value"])


@pytest.fixture
async def graph():
    server = await LoopbackGraph().start()
    yield server
    await server.close()


async def test_with_graph_the_chosen_slot_becomes_a_teams_meeting(database_url, clock, connector, graph):
    from bot.graph import GraphGateway

    gateway = GraphGateway(credential=loopback_credential(graph), base_url=graph.base_url, owns_credential=True,
                           timeout=3.0, presence_timeout=2.0, max_retry_wait=1.0, cooldown=30.0)
    client = await start_bot(settings_for(database_url), clock, graph=gateway)
    try:
        office = await Office(BotClient(client), connector, database_url).setup()
        request_id = await book(office)
        await office.click(PEKKA, "acceptRequest", {"request_id": request_id, "slot": MONDAY_SLOT})
        assert FI("sessions.meeting_coming") in body_text(office.cards(MAIJA)[-1])
        assert await office.flows.session_rounds.create_meetings() == 1
        await office.settle()
        [event] = graph.events
        assert event["organizer"] == MAIJA and event["request"]["isOnlineMeeting"] is True
        assert event["request"]["start"] == {"dateTime": "2026-11-30T08:00:00", "timeZone": "UTC"}
        assert event["request"]["end"] == {"dateTime": "2026-11-30T09:00:00", "timeZone": "UTC"}
        for person in (MAIJA, PEKKA):
            card = office.cards(person)[-1]
            assert card["body"][0]["text"] == FI("sessions.meeting_ready_title")
            assert actions(card)["Action.OpenUrl"]["url"].startswith("https://teams.microsoft.com/l/meetup-join/")
        assert await office.flows.session_rounds.create_meetings() == 0
        assert len(graph.events) == 1
    finally:
        await client.close()


async def test_with_graph_a_named_participant_without_the_app_gets_it_installed(database_url, clock, connector,
                                                                                graph):
    """So that the feedback question can reach them after the session."""
    from bot.graph import GraphGateway

    for person in (*PEOPLE, NEWCOMER):
        graph.add_user(person, display_name=PEOPLE.get(person, "Uusi Työntekijä"))
    gateway = GraphGateway(credential=loopback_credential(graph), base_url=graph.base_url, owns_credential=True,
                           timeout=3.0, presence_timeout=2.0, max_retry_wait=1.0, cooldown=30.0)
    client = await start_bot(settings_for(database_url, TEAMS_APP_ID=TEAMS_APP_ID), clock, graph=gateway)
    try:
        office = await Office(BotClient(client), connector, database_url, org=WITH_NEWCOMER).setup()
        await book(office, participants=f"{AINO}, {NEWCOMER}")
        for _ in range(50):
            if graph.graph_requests("POST", f"/users/{NEWCOMER}/teamwork/installedApps"):
                break
            await asyncio.sleep(0.05)
        [install] = graph.graph_requests("POST", f"/users/{NEWCOMER}/teamwork/installedApps")
        assert install.body["teamsApp@odata.bind"].endswith(f"/appCatalogs/teamsApps/{TEAMS_APP_ID}")
        assert not graph.graph_requests("POST", f"/users/{AINO}/teamwork/installedApps")
    finally:
        await client.close()


async def test_nobody_takes_it_so_the_booking_widens_and_a_coordinator_may_take_it(office):
    request_id = await book(office)
    for person in (PEKKA, VILLE):
        await office.click(person, "declineRequest", {"request_id": request_id})
    # Everyone in the unit said no: the parent unit's digimentor gets the session's own offer card.
    widened = office.cards(AINO)[-1]
    assert widened["body"][0]["text"] == FI("sessions.offer_title") and offer_of(widened) == request_id
    await office.click(AINO, "declineRequest", {"request_id": request_id})
    for person in (SARI, OLLI):
        await office.click(person, "declineRequest", {"request_id": request_id})
    # Past the last circle: the coordinator gets the offer (slots and all), the booker is told honestly.
    assert office.cards(MAIJA)[-1]["body"][0]["text"] == FI("sessions.unanswered_title")
    alert = office.cards(KAISA)[-1]
    assert alert["body"][0]["text"] == FI("sessions.offer_title")
    await office.click(KAISA, "acceptRequest", {"request_id": request_id, "slot": FRIDAY_SLOT})
    assert office.cards(MAIJA)[-1]["body"][0]["text"] == FI("sessions.confirmed_title", mentor="Kaisa Laine")
    record, events = await office.request(request_id)
    assert record.state == "accepted" and "expire" in events


async def test_a_mentor_who_gives_the_session_back_frees_the_slot_and_it_is_offered_again(office):
    request_id = await book(office)
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id, "slot": MONDAY_SLOT})
    # The question verbs refuse what belongs to the session's own card.
    assert FI("session_refusal.use_session_card") in body_text(
        await office.click(PEKKA, "resolveRequest", {"request_id": request_id, "minutes": "30"}))
    reply = await office.click(PEKKA, "releaseRequest", {"request_id": request_id})
    assert FI("sessions.released_mentor") in body_text(reply)
    assert FI("sessions.released", mentor="Pekka Korhonen") in office.texts(MAIJA)
    row = await session_row(office, request_id)
    assert row.chosen_slot is None and row.remind_at is None
    assert office.cards(AINO)[-1]["body"][0]["text"] == FI("sessions.offer_title")
    # No reminder is due for a session given back.
    office.clock.freeze(FRIDAY_MORNING)
    assert await office.flows.session_rounds.run() == 0


async def test_the_booker_cancels_and_the_mentors_cards_say_so(office):
    request_id = await book(office)
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id, "slot": MONDAY_SLOT})
    assert FI("request_refusal.only_asker") in body_text(
        await office.click(VILLE, "cancelRequest", {"request_id": request_id}))
    cancelled = await office.click(MAIJA, "cancelRequest", {"request_id": request_id})
    assert cancelled["value"]["body"][0]["text"] == FI("sessions.cancelled_title")
    assert office.cards(PEKKA, "update")[-1]["body"][0]["text"] == FI("request.cancelled_title")
    assert (await office.request(request_id))[0].state == "cancelled"
    office.clock.freeze(FRIDAY_MORNING)
    assert await office.flows.session_rounds.run() == 0


async def test_a_held_session_counts_in_impact(office):
    request_id = await book(office)
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id, "slot": MONDAY_SLOT})
    office.clock.freeze(MONDAY_AFTER)
    await office.click(PEKKA, "resolveSession", {"request_id": request_id, "minutes": "90", "participants": "9"})
    await office.say(KAISA, "vaikuttavuus 2026-11")
    figures = facts(office.cards(KAISA)[-1])
    assert figures[FI("impact.sessions_held")].startswith("1") and "9" in figures[FI("impact.sessions_held")]
    # The participants are people reached; the session is not a question a digimentor resolved.
    assert figures[FI("impact.people_reached")].startswith("9")
    assert figures[FI("impact.mentor_helped")].startswith("0")
    assert "1,5" in figures[FI("impact.mentor_hours")]
