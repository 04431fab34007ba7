"""A month of real use, driven through the bot's HTTP endpoint, for the personal-data tests:
questions (one with a phone number), a suggestion found helpful and approved as a variant, a
hand-off resolved with minutes, a named FAQ entry and a proposed answer, a rating with a
comment that names the mentor, logged time with a note, an open request, a digest, an FAQ
edit in chat and an export download."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import JSON, String, Text, func, select

from dialogs.rules.faq_file import parse_faq_file
from dialogs.rules.periods import parse_period
from storage.db import Database
from storage.digest_repository import DigestRepository
from storage.directory_repository import DirectoryRepository
from storage.export_repository import ExportRepository
from storage.faq_repository import FaqRepository
from storage.models import Base, Person
from storage.outbox import Outgoing
from storage.stats_repository import StatsRepository
from tests.support.office import CALENDAR_ENTRY, CALENDAR_PARAPHRASE, KAISA, MAIJA, ORG, PEKKA, PEOPLE, Office

ROOT = Path(__file__).resolve().parents[2]
SEED_FAQ = ROOT / "storage" / "seed" / "faq.yaml"
EMAILS = {person: name.lower().replace(" ", ".").replace("ä", "a").replace("ö", "o") + "@example.fi"
          for person, name in PEOPLE.items()}
ORG_WITH_EMAILS = ORG
for _person, _name in PEOPLE.items():
    ORG_WITH_EMAILS = ORG_WITH_EMAILS.replace(f"name: {_name},", f"name: {_name}, email: {EMAILS[_person]},")

# The n-gram matcher finds the calendar entry for these words only as a second suggestion.
PARAPHRASE, ENTRY = CALENDAR_PARAPHRASE, CALENDAR_ENTRY
HANDED_QUESTION = "miten saan kaverin näkemään aikatauluni, soita 040 123 4567"
HANDED_STORED = "miten saan kaverin näkemään aikatauluni, soita [puhelinnumero]"
OPEN_QUESTION = "kuka hoitaa parkkiluvat"
PROPOSAL = "Avaa Outlookin kalenteri ja valitse Jaa, ohje Pekalta"
COMMENT = "Kiitos, Pekka Korhonen auttoi nopeasti"
NOTE = "koulutus osaston iltavuorolle"
MONTH = "kuukausi"


@dataclass
class Stage:
    office: Office
    request_id: int
    open_request_id: int

    @property
    def database_url(self) -> str:
        return self.office.database_url


def card_actions(card: dict) -> list[tuple[str, dict]]:
    found = [(a["verb"], a["data"]) for a in card.get("actions", []) if a["type"] == "Action.Execute"]
    for item in card["body"]:
        for inner in item.get("items", []):
            found += [(a["verb"], a["data"]) for a in inner.get("actions", []) if a["type"] == "Action.Execute"]
    return found


async def live_a_month(office: Office) -> Stage:
    database = office.database()
    await FaqRepository(database).import_entries(parse_faq_file(SEED_FAQ.read_text(encoding="utf-8")))
    await database.dispose()

    # A suggestion Maija found helpful, which Kaisa approves as a variant of the entry.
    await office.say(MAIJA, PARAPHRASE)
    [show] = [d for v, d in card_actions(office.cards(MAIJA)[-1]) if v == "showFaq" and d["faq_id"] == ENTRY]
    answer = await office.click(MAIJA, "showFaq", show)
    [helpful] = [d for v, d in card_actions(answer["value"]) if v == "faqHelpful" and d["helpful"]]
    await office.click(MAIJA, "faqHelpful", helpful)
    await office.say(KAISA, "aukot")
    [approve] = [d for v, d in card_actions(office.cards(KAISA)[-1]) if v == "approveVariant"]
    await office.click(KAISA, "approveVariant", approve)

    # A hand-off: Pekka resolves it naming the entry that helped and proposing an answer.
    request_id = await office.ask_a_mentor(question=HANDED_QUESTION)
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    await office.click(PEKKA, "resolveRequest", {"request_id": request_id, "minutes": "25", "faq_entry": ENTRY,
                                                 "propose_faq": "true", "faq_answer": PROPOSAL})
    await office.click(MAIJA, "rateHelp", {"request_id": request_id, "rating": "4", "comment": COMMENT})
    await office.say(PEKKA, f"kirjaa 30 {NOTE}")
    open_request_id = await office.ask_a_mentor(question=OPEN_QUESTION)

    database = office.database()
    pekka = await person_id(database, PEKKA)
    await DigestRepository(database).claim(pekka, "2026-W47", "mentor",
                                           [Outgoing(recipient=PEKKA, purpose="digest", text="Viikkokooste")])
    await database.dispose()
    # Kaisa edits an entry in chat and downloads this month's export.
    await office.click(KAISA, "saveFaq", {"faq_id": "printing-secure-print", "topic": "printing", "language": "fi",
                                          "question": "Miten tulostan turvatulostuksella?", "variants": "",
                                          "answer": "1. Valitse tulostin.\n2. Kirjaudu laitteelle kortilla."})
    await office.say(KAISA, "vienti")
    [link] = [a["url"] for a in office.cards(KAISA)[-1]["actions"]
              if a["type"] == "Action.OpenUrl" and a["url"].endswith(".xlsx")]
    download = await office.bot.http.get("/" + link.split("/", 3)[3])
    assert download.status == 200
    return Stage(office, request_id, open_request_id)


async def person_id(database: Database, aad: str) -> int:
    async with database.transaction() as session:
        return await session.scalar(select(Person.id).where(Person.aad_object_id == aad))


async def coordinator_figures(database: Database, clock_now) -> dict:
    """What `stats` counts for this month and the one before, for the whole organisation and
    for Kaisa's area, and what an export of the month holds."""
    settings = await DirectoryRepository(database).settings()
    period = parse_period(MONTH, clock_now)
    stats = StatsRepository(database)
    found = {}
    for scope, units in (("organisation", None), ("sote", {"sote", "ward-3", "ward-5"})):
        for label, when in (("this", period), ("previous", period.previous())):
            found[(scope, label)] = await stats.figures(
                units, when.start, when.end, offer_timeout=settings.offer_timeout,
                default_allowance=settings.mentor_weekly_minutes, weeks=when.weeks)
    found["export"] = await ExportRepository(database).rows(None, period.start, period.end)
    return found


async def every_text(database: Database) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text and JSON value stored anywhere."""
    found = []
    async with database.connection() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))
                       or isinstance(getattr(c.type, "impl", None), (String, Text))]
            if not columns:
                continue
            for row in (await connection.execute(select(*columns))).all():
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                        found.append((table.name, column.name, text))
    return found


async def table_counts(database: Database) -> dict[str, int]:
    async with database.connection() as connection:
        return {table.name: await connection.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables}


def run_cli(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", **env}
    return subprocess.run([sys.executable, "app.py", *args], cwd=ROOT, env=environment, capture_output=True,
                          timeout=120)
