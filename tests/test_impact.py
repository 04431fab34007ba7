"""The impact report through the bot's HTTP endpoint: on a small organisation whose October and
November are scripted question by question, every figure equals the value counted by hand below,
with the change from October, the small-group rule, the chart's alt text and the Excel export."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cards.formatting import percent
from cards.i18n import Texts
from dialogs.rules.faq_file import parse_faq_file
from storage.faq_repository import FaqRepository
from tests.support.activities import installation
from tests.support.office import KAISA, MAIJA, ORG, PEKKA, SARI, Office, body_text

ROOT = Path(__file__).resolve().parent.parent
FI, SV, EN = Texts("fi"), Texts("sv"), Texts("en")
ADMIN = "00000000-0000-0000-0000-0000000000e1"
OCTOBER_DAY = datetime(2026, 10, 14, 8, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Helsinki
NOVEMBER_DAY = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
SETTINGS = """organization:
  name: Testialue
  offer_timeout_minutes: 10
  working_hours: "08:00-16:00"
  mentor_weekly_minutes: 140
  impact: {minutes_per_faq_answer: 6, minutes_per_helpdesk_contact: 18}
  helpdesk: {name: IT-tuki, phone: "+358 9 123 4567"}
"""
IMPACT_ORG = ORG.replace('organization: {name: Testialue, offer_timeout_minutes: 10, working_hours: "08:00-16:00"}\n',
                         SETTINGS) \
    + f"  - {{aad_object_id: {ADMIN}, name: Anna Ylläpitäjä, unit: hva, roles: [employee, admin]}}\n"


async def helped(office: Office, asker: str, question: str, minutes: int, rating: int, helpdesk: str | None) -> None:
    request_id = await office.ask_a_mentor(asker, question)
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    await office.click(PEKKA, "resolveRequest", {"request_id": request_id, "minutes": str(minutes)})
    answer = {"request_id": request_id, "rating": str(rating), **({"helpdesk": helpdesk} if helpdesk else {})}
    await office.click(asker, "rateHelp", answer)


@pytest.fixture
async def office(bot, connector, database_url) -> Office:
    """October: one FAQ answer. November: two FAQ answers (one of them the helpdesk's entry), a
    fault sent to the helpdesk, three requests resolved (15, 30 and 10 minutes, rated 5, 4 and 3;
    "would otherwise have contacted the helpdesk": yes, no, unanswered) and 35 minutes logged."""
    office = Office(bot, connector, database_url, org=IMPACT_ORG)
    office.clock.freeze(datetime(2026, 10, 1, 8, 0, tzinfo=UTC))  # the directory since October
    await office.setup()
    await bot.post(installation(service_url=connector.url, user=ADMIN, name="Anna Ylläpitäjä"))
    database = office.database()
    await FaqRepository(database).import_entries(
        parse_faq_file((ROOT / "storage/seed/faq.yaml").read_text(encoding="utf-8")))
    await database.dispose()
    office.clock.freeze(OCTOBER_DAY)
    await office.say(MAIJA, "miten jaan kalenterini työkaverille")
    office.clock.freeze(NOVEMBER_DAY)
    await office.say(MAIJA, "miten jaan kalenterini työkaverille")
    await office.say(SARI, "unohdin salasanani")
    await office.say(MAIJA, "tunnukseni on lukittu")
    await helped(office, MAIJA, "milloin palkka maksetaan", 15, 5, "yes")
    await helped(office, SARI, "milloin palkka maksetaan", 30, 4, "no")
    await helped(office, MAIJA, "kuka tilaa työvaatteet", 10, 3, None)
    await office.say(PEKKA, "kirjaa 35 koulutin osastoa")
    return office


def facts(card: dict) -> dict[str, str]:
    return {fact["title"]: fact["value"] for block in card["body"] if block["type"] == "FactSet"
            for fact in block["facts"]}


async def test_the_whole_organisation_figures_equal_the_hand_counted_ones(office):
    await office.say(ADMIN, "vaikuttavuus kuukausi")
    card = office.cards(ADMIN)[-1]
    assert card["body"][0]["text"] == FI("impact.title", scope=FI("stats.whole_organisation"),
                                         period="marraskuu 2026")
    shown = facts(card)
    assert shown[FI("impact.faq_answers")] == "2 (+1)"  # kalenteri and salasana; October had one
    assert shown[FI("impact.mentor_helped")] == "3 (+3)"
    assert shown[FI("impact.people_reached")] == "2 (+1)"  # Maija and Sari, each once
    # 15 + 30 + 10 + 35 minutes; five mentors × 140 min × 30/7 weeks = 3,000 min = 50 h.
    assert shown[FI("impact.mentor_hours")] == FI("impact.hours_value", hours="1,5", allowance="50,0",
                                                  share=percent(1.5 / 50, "fi")) + " (+1,5)"
    assert shown[FI("stats.satisfaction")] == FI("stats.satisfaction_value", mean="4,0", count=3)
    assert shown[FI("impact.helpdesk_share")] == FI("impact.helpdesk_value", yes=percent(0.5, "fi"), count=2)
    # The locked account and the helpdesk's own entry (the password) showed the helpdesk.
    assert shown[FI("impact.sent_to_helpdesk")] == "2 (+2)"
    assert shown[FI("impact.referred_by_helpdesk")] == "0 (±0)"
    # 2 × 6 min + 1 × 18 min = 30 min; October: 1 × 6 min = 0.1 h.
    assert shown[FI("impact.time_saved")] == FI("impact.hours", hours="0,5") + " (+0,4)"
    # Units with people: Hyvinvointialue (Anna), Sote, Osasto 3, Osasto 5, Henkilöstö; all but the first
    # have a mentor, as at the end of October.
    assert shown[FI("impact.coverage")] == FI("impact.coverage_value", covered=4, counted=5, share=percent(0.8, "fi"),
                                              goal=100) + " (±0)"
    assumption = FI("impact.assumption", faq=6, helpdesk=18)
    assert assumption in body_text(card) and FI("impact.saving_without_helpdesk") not in body_text(card)
    [image] = [block for block in card["body"] if block["type"] == "Image"]
    assert image["url"].startswith("data:image/png;base64,")
    assert f"{FI('impact.faq_answers')}: 2 (1)" in image["altText"]
    assert f"{FI('impact.people_reached')}: 2 (1)" in image["altText"]


async def test_a_coordinators_units_keep_the_fewer_than_five_rule(office):
    await office.say(KAISA, "vaikuttavuus")
    card = office.cards(KAISA)[-1]
    shown = facts(card)
    assert card["body"][0]["text"] == FI("impact.title", scope="Sote", period="marraskuu 2026")
    assert shown[FI("stats.satisfaction")] == FI("stats.fewer_than_five")
    assert shown[FI("impact.helpdesk_share")] == FI("stats.fewer_than_five")
    # The saving leaves the contacts avoided out (it would tell how many of the two said yes).
    assert shown[FI("impact.time_saved")] == FI("impact.hours", hours="0,2")
    assert FI("impact.saving_without_helpdesk") in body_text(card)
    assert shown[FI("impact.coverage")].startswith(FI("impact.coverage_value", covered=3, counted=3,
                                                      share=percent(1.0, "fi"), goal=100))


async def test_one_unit_and_the_excel_export_per_unit(office):
    await office.say(ADMIN, "vaikuttavuus kuukausi ward-5")
    assert facts(office.cards(ADMIN)[-1])[FI("impact.faq_answers")] == "1 (+1)"  # Sari's password

    await office.say(ADMIN, "vaikuttavuus")
    [download] = office.cards(ADMIN)[-1]["actions"]
    assert download["type"] == "Action.OpenUrl" and download["title"] == FI("impact.excel")
    response = await office.bot.http.get("/" + download["url"].split("/", 3)[3])
    assert response.status == 200
    book = load_workbook(BytesIO(await response.read()))
    rows = list(book[FI("export.sheets.impact_units")].iter_rows(values_only=True))
    assert rows[0][:4] == (FI("export.columns.unit"), FI("export.columns.faq_answers"),
                           FI("export.columns.mentor_helped"), FI("export.columns.people_reached"))
    by_unit = {row[0]: row for row in rows[1:]}
    assert by_unit["Osasto 3"][1:4] == (1, 2, 1)  # Maija: a FAQ answer and two requests
    assert by_unit["Osasto 5"][1:4] == (1, 1, 1)  # Sari
    # Every unit is below the whole organisation: fewer than five ratings are not shown.
    assert by_unit["Osasto 3"][6] == FI("stats.fewer_than_five") and by_unit["Osasto 3"][7] == 2
    summary = list(book[FI("export.sheets.impact")].iter_rows(values_only=True))
    assert (FI("impact.time_saved"), 0.5) in summary


@pytest.mark.parametrize(("word", "texts", "period"), [("effekt", SV, "november 2026"),
                                                       ("impact", FI, "marraskuu 2026")])
async def test_swedish_and_english_command_words(office, word, texts, period):
    await office.say(ADMIN, word)
    assert office.cards(ADMIN)[-1]["body"][0]["text"] == texts("impact.title",
                                                               scope=texts("stats.whole_organisation"), period=period)


@pytest.mark.parametrize(("person", "text", "answer"), [
    (KAISA, "vaikuttavuus hr", FI("stats.not_in_scope", unit="hr")),
    (KAISA, "vaikuttavuus 2026-13", FI("stats.bad_period", word="2026-13")),
    (MAIJA, "vaikuttavuus", FI("reply.refused_role", role=FI("roles.coordinator"))),
])
async def test_bad_requests_get_a_clear_answer(office, person, text, answer):
    await office.say(person, text)
    assert office.texts(person)[-1] == answer

