"""Personal data on request: `python app.py person export EMAIL` shows a data-protection officer
everything stored about a person, and `person erase EMAIL --yes` removes what identifies them
while every coordinator figure stays exactly as it was. After a month of real use through the
bot's HTTP endpoint, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import select

from dialogs.rules.org_file import parse_organization_file
from storage.models import REDACTED, Base, FaqTranslation, Person
from storage.organization_repository import import_organization
from storage.personal_data import PERSON_COLUMNS
from tests.support.office import FI, KAISA, MAIJA, PEKKA, Office, body_text
from tests.support.privacy_stage import (
    COMMENT,
    EMAILS,
    ENTRY,
    HANDED_QUESTION,
    HANDED_STORED,
    NOTE,
    OPEN_QUESTION,
    ORG_WITH_EMAILS,
    PARAPHRASE,
    PROPOSAL,
    Stage,
    coordinator_figures,
    every_text,
    live_a_month,
    person_id,
    run_cli,
    table_counts,
)


@pytest.fixture
async def stage(bot, connector, database_url) -> Stage:
    return await live_a_month(await Office(bot, connector, database_url, org=ORG_WITH_EMAILS).setup())


def export(stage: Stage, email: str) -> dict:
    result = run_cli("person", "export", email, database_url=stage.database_url)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout.decode("utf-8"))


def test_every_column_that_points_at_a_person_is_covered_by_export_and_erasure():
    """A new table (or column) holding a person id, an Entra object id, or a row of a person's
    question, help request or survey response fails here until storage.personal_data covers it."""
    personal_targets = {"people.id", "questions.id", "help_requests.id", "survey_responses.id"}
    found = set()
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            targets = {fk.target_fullname for fk in column.foreign_keys}
            named = "aad_object_id" in column.name or column.name in ("actor", "recipient", "mentor_id")
            if targets & personal_targets or named:
                found.add((table.name, column.name))
            if table.name == "people" and column.primary_key:
                found.add((table.name, column.name))
    assert found - set(PERSON_COLUMNS) == set(), "not in storage.personal_data.PERSON_COLUMNS"
    assert set(PERSON_COLUMNS) - found == set(), "PERSON_COLUMNS names a column the models no longer have"


async def test_export_shows_an_asker_everything_stored_about_them(stage):
    document = export(stage, EMAILS[MAIJA].upper())  # an address is found whatever its case
    [maija] = document["people"]
    assert set(maija) == set(PERSON_COLUMNS.values()) | {"directory"}
    directory = maija["directory"]
    assert (directory["name"], directory["email"], directory["unit_id"]) == ("Maija Virtanen", EMAILS[MAIJA],
                                                                             "ward-3")
    assert directory["roles"] == ["employee"] and directory["languages"] == ["fi"]
    questions = {q["text"]: q for q in maija["questions"]}
    # Stored masked, and exported as stored: the phone number was never kept.
    assert set(questions) == {PARAPHRASE, HANDED_STORED, OPEN_QUESTION}
    assert HANDED_QUESTION not in json.dumps(document, ensure_ascii=False)
    assert questions[PARAPHRASE]["outcome"] == "suggested" and questions[HANDED_STORED]["handed"] is True
    assert questions[PARAPHRASE]["asked_at"] == "2026-11-25T08:00:00Z"
    assert [f["helpful"] for f in maija["faq_feedback"]] == [True]
    requests = {r["id"]: r for r in maija["help_requests_as_asker"]}
    resolved = requests[stage.request_id]
    assert resolved["state"] == "resolved" and resolved["minutes"] == 25
    assert resolved["rating"]["rating"] == 4 and resolved["rating"]["comment"] == COMMENT
    assert [e["kind"] for e in resolved["events"]][:3] == ["created", "offered", "accept"]
    assert requests[stage.open_request_id]["state"] == "offered"
    variants = {(v["text"], v["source"], v["status"]) for v in maija["faq_variants_from_questions"]}
    assert variants == {(PARAPHRASE, "suggestion", "approved"), (HANDED_STORED, "mentor", "pending")}
    # Pekka's proposal carries her question: it is hers too.
    [proposal] = maija["faq_proposals"]
    assert proposal["status"] == "proposed" and proposal["texts"][0]["question"] == HANDED_STORED
    [reference] = maija["conversation_references"]
    assert reference["conversation_id"] == f"a:personal-{MAIJA}" and reference["locale"] == "fi-FI"
    assert maija["help_requests_as_mentor"] == maija["time_entries"] == maija["offers"] == []
    assert "person_added" in [a["action"] for a in maija["audit"]]


async def test_export_shows_a_mentor_their_work_offers_time_and_digests(stage):
    [pekka] = export(stage, EMAILS[PEKKA])["people"]
    assert pekka["directory"]["roles"] == ["employee", "mentor"]
    assert pekka["directory"]["mentor_profile"]["topics"] == ["teams"]
    [mentored] = pekka["help_requests_as_mentor"]
    assert (mentored["id"], mentored["state"], mentored["minutes"]) == (stage.request_id, "resolved", 25)
    assert {o["request_id"] for o in pekka["offers"]} == {stage.request_id, stage.open_request_id}
    assert sorted((t["minutes"], t["note"]) for t in pekka["time_entries"]) == [(25, None), (30, NOTE)]
    assert [e["kind"] for e in pekka["request_events"]] == ["accept", "resolve"]
    [proposal] = pekka["faq_proposals"]
    assert proposal["proposed_by"] == pekka["directory"]["id"] and proposal["texts"][0]["answer"] == PROPOSAL
    assert [(d["week"], d["kind"]) for d in pekka["digests"]] == [("2026-W47", "mentor")]


async def test_export_of_an_unknown_address_says_so_and_exits_2(stage):
    result = run_cli("person", "export", "nobody@example.fi", database_url=stage.database_url)
    assert result.returncode == 2 and result.stdout == b""
    assert "nobody is stored with the e-mail 'nobody@example.fi'" in result.stderr.decode()


def _needles(person: dict) -> set[str]:
    """Everything in a person's export that would identify them or is their own words."""
    directory = person["directory"]
    found = {directory["name"], directory["email"], directory["aad_object_id"]}
    found |= {q["text"] for q in person["questions"]}
    found |= {r["rating"]["comment"] for r in person["help_requests_as_asker"] if r["rating"]}
    found |= {t["note"] for t in person["time_entries"] if t["note"]}
    found |= {t["answer"] for p in person["faq_proposals"] if p["proposed_by"] == directory["id"]
              for t in p["texts"]}
    return found - {None}


