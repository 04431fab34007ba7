"""Survey results through the bot's HTTP endpoint: only closed rounds have them, every cell under
five reads "fewer than 5", a second round shows the change, a supervisor sees their own unit
alone, the Excel file follows the same rules, and the weekly digest aims support at the lowest
units and areas."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from bot.config import ConfigError, load_settings
from cards.i18n import Texts
from storage.survey_models import SurveyAnswer, SurveyResponse
from tests.support.office import FI
from tests.support.privacy_stage import run_cli
from tests.support.survey_office import (
    HANNA,
    HR,
    HR_MENTOR,
    KAISA,
    SUPERVISOR_3,
    SUPERVISOR_5,
    WARD_3,
    WARD_5,
    WARD_5_MENTOR,
    SurveyOffice,
    email_of,
    said,
)

SV, EN = Texts("sv"), Texts("en")
NAME = "Digiosaamisen kartoitus"
FEWER = FI("survey.fewer_than_five")
EVERYONES = ["Ihmislähtöinen etäohjaus", "Digitaaliset ratkaisut osana työtä",
             "Digitaalisten ratkaisujen käyttö ja arviointi", "Eettinen osaaminen",
             "Tieto- ja viestintätekninen osaaminen"]
# Monday 30 Nov 2026, 08:05 in Helsinki: the weekly digest after the round closes on Wednesday 25 Nov.
MONDAY = datetime(2026, 11, 30, 6, 5, tzinfo=UTC)


@pytest.fixture
async def office(bot, connector, database_url) -> SurveyOffice:
    return await SurveyOffice(bot, connector, database_url).setup()


def area_lines(card: dict) -> dict[str, str]:
    """Each area's title and the line under it."""
    body = card["body"]
    return {body[i]["text"]: body[i + 1]["text"] for i in range(len(body) - 1)
            if body[i].get("weight") == "Bolder" and body[i]["text"] in EVERYONES + SUPERVISOR_THEMES}


SUPERVISOR_THEMES = ["Henkilöstön digiosaamisen johtaminen", "Johtaminen digitaalisin välinein",
                     "Digitaalisten palvelujen kehittäminen"]


async def run_round(office: SurveyOffice, coordinator: str, units: str, values: dict[str, int],
                    per_area: dict[str, dict[str, int]] | None = None) -> int:
    """A round in `units` that the people in `values` answer to the end (each statement with
    their value; per_area: other values for some of their areas), closed by the coordinator."""
    await office.start_round(coordinator, units=units)
    person = next(iter(values))
    round_id = office.round_of(person)
    for person, value in values.items():
        card = (await office.open(person, round_id))["value"]
        while any(a.get("verb") == "answerSurvey" for a in card.get("actions", [])):
            area = next(a for a in card["actions"] if a.get("verb") == "answerSurvey")["data"]["area"]
            card = (await office.answer(person, card, value=(per_area or {}).get(person, {}).get(area, value)))["value"]
    await office.close(coordinator, round_id)
    return round_id


async def test_results_are_shown_only_once_the_round_has_closed(office):
    await office.start_round(units="sote")
    round_id = office.round_of(WARD_5[2])
    await office.answer_all(WARD_5[2], round_id)
    await office.say(KAISA, f"kartoitus tulokset {round_id}")
    assert office.texts(KAISA)[-1] == FI("survey_refusal.still_open", round=round_id, closes="9.12.2026")
    await office.say(KAISA, "kartoitus tulokset")
    assert office.texts(KAISA)[-1] == FI("survey_refusal.no_results")
    for text, answer in ((f"kartoitus tulokset {round_id} ward-9", FI("survey_refusal.unknown_unit", unit="ward-9")),
                         ("kartoitus tulokset 77", FI("survey_refusal.unknown_round", round=77)),
                         ("kartoitus tulokset 99999999999", FI("survey_refusal.unknown_round", round=99999999999)),
                         ("kartoitus tulokset ²", FI("survey_refusal.unknown_unit", unit="²")),
                         ("kartoitus tulokset 1 2", FI("survey_refusal.results_usage")),
                         ("kartoitus tulokset hr", FI("survey_refusal.unit_not_yours", unit="hr"))):
        await office.say(KAISA, text)
        assert office.texts(KAISA)[-1] == answer, text


