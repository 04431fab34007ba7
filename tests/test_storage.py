"""Repositories on SQLite and on a real PostgreSQL server (every test runs on both)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError

from dialogs.flows.directory import Directory
from dialogs.rules.faq_file import parse_faq_file, render_faq_file
from dialogs.rules.org_file import parse_organization_file
from storage.activity_claims import ActivityClaims
from storage.conversation_repository import ConversationRepository
from storage.db import Database, StorageUnavailable, outage_as_unavailable
from storage.directory_repository import DirectoryRepository
from storage.faq_repository import FaqRepository
from storage.models import CoordinatorScope, MentorProfile, Organization, Person, PersonRole, Unit
from storage.organization_repository import import_organization
from storage.processes import ProcessRegistry
from tests.support.organizations import VALID

FAQ = """\
- id: outlook-share-calendar
  topic: outlook
  fi:
    question: Miten jaan kalenterini työkaverille?
    variants: [kalenterin jakaminen, oikeus nähdä toisen kalenteri]
    answer: |
      1. Avaa Outlookin kalenteri.
      2. Valitse Jaa.
  sv: {question: Hur delar jag min kalender?, answer: "Öppna kalendern och välj Dela."}
  en: {question: How do I share my calendar?, answer: "Open the calendar and select Share."}
- id: printing
  links: [{title: Tulostusohje, url: "https://intra.example.fi/tulostus"}]
  fi: {question: Miten tulostan?, answer: "Valitse Tiedosto > Tulosta."}