async def _leftovers(stage: Stage, needles: set[str]) -> list:
    database = stage.office.database()
    texts = await every_text(database)
    await database.dispose()
    return [(table, column, needle) for table, column, value in texts for needle in needles
            if needle.lower() in value.lower()]


async def _figures(stage: Stage) -> dict:
    database = stage.office.database()
    try:
        return await coordinator_figures(database, stage.office.clock.now())
    finally:
        await database.dispose()


# The columns of the export that hold people's words or names (storage.export_repository).
EXPORT_TEXTS = {"requests": ("question", "mentor"), "time_entries": ("mentor", "note"), "feedback": ("comment",)}


def _split_export(figures: dict) -> tuple[dict, dict]:
    """(the export without its text columns, the text columns alone)."""
    from storage.export_repository import FEEDBACK_COLUMNS, REQUEST_COLUMNS, TIME_COLUMNS

    columns = {"requests": REQUEST_COLUMNS, "time_entries": TIME_COLUMNS, "feedback": FEEDBACK_COLUMNS}
    figures = dict(figures)
    export = figures.pop("export")
    kept, texts = {}, {}
    for table, rows in export.items():
        text_at = {columns[table].index(name) for name in EXPORT_TEXTS[table]}
        kept[table] = [tuple(v for i, v in enumerate(row) if i not in text_at) for row in rows]
        texts[table] = [tuple(v for i, v in enumerate(row) if i in text_at) for row in rows]
    return {**figures, "export": kept}, texts


