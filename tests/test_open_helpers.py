"""Anyone who knows helps, through the bot's HTTP endpoint: in the open and both mentor models an
employee offers help on topics in chat and gets the questions on those topics only, after the
named mentors of the asker's unit (or instead of them, where the unit has none), under the
organisation's helper allowance; they stop when they like, a coordinator sees and removes them,
and the weekly digest thanks them with the people they helped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dialogs.rules.faq_file import parse_faq_file
from storage.faq_repository import FaqRepository
from storage.models import AuditLog, HelpRequest, OpenHelper
from tests.support.office import (
    AINO,
    FI,
    KAISA,
    MAIJA,
    OLLI,
    PEKKA,
    SARI,
    VILLE,
    Office,
    aad,
    body_text,
    chat,
    offer_of,
)
from tests.support.time import WEDNESDAY_MORNING

ROOT = Path(__file__).resolve().parent.parent
# Olli (hr) knows Excel and offers to help; ward-3 has no digimentor in the open model; Pekka is
# the named mentor of ward-5 (for Teams); Kaisa coordinates the whole organisation.
OPEN_ORG = f"""
organization: {{name: Testialue, offer_timeout_minutes: 10, working_hours: "08:00-16:00", mentor_model: open}}
units:
  - {{id: hva, name: {{fi: Hyvinvointialue}}}}
  - {{id: sote, parent: hva, name: {{fi: Sote}}}}
  - {{id: ward-3, parent: sote, name: {{fi: Osasto 3}}}}
  - {{id: ward-5, parent: sote, name: {{fi: Osasto 5}}}}
  - {{id: hr, parent: hva, name: {{fi: Henkilöstö}}}}
people:
  - {{aad_object_id: {MAIJA}, name: Maija Virtanen, unit: ward-3}}
  - {{aad_object_id: {PEKKA}, name: Pekka Korhonen, unit: ward-5, roles: [employee, mentor],
     mentor: {{topics: [teams]}}}}
  - {{aad_object_id: {VILLE}, name: Ville Heikkinen, unit: ward-3}}
  - {{aad_object_id: {AINO}, name: Aino Mäkinen, unit: sote}}
  - {{aad_object_id: {SARI}, name: Sari Lehto, unit: ward-5}}
  - {{aad_object_id: {OLLI}, name: Olli Nieminen, email: olli.nieminen@example.fi, unit: hr}}
  - {{aad_object_id: {KAISA}, name: Kaisa Laine, unit: sote, roles: [employee, coordinator], coordinator_of: [hva]}}
