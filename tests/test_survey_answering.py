"""Answering a survey in chat, through the bot's HTTP endpoint: one card per area with its
progress, back and forth, stop and resume after a restart, answers changeable until the round
closes, the respondent's own profile at the end, and every forged, stale or double click refused
without changing anything."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from cards.i18n import Texts
from dialogs.rules.faq_file import parse_faq_file
from storage.faq_repository import FaqRepository
from storage.models import HelpRequest, Person, Question
from storage.survey_models import SurveyAnswer, SurveyBooking, SurveyResponse
from tests.conftest import BotClient, settings_for, start_bot
from tests.support.activities import card_submit
from tests.support.office import FI
from tests.support.survey_office import (
    HR,
    KAISA,
    NAMES,
    SUPERVISOR_5,
    WARD_3,
    WARD_5,
    WARD_5_MENTOR,
    SurveyOffice,
    inputs_of,
    progress_of,
    said,
)
from tests.test_survey_file import SHIPPED_INSTRUMENT

SV, EN = Texts("sv"), Texts("en")
NAME = "Digiosaamisen kartoitus"


def area_label(number: int, of: int = 5, texts: Texts = FI, name: str = NAME) -> str:
    return texts("survey.progress", name=name, number=number, of=of)


@pytest.fixture
async def office(bot, connector, database_url) -> SurveyOffice:
    office = await SurveyOffice(bot, connector, database_url).setup()
    await office.start_round(units="sote")
    return office


async def answers_of(office: SurveyOffice, person: str) -> dict[str, int]:
    database = office.database()
    async with database.transaction() as session:
        rows = (await session.execute(select(SurveyAnswer.item_id, SurveyAnswer.value).join(
            SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id).where(
            SurveyResponse.person_id == select_person(person)))).all()
    await database.dispose()
    return dict(rows)


def select_person(person: str):
    return select(Person.id).where(Person.aad_object_id == person).scalar_subquery()


async def test_a_respondent_answers_two_areas_stops_the_bot_restarts_and_they_resume_at_area_3(office, database_url):
    maija = WARD_3[0]
    round_id = office.round_of(maija)
    first = (await office.open(maija, round_id))["value"]
    assert progress_of(first) == area_label(1)
    assert FI("survey.scale", low="Ei pidä lainkaan paikkaansa", high="Pitää täysin paikkansa",
              cant_say="En osaa sanoa") in said(first)  # the scale is stated on the card
    second = (await office.answer(maija, first, value=2))["value"]
    assert progress_of(second) == area_label(2)
    third = (await office.answer(maija, second, value=3))["value"]
    assert progress_of(third) == area_label(3)
    paused = (await office.answer(maija, third, direction="stop", value=""))["value"]
    assert FI("survey.paused", saved=2, of=5, closes="9.12.2026") in said(paused)

    await office.bot.http.close()  # the bot stops, and another process starts on the same database
    office.bot = BotClient(await start_bot(settings_for(database_url), office.clock))
    try:
        resumed = await office.click(maija, "openSurvey", paused["actions"][0]["data"])
        assert progress_of(resumed["value"]) == area_label(3)
        back = (await office.answer(maija, resumed["value"], direction="back"))["value"]
        assert progress_of(back) == area_label(2) and set(inputs_of(back).values()) == {"3"}  # saved as answered
    finally:
        await office.bot.http.close()
    assert sorted(set((await answers_of(office, maija)).values())) == [2, 3, 4]  # area 3 saved on the way back


async def test_answers_are_changeable_until_the_round_closes_and_the_end_is_the_own_profile(office):
    person = WARD_5[2]
    round_id = office.round_of(person)
    profile = await office.answer_all(person, round_id, value=4)
    assert profile["body"][0]["text"] == FI("survey.profile_title", name=NAME)
    assert said(profile).count(FI("survey.profile_mean", mean="4,0", answered=6, items=6)) == 5
    [change] = [a for a in profile["actions"] if a["verb"] == "openSurvey"]
    again = (await office.click(person, "openSurvey", change["data"]))["value"]
    assert progress_of(again) == area_label(1) and set(inputs_of(again).values()) == {"4"}
    changed = (await office.answer(person, again, value=1))["value"]  # area 1 changed to 1, on to area 2
    assert progress_of(changed) == area_label(2)
    reopened = (await office.open(person, round_id))["value"]  # where they were: area 2
    assert progress_of(reopened) == area_label(2)
    values = await answers_of(office, person)
    assert sorted(values.values()).count(1) == 6 and len(values) == 30
    await office.close(KAISA, round_id)
    late = await office.answer(person, reopened, value=5)
    assert office.texts(person)[-1] == FI("survey_refusal.closed", closed="25.11.2026")
    assert late["value"]["body"][0]["text"] == FI("survey.profile_title", name=NAME)
    assert await answers_of(office, person) == values  # nothing changed after the close


async def test_a_supervisor_answers_their_own_areas_after_everyones_in_their_language(office):
    office.locales = {SUPERVISOR_5: "sv-FI"}
    round_id = office.round_of(SUPERVISOR_5)
    card = (await office.open(SUPERVISOR_5, round_id))["value"]
    name = SV("survey.progress", name="Kartläggning av digital kompetens", number=1, of=8)
    assert progress_of(card) == name
    for _ in range(5):
        card = (await office.answer(SUPERVISOR_5, card))["value"]
    assert progress_of(card) == SV("survey.progress", name="Kartläggning av digital kompetens", number=6, of=8)
    assert card["body"][1]["text"] == "Att leda personalens digitala kompetens"


async def test_a_double_click_and_a_stale_card_save_nothing_twice_and_show_where_the_respondent_is(office):
    person = WARD_5[3]
    round_id = office.round_of(person)
    first = (await office.open(person, round_id))["value"]
    once = await office.answer(person, first, value=2)
    twice = await office.answer(person, first, value=5)  # the same card clicked again, other values
    assert progress_of(once["value"]) == progress_of(twice["value"]) == area_label(2)
    assert office.texts(person)[-1] == FI("survey_refusal.stale")
    assert set((await answers_of(office, person)).values()) == {2}  # the stale click saved nothing
    # A second card opened on another device is stale once the first one moved on.
    other_device = (await office.open(person, round_id))["value"]
    await office.answer(person, other_device, value=3)
    stale = await office.answer(person, other_device, direction="back", value=1)
    assert progress_of(stale["value"]) == area_label(3)
    assert sorted(set((await answers_of(office, person)).values())) == [2, 3]


async def test_a_click_without_the_cards_revision_as_the_contract_has_it_is_saved_and_moves_from_its_area(office):
    person = WARD_5[4]
    round_id = office.round_of(person)
    card = (await office.open(person, round_id))["value"]
    items = {element["id"]: "0" for element in card["body"] if element["type"] == "Input.ChoiceSet"}
    data = {"round_id": round_id, "area": "remote-counselling", "direction": "next", **items}
    for _ in range(2):  # a double click of such a card lands in the same place
        reply = await office.click(person, "answerSurvey", data)
        assert progress_of(reply["value"]) == area_label(2)
    assert set((await answers_of(office, person)).values()) == {0}  # "can't say" is an answer
    # The Action.Submit fallback: the card is replaced in place.
    await office.bot.post(card_submit({"verb": "answerSurvey", **data, "direction": "back"},
                                      service_url=office.connector.url, user=person, name=NAMES[person]))
    await office.settle()
    assert progress_of(office.cards(person, "update")[-1]) == area_label(1)


@pytest.mark.parametrize(("change", "answer"), [
    ({"rc-video": "7"}, FI("survey_refusal.bad_value")),
    ({"rc-video": "kolme"}, FI("survey_refusal.bad_value")),
    ({"rc-video": ""}, FI("survey_refusal.answer_all")),
])
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_bad_or_missing_answer_keeps_the_card_says_why_and_saves_nothing(office, change, answer):
    person = WARD_5[5]
    card = (await office.open(person, office.round_of(person)))["value"]
    reply = (await office.answer(person, card, value=4, **change))["value"]
    assert progress_of(reply) == area_label(1) and answer in said(reply)
    assert {k: v for k, v in inputs_of(reply).items() if k != "rc-video"} == dict.fromkeys(
        [k for k in inputs_of(reply) if k != "rc-video"], "4")  # what they entered is kept
    assert await answers_of(office, person) == {}


@pytest.mark.parametrize(("data", "answer"), [
    ({"area": "leading-competence", "direction": "next"}, FI("survey_refusal.not_your_area")),
    ({"area": "no-such-area", "direction": "next"}, FI("survey_refusal.not_your_area")),
    ({"area": "remote-counselling", "direction": "sideways"}, FI("card_refusal.bad_data")),
    ({"area": "remote-counselling"}, FI("card_refusal.bad_data")),
])
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_forged_area_or_direction_is_refused(office, data, answer):
    person = WARD_5[5]  # not a supervisor: the supervisors' areas are not theirs
    reply = await office.click(person, "answerSurvey", {"round_id": office.round_of(person), "rc-video": "3", **data})
    assert reply["value"] == answer
    assert await answers_of(office, person) == {}


async def test_an_employee_cannot_see_or_change_another_persons_answers_by_forging_card_actions(office):
    owner, other = WARD_5[2], HR[1]  # HR was not invited to this round
    round_id = office.round_of(owner)
    await office.answer_all(owner, round_id, value=1)
    before = await answers_of(office, owner)
    forged = [("openSurvey", {"round_id": round_id}), ("openSurvey", {"round_id": round_id, "area": "ethics"}),
              ("answerSurvey", {"round_id": round_id, "area": "ethics", "direction": "next", "et-channels": "5",
                                "person_id": 1, "aad_object_id": owner}),
              ("bookSurveyMentor", {"round_id": round_id, "area": "ethics"}),
              ("openSurvey", {"round_id": "1; DROP TABLE survey_answers"}), ("openSurvey", {"round_id": 10**12})]
    for verb, data in forged:
        reply = await office.click(other, verb, data)
        assert reply["value"] in (EN("survey_refusal.not_invited"), EN("card_refusal.bad_data")), (verb, data)
        assert "1 / 5" not in json.dumps(reply) and "1,0" not in json.dumps(reply)
    # Someone invited to the same round only ever reaches their own answers.
    colleague = WARD_5[3]
    mine = (await office.click(colleague, "openSurvey", {"round_id": round_id, "person_id": 1}))["value"]
    assert set(inputs_of(mine).values()) == {None}
    assert await answers_of(office, owner) == before
    assert await answers_of(office, other) == {}


async def test_low_areas_link_to_faq_answers_and_book_a_mentor_with_the_areas_topic_once(office):
    database = office.database()
    await FaqRepository(database).import_entries(parse_faq_file(
        (SHIPPED_INSTRUMENT.parent / "faq.yaml").read_text(encoding="utf-8")))
    await database.dispose()
    person = WARD_5[5]
    card = (await office.open(person, office.round_of(person)))["value"]
    values = [4, 4, 4, 2, 4]  # ethics low
    for value in values:
        card = (await office.answer(person, card, value=value))["value"]
    text = said(card)
    assert text.count(FI("survey.profile_low", below="3,0")) == 1
    ethics = next(i for i, e in enumerate(card["body"]) if e.get("text") == "Eettinen osaaminen")
    actions = next(e for e in card["body"][ethics:] if e["type"] == "ActionSet")["actions"]
    faq_titles = [a["title"] for a in actions if a["type"] == "Action.ShowCard"]
    # The FAQ entries of the area's first topic, each opening its answer in place.
    assert faq_titles == ["Asiakas ei pääse etävastaanotolle. Mitä tarkistan?",
                          "Millä työkalulla etävastaanoton saa pitää potilaan kanssa?",
                          "Miten aloitan etävastaanoton potilaan tai asiakkaan kanssa?"]
    assert all(a["card"]["body"][0]["text"] for a in actions if a["type"] == "Action.ShowCard")
    [book] = [a for a in actions if a.get("verb") == "bookSurveyMentor"]
    booked = await office.click(person, "bookSurveyMentor", book["data"])
    assert office.texts(person)[-1] == FI("survey.booked_notice")
    cancel = [a for a in booked["value"]["actions"] if a["verb"] == "cancelRequest"][0]
    again = await office.click(person, "bookSurveyMentor", book["data"])  # a double click: the same request
    assert [a for a in again["value"]["actions"] if a["verb"] == "cancelRequest"][0] == cancel
    assert await office.count(HelpRequest) == 1 and await office.count(SurveyBooking) == 1
    request, _ = await office.request(cancel["data"]["request_id"])
    assert request.topic == "remote-appointments" and request.unit_id == "ward-5"  # the area's mentor topic
    database = office.database()
    async with database.transaction() as session:
        question = await session.get(Question, request.question_id)
    await database.dispose()
    assert question.text == FI("survey.booking_question", survey=NAME, area="Eettinen osaaminen")
    # The unit's mentor is offered the request; the answers themselves are not in it.
    offer = office.cards(WARD_5_MENTOR)[-1]
    assert "Eettinen osaaminen" in said(offer) and "2,0" not in said(offer)
    reopened = (await office.open(person, office.round_of(person)))["value"]
    assert FI("survey.profile_booked") in said(reopened)
