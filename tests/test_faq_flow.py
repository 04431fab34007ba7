"""Questions answered from the FAQ, end to end through the HTTP endpoint."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from cards.i18n import Texts
from dialogs.rules.faq_file import parse_faq_file
from dialogs.rules.faq_matching import normalise
from dialogs.rules.org_file import parse_organization_file
from storage.db import Database
from storage.faq_repository import FaqRecord, FaqRepository
from storage.models import FaqFeedback, Question
from storage.organization_repository import import_organization
from storage.question_repository import QuestionRepository
from tests.conftest import settings_for, start_bot
from tests.support.activities import card_click, card_submit, message

ROOT = Path(__file__).resolve().parent.parent
SEED = {record.id: record for record in parse_faq_file((ROOT / "storage/seed/faq.yaml").read_text())}
MAIJA = "00000000-0000-0000-0000-0000000000a1"
PEKKA = "00000000-0000-0000-0000-0000000000b1"
FI = Texts("fi")
CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"


def _question(entry_id: str, language: str = "fi") -> str:
    """The entry's title as the shipped FAQ words it."""
    return SEED[entry_id].texts[language].question


@pytest.fixture
async def faq_bot(bot, database):
    await FaqRepository(database).import_entries(list(SEED.values()))
    return bot


async def _questions(database_url: str) -> list[Question]:
    database = Database(database_url)
    async with database.transaction() as session:
        rows = (await session.scalars(select(Question).order_by(Question.id))).all()
    await database.dispose()
    return list(rows)


async def _published(database_url: str) -> dict[str, FaqRecord]:
    database = Database(database_url)
    try:
        return {record.id: record for record in await FaqRepository(database).published()}
    finally:
        await database.dispose()


def _verbs(card: dict) -> list[str]:
    return [action.get("verb") for action in card.get("actions", [])]


async def test_finnish_question_gets_the_finnish_answer_card(faq_bot, connector, database_url):
    await faq_bot.post(message("miten saan teams-linkin kokouskutsuun", service_url=connector.url))
    [sent] = await connector.wait_for(1)
    card = sent.cards[0]
    assert card["body"][0]["text"] == _question("teams-meeting-link")
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
    assert card["body"][0]["text"] == _question("outlook-share-calendar", "sv")
    assert card["actions"][0]["title"] == Texts("sv")("faq.yes")


async def test_off_topic_question_gets_the_digimentor_offer(faq_bot, connector, database_url):
    await faq_bot.post(message("milloin palkka maksetaan", service_url=connector.url))
    [sent] = await connector.wait_for(1)
    card = sent.cards[0]
    assert card["body"][0]["text"] == FI("faq.none_title")
    assert _verbs(card) == ["askMentor"]
    [question] = await _questions(database_url)
    assert question.outcome == "none"


# "Where do I get the green dot next to my name": not one word in common with the status entry.
PARAPHRASE, PARAPHRASED_ENTRY = "mistä saan sen vihreän pallon näkymään mun nimen vieressä", "teams-status-message"


def _shown_entries(card: dict) -> list[str]:
    data = [a["data"] for a in card.get("actions", []) if "data" in a]
    return [d["faq_id"] for d in data if "faq_id" in d]


async def test_a_paraphrase_sharing_no_word_with_the_entry_still_finds_it(faq_bot, connector):
    entry = SEED[PARAPHRASED_ENTRY].texts["fi"]
    entry_words = set(normalise(" ".join([entry.question, *entry.variants, entry.answer])).split())
    assert not set(normalise(PARAPHRASE).split()) & entry_words
    await faq_bot.post(message(PARAPHRASE, service_url=connector.url))
    [sent] = await connector.wait_for(1)
    assert PARAPHRASED_ENTRY in _shown_entries(sent.cards[0])


async def test_without_embeddings_the_same_paraphrase_finds_nothing(database_url, clock, database, connector):
    """What the embeddings add: on n-grams alone the asker would have been sent to a person."""
    await FaqRepository(database).import_entries(list(SEED.values()))
    client = await start_bot(settings_for(database_url, SEMANTIC_MATCHING="false"), clock)
    try:
        await client.post("/api/messages", json=message(PARAPHRASE, service_url=connector.url))
        [sent] = await connector.wait_for(1)
    finally:
        await client.close()
    assert PARAPHRASED_ENTRY not in _shown_entries(sent.cards[0])