"""
# The both model: ward-3 has a named digimentor of its own, Ville.
BOTH_ORG = OPEN_ORG.replace("mentor_model: open", "mentor_model: both").replace(
    "name: Ville Heikkinen, unit: ward-3}", "name: Ville Heikkinen, unit: ward-3, roles: [employee, mentor]}")
NAMED_ORG = OPEN_ORG.replace(", mentor_model: open", "")
SMALL_ALLOWANCE_ORG = OPEN_ORG.replace("mentor_model: open", "mentor_model: open, helper_weekly_minutes: 30")

EXCEL_QUESTION = "mentori miten kiinnitän ylimmän rivin excelissä"
TEAMS_QUESTION = "mentori miten jaan näyttöni teams-kokouksessa"
# Monday 30 Nov 2026, 08:05 in Helsinki: the digest after the week of WEDNESDAY_MORNING.
MONDAY_AFTER_EIGHT = datetime(2026, 11, 30, 6, 5, tzinfo=UTC)


async def staged(bot, connector, database_url, org: str) -> Office:
    office = await Office(bot, connector, database_url, org=org).setup()
    database = office.database()
    await FaqRepository(database).import_entries(
        parse_faq_file((ROOT / "storage/seed/faq.yaml").read_text(encoding="utf-8")))
    await database.dispose()
    return office


@pytest.fixture
async def office(bot, connector, database_url) -> Office:
    return await staged(bot, connector, database_url, OPEN_ORG)


def offers_to(office: Office, person: str) -> list[int]:
    return [offer_of(card) for method, card in office.connector.cards_to(chat(person))
            if method != "update" and any(a.get("verb") == "acceptRequest" for a in card.get("actions", []))]


async def last_request(office: Office) -> HelpRequest:
    database = office.database()
    async with database.transaction() as session:
        request = (await session.scalars(select(HelpRequest).order_by(HelpRequest.id.desc()))).first()
    await database.dispose()
    return request


async def ask(office: Office, question: str, person: str = MAIJA) -> HelpRequest:
    await office.say(person, question)
    return await last_request(office)


async def offer_help(office: Office, person: str, text: str) -> str:
    await office.say(person, text)
    return office.texts(person)[-1]


async def help_and_resolve(office: Office, helper: str, request_id: int, minutes: int = 20) -> None:
    accepted = await office.click(helper, "acceptRequest", {"request_id": request_id})
    assert "resolveRequest" in body_text(accepted["value"])
    await office.click(helper, "resolveRequest", {"request_id": request_id, "minutes": str(minutes)})


async def test_an_open_model_helper_gets_the_excel_question_of_a_unit_without_a_mentor_and_no_teams_question(office):
    reply = await offer_help(office, OLLI, "voin auttaa excelissä")
    assert reply == FI("helpers.offered", topics="excel")

    excel = await ask(office, EXCEL_QUESTION)
    assert excel.topic == "excel" and excel.unit_id == "ward-3"
    assert offers_to(office, OLLI) == [excel.id]
    # Ward 3 has no digimentor: the helper came instead of them, and the asker was told.
    assert FI("request.widened_helpers") in office.texts(MAIJA)

    teams = await ask(office, TEAMS_QUESTION)
    assert teams.topic == "teams"
    assert offers_to(office, OLLI) == [excel.id]  # no Teams question for the Excel helper
    assert teams.id in offers_to(office, PEKKA)  # it went on to the area's named mentor

    # The helper takes it and resolves it like a mentor; the asker is asked for feedback.
    await help_and_resolve(office, OLLI, excel.id)
    record, events = await office.request(excel.id)
    assert record.state == "resolved" and record.assigned_mentor_id is not None
    assert "rateHelp" in body_text(office.cards(MAIJA)[-1])
    # `my hours` counts the helper's minutes against the helper allowance (60 by default).
    await office.say(OLLI, "omat tunnit")
    assert "20" in body_text(office.cards(OLLI)[-1]) and "60" in body_text(office.cards(OLLI)[-1])


async def test_a_helper_gets_offers_only_under_their_allowance(bot, connector, database_url):
    office = await staged(bot, connector, database_url, SMALL_ALLOWANCE_ORG)
    await offer_help(office, OLLI, "I can help with excel")
    first = await ask(office, EXCEL_QUESTION)
    await help_and_resolve(office, OLLI, first.id, minutes=30)
    second = await ask(office, EXCEL_QUESTION, person=VILLE)
    assert offers_to(office, OLLI) == [first.id]
    # Past the helpers, the question widens to the area's mentors.
    assert second.id in offers_to(office, PEKKA)


async def test_in_the_both_model_the_units_own_mentor_comes_first_and_the_helper_after_the_timeout(bot, connector,
                                                                                                   database_url):
    office = await staged(bot, connector, database_url, BOTH_ORG)
    await offer_help(office, OLLI, "jag kan hjälpa med excel")
    assert office.texts(OLLI)[-1].startswith("Tack!")
    excel = await ask(office, EXCEL_QUESTION)
    assert offers_to(office, VILLE) == [excel.id] and offers_to(office, OLLI) == []
    await office.escalate_at(WEDNESDAY_MORNING + timedelta(minutes=11))
    assert offers_to(office, OLLI) == [excel.id]
    assert offers_to(office, PEKKA) == []  # the area's mentors come only after the helpers


async def test_in_the_named_model_offering_help_is_answered_and_nothing_changes(bot, connector, database_url):
    office = await staged(bot, connector, database_url, NAMED_ORG)
    assert await offer_help(office, OLLI, "voin auttaa excelissä") == FI("helpers.named_model")
    # A named digimentor is not told to ask to become one.
    assert await offer_help(office, PEKKA, "voin auttaa excelissä") == FI("helpers.are_mentor")
    assert await office.count(OpenHelper) == 0
    excel = await ask(office, EXCEL_QUESTION)
    assert offers_to(office, OLLI) == [] and excel.id in offers_to(office, PEKKA)


async def test_what_is_not_an_offer_of_help(office):
    # A long sentence that merely starts with "voin auttaa" is a question.
    await office.say(OLLI, "voin auttaa kollegaa mutta miten kiinnitän ylimmän rivin excelissä")
    assert FI("helpers.offered", topics="excel") not in office.texts(OLLI)
    assert await office.count(OpenHelper) == 0
    # Unknown topics and a bare command get the usage, naming what the bot knows.
    reply = await offer_help(office, OLLI, "voin auttaa kutomisessa")
    assert reply.startswith(FI("helpers.offered_unknown", unknown="kutomisessa", known="")[:20])
    assert "excel" in reply
    assert (await offer_help(office, OLLI, "voin auttaa")).startswith(FI("helpers.usage", known="")[:20])
    # A named mentor already has their topics.
    assert await offer_help(office, PEKKA, "voin auttaa excelissä") == FI("helpers.are_mentor")
    # Someone the directory does not know.
    stranger = aad("e9")
    assert await offer_help(office, stranger, "voin auttaa excelissä") == FI("helpers.not_in_directory")
    assert await office.count(OpenHelper) == 0


async def test_several_topics_in_finnish_inflections_and_stop_helping(office):
    reply = await offer_help(office, OLLI, "voin auttaa excelissä ja teamsissa")
    assert reply == FI("helpers.offered", topics="excel, teams")
    # The helper's commands: `my requests` and `my hours` work, `available` stays a mentor's.
    await office.say(OLLI, "omat pyynnöt")
    assert office.texts(OLLI)[-1] == reply and office.cards(OLLI)  # a card, no refusal
    assert await offer_help(office, OLLI, "lopetan auttamisen") == FI("helpers.stopped")
    assert await offer_help(office, OLLI, "stop helping") == FI("helpers.not_helping")
    await ask(office, EXCEL_QUESTION)
    assert offers_to(office, OLLI) == []
    # Without the helper role, a mentor's commands are refused again.
    await office.say(OLLI, "omat tunnit")
    assert office.texts(OLLI)[-1] == FI("reply.refused_role", role=FI(
        "reply.role_or", first=FI("roles.mentor"), second=FI("roles.helper")))
    # Offering again starts afresh, with only the topics named now.
    assert await offer_help(office, OLLI, "voin auttaa excelissä") == FI("helpers.offered", topics="excel")


async def test_a_coordinator_sees_and_removes_helpers(office):
    await offer_help(office, OLLI, "voin auttaa excelissä")
    excel = await ask(office, EXCEL_QUESTION)
    await help_and_resolve(office, OLLI, excel.id)

    await office.say(KAISA, "mentorit")
    card = office.cards(KAISA)[-1]
    text = body_text(card)
    assert FI("helpers.title") in text and "Olli Nieminen" in text
    assert FI("helpers.line", topics="excel", helped=1) in text
    [remove] = [a for a in _actions(card) if a.get("verb") == "removeHelper"]
    person_id = remove["data"]["person_id"]

    # Only a coordinator may remove; a forged click changes nothing.
    refused = await office.click(MAIJA, "removeHelper", {"person_id": person_id})
    assert FI("reply.refused_role", role=FI("roles.coordinator")) in body_text(refused)
    assert FI("card_refusal.bad_data") in body_text(await office.click(KAISA, "removeHelper", {"person_id": "x"}))
    assert FI("card_refusal.bad_data") in body_text(await office.click(KAISA, "removeHelper",
                                                                       {"person_id": 999999}))
    assert await office.count(OpenHelper, state="active") == 1

    removed = await office.click(KAISA, "removeHelper", {"person_id": person_id})
    assert office.texts(KAISA)[-1] == FI("helpers.removed")
    assert "removeHelper" not in body_text(removed)
    assert await office.count(OpenHelper, state="removed") == 1
    assert await office.count(AuditLog, action="remove_helper") == 1
    # A second click: nothing more to remove.
    again = await office.click(KAISA, "removeHelper", {"person_id": person_id})
    assert FI("helpers.not_helper") in body_text(again)
    assert await office.count(AuditLog, action="remove_helper") == 1

    # No more questions, and offering again does not undo the coordinator's removal.
    await ask(office, EXCEL_QUESTION, person=VILLE)
    assert offers_to(office, OLLI) == [excel.id]
    assert await offer_help(office, OLLI, "voin auttaa excelissä") == FI("helpers.removed_by_coordinator")


async def test_the_weekly_digest_thanks_each_helper_with_the_people_they_helped(office):
    await offer_help(office, OLLI, "voin auttaa excelissä")
    await offer_help(office, SARI, "voin auttaa teamsissa")
    for asker in (MAIJA, VILLE):
        request = await ask(office, EXCEL_QUESTION, person=asker)
        await help_and_resolve(office, OLLI, request.id)
    office.connector.sent.clear()

    office.clock.freeze(MONDAY_AFTER_EIGHT)
    await office.flows.digest.send_due()
    await office.settle()
    [olli] = [c for c in office.cards(OLLI) if FI("helpers.thanks_title") in body_text(c)]
    assert FI("helpers.thanks_body", count=2) in body_text(olli)
    [sari] = [c for c in office.cards(SARI) if FI("helpers.thanks_title") in body_text(c)]
    assert FI("helpers.thanks_none") in body_text(sari)
    # Once a week, however often the loop looks.
    await office.flows.digest.send_due()
    await office.settle()
    assert len([c for c in office.cards(OLLI) if FI("helpers.thanks_title") in body_text(c)]) == 1


def _actions(card: dict) -> list[dict]:
    found = list(card.get("actions", []))
    stack = list(card.get("body", []))
    while stack:
        element = stack.pop()
        found += element.get("actions", [])
        stack += element.get("items", [])
    return found


async def test_a_helpers_offer_is_in_their_export_and_ends_with_their_erasure(office):
    await offer_help(office, OLLI, "voin auttaa excelissä")
    exported = await office.flows.privacy.export("olli.nieminen@example.fi")
    [offer] = exported["people"][0]["open_helper"]
    assert offer["topics"] == ["excel"] and offer["state"] == "active"
    await office.flows.privacy.erase("olli.nieminen@example.fi", apply=True)
    office.flows.directory.forget()
    assert await office.count(OpenHelper, state="withdrawn") == 1
    await ask(office, EXCEL_QUESTION)
    assert offers_to(office, OLLI) == []