async def test_erasing_an_asker_leaves_no_trace_of_them_and_every_figure_as_it_was(stage):
    office = stage.office
    [maija] = export(stage, EMAILS[MAIJA])["people"]
    needles = _needles(maija)
    assert {PARAPHRASE, HANDED_STORED, COMMENT, EMAILS[MAIJA], MAIJA} <= needles
    assert await _leftovers(stage, needles)  # the search finds them before
    figures = await _figures(stage)
    await office.say(KAISA, "tilastot kuukausi")
    stats_card = office.cards(KAISA)[-1]

    preview = run_cli("person", "erase", EMAILS[MAIJA], database_url=stage.database_url)
    assert preview.returncode == 0, preview.stderr.decode()
    shown = preview.stdout.decode()
    assert f"person {maija['directory']['id']}: Maija Virtanen, unit ward-3, roles employee" in shown
    assert "3  question texts" in shown and "1  rating comments" in shown
    assert "1 of their help requests are still open" in shown
    assert "nothing was changed: run again with --yes" in shown
    assert await _leftovers(stage, needles)  # a preview changes nothing

    erased = run_cli("person", "erase", EMAILS[MAIJA], "--yes", database_url=stage.database_url)
    assert erased.returncode == 0, erased.stderr.decode()
    assert f"person {maija['directory']['id']} erased:" in erased.stdout.decode()
    assert "Maija" not in erased.stdout.decode()

    assert await _leftovers(stage, needles) == []
    (before, texts_before), (after, texts_after) = _split_export(figures), _split_export(await _figures(stage))
    assert after == before
    assert texts_before["feedback"] == [(COMMENT,)] and texts_after["feedback"] == [(REDACTED,)]
    assert {question for question, _ in texts_after["requests"]} == {REDACTED}
    # What a coordinator sees is the same card, figure for figure.
    await office.say(KAISA, "tilastot kuukausi")
    assert office.cards(KAISA)[-1] == stats_card
    database = office.database()
    async with database.transaction() as session:
        row = await session.get(Person, maija["directory"]["id"])
        entry_variants = (await session.scalars(select(FaqTranslation.variants)
                                                .where(FaqTranslation.entry_id == ENTRY))).all()
    await database.dispose()
    assert (row.name, row.email, row.active, row.unit_id) == (REDACTED, None, False, "ward-3")
    # Her words approved as a variant are taken out of the entry too.
    assert all(PARAPHRASE not in variants for variants in entry_variants)
    # The help she got reads as removed, in the reader's language, to the mentor who gave it.
    await office.say(PEKKA, "omat pyynnöt")
    assert OPEN_QUESTION not in body_text(office.cards(PEKKA)[-1])
    assert FI("privacy.redacted") in body_text(office.cards(PEKKA)[-1])

    [entry] = [e for e in json.loads(run_cli("audit", "--json", database_url=stage.database_url).stdout)
               if e["action"] == "person_erased"]
    assert entry["person_id"] == maija["directory"]["id"] and entry["actor"] == "cli"
    assert entry["data"]["question_texts"] == 3 and entry["data"]["conversation_references"] == 1
    assert all(isinstance(value, int) for value in entry["data"].values())  # counts only


async def test_erasing_a_mentor_keeps_their_minutes_in_the_figures_under_no_name(stage):
    [pekka] = export(stage, EMAILS[PEKKA])["people"]
    needles = _needles(pekka) | {"Pekka Korhonen"}
    assert {NOTE, PROPOSAL, PEKKA} <= needles
    before, texts_before = _split_export(await _figures(stage))
    erased = run_cli("person", "erase", EMAILS[PEKKA], "--yes", database_url=stage.database_url)
    assert erased.returncode == 0, erased.stderr.decode()
    assert "1  texts by others naming them" in erased.stdout.decode()  # Maija's comment
    assert await _leftovers(stage, needles) == []
    after, texts_after = _split_export(await _figures(stage))
    assert after["export"] == before["export"]
    for key, figures in before.items():
        if key != "export":
            assert figures.total_mentor_minutes == (55 if key[1] == "this" else 0)
            unnamed = tuple(replace(m, name=REDACTED) if m.name == "Pekka Korhonen" else m
                            for m in figures.mentor_minutes)
            assert after[key] == replace(figures, mentor_minutes=unnamed)
    assert set(texts_before["time_entries"]) == {("Pekka Korhonen", None), ("Pekka Korhonen", NOTE)}
    assert set(texts_after["time_entries"]) == {(REDACTED, None), (REDACTED, REDACTED)}


async def test_erasing_twice_or_an_unknown_address_changes_nothing_and_exits_2(stage):
    database = stage.office.database()
    first = run_cli("person", "erase", EMAILS[MAIJA], "--yes", database_url=stage.database_url)
    assert first.returncode == 0
    texts, counts = sorted(await every_text(database)), await table_counts(database)
    for email in (EMAILS[MAIJA], "nobody@example.fi"):
        again = run_cli("person", "erase", email, "--yes", database_url=stage.database_url)
        assert again.returncode == 2
        assert f"nobody is stored with the e-mail '{email}' (never known, or already erased); nothing was changed" \
            in again.stderr.decode()
    assert sorted(await every_text(database)) == texts and await table_counts(database) == counts
    await database.dispose()


async def test_an_erased_person_named_again_by_the_organisation_file_starts_afresh(stage):
    database = stage.office.database()
    old_id = await person_id(database, MAIJA)
    assert run_cli("person", "erase", EMAILS[MAIJA], "--yes", database_url=stage.database_url).returncode == 0
    summary = await import_organization(database, parse_organization_file(ORG_WITH_EMAILS))
    await database.dispose()
    assert summary.created["people"] == 1
    [maija] = export(stage, EMAILS[MAIJA])["people"]
    assert maija["directory"]["id"] != old_id and maija["directory"]["aad_object_id"] == MAIJA
    assert maija["questions"] == maija["help_requests_as_asker"] == maija["faq_variants_from_questions"] == []
