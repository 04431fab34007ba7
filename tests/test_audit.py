"""The audit log an admin or a data-protection officer reads with `python app.py audit`: every
role given or taken (also by import-org), everyone deactivated, FAQ edits, variant decisions and
exports, each with who did it, and never a question text."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from dialogs.rules.org_file import parse_organization_file
from storage.db import Database
from storage.directory_repository import DirectoryRepository
from storage.models import Person
from storage.organization_repository import import_organization
from tests.support.office import KAISA, MAIJA, OLLI, ORG, PEKKA, VILLE, Office
from tests.support.privacy_stage import (
    COMMENT,
    ENTRY,
    HANDED_STORED,
    NOTE,
    OPEN_QUESTION,
    ORG_WITH_EMAILS,
    PARAPHRASE,
    PROPOSAL,
    card_actions,
    live_a_month,
    run_cli,
)
from tests.support.time import WEDNESDAY_MORNING

CHANGED_ORG = (ORG.replace("name: Maija Virtanen, unit: ward-3}",
                           "name: Maija Virtanen, unit: ward-3, roles: [employee, mentor]}")
               .replace("name: Ville Heikkinen, unit: ward-3, roles: [employee, mentor]}",
                        "name: Ville Heikkinen, unit: ward-3, roles: [employee]}")
               .replace("coordinator_of: [sote]}", "coordinator_of: [sote, hr]}"))
CHANGED_ORG = "\n".join(line for line in CHANGED_ORG.splitlines() if OLLI not in line and "Olli" not in line)


def audit_lines(database_url: str, *args: str) -> list[str]:
    result = run_cli("audit", *args, database_url=database_url)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode("utf-8").splitlines()


async def test_import_org_audits_every_role_given_and_taken_and_everyone_deactivated(database_url, clock):
    assert CHANGED_ORG != ORG and "Olli" not in CHANGED_ORG
    database = Database(database_url, clock=clock.now)
    clock.freeze(WEDNESDAY_MORNING - timedelta(days=1))
    await import_organization(database, parse_organization_file(ORG))
    clock.freeze(WEDNESDAY_MORNING)
    await import_organization(database, parse_organization_file(CHANGED_ORG))
    clock.advance(timedelta(hours=1))
    await import_organization(database, parse_organization_file(CHANGED_ORG))  # nothing changes, nothing audited
    async with database.transaction() as session:
        ids = {p.aad_object_id: p.id for p in (await session.scalars(select(Person))).all()}
    await database.dispose()

    lines = audit_lines(database_url, "--since", "2026-11-25")
    at = "2026-11-25T08:00:00Z"
    assert [line.split(" ", 2)[2] for line in lines] == [
        f'roles_changed actor=cli person={ids[MAIJA]} {{"roles_added":["mentor"]}}',
        f'roles_changed actor=cli person={ids[VILLE]} {{"roles_removed":["mentor"]}}',
        f'roles_changed actor=cli person={ids[KAISA]} {{"scopes_added":["hr"]}}',
        f'person_deactivated actor=cli person={ids[OLLI]} {{"roles":["employee","mentor"]}}',
        'import_org actor=cli person=- {"created":{"people":0,"units":0},"deactivated":{"people":1,"units":0},'
        '"updated":{"organization":0,"people":3,"units":0}}',
    ]
    assert all(line.startswith(f"{at} #") for line in lines)
    everything = audit_lines(database_url)
    assert everything[len(everything) - len(lines):] == lines
    added = [line for line in everything if " person_added " in line]
    assert len(added) == 7
    assert f'person_added actor=cli person={ids[PEKKA]} {{"roles_added":["employee","mentor"]}}' in added[1]
    # From Helsinki midnight: the first import was the day before, at 10:00.
    assert audit_lines(database_url, "--since", "2026-11-24") == everything
    assert audit_lines(database_url, "--since", "2026-11-26") == []

    entries = json.loads(run_cli("audit", "--json", database_url=database_url).stdout)
    assert [e["id"] for e in entries] == [int(line.split()[1][1:]) for line in everything]
    assert entries[-1]["action"] == "import_org" and entries[-1]["at"] == at and entries[-1]["person_id"] is None


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "2026-02-30", "25.11.2026", "20261125"])
def test_a_bad_since_date_is_refused_plainly(since):
    result = run_cli("audit", "--since", since, database_url="sqlite+aiosqlite:///:memory:")
    assert result.returncode == 2
    assert f"argument --since: expected a date YYYY-MM-DD, got '{since}'" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


async def test_faq_edits_variant_decisions_and_exports_are_audited_without_anyones_words(bot, connector,
                                                                                         database_url):
    office = await Office(bot, connector, database_url, org=ORG_WITH_EMAILS).setup()
    await live_a_month(office)
    await office.say(KAISA, "aukot")
    [reject] = [data for verb, data in card_actions(office.cards(KAISA)[-1]) if verb == "rejectVariant"]
    await office.click(KAISA, "rejectVariant", reject)

    entries = json.loads(run_cli("audit", "--json", database_url=database_url).stdout)
    by_action = {}
    for entry in entries:
        by_action.setdefault(entry["action"], []).append(entry)
    [imported] = by_action["faq_imported"]
    assert imported["actor"] == "cli" and ENTRY in imported["data"]["created"] and imported["data"]["updated"] == []
    [approved], [rejected] = by_action["variant_approved"], by_action["variant_rejected"]
    assert (approved["actor"], approved["data"]["entry_id"], approved["data"]["language"]) == (KAISA, ENTRY, "fi")
    assert rejected["actor"] == KAISA and rejected["data"]["variant_id"] == reject["variant_id"]
    [saved] = by_action["faq_saved"]
    assert (saved["actor"], saved["data"]) == (KAISA, {"entry_id": "printing-secure-print", "language": "fi"})
    [export] = by_action["export"]
    assert export["actor"] == KAISA and export["data"]["file"] == "xlsx"
    assert export["data"]["units"] == ["sote", "ward-3", "ward-5"]  # Kaisa's area, not the organisation
    # The period as the coordinator chose it, in Helsinki time: November.
    assert (export["data"]["start"], export["data"]["end"]) == ("2026-11-01T00:00:00+02:00",
                                                                "2026-12-01T00:00:00+02:00")
    assert export["data"]["rows"] == {"requests": 2, "time_entries": 2, "feedback": 1, "sessions": 0}
    printed = json.dumps(entries, ensure_ascii=False).lower()
    for words in (PARAPHRASE, HANDED_STORED, OPEN_QUESTION, COMMENT, NOTE, PROPOSAL, "maija virtanen"):
        assert words.lower() not in printed


async def test_a_person_placed_through_graph_is_audited_once(database):
    repository = DirectoryRepository(database)
    for _ in range(2):
        await repository.add_graph_person(aad_object_id="00000000-0000-0000-0000-0000000000e1", name="Noora Uusi",
                                          email=None, unit_id=None, language="fi")
    lines = audit_lines(database.url)
    assert len(lines) == 1 and ' person_added actor=graph person=1 {"roles_added":["employee"]}' in lines[0]
