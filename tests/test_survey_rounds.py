"""Survey rounds through the bot's HTTP endpoint: a coordinator starts one from chat, the
invitations reach exactly the target units once (also across replicas and restarts, and within
Teams' rates), reminders go to those who have not finished, and a round closes early or at its date."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from bot.web import FLOWS
from cards.i18n import Texts
from dialogs.rules.org_file import parse_organization_file
from storage.conversation_repository import ConversationRepository
from storage.organization_repository import import_organization
from storage.survey_models import SurveyResponse, SurveyRound
from tests.conftest import BotClient, settings_for, start_bot
from tests.support.activities import TENANT, card_click
from tests.support.office import FI
from tests.support.survey_office import (
    HANNA,
    HR,
    KAISA,
    LAST_DAY,
    NAMES,
    SUPERVISOR_5,
    WARD_3,
    WARD_5,
    SurveyOffice,
    chat,
    progress_of,
    said,
)
from tests.test_outbound_queue import max_in_window

SV, EN = Texts("sv"), Texts("en")
EVERYONE = list(NAMES)


@pytest.fixture
async def office(bot, connector, database_url) -> SurveyOffice:
    return await SurveyOffice(bot, connector, database_url).setup()


def invited(office: SurveyOffice) -> set[str]:
    return {person for person in EVERYONE if office.invitations(person)}


async def test_the_start_form_offers_the_units_the_coordinator_coordinates_in_their_language(office):
    await office.say(KAISA, "kartoitus")
    form = office.cards(KAISA)[-1]
    units = next(e for e in form["body"] if e.get("id") == "units")
    assert units["value"] == "sote" and form["body"][0]["text"] == FI("survey.form_title")
    assert [a["verb"] for a in form["actions"]] == ["startSurvey"]
    assert {e["id"] for e in form["body"] if e["type"].startswith("Input.")} == {"units", "closes", "pretest"}
    await office.say(KAISA, "kartläggning")
    assert office.cards(KAISA)[-1]["body"][0]["text"] == SV("survey.form_title")
    await office.say(HR[1], "survey")  # an English speaker without the role, and no survey open
    assert office.texts(HR[1])[-1] == EN("reply.refused_role", role=EN("roles.coordinator"))


async def test_a_round_reaches_exactly_the_target_units_and_supervisors_also_get_their_set(office):
    reply = await office.start_round(HANNA, units="ward-5, hr")
    assert FI("survey.started", round=1, invited=11, units="Osasto 5, Henkilöstö", closes="9.12.2026") in \
        said(reply["value"])
    assert invited(office) == set(WARD_5) | set(HR)
    supervisor_card = office.invitations(SUPERVISOR_5)[0]  # in Swedish, the supervisor's first language
    assert SV("survey.supervisor_note", count=3) in said(supervisor_card)
    assert all(EN("survey.supervisor_note", count=3) not in said(office.invitations(p)[0]) for p in HR)
    assert EN("survey.start") in said(office.invitations(HR[1])[0])
    # While it is open, nobody it invited can be invited to another round of the survey.
    overlapping = await office.start_round(KAISA, units="sote")
    assert FI("survey_refusal.already_open", round=1, unit="Osasto 5") in said(overlapping["value"])
    # A unit's subunits are part of it: sote means both wards and whoever is in sote itself.
    await office.close(HANNA, 1)
    await office.start_round(KAISA, units="sote")
    second_round = {p for p in EVERYONE if office.invitations(p) and office.round_of(p) == 2}
    assert second_round == set(WARD_3) | set(WARD_5) | {KAISA}


async def test_invitations_go_once_across_double_clicks_replicas_and_restarts(office, database_url):
    second = BotClient(await start_bot(settings_for(database_url), office.clock))
    try:
        first_click = office.start_round(units="ward-5")
        async def twin() -> dict:
            response = await second.post(card_click("startSurvey", {"units": "ward-5", "closes": LAST_DAY.isoformat()},
                                                    service_url=office.connector.url, user=KAISA, name=NAMES[KAISA]))
            return await response.json()

        replies = await asyncio.gather(first_click, twin())
        await second.http.server.app[FLOWS].deliveries.settle()
        await office.settle()
    finally:
        await second.http.close()
    texts = sorted([said(reply["value"]) for reply in replies], key=lambda text: FI("survey.form_title") in text)
    assert FI("survey.started", round=1, invited=6, units="Osasto 5", closes="9.12.2026") in texts[0]
    # The other click gets the form again, saying why: the round is open for those people now.
    assert FI("survey_refusal.already_open", round=1, unit="Osasto 5") in texts[1]
    assert await office.count(SurveyRound) == 1 and await office.count(SurveyResponse) == len(WARD_5)
    # A restarted process sends nothing again.
    restarted = await start_bot(settings_for(database_url), office.clock)
    try:
        await restarted.server.app[FLOWS].deliveries.settle()
    finally:
        await restarted.close()
    assert all(len(office.invitations(person)) == 1 for person in WARD_5)


async def test_a_pretest_goes_to_the_coordinator_alone_and_can_run_beside_a_round(office):
    reply = await office.start_round(units="ward-5", pretest=True)
    assert FI("survey.pretest_started", round=1, closes="9.12.2026") in said(reply["value"])
    assert invited(office) == {KAISA}
    assert FI("survey.pretest_note") in said(office.invitations(KAISA)[0])
    again = await office.start_round(units="ward-5", pretest=True)
    assert FI("survey_refusal.already_open", round=1, unit="Sote") in said(again["value"])
    await office.start_round(units="ward-5")  # the real round is not held up by the pre-test
    assert invited(office) == {KAISA} | set(WARD_5)
    await office.say(WARD_5[2], "kartoitus tila")  # not theirs to follow
    assert office.texts(WARD_5[2])[-1] == FI("reply.refused_role", role=FI("reply.role_or", first=FI(
        "roles.coordinator"), second=FI("roles.supervisor")))


@pytest.mark.parametrize(("data", "problem"), [
    ({"units": "ward-5", "closes": "9.12.2026"}, FI("survey_refusal.bad_date", text="9.12.2026")),
    ({"units": "ward-5", "closes": "2026-11-24"}, FI("survey_refusal.date_past", text="2026-11-24")),
    ({"units": "ward-5", "closes": "2027-06-01"}, FI("survey_refusal.date_far", text="2027-06-01")),
    ({"units": "ward-9", "closes": "2026-12-09"}, FI("survey_refusal.unknown_unit", unit="ward-9")),
    ({"units": "hr", "closes": "2026-12-09"}, FI("survey_refusal.unit_not_yours", unit="hr")),
    ({"units": "ward-5", "closes": "2026-12-09", "instrument": "other:1"},
     FI("survey_refusal.unknown_instrument", instrument="other:1")),
])
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_each_bad_start_gets_the_form_again_with_the_reason_and_invites_nobody(office, data, problem):
    reply = await office.click(KAISA, "startSurvey", data)
    card = reply["value"]
    assert card["body"][0]["text"] == FI("survey.form_title") and problem in said(card)
    assert next(e for e in card["body"] if e.get("id") == "units")["value"] == data["units"]  # kept as typed
    assert invited(office) == set() and await office.count(SurveyRound) == 0


async def test_a_forged_start_or_close_by_an_employee_changes_nothing(office):
    await office.start_round(units="ward-5")
    for verb, data in (("startSurvey", {"units": "hr", "closes": "2026-12-09"}), ("closeSurvey", {"round_id": 1})):
        reply = await office.click(WARD_5[2], verb, data)
        assert reply["value"] == FI("reply.refused_role", role=FI("roles.coordinator"))
    assert await office.count(SurveyRound) == 1 and await office.count(SurveyRound, closed_at=None) == 1
    # A coordinator of other units cannot close it either, nor close what is not there.
    hr_round = await office.start_round(HANNA, units="hr")
    assert FI("survey.started", round=2, invited=5, units="Henkilöstö", closes="9.12.2026") in \
        said(hr_round["value"])
    refused = await office.close(KAISA, 2)
    assert refused["value"] == FI("survey_refusal.round_not_yours", round=2)
    assert (await office.close(KAISA, 99))["value"] == FI("survey_refusal.unknown_round", round=99)
    assert (await office.close(KAISA, "x"))["value"] == FI("card_refusal.bad_data")


async def test_status_shows_the_answers_per_unit_while_open_and_a_coordinator_closes_early(office):
    await office.start_round(units="sote")
    round_id = office.round_of(WARD_5[2])
    await office.answer_all(WARD_5[2], round_id)
    card = await office.open(WARD_3[0], round_id)  # opened, nothing saved: not an answer yet
    assert progress_of(card["value"]) == FI("survey.progress", name="Digiosaamisen kartoitus", number=1, of=5)
    await office.say(KAISA, "kartoitus tila")
    status = office.cards(KAISA)[-1]
    facts = {f["title"]: f["value"] for e in status["body"] if e["type"] == "FactSet" for f in e["facts"]}
    assert facts == {"Sote": "0 / 1 (0\xa0%)", "Osasto 3": "0 / 4 (0\xa0%)", "Osasto 5": "1 / 6 (17\xa0%)"}
    # The supervisor of ward 5 follows their own unit only.
    await office.say(SUPERVISOR_5, "kartläggning status")
    facts = {f["title"] for e in office.cards(SUPERVISOR_5)[-1]["body"] if e["type"] == "FactSet" for f in e["facts"]}
    assert facts == {"Avdelning 5"}
    [close] = [a for a in status["actions"] if a["verb"] == "closeSurvey"]
    closed = await office.click(KAISA, "closeSurvey", close["data"])
    assert closed["value"]["body"][0]["text"] == FI("survey.results_title", name="Digiosaamisen kartoitus", round=1)
    again = await office.click(KAISA, "closeSurvey", close["data"])  # a double click
    assert again["value"] == FI("survey_refusal.already_closed", round=1)
    late = await office.open(WARD_3[0], round_id)
    assert late["value"] == FI("survey_refusal.closed", closed="25.11.2026")
    await office.say(KAISA, "kartoitus tila")
    assert FI("survey.status_none") in said(office.cards(KAISA)[-1])


async def test_up_to_two_reminders_go_to_those_who_have_not_finished_once_and_the_round_closes_at_its_date(
        office, database_url):
    await office.start_round(units="ward-5")
    round_id = office.round_of(WARD_5[2])
    await office.answer_all(WARD_5[2], round_id)
    started = await office.open(WARD_5[3], round_id)
    await office.answer(WARD_5[3], started["value"])  # one area: not finished
    sweeps = [office.flows.survey_rounds]
    second = await start_bot(settings_for(database_url), office.clock)
    sweeps.append(second.server.app[FLOWS].survey_rounds)
    try:
        office.clock.freeze(datetime(2026, 12, 2, 5, 59, tzinfo=UTC))  # 07:59 on the middle day
        assert await asyncio.gather(*(s.sweep() for s in sweeps)) == [0, 0]
        office.clock.freeze(datetime(2026, 12, 2, 6, 0, tzinfo=UTC))
        assert sorted(await asyncio.gather(*(s.sweep() for s in sweeps))) == [0, 1]
        await second.server.app[FLOWS].deliveries.settle()
        await office.settle()
        reminded = {p for p in WARD_5 if any(FI("survey.reminder_title", name="Digiosaamisen kartoitus")
                                             in said(c) or "Påminnelse" in said(c)
                                             for c in office.invitations(p))}
        assert reminded == set(WARD_5) - {WARD_5[2]}
        assert FI("survey.continue") in said(office.invitations(WARD_5[3])[-1])
        office.clock.freeze(datetime(2026, 12, 9, 6, 0, tzinfo=UTC))
        assert sorted(await asyncio.gather(*(s.sweep() for s in sweeps))) == [0, 1]
        # Delivered before the clock jumps on: a jump of hours would outlast the sends' leases.
        await second.server.app[FLOWS].deliveries.settle()
        await office.settle()
        office.clock.freeze(datetime(2026, 12, 9, 21, 59, tzinfo=UTC))  # 23:59 on the last day: still open
        assert await asyncio.gather(*(s.sweep() for s in sweeps)) == [0, 0]
        office.clock.freeze(datetime(2026, 12, 9, 22, 0, tzinfo=UTC))
        assert sorted(await asyncio.gather(*(s.sweep() for s in sweeps))) == [0, 1]
        await second.server.app[FLOWS].deliveries.settle()
        await office.settle()
    finally:
        await second.close()
    counts = {p: len(office.invitations(p)) for p in WARD_5}
    assert counts == {p: 1 if p == WARD_5[2] else 3 for p in WARD_5}
    assert await office.count(SurveyRound, closed_by=None) == 1
    closed = await office.open(WARD_5[3], round_id)
    # Nothing to answer any more: they are told so, and see what they did answer.
    assert office.texts(WARD_5[3])[-1] == FI("survey_refusal.closed", closed="9.12.2026")
    assert closed["value"]["body"][0]["text"] == FI("survey.profile_title", name="Digiosaamisen kartoitus")
    assert "answerSurvey" not in json.dumps(closed["value"])


async def test_invitations_stay_within_teams_rates_per_conversation_and_per_tenant(bot, connector, database_url):
    """120 people in one unit: the invitations are paced by the outbound queue, 50 a second for
    the tenant and 7 a second per conversation (measured where the loopback connector receives them)."""
    people = [f"00000000-0000-0000-0000-{index:012d}" for index in range(1, 121)]
    org = ("organization: {name: Iso}\nunits:\n  - {id: big, name: {fi: Iso yksikkö}}\npeople:\n"
           + f"  - {{aad_object_id: {KAISA}, name: Kaisa Laine, unit: big, roles: [employee, coordinator], "
             "coordinator_of: [big]}\n"
           + "".join(f"  - {{aad_object_id: {p}, name: Henkilö {i}, unit: big}}\n" for i, p in enumerate(people)))
    office = SurveyOffice(bot, connector, database_url, org=org)
    database = office.database()
    await import_organization(database, parse_organization_file(org))
    conversations = ConversationRepository(database)
    for person in [KAISA, *people]:
        await conversations.remember(
            aad_object_id=person, conversation_id=chat(person), conversation_type="personal", tenant_id=TENANT,
            service_url=connector.url, channel_id="msteams", locale="fi-FI",
            reference={"conversation": {"id": chat(person), "tenantId": TENANT}, "serviceUrl": connector.url,
                       "channelId": "msteams", "bot": {"id": "28:digimentor-bot"},
                       "user": {"id": f"29:{person}", "aadObjectId": person}})
    await database.dispose()
    await office.start_round(units="big")
    await office.flows.deliveries.settle(timeout=60)
    sends = list(connector.arrivals)  # every request to the conversations API: the invitations
    assert len({a.conversation_id for a in sends}) == 121
    times = [a.at for a in sends]
    assert max_in_window(times, 1.0) <= 50
    per_conversation = {}
    for arrival in sends:
        per_conversation.setdefault(arrival.conversation_id, []).append(arrival.at)
    assert max(max_in_window(t, 1.0) for t in per_conversation.values()) <= 7
    # The limit is used, not undercut: 121 sends need at least two seconds and fit in a few.
    assert times and max(times) - min(times) >= 2.0 - 0.25


async def test_help_shows_the_survey_commands_each_role_may_use(office):
    await office.say(SUPERVISOR_5, "ohje")
    supervisor = said(office.cards(SUPERVISOR_5)[-1])
    assert FI("help.supervisor_commands.survey_results") in supervisor
    assert FI("help.coordinator_commands.survey") not in supervisor
    await office.say(KAISA, "ohje")
    coordinator = said(office.cards(KAISA)[-1])
    assert FI("help.coordinator_commands.survey") in coordinator and FI("help.supervisor_commands_title") \
        not in coordinator
    await office.say(WARD_5[3], "ohje")
    assert FI("help.commands.survey") in said(office.cards(WARD_5[3])[-1])
    assert FI("help.coordinator_commands.survey_status") not in said(office.cards(WARD_5[3])[-1])


async def test_an_employee_typing_survey_finds_the_survey_they_were_invited_to(office):
    await office.start_round(units="ward-5")
    await office.say(WARD_5[3], "kartoitus")
    assert office.texts(WARD_5[3])[-1] == FI("survey.yours_below")
    card = office.cards(WARD_5[3])[-1]
    assert FI("survey.open_line", name="Digiosaamisen kartoitus", saved=0, of=5, closes="9.12.2026") in said(card)
    [button] = card["actions"]
    assert button["verb"] == "openSurvey" and button["data"]["round_id"] == 1
