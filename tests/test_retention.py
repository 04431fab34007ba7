"""RETENTION_DAYS: texts people wrote are redacted once they are older than that, daily and
idempotently, by the served bot itself; every row stays, so the figures of the past stay."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.config import ConfigError, load_settings
from dialogs.clock import Clock
from dialogs.flows.privacy import Privacy
from storage.audit_repository import AuditRepository
from storage.db import Database
from storage.models import REDACTED, FaqVariant, Question
from storage.person_erasure import PersonErasure
from storage.person_export import PersonExport
from storage.question_repository import QuestionRepository
from storage.retention import Retention
from tests.conftest import settings_for, start_bot
from tests.support.office import FI, KAISA, MAIJA, Office
from tests.support.privacy_stage import (
    COMMENT,
    HANDED_STORED,
    NOTE,
    OPEN_QUESTION,
    ORG_WITH_EMAILS,
    PARAPHRASE,
    Stage,
    coordinator_figures,
    every_text,
    live_a_month,
    run_cli,
)
from tests.support.time import WEDNESDAY_MORNING

EXPECTED = {"question_texts": 3, "comments": 1, "pending_faq_variants": 1, "time_entry_notes": 1,
            "proposal_questions": 1, "survey_answers": 0, "survey_responses": 0, "session_notes": 0,
            "session_comments": 0, "agreement_goals": 0, "agreement_comments": 0}


@pytest.fixture
async def stage(bot, connector, database_url) -> Stage:
    return await live_a_month(await Office(bot, connector, database_url, org=ORG_WITH_EMAILS).setup())


def test_retention_days_defaults_to_a_year_and_a_bad_value_names_the_variable():
    assert load_settings({}).retention_days == 365
    assert load_settings({"RETENTION_DAYS": "30"}).retention_days == 30
    for bad in ("0", "-5", "a year", "3651", "1.5"):
        with pytest.raises(ConfigError, match=r"RETENTION_DAYS: expected a number of days from 1 to 3650"):
            load_settings({"RETENTION_DAYS": bad})
    refused = run_cli("migrate", database_url="sqlite+aiosqlite:///:memory:", RETENTION_DAYS="forever")
    assert refused.returncode == 2
    assert "RETENTION_DAYS: expected a number of days from 1 to 3650, got 'forever'" in refused.stderr.decode()


async def _texts_written(database: Database) -> set[str]:
    return {value for table, column, value in await every_text(database)
            if (table, column) in {("questions", "text"), ("feedback", "comment"), ("mentor_time_entries", "note"),
                                   ("faq_variants", "text"), ("faq_translations", "question")}}


async def test_a_year_on_the_texts_are_redacted_once_and_the_figures_of_the_past_stay(stage):
    office = stage.office
    # Withdrawn, so that no offer times out while the clock moves on a year.
    await office.click(MAIJA, "cancelRequest", {"request_id": stage.open_request_id})
    database = office.database()
    before = await coordinator_figures(database, WEDNESDAY_MORNING)
    assert {PARAPHRASE, HANDED_STORED, OPEN_QUESTION, COMMENT, NOTE} <= await _texts_written(database)

    office.clock.advance(timedelta(days=364))
    assert await office.flows.privacy.apply_retention() == dict.fromkeys(EXPECTED, 0)  # not old enough yet
    office.clock.advance(timedelta(days=2))
    await office.say(MAIJA, "miten vaihdan taustakuvan")  # asked today: kept
    assert await office.flows.privacy.apply_retention() == EXPECTED
    assert await office.flows.privacy.apply_retention() == dict.fromkeys(EXPECTED, 0)

    texts = await _texts_written(database)
    assert {HANDED_STORED, OPEN_QUESTION, COMMENT, NOTE} & texts == set()
    assert "miten vaihdan taustakuvan" in texts
    async with database.transaction() as session:
        questions = (await session.scalars(select(Question.text).order_by(Question.id))).all()
        variants = {(v.status, v.text) for v in (await session.scalars(select(FaqVariant))).all()}
    assert questions == [REDACTED] * 3 + ["miten vaihdan taustakuvan"]
    # An approved variant is part of the FAQ now, and stays; the pending one is gone from view.
    assert variants == {("approved", PARAPHRASE), ("pending", REDACTED)}
    assert await coordinator_figures(database, WEDNESDAY_MORNING) == _with_redacted_texts(before)
    # The coordinator's export of that month has every row, the questions read as removed.
    await office.say(KAISA, "vienti 2026-11")
    [link] = [a["url"] for a in office.cards(KAISA)[-1]["actions"]
              if a["type"] == "Action.OpenUrl" and a["url"].endswith(".xlsx")]
    download = await office.bot.http.get("/" + link.split("/", 3)[3])
    sheet = load_workbook(io.BytesIO(await download.read()))[FI("export.sheets.requests")]
    questions = [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert questions == [FI("privacy.redacted")] * 2

    runs = [e for e in await AuditRepository(database).entries() if e.action == "retention_run"]
    await database.dispose()
    assert [(e.actor, e.data["days"]) for e in runs] == [("retention", 365)]
    assert {k: v for k, v in runs[0].data.items() if k in EXPECTED} == EXPECTED
    assert runs[0].data["cutoff"] == (office.clock.now() - timedelta(days=365)).isoformat()


def _with_redacted_texts(figures: dict) -> dict:
    """The export of the month as it reads after retention: the same rows, the texts removed."""
    export = figures["export"]
    requests = [row[:6] + (REDACTED,) + row[7:] for row in export["requests"]]
    time_entries = [row[:6] + ((REDACTED,) if row[6] else (None,)) for row in export["time_entries"]]
    feedback = [row[:4] + (REDACTED,) + row[5:] for row in export["feedback"]]
    return {**figures, "export": {"requests": requests, "time_entries": time_entries, "feedback": feedback}}


async def test_two_processes_running_it_at_once_redact_each_text_once(stage):
    stage.office.clock.advance(timedelta(days=400))
    databases = [Database(stage.database_url, clock=stage.office.clock.now) for _ in range(2)]
    runs = [Privacy(PersonExport(db), PersonErasure(db), Retention(db), AuditRepository(db), stage.office.clock)
            for db in databases]
    results = await asyncio.gather(*(run.apply_retention() for run in runs))
    done = [counts for counts in results if counts is not None]
    assert {name: sum(counts[name] for counts in done) for name in EXPECTED} == EXPECTED
    entries = [e for e in await AuditRepository(databases[0]).entries() if e.action == "retention_run"]
    for database in databases:
        await database.dispose()
    assert len(entries) == 1


async def test_the_served_bot_applies_retention_soon_after_it_starts(database_url):
    past = Clock(frozen_at=WEDNESDAY_MORNING - timedelta(days=40))
    database = Database(database_url, clock=past.now)
    old = await QuestionRepository(database).record(
        asker_aad_object_id=MAIJA, asker_person_id=None, unit_id=None, text="vanha kysymys", language="fi",
        outcome="none", faq_entry_id=None, score=None, shown_entry_ids=[], masked_items=0)
    client = await start_bot(settings_for(database_url, RETENTION_DAYS="30"), Clock(frozen_at=WEDNESDAY_MORNING))
    try:
        for _ in range(100):
            if (await QuestionRepository(database).get(old)).text == REDACTED:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the retention job did not run")
    finally:
        await client.close()
        await database.dispose()