async def test_results_show_fewer_than_5_for_a_unit_with_four_respondents(office):
    # Ward 3 has four respondents and ward 5 six; Kaisa, in sote itself, does not answer.
    values = {**dict.fromkeys(WARD_3, 2), **dict.fromkeys(WARD_5, 4)}
    round_id = await run_round(office, KAISA, "sote", values)

    await office.say(KAISA, f"kartoitus tulokset {round_id} ward-3")
    card = office.cards(KAISA)[-1]
    assert set(area_lines(card).values()) == {FEWER}
    assert FI("survey.counted_in", unit="Osasto 3", home="Sote") in said(card)
    assert "2,0" not in said(card)  # nothing of the four shows, not even in the chart's alt text

    # Sote counts them all, the mean of 4 × 2 and 6 × 4.
    await office.say(KAISA, f"kartoitus tulokset {round_id}")
    whole = office.cards(KAISA)[-1]
    lines = area_lines(whole)
    assert [lines[area] for area in EVERYONES] == [FI("survey.results_area", mean="3,2", respondents="10")] * 5
    assert lines[SUPERVISOR_THEMES[0]] == FEWER  # two supervisors
    assert FI("survey.results_turnout", answered="10", invited="11", share="91\xa0%") in said(whole)
    # Ward 5 alone would be sote minus ward 3 and Kaisa: it is shown as part of sote, not on its own.
    await office.say(KAISA, f"kartoitus tulokset {round_id} ward-5")
    assert set(list(area_lines(office.cards(KAISA)[-1]).values())[:5]) == {FI("survey.part_of", home="Sote")}


async def test_a_second_round_shows_the_change_from_the_first(office):
    values = {**dict.fromkeys(WARD_5, 3), **dict.fromkeys(HR, 3)}
    first = await run_round(office, HANNA, "ward-5, hr", values)
    office.clock.advance(timedelta(days=1))
    # A pre-test between them is not a round to compare with.
    await office.start_round(HANNA, units="hr", pretest=True)
    await office.close(HANNA, first + 1)
    second = await run_round(office, HANNA, "ward-5, hr", {**dict.fromkeys(WARD_5, 4), **dict.fromkeys(HR, 2)},
                             per_area={HR[0]: {"ict": 5}})
    await office.say(HANNA, f"kartoitus tulokset {second}")
    card = office.cards(HANNA)[-1]
    assert FI("survey.results_compared", round=first, closed="25.11.2026") in said(card)
    lines = area_lines(card)
    assert lines["Eettinen osaaminen"] == FI("survey.results_area", mean="3,1 (+0,1)", respondents="11")
    [chart] = [e for e in card["body"] if e["type"] == "Image"]
    assert chart["url"].startswith("data:image/png;base64,")
    assert "Eettinen osaaminen: 3,1 (3,0)" in chart["altText"]
    units = {f["title"]: f["value"] for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]}
    assert units == {FI("survey.results_unit_name", name="Henkilöstö", respondents="5"): FI(
                         "survey.results_unit_lowest", area="Ihmislähtöinen etäohjaus", mean="2,0 (−1,0)"),
                     FI("survey.results_unit_name", name="Osasto 5", respondents="6"): FI(
                         "survey.results_unit_lowest", area="Ihmislähtöinen etäohjaus", mean="4,0 (+1,0)")}
    await office.say(HANNA, f"kartoitus tulokset {first}")
    assert FI("survey.results_first") in said(office.cards(HANNA)[-1])