async def test_not_helpful_feedback_records_a_gap_and_a_second_click_changes_nothing(
        faq_bot, connector, database_url, clock):
    await faq_bot.post(message("miten jaan kalenterini työkaverille", service_url=connector.url))
    [answer] = await connector.wait_for(1)
    no_button = answer.cards[0]["actions"][1]
    assert no_button["data"]["helpful"] is False

    response = await faq_bot.post(card_click("faqHelpful", no_button["data"], service_url=connector.url))
    assert response.status == 200
    body = await response.json()
    assert body["statusCode"] == 200 and body["type"] == CARD
    assert FI("faq.thanks_not_helpful") in json.dumps(body["value"], ensure_ascii=False)
    assert "faqHelpful" not in _verbs(body["value"])

    again = await faq_bot.post(card_click("faqHelpful", {**no_button["data"], "helpful": True},
                                          service_url=connector.url))
    body = await again.json()
    assert body["type"] == MESSAGE
    assert body["value"] == FI("card_refusal.already_rated")

    database = Database(database_url)
    gaps = await QuestionRepository(database).gaps(clock.now() - timedelta(days=1))
    async with database.transaction() as session:
        feedback = (await session.scalars(select(FaqFeedback))).all()
    await database.dispose()
    assert [(g.reason, g.faq_entry_id) for g in gaps] == [("not_helpful", "outlook-share-calendar")]
    assert [f.helpful for f in feedback] == [False]


@pytest.mark.parametrize(
    ("data", "user", "reason"),
    [
        ({"faq_id": "outlook-share-calendar", "helpful": True}, PEKKA, "not_yours"),
        ({"faq_id": "printing-secure-print", "helpful": True}, MAIJA, "not_offered"),
        ({"faq_id": "outlook-share-calendar", "helpful": "maybe"}, MAIJA, "bad_data"),
        ({"faq_id": "outlook-share-calendar", "helpful": True, "question_id": 999999}, MAIJA, "unknown_question"),
    ],
    ids=["someone-elses-card", "entry-not-shown", "malformed-flag", "unknown-question"],
)
async def test_forged_feedback_is_refused_and_changes_nothing(faq_bot, connector, database_url, data, user, reason):
    await faq_bot.post(message("miten jaan kalenterini työkaverille", service_url=connector.url))
    [answer] = await connector.wait_for(1)
    question_id = answer.cards[0]["actions"][0]["data"]["question_id"]
    response = await faq_bot.post(card_click("faqHelpful", {"question_id": question_id, **data},
                                             service_url=connector.url, user=user))
    body = await response.json()
    assert (response.status, body["value"]) == (200, FI(f"card_refusal.{reason}"))
    database = Database(database_url)
    async with database.transaction() as session:
        assert (await session.scalars(select(FaqFeedback))).all() == []
    await database.dispose()


async def test_an_unknown_verb_gets_a_clear_answer(faq_bot, connector):
    response = await faq_bot.post(card_click("deleteEverything", {"question_id": 1}, service_url=connector.url))
    body = await response.json()
    assert body["value"] == FI("card_refusal.unknown_action")


async def test_submit_fallback_updates_the_card_in_place(faq_bot, connector):
    await faq_bot.post(message("miten jaan kalenterini työkaverille", service_url=connector.url))
    [answer] = await connector.wait_for(1)
    yes = answer.cards[0]["actions"][0]["fallback"]
    assert yes["type"] == "Action.Submit"
    response = await faq_bot.post(card_submit(yes["data"], service_url=connector.url, reply_to_id="sent-1"))
    assert response.status == 200
    _, update = await connector.wait_for(2)
    assert update.method == "update" and update.reply_to_id == "sent-1"
    assert FI("faq.thanks_helpful") in json.dumps(update.cards[0], ensure_ascii=False)


async def test_uncertain_question_offers_suggestions_that_open_the_answer(faq_bot, connector):
    await faq_bot.post(message("teams kokous ongelma", service_url=connector.url))
    [sent] = await connector.wait_for(1)
    card = sent.cards[0]
    assert card["body"][0]["text"] == FI("faq.suggestions_title")
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
    assert notice.text == FI("faq.masked_notice")
    everything_sent = json.dumps([s.activity for s in connector.sent], ensure_ascii=False)
    assert code not in everything_sent and "308T" not in everything_sent
    assert "040 123 4567" not in everything_sent
    assert code not in caplog.text
    [question] = await _questions(database_url)
    assert question.text == (f"potilaan {FI('privacy.identity_code')} etävastaanotto ei aukea, "
                             f"soita {FI('privacy.phone')}")
    assert question.masked_items == 2
    database = Database(database_url)
    async with database.transaction() as session:
        for table in ("questions", "conversation_references", "request_events", "processed_activities"):
            dump = json.dumps([list(r) for r in (await session.execute(text(f"SELECT * FROM {table}"))).all()],
                              default=str, ensure_ascii=False)
            assert "308T" not in dump, table
    await database.dispose()


