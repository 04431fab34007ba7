"""Rollout announcements through the bot's HTTP endpoint: the coordinator's form, mentors first
with Acknowledge, everyone in the target units on the start date, exactly once each (also with a
second process on the same database), the counts per unit, and questions tagged with the rollout."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.web import FLOWS
from cards.formatting import day
from cards.i18n import Texts
from dialogs.rules.faq_file import parse_faq_file
from storage.faq_repository import FaqRepository
from storage.models import AnnouncementDelivery, OutboxMessage, Question
from tests.conftest import settings_for, start_bot
from tests.support.office import AINO, KAISA, MAIJA, OLLI, PEKKA, SARI, VILLE, Office, body_text
from tests.support.time import WEDNESDAY_MORNING

ROOT = Path(__file__).resolve().parent.parent
FI, SV, EN = Texts("fi"), Texts("sv"), Texts("en")
THURSDAY = "2026-11-26"
THURSDAY_EIGHT = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 08:00 in Helsinki, working hours begin
FORM = {"title": "Uusi ajanvarausjärjestelmä", "text": "Otamme torstaina käyttöön uuden ajanvarauksen.",
        "units": "ward-3,ward-5", "starts": THURSDAY, "ends": "2026-12-18",
        "links": "Ohjevideo https://intra.example.fi/video\nhttps://intra.example.fi/ohje",
        "faq_entries": "outlook-share-calendar"}


@pytest.fixture
async def office(bot, connector, database_url) -> Office:
    office = await Office(bot, connector, database_url).setup()
    database = office.database()
    await FaqRepository(database).import_entries(
        parse_faq_file((ROOT / "storage/seed/faq.yaml").read_text(encoding="utf-8")))
    await database.dispose()
    return office


def announcements_to(office: Office, person: str) -> list[dict]:
    return [c for c in office.cards(person) if c["body"][1].get("text") == FORM["title"]]


async def form_id(office: Office, word: str = "tiedote") -> str:
    await office.say(KAISA, word)
    card = office.cards(KAISA)[-1]
    [send] = [a for a in card["actions"] if a["verb"] == "sendAnnouncement"]
    return send["data"]["form_id"]


async def deliveries(office: Office) -> list[tuple[int, str, str]]:
    database = office.database()
    async with database.transaction() as session:
        rows = (await session.execute(select(AnnouncementDelivery.person_id, AnnouncementDelivery.audience,
                                             AnnouncementDelivery.state).order_by(AnnouncementDelivery.id))).all()
    await database.dispose()
    return [tuple(row) for row in rows]


async def test_an_announcement_reaches_mentors_first_and_staff_on_the_start_date_exactly_once_each(office):
    form = await form_id(office)
    card = office.cards(KAISA)[-1]
    units = [c["value"] for c in [b for b in card["body"] if b.get("id") == "units"][0]["choices"]]
    assert units == ["sote", "ward-3", "ward-5"], "Kaisa's own units, parents first"
    sent = await office.click(KAISA, "sendAnnouncement", {**FORM, "form_id": form})
    assert sent["type"] == "application/vnd.microsoft.card.adaptive"
    status = body_text(sent["value"])
    assert FI("announce.staff_waiting", day=day(datetime(2026, 11, 26).date(), "fi")) in status

    # Mentors of Osasto 3 and Osasto 5 have it at once, with Acknowledge; Aino (Sote, not a
    # target) and Olli (another area) do not; the staff wait for Thursday.
    for mentor in (PEKKA, VILLE, SARI):
        [mentor_card] = announcements_to(office, mentor)
        assert mentor_card["body"][0]["text"] == FI("announce.for_mentors", day=day(datetime(2026, 11, 26).date(),
                                                                                     "fi"))
        assert [a["verb"] for a in mentor_card["actions"]] == ["acknowledgeAnnouncement"]
        links = [a["url"] for b in mentor_card["body"] if b["type"] == "ActionSet" for a in b["actions"]
                 if a["type"] == "Action.OpenUrl"]
        assert links == ["https://intra.example.fi/video", "https://intra.example.fi/ohje"]
        assert "Action.ShowCard" in body_text(mentor_card), "the attached FAQ answer opens in the card"
    for nobody_yet in (AINO, OLLI, MAIJA, KAISA):
        assert announcements_to(office, nobody_yet) == []

    # Wednesday evening and Thursday before working hours: still only the mentors.
    for moment in (WEDNESDAY_MORNING + timedelta(hours=8), THURSDAY_EIGHT - timedelta(minutes=1)):
        office.clock.freeze(moment)
        assert await office.flows.announcements.release_due() == 0
    # Thursday 08:00: two processes on the same database fan out at the same moment.
    office.clock.freeze(THURSDAY_EIGHT)
    replica = await start_bot(settings_for(office.database_url), clock=office.clock)
    try:
        other = replica.server.app[FLOWS]
        released = await asyncio.gather(office.flows.announcements.release_due(), other.announcements.release_due(),
                                        office.flows.announcements.release_due())
        await asyncio.gather(office.settle(), other.deliveries.settle())
    finally:
        await replica.close()
    assert sum(released) == 1
    [staff_card] = announcements_to(office, MAIJA)
    assert staff_card["body"][0]["text"] == FI("announce.label") and "actions" not in staff_card
    assert FI("announce.ask_here") in body_text(staff_card)
    for mentor in (PEKKA, VILLE, SARI):
        assert len(announcements_to(office, mentor)) == 1, "a mentor is not sent the staff copy too"
    assert sorted(audience for _, audience, _ in await deliveries(office)) == ["mentor"] * 3 + ["staff"]
    assert {state for _, _, state in await deliveries(office)} == {"sent"}
    # Later rounds, a restart included, send nothing again.
    office.clock.freeze(THURSDAY_EIGHT + timedelta(days=1))
    restarted = await start_bot(settings_for(office.database_url), clock=office.clock)
    try:
        assert await restarted.server.app[FLOWS].announcements.release_due() == 0
        await restarted.server.app[FLOWS].deliveries.settle()
    finally:
        await restarted.close()
    assert len(announcements_to(office, MAIJA)) == 1


async def test_acknowledgements_and_deliveries_are_counted_per_unit(office):
    sent = await office.click(KAISA, "sendAnnouncement", {**FORM, "form_id": await form_id(office)})
    announcement_id = [a for a in announcements_to(office, PEKKA)[0]["actions"]][0]["data"]["announcement_id"]
    acknowledged = await office.click(PEKKA, "acknowledgeAnnouncement", {"announcement_id": announcement_id})
    assert FI("announce.acknowledged") in body_text(acknowledged["value"]) and "actions" not in acknowledged["value"]
    again = await office.click(PEKKA, "acknowledgeAnnouncement", {"announcement_id": announcement_id})
    assert FI("announce.acknowledged") in body_text(again["value"])  # the card stays acknowledged
    assert FI("announce.already_acknowledged") in [s.text for s in office.connector.sent if s.text]
    forged = await office.click(MAIJA, "acknowledgeAnnouncement", {"announcement_id": announcement_id})
    assert forged["value"] == FI("announce.not_for_you")
    unknown = await office.click(PEKKA, "acknowledgeAnnouncement", {"announcement_id": 9999})
    assert unknown["value"] == FI("announce.unknown")
    bad = await office.click(PEKKA, "acknowledgeAnnouncement", {"announcement_id": "¹²"})
    assert bad["value"] == FI("card_refusal.bad_data")

    status = await office.click(KAISA, "showAnnouncement", {"announcement_id": announcement_id})
    rows = {block["items"][0]["text"].strip("*"): {f["title"]: f["value"] for f in block["items"][1]["facts"]}
            for block in status["value"]["body"] if block["type"] == "Container"}
    assert rows["Osasto 3"][FI("announce.mentors_row")] == FI("announce.mentors_value", delivered=2, total=2,
                                                               acknowledged=1)
    assert rows["Osasto 5"][FI("announce.mentors_row")] == FI("announce.mentors_value", delivered=1, total=1,
                                                               acknowledged=0)
    assert rows[FI("announce.total")][FI("announce.staff_row")] == FI("announce.staff_not_yet")
    assert sent["value"]["body"][0]["text"] == FI("announce.status_title", title=FORM["title"])
    # Staff who never installed the app are counted as not reached.
    office.clock.freeze(THURSDAY_EIGHT)
    database = office.database()
    async with database.transaction() as session:
        from storage.models import ConversationReference

        await session.execute(ConversationReference.__table__.delete().where(
            ConversationReference.aad_object_id == MAIJA))
    await database.dispose()
    await office.flows.announcements.release_due()
    await office.settle()
    status = await office.click(KAISA, "showAnnouncement", {"announcement_id": announcement_id})
    rows = {block["items"][0]["text"].strip("*"): {f["title"]: f["value"] for f in block["items"][1]["facts"]}
            for block in status["value"]["body"] if block["type"] == "Container"}
    assert rows["Osasto 3"][FI("announce.staff_row")] == FI("announce.staff_value", delivered=0, total=1)
    assert rows["Osasto 3"][FI("announce.unreachable_row")] == "1"
    # Another coordinator's announcement is not Olli's to look at (he coordinates nothing here).
    outsider = await office.click(OLLI, "showAnnouncement", {"announcement_id": announcement_id})
    assert outsider["value"] == FI("reply.refused_role", role=FI("roles.coordinator"))


async def test_a_double_click_on_send_is_one_announcement(office):
    form = await form_id(office)
    first, second = await asyncio.gather(office.click(KAISA, "sendAnnouncement", {**FORM, "form_id": form}),
                                         office.click(KAISA, "sendAnnouncement", {**FORM, "form_id": form}))
    assert {first["value"]["body"][0]["text"], second["value"]["body"][0]["text"]} == {
        FI("announce.status_title", title=FORM["title"])}
    assert FI("announce.already_sent") in [s.text for s in office.connector.sent if s.text]
    assert len(await deliveries(office)) == 3
    for mentor in (PEKKA, VILLE, SARI):
        assert len(announcements_to(office, mentor)) == 1


async def test_starting_today_after_working_hours_began_reaches_everyone_now(office):
    await office.click(KAISA, "sendAnnouncement", {**FORM, "starts": "2026-11-25", "ends": "",
                                                   "form_id": await form_id(office)})
    assert len(announcements_to(office, MAIJA)) == 1
    assert len(announcements_to(office, PEKKA)) == 1


@pytest.mark.parametrize(("change", "problem"), [
    ({"title": "  "}, FI("announce.problems.title_missing")),
    ({"title": "x" * 121}, FI("announce.problems.title_long", limit=120)),
    ({"text": ""}, FI("announce.problems.text_missing")),
    ({"units": ""}, FI("announce.problems.units_missing")),
    ({"units": "ward-3,ward-9"}, FI("announce.problems.unit_unknown", unit="ward-9")),
    ({"units": "hr"}, FI("announce.problems.unit_not_yours", unit="hr")),
    ({"starts": ""}, FI("announce.problems.starts_missing")),
    ({"starts": "26.11.2026"}, FI("announce.problems.starts_bad", value="26.11.2026")),
    ({"starts": "2026-02-30"}, FI("announce.problems.starts_bad", value="2026-02-30")),
    ({"starts": "2026-11-24"}, FI("announce.problems.starts_past")),
    ({"starts": "2028-01-01", "ends": ""}, FI("announce.problems.starts_far", days=365)),
    ({"ends": "2026-11-20"}, FI("announce.problems.ends_before")),
    ({"ends": "2028-11-20"}, FI("announce.problems.ends_far", days=366)),
    ({"links": "ohje intra.example.fi"}, FI("announce.problems.link_bad", line="ohje intra.example.fi")),
    ({"links": "http://a.fi\nhttps://b.fi"}, FI("announce.problems.link_bad", line="http://a.fi")),
    ({"links": "https://a.fi\nhttps://b.fi\nhttps://c.fi\nhttps://d.fi"}, FI("announce.problems.links_many",
                                                                              limit=3)),
    ({"faq_entries": "no-such-entry"}, FI("announce.problems.faq_unknown", entry="no-such-entry")),
    ({"faq_entries": "password-reset,mfa-new-phone,teams-share-screen,outlook-signature"},
     FI("announce.problems.faq_many", limit=3)),
    ({"title": ["forged"]}, FI("announce.problems.title_missing")),
])
async def test_each_bad_input_gets_the_form_back_with_a_clear_answer_and_nothing_is_sent(office, change, problem):
    reply = await office.click(KAISA, "sendAnnouncement", {**FORM, **change, "form_id": "f-1"})
    card = reply["value"]
    assert card["body"][0]["text"] == FI("announce.form_title")
    assert problem in card["body"][2]["items"][1]["text"]
    # What was typed comes back, so that only the mistake needs fixing.
    if isinstance(change.get("title"), str) or "title" not in change:
        assert [b for b in card["body"] if b.get("id") == "title"][0]["value"] == {**FORM, **change}["title"]
    assert await deliveries(office) == []
    assert await office.count(OutboxMessage) == 0


@pytest.mark.parametrize(("word", "texts"), [("tiedote", FI), ("meddelande", SV), ("announce", FI)])
async def test_the_form_in_finnish_swedish_and_english_command_words(office, word, texts):
    await office.say(KAISA, word)
    assert office.cards(KAISA)[-1]["body"][0]["text"] == texts("announce.form_title")


@pytest.mark.parametrize("person", [MAIJA, PEKKA])
async def test_only_coordinators_announce(office, person):
    await office.say(person, "tiedote")
    assert office.texts(person)[-1] == FI("reply.refused_role", role=FI("roles.coordinator"))
    forged = await office.click(person, "sendAnnouncement", {**FORM, "form_id": "x"})
    assert forged["value"] == FI("reply.refused_role", role=FI("roles.coordinator"))
    assert await deliveries(office) == []


async def test_questions_in_the_target_units_during_the_rollout_are_tagged_and_stats_shows_them(office):
    await office.click(KAISA, "sendAnnouncement", {**FORM, "form_id": await form_id(office)})
    await office.say(MAIJA, "miten jaan kalenterini työkaverille")  # Wednesday: before the rollout
    office.clock.freeze(THURSDAY_EIGHT + timedelta(hours=2))
    await office.say(MAIJA, "milloin palkka maksetaan")
    await office.say(MAIJA, "mentori uusi ajanvaraus ei näytä aikojani")
    await office.say(AINO, "miten varaan ajan")  # Sote itself is not a target unit
    office.clock.freeze(datetime(2026, 12, 19, 8, 0, tzinfo=UTC))  # the day after the end date
    await office.say(MAIJA, "miten jaan kalenterini työkaverille")
    database = office.database()
    async with database.transaction() as session:
        tagged = [(q.asker_aad_object_id, q.announcement_id is not None)
                  for q in (await session.scalars(select(Question).order_by(Question.id))).all()]
    await database.dispose()
    assert tagged == [(MAIJA, False), (MAIJA, True), (MAIJA, True), (AINO, False), (MAIJA, False)]

    office.clock.freeze(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # November's figures
    await office.say(KAISA, "tilastot kuukausi")
    stats = body_text(office.cards(KAISA)[-1])
    assert FI("stats.rollouts_title") in stats
    assert FI("stats.rollout_value", questions=2, answered=0, handed=1) in stats
