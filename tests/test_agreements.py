"""Peer-mentoring agreements through the bot's HTTP endpoint: a mentor writes one, the mentee
accepts (it starts) or declines (it never does), meetings are logged against it and in the
mentor's hours, both sides are reminded of a planned meeting nobody logged, and closing it
asks both sides about each goal, which the coordinator then sees in `stats`."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from cards.i18n import Texts
from dialogs.rules.periods import HELSINKI
from storage.models import Agreement, AgreementEvaluation, AgreementGoalAnswer, MentorTimeEntry
from tests.support.activities import card_click
from tests.support.office import KAISA, MAIJA, ORG, PEKKA, VILLE, Office, body_text

FI = Texts("fi")
MAIJA_EMAIL = "maija.virtanen@example.fi"
WITH_EMAIL = ORG.replace("name: Maija Virtanen, unit: ward-3",
                         f"name: Maija Virtanen, email: {MAIJA_EMAIL}, unit: ward-3")
# Four meetings from Wednesday 25 Nov to 23 Dec 2026: due by 2, 9, 16 and 23 Dec.
TERMS = {"topic": "Excelin pivot-taulukot", "goals": "Osaan tehdä pivot-taulukon\n- Päivitän raportin itse",
         "starts": "2026-11-25", "ends": "2026-12-23", "meetings": "4", "minutes": "45"}
# Thursday 3 Dec 2026, 09:00 in Helsinki: the first planned meeting's day has passed.
AFTER_FIRST_MEETING_DAY = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
# Thursday 24 Dec 2026, 09:00 in Helsinki: the day after the end date.
AFTER_THE_END = datetime(2026, 12, 24, 7, 0, tzinfo=UTC)


@pytest.fixture
async def office(bot, connector, database_url) -> Office:
    return await Office(bot, connector, database_url, org=WITH_EMAIL).setup()


def verbs(card: dict) -> list[str]:
    found = [a.get("verb") for a in card.get("actions", [])]
    for item in card.get("body", []):
        for inner in item.get("items", []):
            found += [a.get("verb") for a in inner.get("actions", [])]
    return found


def facts(card: dict) -> dict[str, str]:
    return {f["title"]: f["value"] for item in card["body"] if item.get("type") == "FactSet" for f in item["facts"]}


async def propose(office: Office, mentee: str = MAIJA_EMAIL, form: str = "form-1", **terms) -> int:
    await office.say(PEKKA, "sopimus")
    form_card = office.cards(PEKKA)[-1]
    assert form_card["actions"][0]["verb"] == "createAgreement"
    reply = await office.click(PEKKA, "createAgreement", {"form": form, "mentee": mentee, **TERMS, **terms})
    assert reply["type"] == "application/vnd.microsoft.card.adaptive", reply
    agreement_id = reply["value"]["actions"][-1]["data"]["agreement_id"]
    assert FI("agreements.created", id=agreement_id, mentee="Maija Virtanen" if mentee == MAIJA_EMAIL
              else "Osasto 3") in office.texts(PEKKA)
    return agreement_id


async def state_of(office: Office, agreement_id: int) -> str:
    database = office.database()
    async with database.transaction() as session:
        state = (await session.get(Agreement, agreement_id)).state
    await database.dispose()
    return state


async def test_an_agreement_declined_by_the_mentee_never_starts(office):
    agreement_id = await propose(office)
    proposal = office.cards(MAIJA)[-1]
    assert proposal["body"][0]["text"] == FI("agreements.proposal_title", mentor="Pekka Korhonen")
    assert verbs(proposal) == ["acceptAgreement", "declineAgreement"]
    # The mentee is named, not the e-mail address the mentor typed.
    assert facts(proposal)[FI("agreements.fact_mentee")] == "Maija Virtanen"
    # The same form sent twice (a double click) is one agreement.
    again = await office.click(PEKKA, "createAgreement", {"form": "form-1", "mentee": MAIJA_EMAIL, **TERMS})
    assert again["value"]["actions"][-1]["data"]["agreement_id"] == agreement_id
    assert await office.count(Agreement) == 1 and len(office.cards(MAIJA)) == 1

    # Only the mentee answers: the mentor and a bystander are refused.
    assert (await office.click(PEKKA, "acceptAgreement", {"agreement_id": agreement_id}))["value"] == \
        FI("agreement_refusal.not_mentee")
    assert (await office.click(VILLE, "acceptAgreement", {"agreement_id": agreement_id}))["value"] == \
        FI("agreement_refusal.not_a_side")

    reply = await office.click(MAIJA, "declineAgreement", {"agreement_id": agreement_id})
    assert FI("agreements.declined_reply") in office.texts(MAIJA)
    assert facts(reply["value"])[FI("agreements.fact_state")] == FI("agreements.states.declined")
    assert FI("agreements.declined_notice", mentee="Maija Virtanen", id=agreement_id,
              topic=TERMS["topic"]) in office.texts(PEKKA)

    # A second click, even the other button on the stale card, changes nothing.
    late = await office.click(MAIJA, "acceptAgreement", {"agreement_id": agreement_id})
    assert late["value"] == FI("agreement_refusal.decided", state=FI("agreements.states.declined"))
    assert await state_of(office, agreement_id) == "declined"

    # Nothing can be logged on it, nobody is reminded, and it never closes.
    await office.say(PEKKA, f"log 45 #{agreement_id} pivot-taulukot")
    assert office.texts(PEKKA)[-1] == FI("agreement_refusal.not_active", state=FI("agreements.states.declined"))
    assert await office.count(MentorTimeEntry) == 0
    sent = len(office.connector.sent)
    for moment in (AFTER_FIRST_MEETING_DAY, AFTER_THE_END):
        office.clock.freeze(moment)
        assert await office.flows.agreements.sweep() == 0
        await office.settle()
    assert len(office.connector.sent) == sent
    assert await office.count(AgreementEvaluation) == 0
    assert (await office.click(PEKKA, "closeAgreement", {"agreement_id": agreement_id}))["value"] == \
        FI("agreement_refusal.not_active", state=FI("agreements.states.declined"))
    # Listed as declined, with no end date it would never reach.
    await office.say(PEKKA, "omat sopimukset")
    listed = body_text(office.cards(PEKKA)[-1])
    assert FI("agreements.states.declined") in listed and FI("agreements.ends_label").casefold() not in listed


async def test_a_logged_meeting_counts_against_the_agreement_and_in_the_mentors_hours(office):
    agreement_id = await propose(office)
    reply = await office.click(MAIJA, "acceptAgreement", {"agreement_id": agreement_id})
    assert FI("agreements.accepted_reply") in office.texts(MAIJA)
    assert facts(reply["value"])[FI("agreements.fact_state")] == FI("agreements.states.active")
    assert FI("agreements.accepted_notice", mentee="Maija Virtanen", id=agreement_id,
              topic=TERMS["topic"]) in office.texts(PEKKA)

    await office.say(PEKKA, f"log 45 #{agreement_id} pivot-taulukon suodattimet")
    assert office.texts(PEKKA)[-1] == FI("agreements.logged", minutes=45, id=agreement_id, logged=1, planned=4)
    # The button on the agreement card logs the second one, and the card shows the progress.
    card = await office.click(PEKKA, "logAgreementMeeting", {"agreement_id": agreement_id, "minutes": "30",
                                                             "note": ""})
    assert facts(card["value"])[FI("agreements.fact_progress")] == FI("agreements.progress", logged=2, planned=4,
                                                                       minutes=75)
    # Another mentor cannot log on it, the mentee cannot either, and nonsense minutes are refused.
    await office.say(VILLE, f"log 60 #{agreement_id} ei minun")
    assert office.texts(VILLE)[-1] == FI("agreement_refusal.not_a_side")
    refused = await office.click(MAIJA, "logAgreementMeeting", {"agreement_id": agreement_id, "minutes": "30"})
    assert refused["value"] == FI("reply.refused_role", role=FI("reply.role_or", first=FI("roles.mentor"),
                                                                           second=FI("roles.coordinator")))
    refused = await office.click(PEKKA, "logAgreementMeeting", {"agreement_id": agreement_id, "minutes": "9999"})
    assert refused["value"] == FI("agreement_refusal.log_usage", limit=480)
    assert await office.count(MentorTimeEntry, agreement_id=agreement_id) == 2

    # In the mentor's hours, as agreement meetings.
    await office.say(PEKKA, "my hours")
    hours = facts(office.cards(PEKKA)[-1])
    assert hours[FI("hours.on_agreements")] == "75 min"
    assert hours[FI("hours.this_week")].startswith("75 ")

    # Both sides see it in `my agreements`.
    for person in (MAIJA, PEKKA):
        await office.say(person, "omat sopimukset")
        listed = body_text(office.cards(person)[-1])
        assert f"#{agreement_id} {TERMS['topic']}" in listed
        assert FI("agreements.summary", state=FI("agreements.states.active"), logged=2, planned=4,
                  ends="23.12.2026") in listed


async def test_a_planned_meeting_nobody_logged_reminds_both_sides_once(office):
    agreement_id = await propose(office)
    await office.click(MAIJA, "acceptAgreement", {"agreement_id": agreement_id})
    reminder = FI("agreements.reminder", number=1, id=agreement_id, topic=TERMS["topic"], day="2.12.2026")
    office.clock.freeze(AFTER_FIRST_MEETING_DAY)
    assert await office.flows.agreements.sweep() == 1
    await office.settle()
    assert reminder in office.texts(PEKKA) and reminder in office.texts(MAIJA)
    # The next round (another process, a minute later) does not remind again.
    assert await office.flows.agreements.sweep() == 0
    await office.settle()
    assert office.texts(MAIJA).count(reminder) == 1


async def test_closing_the_agreement_records_goal_attainment(office):
    agreement_id = await propose(office)
    await office.click(MAIJA, "acceptAgreement", {"agreement_id": agreement_id})
    await office.say(PEKKA, f"log 45 #{agreement_id} ensimmäinen tapaaminen")

    # The mentee closes it early: she answers at once, the mentor is asked on a card.
    closing = (await office.click(MAIJA, "closeAgreement", {"agreement_id": agreement_id}))["value"]
    assert closing["actions"][0]["verb"] == "evaluateAgreement"
    assert [item["id"] for item in closing["body"] if item.get("type") == "Input.ChoiceSet"] == \
        ["goal_1", "goal_2", "rating"]
    assert FI("agreements.closed_by_notice", person="Maija Virtanen", id=agreement_id) in office.texts(PEKKA)
    assert office.cards(PEKKA)[-1]["actions"][0]["verb"] == "evaluateAgreement"
    assert await state_of(office, agreement_id) == "closed"
    # Closed, nothing more is logged on it.
    await office.say(PEKKA, f"log 30 #{agreement_id} myöhässä")
    assert office.texts(PEKKA)[-1] == FI("agreement_refusal.not_active", state=FI("agreements.states.closed"))
    # `my agreements` says the day it ended, today, not the planned end date as still to come.
    today = office.clock.now().astimezone(HELSINKI).date()
    await office.say(MAIJA, "omat sopimukset")
    listed = body_text(office.cards(MAIJA)[-1])
    assert FI("agreements.summary_closed", state=FI("agreements.states.closed"), logged=1, planned=4,
              ended=f"{today.day}.{today.month}.{today.year}") in listed
    assert "23.12.2026" not in listed

    # An answer is needed for every goal.
    missing = await office.click(MAIJA, "evaluateAgreement", {"agreement_id": agreement_id, "goal_1": "yes",
                                                             "rating": "5"})
    assert missing["value"] == FI("agreement_refusal.answer_every_goal")
    thanks = await office.click(MAIJA, "evaluateAgreement", {"agreement_id": agreement_id, "goal_1": "yes",
                                                            "goal_2": "partly", "rating": "5"})
    assert thanks["value"]["body"][0]["text"] == FI("agreements.thanks_title")
    await office.click(PEKKA, "evaluateAgreement", {"agreement_id": agreement_id, "goal_1": "yes", "goal_2": "no",
                                                    "rating": "4", "comment": "Hyvä jakso"})
    # Each side answers once; a bystander not at all.
    second = await office.click(MAIJA, "evaluateAgreement", {"agreement_id": agreement_id, "goal_1": "no",
                                                            "goal_2": "no", "rating": "1"})
    assert second["value"] == FI("agreement_refusal.already_evaluated")
    bystander = await office.click(VILLE, "evaluateAgreement", {"agreement_id": agreement_id, "goal_1": "no",
                                                               "goal_2": "no", "rating": "1"})
    assert bystander["value"] == FI("agreement_refusal.not_a_side")
    assert await office.count(AgreementEvaluation) == 2
    assert await office.count(AgreementGoalAnswer, answer="yes") == 2
    assert await office.count(AgreementGoalAnswer, answer="partly") == 1
    assert await office.count(AgreementGoalAnswer, answer="no") == 1

    # The coordinator of sote sees it among the closed agreements, with its meeting and goals.
    await office.say(KAISA, "stats")
    figures = facts(office.cards(KAISA)[-1])
    assert figures[FI("stats.agreements_closed")] == "1"
    assert figures[FI("stats.agreements_goals")] == FI("stats.goals_value", yes="2", partly="1", no="1")
    assert figures[FI("stats.agreements_meetings")].startswith("1 ")

    # And in the export, on a sheet of its own; two ratings in a unit are not shown one by one.
    await office.say(KAISA, "vienti")
    [link] = [a["url"] for a in office.cards(KAISA)[-1]["actions"] if a["url"].endswith(".xlsx")]
    download = await office.bot.http.get("/" + link.split("/", 3)[3])
    assert download.status == 200
    book = load_workbook(io.BytesIO(await download.read()))
    header, row = book[FI("export.sheets.agreements")].iter_rows(values_only=True)
    exported = dict(zip(header, row, strict=True))
    assert exported[FI("export.columns.agreement_id")] == agreement_id
    assert exported[FI("export.columns.mentee")] == FI("agreements.fact_mentee")
    assert exported[FI("export.columns.state")] == FI("agreements.states.closed")
    assert (exported[FI("export.columns.meetings")], exported[FI("export.columns.minutes")]) == (1, 45)
    assert [exported[FI(f"export.columns.goals_{a}")] for a in ("yes", "partly", "no")] == [2, 1, 1]
    assert exported[FI("export.columns.rating_mean")] == FI("stats.fewer_than_five")


async def test_an_agreement_reaching_its_end_date_closes_and_asks_both_sides(office):
    agreement_id = await propose(office)
    await office.click(MAIJA, "acceptAgreement", {"agreement_id": agreement_id})
    office.clock.freeze(AFTER_THE_END)
    assert await office.flows.agreements.sweep() == 1
    await office.settle()
    notice = FI("agreements.closed_at_end", id=agreement_id)
    for person in (PEKKA, MAIJA):
        assert notice in office.texts(person)
        assert office.cards(person)[-1]["actions"][0]["verb"] == "evaluateAgreement"
    assert await state_of(office, agreement_id) == "closed"
    assert await office.flows.agreements.sweep() == 0


async def test_a_team_agreement_is_answered_for_by_the_units_coordinator(office):
    # Osasto 3 has no supervisor: the coordinator of Sote, above it, answers for the team.
    agreement_id = await propose(office, mentee="ward-3", form="form-team")
    proposal = office.cards(KAISA)[-1]
    assert proposal["body"][1]["text"] == FI("agreements.proposal_team_body")
    assert facts(proposal)[FI("agreements.fact_team")] == "Osasto 3"
    assert (await office.click(MAIJA, "acceptAgreement", {"agreement_id": agreement_id}))["value"] == \
        FI("agreement_refusal.not_a_side")
    await office.click(KAISA, "acceptAgreement", {"agreement_id": agreement_id})
    assert await state_of(office, agreement_id) == "active"
    assert FI("agreements.accepted_notice", mentee="Kaisa Laine", id=agreement_id,
              topic=TERMS["topic"]) in office.texts(PEKKA)
    # The one who answered is the team's side from now on: she may close it.
    await office.click(KAISA, "closeAgreement", {"agreement_id": agreement_id})
    assert await state_of(office, agreement_id) == "closed"


async def test_the_form_refuses_what_cannot_be_an_agreement(office):
    await office.say(MAIJA, "agreement")
    assert office.texts(MAIJA)[-1] == FI("reply.refused_role", role=FI("reply.role_or", first=FI("roles.mentor"),
                                                                                   second=FI("roles.coordinator")))
    cases = [({"mentee": "nobody@example.fi"}, FI("agreement_refusal.unknown_mentee", who="nobody@example.fi")),
             ({"ends": "2026-11-01"}, FI("agreement_refusal.ends_before_start")),
             ({"starts": "2026-11-01"}, FI("agreement_refusal.starts_in_past")),
             ({"goals": "\n".join(f"tavoite {n}" for n in range(6))},
              FI("agreement_refusal.too_many_goals", count=6, limit=5)),
             ({"meetings": "0"}, FI("agreement_refusal.bad_meetings", limit=52)),
             ({"goals": "x" * 5000}, FI("agreement_refusal.oversized"))]
    for change, refusal in cases:
        reply = await office.click(PEKKA, "createAgreement", {"form": "f", "mentee": MAIJA_EMAIL, **TERMS, **change})
        assert reply["value"] == refusal, change
    assert await office.count(Agreement) == 0 and office.cards(MAIJA) == []


async def test_forged_clicks_on_agreements_change_nothing(office):
    agreement_id = await propose(office)
    forged = [("acceptAgreement", {"agreement_id": "9" * 5000}, FI("card_refusal.bad_data")),
              ("acceptAgreement", {"agreement_id": agreement_id + 100}, FI("agreement_refusal.unknown")),
              ("closeAgreement", {"agreement_id": agreement_id}, FI("agreement_refusal.not_a_side")),
              ("evaluateAgreement", {"agreement_id": agreement_id, "goal_1": "yes", "goal_2": "yes", "rating": "5"},
               FI("agreement_refusal.not_a_side")),
              ("openAgreement", {"agreement_id": agreement_id}, FI("agreement_refusal.not_a_side")),
              ("createAgreement", {"form": "f", "mentee": ["x"], **{k: v for k, v in TERMS.items() if k != "goals"}},
               FI("reply.refused_role", role=FI("reply.role_or", first=FI("roles.mentor"),
                                               second=FI("roles.coordinator"))))]
    for verb, data, refusal in forged:
        assert (await office.click(MAIJA if verb == "createAgreement" else VILLE, verb, data))["value"] == refusal, verb
    # The mentor's own forged field types, and an evaluation before the close.
    assert (await office.click(PEKKA, "createAgreement", {"form": "g", "mentee": ["x"], **TERMS}))["value"] == \
        FI("card_refusal.bad_data")
    await office.click(MAIJA, "acceptAgreement", {"agreement_id": agreement_id})
    early = await office.click(PEKKA, "evaluateAgreement", {"agreement_id": agreement_id, "goal_1": "yes",
                                                           "goal_2": "yes", "rating": "5"})
    assert early["value"] == FI("agreement_refusal.not_closed")
    assert (await office.click(PEKKA, "logAgreementMeeting", {"agreement_id": agreement_id, "minutes": "45",
                                                              "note": "x" * 600}))["value"] == \
        FI("agreement_refusal.oversized")
    await office.say(PEKKA, "log 45 #99999999999 x")
    assert office.texts(PEKKA)[-1] == FI("agreement_refusal.unknown")
    assert await state_of(office, agreement_id) == "active"
    assert await office.count(MentorTimeEntry) == 0 and await office.count(AgreementEvaluation) == 0


async def test_accept_and_decline_clicked_at_once_have_one_outcome(office):
    agreement_id = await propose(office)

    async def click(index: int) -> dict:
        verb = "acceptAgreement" if index % 2 else "declineAgreement"
        response = await office.bot.post(card_click(verb, {"agreement_id": agreement_id},
                                                    service_url=office.connector.url, user=MAIJA,
                                                    name="Maija Virtanen"))
        return await response.json()

    replies = await asyncio.gather(*(click(i) for i in range(12)))
    await office.settle()
    state = await state_of(office, agreement_id)
    assert state in ("active", "declined")
    answered = FI("agreements.accepted_reply" if state == "active" else "agreements.declined_reply")
    assert office.texts(MAIJA).count(answered) == 1
    assert sum(1 for r in replies if r["type"] == "application/vnd.microsoft.card.adaptive") == 1
    notices = [t for t in office.texts(PEKKA) if t.startswith("Maija Virtanen")]
    assert len(notices) == 1


async def test_closing_early_and_the_end_date_sweep_at_once_close_it_once(office):
    agreement_id = await propose(office)
    await office.click(MAIJA, "acceptAgreement", {"agreement_id": agreement_id})
    office.clock.freeze(AFTER_THE_END)
    click = office.bot.post(card_click("closeAgreement", {"agreement_id": agreement_id},
                                       service_url=office.connector.url, user=PEKKA, name="Pekka Korhonen"))
    await asyncio.gather(click, office.flows.agreements.sweep(), office.flows.agreements.sweep())
    await office.settle()
    closing_cards = [card for card in office.cards(MAIJA) if card.get("actions", [{}])[0].get("verb")
                     == "evaluateAgreement"]
    assert len(closing_cards) == 1
    assert await state_of(office, agreement_id) == "closed"
