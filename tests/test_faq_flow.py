"""Questions answered from the FAQ, end to end through the HTTP endpoint."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.domain.faq_file import parse_faq_file
from storage.db import Database
from storage.faq_repository import import_faq
from storage.models import FaqFeedback, Question
from storage.question_repository import QuestionRepository
from tests.fakes.activities import card_click, card_submit, message

ROOT = Path(__file__).resolve().parent.parent
MAIJA = "00000000-0000-0000-0000-0000000000a1"
PEKKA = "00000000-0000-0000-0000-0000000000b1"


@pytest.fixture
async def faq_bot(bot, database_url):
    database = Database(database_url)
    await import_faq(database, parse_faq_file((ROOT / "storage/seed/faq.yaml").read_text()))
    await database.dispose()
    return bot


async def _questions(database_url: str) -> list[Question]:
    database = Database(database_url)
    async with database.transaction() as session:
        rows = (await session.scalars(select(Question).order_by(Question.id))).all()
    await database.dispose()
    return list(rows)


def _verbs(card: dict) -> list[str]:
    return [action.get("verb") for action in card.get("actions", [])]


async def test_finnish_question_gets_the_finnish_answer_card(faq_bot, connector, database_url):
    await faq_bot.post(message("miten saan teams-linkin kokouskutsuun", service_url=connector.url))
    [sent] = await connector.wait_for(1)
    card = sent.cards[0]
    assert card["body"][0]["text"] == "Miten lisään Teams-linkin kokouskutsuun?"
    assert "1." in card["body"][1]["text"]
    assert _verbs(card) == ["faqHelpful", "faqHelpful", "askMentor"]
    [question] = await _questions(database_url)
    assert (question.outcome, question.faq_entry_id, question.language) == ("answered", "teams-meeting-link", "fi")
    feedback = card["actions"][0]
    assert feedback["data"] == {"verb": "faqHelpful", "faq_id": "teams-meeting-link",
                                "question_id": question.id, "helpful": True}


async def test_swedish_question_gets_the_swedish_entry(faq_bot, connector):
    await faq_bot.post(message("hur delar jag min kalender med en kollega", service_url=connector.url))
    [sent] = await connector.wait_for(1)
    card = sent.cards[0]
    assert card["body"][0]["text"].startswith("Hur delar jag min kalender")
    assert card["actions"][0]["title"] == "Ja, det hjälpte"


async def test_off_topic_question_gets_the_digimentor_offer(faq_bot, connector, database_url):
    await faq_bot.post(message("milloin palkka maksetaan", service_url=connector.url))
    [sent] = await connector.wait_for(1)
    card = sent.cards[0]
    assert card["body"][0]["text"] == "Tähän minulla ei ole valmista vastausta."
    assert _verbs(card) == ["askMentor"]
    [question] = await _questions(database_url)
    assert question.outcome == "none"


async def test_not_helpful_feedback_records_a_gap_and_a_second_click_changes_nothing(faq_bot, connector, database_url):
    await faq_bot.post(message("miten jaan kalenterini työkaverille", service_url=connector.url))
    [answer] = await connector.wait_for(1)
    no_button = answer.cards[0]["actions"][1]
    assert no_button["data"]["helpful"] is False

    response = await faq_bot.post(card_click("faqHelpful", no_button["data"], service_url=connector.url))
    assert response.status == 200
    body = await response.json()
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Kiitos palautteesta – ohjetta parannetaan." in json.dumps(body["value"], ensure_ascii=False)
    assert "faqHelpful" not in _verbs(body["value"])

    again = await faq_bot.post(card_click("faqHelpful", {**no_button["data"], "helpful": True},
                                          service_url=connector.url))
    body = await again.json()
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert body["value"] == "Olet jo antanut palautteen tästä vastauksesta. Kiitos!"

    database = Database(database_url)
    gaps = await QuestionRepository(database).gaps(datetime.now(timezone.utc) - timedelta(days=1))
    async with database.transaction() as session:
        feedback = (await session.scalars(select(FaqFeedback))).all()
    await database.dispose()
    assert [(g.reason, g.faq_entry_id) for g in gaps] == [("not_helpful", "outlook-share-calendar")]
    assert [f.helpful for f in feedback] == [False]


@pytest.mark.parametrize(
    ("data", "user", "expected"),
    [
        ({"faq_id": "outlook-share-calendar", "helpful": True}, PEKKA,
         "Tämä kortti on toisen käyttäjän, joten en tehnyt muutoksia."),
        ({"faq_id": "printing-secure-print", "helpful": True}, MAIJA,
         "Tätä vastausta ei tarjottu tähän kysymykseen, joten en tehnyt muutoksia."),
        ({"faq_id": "outlook-share-calendar", "helpful": "maybe"}, MAIJA,
         "Kortin tiedot olivat puutteelliset, joten en tehnyt muutoksia."),
        ({"faq_id": "outlook-share-calendar", "helpful": True, "question_id": 999999}, MAIJA,
         "Tätä kysymystä ei löydy enää. Kirjoita kysymys uudelleen."),
    ],
    ids=["someone-elses-card", "entry-not-shown", "malformed-flag", "unknown-question"],
)
async def test_forged_feedback_is_refused_and_changes_nothing(faq_bot, connector, database_url, data, user, expected):
    await faq_bot.post(message("miten jaan kalenterini työkaverille", service_url=connector.url))
    [answer] = await connector.wait_for(1)
    question_id = answer.cards[0]["actions"][0]["data"]["question_id"]
    response = await faq_bot.post(card_click("faqHelpful", {"question_id": question_id, **data},
                                             service_url=connector.url, user=user))
    body = await response.json()
    assert (response.status, body["value"]) == (200, expected)
    database = Database(database_url)
    async with database.transaction() as session:
        assert (await session.scalars(select(FaqFeedback))).all() == []
    await database.dispose()


async def test_an_unknown_verb_gets_a_clear_answer(faq_bot, connector):
    response = await faq_bot.post(card_click("deleteEverything", {"question_id": 1}, service_url=connector.url))
    body = await response.json()
    assert body["value"] == "En tunnista tätä toimintoa. Kortti voi olla vanhentunut."


async def test_submit_fallback_updates_the_card_in_place(faq_bot, connector):
    await faq_bot.post(message("miten jaan kalenterini työkaverille", service_url=connector.url))
    [answer] = await connector.wait_for(1)
    yes = answer.cards[0]["actions"][0]["fallback"]
    assert yes["type"] == "Action.Submit"
    response = await faq_bot.post(card_submit(yes["data"], service_url=connector.url, reply_to_id="sent-1"))
    assert response.status == 200
    _, update = await connector.wait_for(2)
    assert update.method == "update" and update.reply_to_id == "sent-1"
    assert "Kiitos palautteesta! Hienoa, että ohje auttoi." in json.dumps(update.cards[0], ensure_ascii=False)


async def test_uncertain_question_offers_suggestions_that_open_the_answer(faq_bot, connector):
    await faq_bot.post(message("teams ongelma", service_url=connector.url))
    [sent] = await connector.wait_for(1)
    card = sent.cards[0]
    assert card["body"][0]["text"] == "Tarkoititko jotakin näistä?"
    suggestions = [a for a in card["actions"] if a["verb"] == "showFaq"]
    assert 1 <= len(suggestions) <= 3
    assert card["actions"][-1]["verb"] == "askMentor"
    response = await faq_bot.post(card_click("showFaq", suggestions[0]["data"], service_url=connector.url))
    body = await response.json()
    assert body["value"]["body"][0]["text"] == suggestions[0]["title"]
    assert "faqHelpful" in _verbs(body["value"])


async def test_identity_code_never_reaches_the_database_logs_or_replies(faq_bot, connector, database_url, caplog):
    code = "131052-308T"
    with caplog.at_level(logging.DEBUG):
        await faq_bot.post(message(f"potilaan {code} etävastaanotto ei aukea, soita 040 123 4567",
                                   service_url=connector.url))
        notice, card = await connector.wait_for(2)
    assert notice.text.startswith("Poistin kysymyksestäsi henkilötietoja")
    everything_sent = json.dumps([s.activity for s in connector.sent], ensure_ascii=False)
    assert code not in everything_sent and "308T" not in everything_sent
    assert "040 123 4567" not in everything_sent
    assert code not in caplog.text
    [question] = await _questions(database_url)
    assert question.text == "potilaan [henkilötunnus] etävastaanotto ei aukea, soita [puhelinnumero]"
    assert question.masked_items == 2
    database = Database(database_url)
    async with database.transaction() as session:
        for table in ("questions", "bot_state", "conversation_references", "request_events"):
            dump = json.dumps([list(r) for r in (await session.execute(text(f"SELECT * FROM {table}"))).all()],
                              default=str, ensure_ascii=False)
            assert "308T" not in dump, table
    await database.dispose()


async def test_faq_changes_take_effect_without_a_restart(faq_bot, connector, database_url):
    question = "miten varaan auton työmatkalle"
    await faq_bot.post(message(question, service_url=connector.url))
    [before] = await connector.wait_for(1)
    assert before.cards[0]["body"][0]["text"] == "Tähän minulla ei ole valmista vastausta."

    other_replica = Database(database_url)
    await import_faq(other_replica, parse_faq_file(
        "- id: car-booking\n  fi:\n    question: Miten varaan auton työmatkalle?\n"
        "    variants: [auton varaus, työauto]\n    answer: Varaa auto Outlookin resurssikalenterista.\n"))
    await other_replica.dispose()

    await faq_bot.post(message(question, service_url=connector.url))
    _, after = await connector.wait_for(2)
    assert after.cards[0]["body"][0]["text"] == "Miten varaan auton työmatkalle?"


COORDINATOR = "00000000-0000-0000-0000-0000000000c1"
COORDINATOR_ORG = f"""
organization: {{name: Testi}}
units: [{{id: sote, name: {{fi: Sote}}}}]
people:
  - {{aad_object_id: {MAIJA}, name: Maija Virtanen, unit: sote}}
  - {{aad_object_id: {COORDINATOR}, name: Kaisa Laine, unit: sote, roles: [employee, coordinator], coordinator_of: [sote]}}