async def test_faq_changes_take_effect_without_a_restart(faq_bot, connector, database_url, clock):
    question = "miten varaan auton työmatkalle"
    await faq_bot.post(message(question, service_url=connector.url))
    [before] = await connector.wait_for(1)
    assert before.cards[0]["body"][0]["text"] == FI("faq.none_title")

    other_replica = Database(database_url, clock=clock.now)
    await FaqRepository(other_replica).import_entries(parse_faq_file(
        "- id: car-booking\n  fi:\n    question: Miten varaan auton työmatkalle?\n"
        "    variants: [auton varaus, työauto]\n    answer: Varaa auto Outlookin resurssikalenterista.\n"))
    await other_replica.dispose()

    await faq_bot.post(message(question, service_url=connector.url))
    _, after = await connector.wait_for(2)
    assert after.cards[0]["body"][0]["text"] == "Miten varaan auton työmatkalle?"


COORDINATOR = "00000000-0000-0000-0000-0000000000c1"
SWEDISH_COORDINATOR = "00000000-0000-0000-0000-0000000000c2"
ENGLISH_COORDINATOR = "00000000-0000-0000-0000-0000000000c3"
# Each coordinator by their own language, with their name and Teams locale.
COORDINATORS = {
    "fi": (COORDINATOR, "Kaisa Laine", "fi-FI"),
    "sv": (SWEDISH_COORDINATOR, "Sara Lind", "sv-FI"),
    "en": (ENGLISH_COORDINATOR, "Emma Brown", "en-GB"),
}
COORDINATOR_ORG = f"""
organization: {{name: Testi}}
units: [{{id: sote, name: {{fi: Sote}}}}]
people:
  - {{aad_object_id: {MAIJA}, name: Maija Virtanen, unit: sote}}
  - {{aad_object_id: {COORDINATOR}, name: Kaisa Laine, unit: sote,
     roles: [employee, coordinator], coordinator_of: [sote]}}
  - {{aad_object_id: {SWEDISH_COORDINATOR}, name: Sara Lind, unit: sote, languages: [sv],
     roles: [employee, coordinator], coordinator_of: [sote]}}
  - {{aad_object_id: {ENGLISH_COORDINATOR}, name: Emma Brown, unit: sote, languages: [en],
     roles: [employee, coordinator], coordinator_of: [sote]}}
"""


@pytest.fixture
async def coordinator_bot(faq_bot, database):
    await import_organization(database, parse_organization_file(COORDINATOR_ORG))
    return faq_bot


def _save(data: dict, *, language: str = "fi", service_url: str) -> dict:
    """A coordinator's click on the form's save button."""
    user, name, locale = COORDINATORS[language]
    return card_click("saveFaq", data, service_url=service_url, user=user, name=name, locale=locale)


async def test_coordinator_adds_an_entry_from_chat_and_it_answers_at_once(coordinator_bot, connector):
    await coordinator_bot.post(message("ukk", service_url=connector.url, user=COORDINATOR, name="Kaisa Laine"))
    [form] = await connector.wait_for(1)
    card = form.cards[0]
    assert [i["id"] for i in card["body"] if i["type"].startswith("Input.")] == [
        "faq_id", "topic", "language", "question", "variants", "answer"]
    assert card["actions"][0]["verb"] == "saveFaq"

    saved = await coordinator_bot.post(_save({
        "faq_id": "car-booking", "topic": "outlook", "language": "fi",
        "question": "Miten varaan työauton?", "variants": "auton varaus, työauto",
        "answer": "1. Avaa Outlookin kalenteri.\n2. Valitse resurssiksi työauto."}, service_url=connector.url))
    body = await saved.json()
    assert body["value"]["body"][0]["text"] == "Miten varaan työauton?"
    assert "actions" not in body["value"]  # a preview, no feedback buttons
    assert (await connector.wait_for(2))[-1].text == FI("faq_admin.saved")

    await coordinator_bot.post(message("miten varaan työauton", service_url=connector.url))
    answer = (await connector.wait_for(3))[-1]
    assert answer.cards[0]["body"][0]["text"] == "Miten varaan työauton?"


