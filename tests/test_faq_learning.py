"""The FAQ learns from use: an asker's own words that found an entry only as a suggestion, or
through a digimentor, wait as a variant; a coordinator approves (the next asker gets the answer
at once, on every replica) or rejects it (it never answers). Through the HTTP endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs.rules.faq_file import parse_faq_file, render_faq_file
from storage.faq_repository import FaqRepository
from tests.support.office import CALENDAR_ENTRY, CALENDAR_PARAPHRASE, FI, KAISA, MAIJA, PEKKA, SARI, Office, body_text

SEED_FAQ = Path(__file__).resolve().parents[1] / "storage" / "seed" / "faq.yaml"
PARAPHRASE, ENTRY = CALENDAR_PARAPHRASE, CALENDAR_ENTRY
CARD = "application/vnd.microsoft.card.adaptive"


@pytest.fixture
async def office(bot, connector, database_url) -> Office:
    office = await Office(bot, connector, database_url).setup()
    database = office.database()
    await FaqRepository(database).import_entries(parse_faq_file(SEED_FAQ.read_text(encoding="utf-8")))
    await database.dispose()
    return office


def verbs(card: dict) -> list[tuple[str, dict]]:
    found = [(a["verb"], a["data"]) for a in card.get("actions", []) if a["type"] == "Action.Execute"]
    for item in card["body"]:
        for inner in item.get("items", []):
            found += [(a["verb"], a["data"]) for a in inner.get("actions", []) if a["type"] == "Action.Execute"]
    return found


async def _suggestion_found_helpful(office: Office) -> None:
    await office.say(MAIJA, PARAPHRASE)
    suggestions = office.cards(MAIJA)[-1]
    [show] = [data for verb, data in verbs(suggestions) if verb == "showFaq" and data["faq_id"] == ENTRY]
    answer = await office.click(MAIJA, "showFaq", show)
    [helpful] = [data for verb, data in verbs(answer["value"]) if verb == "faqHelpful" and data["helpful"]]
    await office.click(MAIJA, "faqHelpful", helpful)


async def _pending_variant(office: Office) -> dict:
    await office.say(KAISA, "aukot")
    gaps = office.cards(KAISA)[-1]
    assert FI("gaps.variant", question=PARAPHRASE, title=FI_TITLE) in body_text(gaps)
    [approve] = [data for verb, data in verbs(gaps) if verb == "approveVariant"]
    return approve


FI_TITLE = next(e.texts["fi"].question for e in parse_faq_file(SEED_FAQ.read_text(encoding="utf-8"))
                if e.id == ENTRY)


async def test_an_approved_variant_answers_the_next_asker_at_once(office):
    await office.say(SARI, PARAPHRASE)
    assert "faqHelpful" not in body_text(office.cards(SARI)[-1])  # only suggestions before
    await _suggestion_found_helpful(office)
    approve = await _pending_variant(office)
    reply = await office.click(KAISA, "approveVariant", approve)
    assert reply["type"] == CARD and "approveVariant" not in body_text(reply["value"])
    assert office.texts(KAISA)[-1] == FI("faq_admin.variant_approved", question=PARAPHRASE)

    await office.say(SARI, PARAPHRASE)
    answer = office.cards(SARI)[-1]
    assert answer["body"][0]["text"] == FI_TITLE and "faqHelpful" in body_text(answer)
    # It is part of the entry now: the exported FAQ carries it.
    database = office.database()
    [entry] = [e for e in await FaqRepository(database).published() if e.id == ENTRY]
    await database.dispose()
    assert PARAPHRASE in entry.texts["fi"].variants
    assert PARAPHRASE in render_faq_file([entry])
    # A second click on the same decision changes nothing and says so.
    again = await office.click(KAISA, "rejectVariant", approve)
    assert again["type"] == CARD
    assert office.texts(KAISA)[-1] == FI("faq_admin.variant_already_decided")


async def test_a_rejected_variant_never_answers(office):
    await _suggestion_found_helpful(office)
    approve = await _pending_variant(office)
    await office.click(KAISA, "rejectVariant", approve)
    assert office.texts(KAISA)[-1] == FI("faq_admin.variant_rejected", question=PARAPHRASE)
    await office.say(SARI, PARAPHRASE)
    assert "faqHelpful" not in body_text(office.cards(SARI)[-1])


async def test_a_mentor_naming_the_entry_that_helped_proposes_the_askers_words(office):
    request_id = await office.ask_a_mentor(question="miten saan kaverin näkemään aikatauluni")
    working = await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    [choices] = [i for i in working["value"]["body"] if i.get("id") == "faq_entry"]
    assert ENTRY in [c["value"] for c in choices["choices"]]
    await office.click(PEKKA, "resolveRequest", {"request_id": request_id, "minutes": "10", "faq_entry": ENTRY})
    await office.say(KAISA, "aukot")
    assert FI("gaps.variant", question="miten saan kaverin näkemään aikatauluni", title=FI_TITLE) in body_text(
        office.cards(KAISA)[-1])


async def test_only_a_coordinator_may_decide(office):
    await _suggestion_found_helpful(office)
    approve = await _pending_variant(office)
    refused = await office.click(MAIJA, "approveVariant", approve)
    assert refused["value"] == FI("reply.refused_role", role=FI("roles.coordinator"))
    assert await _pending_variant(office) == approve  # still waiting for a coordinator