"""


@pytest.fixture
async def coordinator_bot(faq_bot, database_url):
    from bot.domain.org_file import parse_organization_file
    from storage.organization_repository import import_organization

    database = Database(database_url)
    await import_organization(database, parse_organization_file(COORDINATOR_ORG))
    await database.dispose()
    return faq_bot


async def test_coordinator_adds_an_entry_from_chat_and_it_answers_at_once(coordinator_bot, connector):
    await coordinator_bot.post(message("ukk", service_url=connector.url, user=COORDINATOR, name="Kaisa Laine"))
    [form] = await connector.wait_for(1)
    card = form.cards[0]
    assert [i["id"] for i in card["body"] if i["type"].startswith("Input.")] == [
        "faq_id", "topic", "language", "question", "variants", "answer"]
    assert card["actions"][0]["verb"] == "saveFaq"

    saved = await coordinator_bot.post(card_click("saveFaq", {
        "faq_id": "car-booking", "topic": "outlook", "language": "fi",
        "question": "Miten varaan työauton?", "variants": "auton varaus, työauto",
        "answer": "1. Avaa Outlookin kalenteri.\n2. Valitse resurssiksi työauto."},
        service_url=connector.url, user=COORDINATOR, name="Kaisa Laine"))
    body = await saved.json()
    assert body["value"]["body"][0]["text"] == "Miten varaan työauton?"
    assert "actions" not in body["value"]  # a preview, no feedback buttons

    await coordinator_bot.post(message("miten varaan työauton", service_url=connector.url))
    answer = (await connector.wait_for(3))[-1]
    assert answer.cards[0]["body"][0]["text"] == "Miten varaan työauton?"


async def test_editing_one_language_keeps_the_others(coordinator_bot, connector, database_url):
    await coordinator_bot.post(message("ukk outlook-share-calendar", service_url=connector.url, user=COORDINATOR,
                                       name="Kaisa Laine"))
    [form] = await connector.wait_for(1)
    values = {i["id"]: i.get("value") for i in form.cards[0]["body"] if i["type"].startswith("Input.")}
    assert values["faq_id"] == "outlook-share-calendar" and values["question"].startswith("Miten jaan")
    values["answer"] = "1. Avaa kalenteri.\n2. Valitse Jaa."
    await coordinator_bot.post(card_click("saveFaq", values, service_url=connector.url, user=COORDINATOR,
                                          name="Kaisa Laine"))
    from storage.faq_repository import published_faq

    database = Database(database_url)
    [entry] = [e for e in await published_faq(database) if e.id == "outlook-share-calendar"]
    await database.dispose()
    assert entry.fi.answer == "1. Avaa kalenteri.\n2. Valitse Jaa."
    assert entry.sv.question.startswith("Hur delar jag") and entry.en is not None


async def test_faq_editing_is_refused_for_employees_and_invalid_forms(coordinator_bot, connector):
    await coordinator_bot.post(message("ukk", service_url=connector.url))
    [refusal] = await connector.wait_for(1)
    assert refusal.text.startswith("Tämä komento on vain koordinaattori-roolille")

    forged = await coordinator_bot.post(card_click("saveFaq", {
        "faq_id": "outlook-share-calendar", "language": "fi", "question": "Hakkeroitu?", "answer": "x"},
        service_url=connector.url))
    assert (await forged.json())["value"].startswith("Tämä komento on vain koordinaattori-roolille")

    invalid = await coordinator_bot.post(card_click("saveFaq", {
        "faq_id": "Huono Tunnus", "language": "fi", "question": "Miten?", "answer": "x"},
        service_url=connector.url, user=COORDINATOR, name="Kaisa Laine"))
    assert (await invalid.json())["value"].startswith("Vastausta ei tallennettu: id")

    await coordinator_bot.post(message("miten jaan kalenterini työkaverille", service_url=connector.url))
    answer = (await connector.wait_for(2))[-1]
    assert answer.cards[0]["body"][0]["text"] == "Miten jaan kalenterini työkaverille?"