async def test_editing_one_language_keeps_the_others(coordinator_bot, connector, database_url):
    await coordinator_bot.post(message("ukk outlook-share-calendar", service_url=connector.url, user=COORDINATOR,
                                       name="Kaisa Laine"))
    [form] = await connector.wait_for(1)
    values = {i["id"]: i.get("value") for i in form.cards[0]["body"] if i["type"].startswith("Input.")}
    assert values["faq_id"] == "outlook-share-calendar"
    assert values["question"] == _question("outlook-share-calendar")
    values["answer"] = "1. Avaa kalenteri.\n2. Valitse Jaa."
    saved = await coordinator_bot.post(_save(values, service_url=connector.url))
    assert (await saved.json())["type"] == CARD

    entry = (await _published(database_url))["outlook-share-calendar"]
    assert entry.texts["fi"].answer == "1. Avaa kalenteri.\n2. Valitse Jaa."
    assert entry.texts["sv"] == SEED["outlook-share-calendar"].texts["sv"]
    assert entry.texts["en"] == SEED["outlook-share-calendar"].texts["en"]


async def test_faq_editing_is_refused_for_employees_and_invalid_forms(coordinator_bot, connector):
    role_refusal = FI("reply.refused_role", role=FI("roles.coordinator"))
    await coordinator_bot.post(message("ukk", service_url=connector.url))
    [refusal] = await connector.wait_for(1)
    assert refusal.text == role_refusal

    forged = await coordinator_bot.post(card_click("saveFaq", {
        "faq_id": "outlook-share-calendar", "language": "fi", "question": "Hakkeroitu?", "answer": "x"},
        service_url=connector.url))
    assert (await forged.json())["value"] == role_refusal

    invalid = await coordinator_bot.post(_save({
        "faq_id": "Huono Tunnus", "language": "fi", "question": "Miten?", "answer": "x"}, service_url=connector.url))
    assert (await invalid.json())["value"] == FI(
        "faq_admin.invalid", field=FI("faq_admin.fields.faq_id"), problem=FI("faq_admin.problems.pattern"))

    await coordinator_bot.post(message("miten jaan kalenterini työkaverille", service_url=connector.url))
    answer = (await connector.wait_for(2))[-1]
    assert answer.cards[0]["body"][0]["text"] == _question("outlook-share-calendar")


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_a_too_short_question_is_refused_in_the_coordinators_language(
        coordinator_bot, connector, database_url, language):
    texts = Texts(language)
    before = await _published(database_url)
    response = await coordinator_bot.post(_save({
        "faq_id": "outlook-share-calendar", "topic": "outlook", "language": language, "question": "Mi",
        "variants": "", "answer": "1. Avaa kalenteri."}, language=language, service_url=connector.url))
    assert response.status == 200
    body = await response.json()
    assert body["type"] == MESSAGE
    refusal = body["value"]
    # FaqTextSpec wants at least three characters in a question.
    assert refusal == texts("faq_admin.invalid", field=texts("faq_admin.fields.question"),
                            problem=texts("faq_admin.problems.too_short", min_length=3))
    assert texts("faq_admin.fields.question") in refusal
    assert "String should have" not in refusal
    assert await _published(database_url) == before


async def test_two_coordinators_saving_two_languages_of_one_entry_at_once_both_keep_theirs(
        coordinator_bot, connector, database_url):
    apology = FI("error.apology").split("{reference}")[0]
    forms = {
        "fi": {"question": "Miten varaan työauton?", "answer": "1. Avaa Outlookin kalenteri.\n2. Valitse työauto."},
        "sv": {"question": "Hur bokar jag tjänstebilen?", "answer": "1. Öppna kalendern i Outlook.\n2. Välj bilen."},
    }
    entry_ids = [f"car-booking-{round_}" for round_ in range(5)]
    for entry_id in entry_ids:
        responses = await asyncio.gather(*(
            coordinator_bot.post(_save({"faq_id": entry_id, "topic": "outlook", "language": language,
                                        "variants": "", **form}, language=language, service_url=connector.url))
            for language, form in forms.items()))
        for form, response in zip(forms.values(), responses, strict=True):
            assert response.status == 200, await response.text()
            body = await response.json()
            assert body["type"] == CARD, body
            assert body["value"]["body"][0]["text"] == form["question"]

    for language in forms:
        user = COORDINATORS[language][0]
        said = [s.text for s in connector.to(f"a:personal-{user}") if s.text]
        assert said == [Texts(language)("faq_admin.saved")] * len(entry_ids)
    assert not [s for s in connector.sent if s.text and s.text.startswith(apology)]

    published = await _published(database_url)
    for entry_id in entry_ids:
        entry = published[entry_id]
        assert {language: (t.question, t.answer) for language, t in entry.texts.items()} == {
            language: (form["question"], form["answer"]) for language, form in forms.items()}