async def test_a_supervisor_sees_only_their_unit(office):
    values = {**dict.fromkeys(WARD_3, 2), **dict.fromkeys(WARD_5, 4), **dict.fromkeys(HR, 5), KAISA: 3}
    round_id = await run_round(office, HANNA, "hva", values)
    office.locales = {SUPERVISOR_5: "sv-FI"}
    await office.say(SUPERVISOR_5, "kartläggning resultat")
    card = office.cards(SUPERVISOR_5)[-1]
    assert SV("survey.results_scope", scope="Avdelning 5", closed="25 nov. 2026",
              compared=SV("survey.results_first")) in said(card)
    assert SV("survey.results_area", mean="4,0", respondents="6") in said(card)
    assert SV("survey.results_turnout", answered="6", invited="6", share="100\xa0%") in said(card)
    for other in ("Henkilöstö", "Personal", "Avdelning 3", "Osasto 3", "5,0", "2,0", "Social och hälsa"):
        assert other not in said(card), other
    for unit in ("hr", "ward-3", "hva"):
        await office.say(SUPERVISOR_5, f"kartläggning resultat {round_id} {unit}")
        assert office.texts(SUPERVISOR_5)[-1] == SV("survey_refusal.unit_not_yours", unit=unit)
    # Their Excel file has their unit alone.
    [link] = [a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    book = load_workbook(io.BytesIO(await (await office.bot.http.get("/" + link.split("/", 3)[3])).read()))
    units = [row[0] for row in book[SV("export.sheets.survey_units")].iter_rows(min_row=2, values_only=True)]
    assert set(units) == {"Avdelning 5"}
    # The supervisor of the ward of four sees that it is too few; an employee sees nothing.
    await office.say(SUPERVISOR_3, "kartoitus tulokset")
    assert set(area_lines(office.cards(SUPERVISOR_3)[-1]).values()) == {FEWER}
    await office.say(WARD_5[3], "kartoitus tulokset")
    assert office.texts(WARD_5[3])[-1] == FI("reply.refused_role", role=FI(
        "reply.role_or", first=FI("roles.coordinator"), second=FI("roles.supervisor")))


async def test_the_excel_export_follows_the_same_rule_and_its_link_cannot_be_altered(office):
    values = {**dict.fromkeys(WARD_3, 2), **dict.fromkeys(WARD_5, 4), **dict.fromkeys(HR, 5), KAISA: 3}
    round_id = await run_round(office, HANNA, "hva", values)
    await office.say(HANNA, f"kartoitus tulokset {round_id}")
    card = office.cards(HANNA)[-1]
    # The whole organisation: two supervisors are too few to be told apart from the staff.
    assert FI("survey.group_supervisors") not in said(card)
    [link] = [a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    path = "/" + link.split("/", 3)[3]
    book = load_workbook(io.BytesIO(await (await office.bot.http.get(path)).read()))
    assert book.sheetnames == [FI(f"export.sheets.{name}") for name in
                               ("survey_areas", "survey_units", "survey_items", "survey_turnout")]
    areas = list(book[FI("export.sheets.survey_areas")].iter_rows(min_row=2, values_only=True))
    by_area = {row[0]: row for row in areas}
    assert by_area["Eettinen osaaminen"][2:4] == (16, pytest.approx((4 * 2 + 6 * 4 + 5 * 5 + 3) / 16, abs=0.01))
    assert by_area[SUPERVISOR_THEMES[0]][2:4] == (FEWER, None)
    units = {row[0]: row for row in book[FI("export.sheets.survey_units")].iter_rows(min_row=2, values_only=True)}
    assert set(units) == {"Sote", "Osasto 5", "Henkilöstö"} and units["Sote"][1] == "sote, ward-3"
    items = list(book[FI("export.sheets.survey_items")].iter_rows(min_row=2, values_only=True))
    assert len(items) == 30 and all(row[2] == 16 for row in items)  # no supervisor item: too few
    turnout = {(row[0], row[1]): row[2:] for row in
               book[FI("export.sheets.survey_turnout")].iter_rows(min_row=2, values_only=True)}
    assert turnout[("Osasto 3", FI("survey.group_supervisors"))] == (1, 1, 1, 0)
    token, name = path.split("/")[2:4]
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (await office.bot.http.get(f"/exports/{altered}/{name}")).status == 404
    office.clock.advance(timedelta(minutes=16))
    assert (await office.bot.http.get(path)).status == 404


async def test_the_digest_names_the_lowest_units_and_their_mentors_get_a_note_once(office):
    ethics_low = {person: {"ethics": 2} for person in WARD_5}
    values = {**dict.fromkeys(WARD_5, 4), **dict.fromkeys(HR, 4)}
    await run_round(office, HANNA, "ward-5, hr", values, per_area=ethics_low)
    office.clock.freeze(MONDAY)
    assert await office.flows.digest.send_due() > 0
    await office.settle()
    digest = [c for c in office.cards(HANNA) if c["body"][0]["text"] == FI("survey.digest_title", name=NAME)]
    assert len(digest) == 1
    facts = {f["title"]: f["value"] for e in digest[0]["body"] if e["type"] == "FactSet" for f in e["facts"]}
    assert facts == {"Osasto 5": FI("survey.digest_low", area="Eettinen osaaminen", mean="2,0", respondents="6")}
    notes = [c for c in office.cards(WARD_5_MENTOR) if c["body"][0]["text"] ==
             FI("survey.note_title", area="Eettinen osaaminen")]
    assert len(notes) == 1 and "2,0" in said(notes[0])
    assert not [c for c in office.cards(HR_MENTOR) if "survey" in json.dumps(c) and
                c["body"][0]["text"].startswith(FI("survey.note_title", area="")[:5])]
    # The next week: the coordinator is reminded where to aim; the mentor is not told again.
    office.clock.freeze(MONDAY + timedelta(days=7))
    await office.flows.digest.send_due()
    await office.settle()
    assert len([c for c in office.cards(HANNA) if c["body"][0]["text"] == FI("survey.digest_title", name=NAME)]) == 2
    assert len([c for c in office.cards(WARD_5_MENTOR) if c["body"][0]["text"] ==
                FI("survey.note_title", area="Eettinen osaaminen")]) == 1


async def test_erasing_a_respondent_removes_their_answers_and_leaves_every_result_as_it_was(office):
    values = {**dict.fromkeys(WARD_5, 4), **dict.fromkeys(HR, 3)}
    values[WARD_5[2]] = 1
    round_id = await run_round(office, HANNA, "ward-5, hr", values)
    await office.say(HANNA, f"kartoitus tulokset {round_id}")
    before = office.cards(HANNA)[-1]
    exported = run_cli("person", "export", email_of(WARD_5[2]), database_url=office.database_url)
    [person] = json.loads(exported.stdout.decode())["people"]
    [response] = person["survey_answers"]
    assert response["round_id"] == round_id and len(response["answers"]) == 30
    assert {a["value"] for a in response["answers"]} == {1} and response["finished_at"] is not None
    erased = run_cli("person", "erase", email_of(WARD_5[2]), "--yes", database_url=office.database_url)
    assert erased.returncode == 0 and "30  survey answers" in erased.stdout.decode()
    # Ten people answered 30 statements and the supervisor 42: 342, less the 30 of the erased.
    assert await office.count(SurveyResponse, unit_id="ward-5") == 5 and await office.count(SurveyAnswer) == 312
    office.clock.advance(timedelta(minutes=1))
    await office.say(HANNA, f"kartoitus tulokset {round_id}")
    after = office.cards(HANNA)[-1]
    drop_links = [{**a, "url": ""} if a["type"] == "Action.OpenUrl" else a for a in after["actions"]]
    assert after["body"] == before["body"] and drop_links == [{**a, "url": ""} for a in before["actions"]]


async def test_survey_answers_are_deleted_after_the_survey_retention_time_and_the_results_stay(office):
    round_id = await run_round(office, HANNA, "ward-5, hr", {**dict.fromkeys(WARD_5, 4), **dict.fromkeys(HR, 3)})
    await office.say(HANNA, f"kartoitus tulokset {round_id}")
    before = office.cards(HANNA)[-1]["body"]
    privacy = office.flows.privacy
    office.clock.advance(timedelta(days=3 * 365 - 1))
    counts = await privacy.apply_retention()
    assert (counts["survey_answers"], counts["survey_responses"]) == (0, 0)
    office.clock.advance(timedelta(days=2))
    counts = await privacy.apply_retention()
    assert (counts["survey_answers"], counts["survey_responses"]) == (342, 11)
    assert await office.count(SurveyAnswer) == 0
    await office.say(HANNA, f"kartoitus tulokset {round_id}")
    assert office.cards(HANNA)[-1]["body"] == before
    late = await office.open(WARD_5[2], round_id)
    assert late["value"] == FI("survey_refusal.not_invited")


def test_survey_retention_days_is_three_years_unless_set_and_a_bad_value_stops_the_start():
    assert load_settings({}).survey_retention_days == 3 * 365
    assert load_settings({"SURVEY_RETENTION_DAYS": "730"}).survey_retention_days == 730
    for bad in ("0", "3651", "three years", "-5"):
        with pytest.raises(ConfigError, match=r"^SURVEY_RETENTION_DAYS: expected a number of days from 1 to 3650"):
            load_settings({"SURVEY_RETENTION_DAYS": bad})
    refused = run_cli("migrate", database_url="sqlite+aiosqlite:///:memory:", SURVEY_RETENTION_DAYS="forever")
    assert refused.returncode == 2 and b"SURVEY_RETENTION_DAYS: expected a number of days" in refused.stderr
