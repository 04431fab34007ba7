"""The IT helpdesk both ways, through the bot's HTTP endpoint: faults (a locked account, a broken
device, an error code) get the helpdesk's card instead of a digimentor offer; a helpdesk agent
hands know-how questions to the digimentors for an employee; and the feedback card after human
help asks whether the asker would otherwise have contacted the helpdesk."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cards.i18n import Texts
from dialogs.rules.faq_file import parse_faq_file
from storage.faq_repository import FaqRepository
from storage.models import Feedback, HelpRequest, Person, Question, RequestOffer
from tests.support.activities import installation, message
from tests.support.office import KAISA, MAIJA, ORG, PEKKA, PEOPLE, SARI, VILLE, Office, body_text, chat, offer_of

ROOT = Path(__file__).resolve().parent.parent
FI, SV, EN = Texts("fi"), Texts("sv"), Texts("en")
AGENT = "00000000-0000-0000-0000-0000000000d1"
PHONE, URL = "+358 9 123 4567", "https://tuki.example.fi"
HELPDESK = f"""  helpdesk:
    name: {{fi: Hyvinvointialueen IT-tuki, sv: Välfärdsområdets IT-support, en: The county's IT helpdesk}}
    phone: "{PHONE}"
    url: {URL}
    hours: "ma–pe 7.30–16.00"
"""
WITH_HELPDESK = ORG.replace(
    'organization: {name: Testialue, offer_timeout_minutes: 10, working_hours: "08:00-16:00"}',
    'organization:\n  name: Testialue\n  offer_timeout_minutes: 10\n  working_hours: "08:00-16:00"\n' + HELPDESK,
).replace("name: Maija Virtanen, unit: ward-3",
          "name: Maija Virtanen, email: maija.virtanen@example.fi, unit: ward-3") \
    + f"  - {{aad_object_id: {AGENT}, name: Heikki Tukinen, unit: hr, roles: [employee, helpdesk]}}\n"
NAMES = {**PEOPLE, AGENT: "Heikki Tukinen"}


async def seeded(office: Office) -> Office:
    database = office.database()
    await FaqRepository(database).import_entries(
        parse_faq_file((ROOT / "storage/seed/faq.yaml").read_text(encoding="utf-8")))
    await database.dispose()
    await office.bot.post(installation(service_url=office.connector.url, user=AGENT, name=NAMES[AGENT]))
    await office.connector.wait_for(1)
    office.connector.sent.clear()
    return office


@pytest.fixture
async def office(bot, connector, database_url) -> Office:
    return await seeded(await Office(bot, connector, database_url, org=WITH_HELPDESK).setup())


async def stored_question(office: Office) -> Question:
    database = office.database()
    async with database.transaction() as session:
        question = (await session.scalars(select(Question).order_by(Question.id.desc()))).first()
    await database.dispose()
    return question


def verbs(card: dict) -> list[str]:
    return [a.get("verb") or a["type"] for a in card.get("actions", [])]


async def test_a_locked_account_gets_the_helpdesk_card_instead_of_a_mentor_offer(office):
    await office.say(MAIJA, "tunnukseni on lukittu")
    card = office.cards(MAIJA)[-1]
    assert card["body"][0]["text"] == FI("helpdesk.title", name="Hyvinvointialueen IT-tuki")
    assert card["body"][1]["text"] == FI("helpdesk.reasons.locked_account")
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts == {FI("helpdesk.name"): "Hyvinvointialueen IT-tuki", FI("helpdesk.phone"): PHONE,
                     FI("helpdesk.hours"): "ma–pe 7.30–16.00"}
    assert card["actions"][0] == {"type": "Action.OpenUrl", "title": FI("helpdesk.open_page"), "url": URL}
    # A digimentor stays one click away, for a question that was know-how after all; nobody was offered it.
    assert verbs(card)[-1] == "askMentor"
    assert await office.count(RequestOffer) == 0 and await office.count(HelpRequest) == 0
    assert (await stored_question(office)).helpdesk == "locked_account"


@pytest.mark.parametrize(("person", "question", "texts", "reason", "name"), [
    (MAIJA, "läppäri ei käynnisty enää", FI, "broken_device", "Hyvinvointialueen IT-tuki"),
    (SARI, "Outlook antaa virhekoodin 0x800CCC0E", FI, "error_code", "Hyvinvointialueen IT-tuki"),
    (MAIJA, "datorn startar inte längre", SV, "broken_device", "Välfärdsområdets IT-support"),
    (VILLE, "my work phone screen is cracked, who do I contact", EN, "broken_device", "The county's IT helpdesk"),
])
async def test_broken_devices_and_error_codes_go_to_the_helpdesk_in_the_askers_language(office, person, question,
                                                                                        texts, reason, name):
    await office.say(person, question)
    card = office.cards(person)[-1]
    assert card["body"][0]["text"] == texts("helpdesk.title", name=name)
    assert card["body"][1]["text"] == texts(f"helpdesk.reasons.{reason}", name=name)
    assert (await stored_question(office)).helpdesk == reason


async def test_the_helpdesks_own_faq_entry_answers_with_its_contact_instead_of_a_digimentor(office):
    await office.say(MAIJA, "unohdin salasanani")
    card = office.cards(MAIJA)[-1]
    text = body_text(card)
    assert FI("helpdesk.still_stuck") in text and PHONE in text
    assert verbs(card) == ["Action.OpenUrl", "Action.OpenUrl", "faqHelpful", "faqHelpful"]
    assert card["actions"][1]["url"] == URL
    assert (await stored_question(office)).helpdesk == "entry"


async def test_a_suggested_helpdesk_entry_opens_with_the_contact_too(office):
    await office.say(MAIJA, "mitt konto är låst")
    card = office.cards(MAIJA)[-1]
    assert card["body"][0]["text"] == SV("helpdesk.title", name="Välfärdsområdets IT-support")
    [suggestion] = [a for a in card["actions"] if a.get("verb") == "showFaq"]
    assert suggestion["data"]["faq_id"] == "password-reset"
    opened = await office.click(MAIJA, "showFaq", suggestion["data"])
    assert SV("helpdesk.still_stuck") in body_text(opened["value"]) and "askMentor" not in body_text(opened["value"])
    # "Ask a digimentor anyway" still works: the question was the asker's.
    waiting = await office.click(MAIJA, "askMentor", card["actions"][-1]["data"])
    assert "cancelRequest" in body_text(waiting["value"])


async def test_know_how_questions_are_untouched(office):
    await office.say(MAIJA, "miten jaan kalenterini työkaverille")
    card = office.cards(MAIJA)[-1]
    assert verbs(card)[-1] == "askMentor" and FI("helpdesk.still_stuck") not in body_text(card)
    assert (await stored_question(office)).helpdesk is None


async def test_without_a_helpdesk_in_the_organisation_file_a_fault_is_offered_to_a_digimentor(bot, connector,
                                                                                               database_url):
    office = await seeded(await Office(bot, connector, database_url).setup())
    await office.say(MAIJA, "tunnukseni on lukittu")
    card = office.cards(MAIJA)[-1]
    assert "helpdesk" not in body_text(card).lower() and verbs(card)[-1] == "askMentor"


# -- the helpdesk hands know-how to the digimentors ---------------------------------------------


async def agent_says(office: Office, text: str, **options) -> None:
    await office.bot.post(message(text, service_url=office.connector.url, user=AGENT, name=NAMES[AGENT], **options))
    await office.settle()


async def requests_of(office: Office) -> list[tuple[str, int | None]]:
    database = office.database()
    async with database.transaction() as session:
        rows = (await session.execute(select(HelpRequest.asker_aad_object_id, Question.filed_by_person_id)
                                      .join(Question, Question.id == HelpRequest.question_id)
                                      .order_by(HelpRequest.id))).all()
        agent_id = await session.scalar(select(Person.id).where(Person.aad_object_id == AGENT))
    await database.dispose()
    return [(asker, "agent" if filed == agent_id else filed) for asker, filed in rows]


@pytest.mark.parametrize("written", [
    "mentori @maija.virtanen@example.fi miten jaan kalenterini esihenkilölle",
    "mentori @Maija Virtanen miten jaan kalenterini esihenkilölle",
    "mentori maija virtanen: miten jaan kalenterini esihenkilölle",  # a Teams @mention arrives as the name
])
async def test_a_helpdesk_agent_hands_a_question_to_the_askers_digimentors_and_the_asker_is_told(office, written):
    await agent_says(office, written)
    assert office.texts(AGENT)[-1] == FI("helpdesk.referred_agent", name="Maija Virtanen", unit="Osasto 3")
    assert await requests_of(office) == [(MAIJA, "agent")]
    [told] = [s for s in office.connector.to(chat(MAIJA)) if s.cards]
    assert told.text == FI("helpdesk.referred_asker", agent="Heikki Tukinen", helpdesk="Hyvinvointialueen IT-tuki")
    assert "miten jaan kalenterini esihenkilölle" in body_text(told.cards[0])
    assert "cancelRequest" in body_text(told.cards[0]), "the asker can cancel it"
    # The offers go to Maija's own unit, Osasto 3.
    offered = {person for person in (PEKKA, VILLE, SARI) if any("acceptRequest" in body_text(c)
                                                                for c in office.cards(person))}
    assert offered == {PEKKA, VILLE}
    request_id = offer_of([c for c in office.cards(PEKKA) if "acceptRequest" in body_text(c)][0])
    accepted = await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    assert "Maija Virtanen" in body_text(accepted["value"])


@pytest.mark.parametrize(("written", "answer"), [
    ("mentori @Nimetön Henkilö miten jaan kalenterin", FI("helpdesk.referral_unknown", who="@Nimetön Henkilö")),
    ("mentori @nobody@example.fi miten jaan kalenterin", FI("helpdesk.referral_unknown", who="nobody@example.fi")),
    ("mentori @Maija Virtanen", FI("helpdesk.referral_usage")),
])
async def test_a_referral_that_names_nobody_or_asks_nothing_gets_a_clear_answer(office, written, answer):
    await agent_says(office, written)
    assert office.texts(AGENT)[-1] == answer
    assert await requests_of(office) == []


async def test_two_people_with_the_same_name_need_the_e_mail_address(bot, connector, database_url):
    twin = "00000000-0000-0000-0000-0000000000a9"
    org = WITH_HELPDESK + f"  - {{aad_object_id: {twin}, name: Maija Virtanen, unit: ward-5}}\n"
    office = await seeded(await Office(bot, connector, database_url, org=org).setup())
    await agent_says(office, "mentori @Maija Virtanen miten jaan kalenterini")
    assert office.texts(AGENT)[-1] == FI("helpdesk.referral_ambiguous", name="Maija Virtanen")
    assert await requests_of(office) == []


async def test_an_employee_naming_a_colleague_asks_for_themselves(office):
    """Only the helpdesk role hands questions on for others."""
    await office.say(KAISA, "mentori @Maija Virtanen miten jaan kalenterini")
    assert await requests_of(office) == [(KAISA, None)]
    assert not [s for s in office.connector.to(chat(MAIJA)) if s.cards]


# -- "Would you otherwise have contacted the IT helpdesk?" --------------------------------------


async def resolved_for_maija(office: Office) -> int:
    request_id = await office.ask_a_mentor(MAIJA)
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    await office.click(PEKKA, "resolveRequest", {"request_id": request_id, "minutes": "15"})
    return request_id


async def test_the_feedback_card_asks_about_the_helpdesk_and_the_answer_is_stored(office):
    request_id = await resolved_for_maija(office)
    [feedback] = [c for c in office.cards(MAIJA) if "rateHelp" in body_text(c)]
    [choice] = [b for b in feedback["body"] if b.get("id") == "helpdesk"]
    assert choice["label"] == FI("request.helpdesk_question")
    assert [c["value"] for c in choice["choices"]] == ["yes", "no"] and "isRequired" not in choice

    refused = await office.click(MAIJA, "rateHelp", {"request_id": request_id, "rating": "5", "helpdesk": "ehkä"})
    assert refused["value"] == FI("request_refusal.helpdesk_answer")
    assert await office.count(Feedback) == 0
    await office.click(MAIJA, "rateHelp", {"request_id": request_id, "rating": "5", "helpdesk": "yes"})
    again = await office.click(MAIJA, "rateHelp", {"request_id": request_id, "rating": "2", "helpdesk": "no"})
    assert again["value"] == FI("card_refusal.already_rated")
    database = office.database()
    async with database.transaction() as session:
        [(rating, avoided)] = (await session.execute(select(Feedback.rating, Feedback.helpdesk_avoided))).all()
    await database.dispose()
    assert (rating, avoided) == (5, True)


async def test_the_helpdesk_question_may_be_left_unanswered(office):
    request_id = await resolved_for_maija(office)
    await office.click(MAIJA, "rateHelp", {"request_id": request_id, "rating": "4", "comment": "kiitos"})
    database = office.database()
    async with database.transaction() as session:
        assert (await session.execute(select(Feedback.rating, Feedback.helpdesk_avoided))).all() == [(4, None)]
    await database.dispose()