"""


async def _directory_rows(database):
    async with database.transaction() as session:
        people = {p.aad_object_id[-2:]: p for p in (await session.scalars(select(Person))).all()}
        roles = {(r.person_id, r.role) for r in (await session.scalars(select(PersonRole))).all()}
        units = {u.id: u for u in (await session.scalars(select(Unit))).all()}
        profiles = {p.person_id: p for p in (await session.scalars(select(MentorProfile))).all()}
        scopes = {(s.person_id, s.unit_id) for s in (await session.scalars(select(CoordinatorScope))).all()}
        organization = await session.get(Organization, 1)
    return people, roles, units, profiles, scopes, organization


async def test_import_organization_writes_the_whole_directory(database):
    summary = await import_organization(database, parse_organization_file(VALID))
    assert summary.created == {"units": 2, "people": 3}
    people, roles, units, profiles, scopes, organization = await _directory_rows(database)
    assert organization.name == "Esimerkin hyvinvointialue" and organization.offer_timeout_minutes == 0.05
    assert units["ward-3"].parent_id == "sote"
    assert units["ward-3"].names == {"fi": "Osasto 3", "en": "Ward 3"}
    assert (people["b1"].id, "mentor") in roles
    assert profiles[people["b1"].id].topics == ["teams", "outlook"]
    assert profiles[people["b1"].id].weekly_minutes == 90
    assert scopes == {(people["c1"].id, "sote")}
    # Teams may send the object id in upper case: the directory finds the person all the same.
    member = await Directory(DirectoryRepository(database)).member("00000000-0000-0000-0000-0000000000B1")
    assert member.in_directory and member.name == "Pekka Korhonen"
    assert member.unit_id == "ward-3" and member.has_role("mentor") and member.languages == ("fi", "sv")


async def test_reimporting_the_same_file_changes_nothing(database, clock):
    plan = parse_organization_file(VALID)
    await import_organization(database, plan)
    before = await _directory_rows(database)
    # An hour later: a rewritten row would carry the new time.
    clock.advance(timedelta(hours=1))
    summary = await import_organization(database, parse_organization_file(VALID))
    assert not summary.changed
    after = await _directory_rows(database)
    assert {k: v.updated_at for k, v in before[0].items()} == {k: v.updated_at for k, v in after[0].items()}
    assert before[1] == after[1] and before[4] == after[4]
    assert before[5].updated_at == after[5].updated_at


async def test_a_changed_file_updates_people_and_units_in_place(database, clock):
    await import_organization(database, parse_organization_file(VALID))
    people_before = (await _directory_rows(database))[0]
    clock.advance(timedelta(hours=1))
    changed = (
        VALID.replace("name: {fi: Osasto 3, en: Ward 3}", "name: {fi: Osasto 3B}")
        .replace("roles: [employee, mentor]\n    mentor: {topics: [teams, outlook], weekly_minutes: 90}",
                 "roles: [employee]")
        .replace("  - aad_object_id: 00000000-0000-0000-0000-0000000000c1\n    name: Kaisa Coordinator\n"
                 "    unit: sote\n    roles: [employee, coordinator]\n    coordinator_of: [sote]\n", "")
    )
    summary = await import_organization(database, parse_organization_file(changed))
    assert summary.updated["units"] == 1 and summary.updated["people"] == 1
    assert summary.deactivated["people"] == 1
    people, roles, units, _, _, _ = await _directory_rows(database)
    assert people["b1"].id == people_before["b1"].id  # updated, not replaced
    assert people["b1"].updated_at == clock.now() and people["a1"].updated_at == people_before["a1"].updated_at
    assert (people["b1"].id, "mentor") not in roles
    assert units["ward-3"].names == {"fi": "Osasto 3B"}
    assert people["c1"].active is False
    gone = await Directory(DirectoryRepository(database)).member("00000000-0000-0000-0000-0000000000c1", "Kaisa")
    assert not gone.in_directory


async def test_faq_import_export_round_trips_losslessly(database):
    faq = FaqRepository(database)
    entries = parse_faq_file(FAQ)
    first = await faq.import_entries(entries)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    exported = render_faq_file(await faq.published())
    assert parse_faq_file(exported) == entries
    again = await faq.import_entries(parse_faq_file(exported))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    edited = FAQ.replace("Valitse Tiedosto > Tulosta.", "Paina Ctrl+P.")
    third = await faq.import_entries(parse_faq_file(edited))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    printing = [e for e in await faq.published() if e.id == "printing"][0]
    assert printing.texts["fi"].answer == "Paina Ctrl+P."
    assert printing.links[0].url == "https://intra.example.fi/tulostus"


async def test_conversation_references_are_upserted(database):
    repository = ConversationRepository(database)
    common = dict(aad_object_id="ABC", conversation_id="a:1", conversation_type="personal", tenant_id="t",
                  channel_id="msteams", locale="fi-FI")
    await repository.remember(service_url="https://one", reference={"v": 1}, **common)
    await asyncio.gather(*(repository.remember(service_url="https://two", reference={"v": 2}, **common)
                           for _ in range(5)))
    stored = await repository.personal("abc")
    assert stored.service_url == "https://two" and stored.reference == {"v": 2}


async def test_activity_claims_let_exactly_one_delivery_through(database):
    # Two processes; the losers give up after a second, their live rival still answering.
    processes = [ActivityClaims(database, ProcessRegistry(database), wait=1.0) for _ in range(2)]
    results = await asyncio.gather(*(processes[i % 2].claim("conv|act-1") for i in range(10)))
    assert results.count(True) == 1
    winner = processes[results.index(True) % 2]
    await winner.release("conv|act-1")
    assert await processes[0].claim("conv|act-1") is True


@pytest.mark.parametrize("sqlstate_error", [asyncpg.exceptions.CannotConnectNowError,  # 57P03: shutting down
                                            asyncpg.exceptions.AdminShutdownError])  # 57P01: terminated
def test_postgresql_going_down_is_an_outage_not_an_error(sqlstate_error):
    """A 503 with Retry-After (and a retry by the Connector), never a 500, while PostgreSQL stops."""
    cause = sqlstate_error("the database system is shutting down")
    adapted = AsyncAdapt_asyncpg_dbapi.Error(str(cause), cause)
    adapted.sqlstate = cause.sqlstate
    wrapped = DBAPIError("SELECT 1", {}, adapted)

    async def fail() -> None:
        async with outage_as_unavailable():
            raise wrapped

    with pytest.raises(StorageUnavailable):
        asyncio.run(fail())


async def test_a_connection_that_died_while_idle_is_replaced_not_an_outage(database_url, clock):
    """After a PostgreSQL restart or failover the pool holds dead connections: the first turn
    would get a 503 (and the asker a retry) if a dead idle one were used instead of replaced."""
    if database_url.startswith("sqlite"):
        pytest.skip("a PostgreSQL server's connections")
    database = Database(database_url, clock=clock.now, idle_before_ping=0.05)
    try:
        async with database.connection() as connection:
            victim = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", victim)
        finally:
            await admin.close()
        await asyncio.sleep(0.2)
        async with database.connection() as connection:
            replacement = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert replacement != victim
    finally:
        await database.dispose()


async def test_two_deliveries_in_a_conversation_with_a_long_id_are_two(database):
    """Keys were cut at 500 characters: in a channel thread with a long id, every message after
    the first looked like a duplicate and was dropped unanswered."""
    claims = ActivityClaims(database, ProcessRegistry(database))
    conversation = "19:" + "x" * 600 + "@thread.tacv2;messageid=1"
    assert await claims.claim(f"{conversation}|first")
    assert await claims.claim(f"{conversation}|second")
    await claims.finish(f"{conversation}|second")
    assert not await claims.claim(f"{conversation}|second")


async def test_the_migrations_build_exactly_the_schema_the_models_describe(database):
    """A model changed without a migration (or the reverse) would fail on the first deployment
    that migrates instead of creating tables."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    def differences(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return compare_metadata(context, Base.metadata)

    async with database.engine.connect() as connection:
        found = await connection.run_sync(differences)
    assert found == []


async def test_the_network_settings_and_the_helpdesk_role_are_stored_and_read_back(database):
    from storage.directory_repository import DirectoryRepository

    text = VALID.replace('  working_hours: "08:00-16:00"\n', '  working_hours: "08:00-16:00"\n  mentor_model: open\n'
                         '  coverage_goal: 90\n  helpdesk: {name: IT-tuki, url: "https://tuki.example.fi"}\n') \
        .replace("roles: [employee]\n", "roles: [employee, helpdesk]\n", 1)
    await import_organization(database, parse_organization_file(text))
    settings = await DirectoryRepository(database).settings()
    assert (settings.mentor_model, settings.coverage_goal) == ("open", 90)
    assert settings.helpdesk["url"] == "https://tuki.example.fi" and settings.helpdesk["name"]["sv"] == "IT-tuki"
    entry = await DirectoryRepository(database).entry("00000000-0000-0000-0000-0000000000a1")
    assert entry.roles == {"employee", "helpdesk"}
    assert not (await import_organization(database, parse_organization_file(text))).changed


async def test_the_helpdesks_faq_entries_round_trip_and_a_file_without_the_field_stays_as_it_was(database):
    marked = FAQ.replace("- id: printing\n", "- id: printing\n  helpdesk: true\n")
    faq = FaqRepository(database)
    await faq.import_entries(parse_faq_file(marked))
    published = {entry.id: entry for entry in await faq.published()}
    assert published["printing"].helpdesk and not published["outlook-share-calendar"].helpdesk
    exported = render_faq_file(await faq.published())
    assert "helpdesk: true" in exported and exported.count("helpdesk") == 1
    assert parse_faq_file(exported) == await faq.published()
    # The field is written only when set: a file without it exports exactly as before.
    assert "helpdesk" not in render_faq_file(parse_faq_file(FAQ))
    summary = await faq.import_entries(parse_faq_file(FAQ))  # unmarked again
    assert summary.updated == 1 and not {e.id: e for e in await faq.published()}["printing"].helpdesk
