"""Coverage, through the bot's HTTP endpoint: which units have a digimentor, the share against
the goal (also in the weekly digest), and the alert a unit's coordinators get the moment it loses
its last active mentor, however that happens."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cards.formatting import day, percent
from cards.i18n import Texts
from dialogs.rules.org_file import parse_organization_file
from storage.mentor_repository import MentorRepository
from storage.models import CoverageChange, Person
from storage.organization_repository import import_organization
from tests.support.office import AINO, FI, KAISA, MAIJA, ORG, PEKKA, SARI, VILLE, Office, body_text
from tests.support.time import WEDNESDAY_MORNING

ROOT = Path(__file__).resolve().parent.parent
SV = Texts("sv")
ALL_COVERED = FI("coverage.summary", covered=3, counted=3, share=percent(1.0, "fi"), goal=100)


def alert_cards(office: Office, person: str, unit: str, texts: Texts = FI) -> list[dict]:
    return [c for c in office.cards(person) if c["body"][0]["text"] == texts("coverage.alert_title", unit=unit)]


async def person_ids(office: Office) -> dict[str, int]:
    database = office.database()
    async with database.transaction() as session:
        ids = {p.aad_object_id: p.id for p in (await session.scalars(select(Person))).all()}
    await database.dispose()
    return ids


@pytest.fixture
async def office(bot, connector, database_url) -> Office:
    return await Office(bot, connector, database_url).setup()


async def test_removing_a_units_last_mentor_alerts_its_coordinator_with_the_people_who_helped_most_recently(office):
    ids = await person_ids(office)
    # Ville has helped (logged mentoring time) and Pekka too, earlier; Maija never.
    office.clock.freeze(WEDNESDAY_MORNING - timedelta(days=2))
    await office.say(PEKKA, "kirjaa 20 opastin Teamsin kanssa")
    office.clock.freeze(WEDNESDAY_MORNING)
    await office.say(VILLE, "kirjaa 15 opastin tulostamisessa")

    await office.click(KAISA, "removeMentor", {"person_id": ids[VILLE]})
    assert alert_cards(office, KAISA, "Osasto 3") == [], "Pekka still mentors Osasto 3"
    await office.click(KAISA, "removeMentor", {"person_id": ids[PEKKA]})

    [alert] = alert_cards(office, KAISA, "Osasto 3")
    text = body_text(alert)
    assert FI("coverage.alert_body", unit="Osasto 3", day=day(WEDNESDAY_MORNING, "fi")) in text
    # Who helped most recently comes first; Maija, who never helped, is no candidate.
    facts = [fact["title"] for block in alert["body"] if block["type"] == "FactSet" for fact in block["facts"]]
    assert facts == ["Ville Heikkinen", "Pekka Korhonen"]
    buttons = [(a["verb"], a["data"]["new_mentor"]) for a in alert["actions"]]
    assert buttons == [("addMentor", VILLE), ("addMentor", PEKKA)]
    assert alert_cards(office, AINO, "Osasto 3") == [] and alert_cards(office, MAIJA, "Osasto 3") == []

    # A repeated removal click and every later sweep change nothing: the alert came once.
    await office.click(KAISA, "removeMentor", {"person_id": ids[PEKKA]})
    assert await office.flows.coverage.sweep() == 0
    await office.settle()
    assert len(alert_cards(office, KAISA, "Osasto 3")) == 1

    # The candidate's button makes them a digimentor again, and the unit is covered.
    made = await office.click(KAISA, "addMentor", alert["actions"][0]["data"])
    assert "Ville Heikkinen" in body_text(made["value"])
    await office.say(KAISA, "kattavuus")
    assert ALL_COVERED in body_text(office.cards(KAISA)[-1])


async def test_the_coverage_card_in_three_languages(office):
    await office.say(SARI, "poissa")  # away until further notice: Osasto 5 has nobody on duty this week
    await office.say(KAISA, "kattavuus")
    card = office.cards(KAISA)[-1]
    assert card["body"][0]["text"] == FI("coverage.title", scope="Sote")
    # Sote, Osasto 3 and Osasto 5 have people and a mentor each; the area above has no people.
    assert card["body"][1]["text"] == ALL_COVERED + " " + FI("coverage.goal_met")
    units = {block["items"][0]["text"].strip("*"): {f["title"]: f["value"] for f in block["items"][1]["facts"]}
             for block in card["body"] if block["type"] == "Container"}
    assert set(units) == {"Sote", "Osasto 3", "Osasto 5"}
    assert units["Osasto 3"] == {FI("coverage.mentors"): "Pekka Korhonen, Ville Heikkinen",
                                 FI("coverage.on_duty"): FI("coverage.yes"),
                                 FI("coverage.has_had"): FI("coverage.since", day=day(WEDNESDAY_MORNING, "fi"),
                                                            duration=FI("coverage.durations.days", count=0))}
    assert units["Osasto 5"][FI("coverage.on_duty")] == FI("coverage.no")

    # A week on, answered in Swedish and in English by their own command words.
    office.clock.freeze(WEDNESDAY_MORNING + timedelta(days=15))
    await office.say(KAISA, "täckning")
    assert SV("coverage.durations.weeks", count=2) in body_text(office.cards(KAISA)[-1])
    await office.say(KAISA, "coverage")
    assert FI("coverage.title", scope="Sote") == office.cards(KAISA)[-1]["body"][0]["text"]


@pytest.mark.parametrize("person", [MAIJA, PEKKA])
async def test_only_coordinators_see_coverage(office, person):
    await office.say(person, "kattavuus")
    assert office.texts(person)[-1] == FI("reply.refused_role", role=FI("roles.coordinator"))


async def test_an_import_that_deactivates_or_moves_the_last_mentor_alerts_the_same_day(office):
    # Sari leaves Osasto 5 for Henkilöstö; Olli (Henkilöstö's mentor) is not in the new file.
    moved = ORG.replace("name: Sari Lehto, unit: ward-5", "name: Sari Lehto, unit: hr")
    without_olli = "\n".join(line for line in moved.splitlines() if "Olli Nieminen" not in line)
    database = office.database()
    summary = await import_organization(database, parse_organization_file(without_olli + "\n"))
    await database.dispose()
    assert summary.lost_mentor == ("ward-5",), "Henkilöstö keeps Sari, who moved there"
    assert await office.flows.coverage.alert_due() == 1
    await office.settle()
    [alert] = alert_cards(office, KAISA, "Osasto 5")
    assert FI("coverage.no_candidates") in body_text(alert)
    assert await office.flows.coverage.alert_due() == 0


async def test_an_erased_mentor_leaves_their_unit_uncovered_and_the_coordinator_is_told(bot, connector, database_url):
    org = ORG.replace("name: Sari Lehto, unit: ward-5", "name: Sari Lehto, email: sari.lehto@example.fi, unit: ward-5")
    office = await Office(bot, connector, database_url, org=org).setup()
    result = subprocess.run([sys.executable, "app.py", "person", "erase", "sari.lehto@example.fi", "--yes"],
                            cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url},
                            capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    await office.flows.coverage.sweep()
    await office.settle()
    assert len(alert_cards(office, KAISA, "Osasto 5")) == 1


async def test_a_unit_whose_last_two_mentors_go_at_once_is_still_found_by_the_sweep(office):
    """Two removals racing on PostgreSQL each see the other mentor still there; the sweep, which
    every process runs every minute, finds the loss all the same."""
    ids = await person_ids(office)
    database = office.database()

    mentors = MentorRepository(database)
    await asyncio.gather(mentors.change_role(actor=KAISA, person_id=ids[PEKKA], mentor=False),
                         mentors.change_role(actor=KAISA, person_id=ids[VILLE], mentor=False))
    await database.dispose()
    await office.flows.coverage.sweep()
    await office.settle()
    assert len(alert_cards(office, KAISA, "Osasto 3")) == 1
    database = office.database()
    async with database.transaction() as session:
        losses = (await session.scalars(select(CoverageChange).where(CoverageChange.unit_id == "ward-3",
                                                                     CoverageChange.covered.is_(False)))).all()
    await database.dispose()
    assert len(losses) == 1


async def test_the_weekly_digest_carries_the_share_of_units_covered(office):
    await office.click(KAISA, "removeMentor", {"person_id": (await person_ids(office))[SARI]})
    office.clock.freeze(WEDNESDAY_MORNING + timedelta(days=5))  # Monday 30 Nov, 10:00
    await office.flows.digest.send_due()
    await office.settle()
    [digest] = [c for c in office.cards(KAISA) if FI("coverage.digest_title") in body_text(c)]
    share = FI("coverage.summary", covered=2, counted=3, share=percent(2 / 3, "fi"), goal=100)
    assert share in body_text(digest)
    assert FI("coverage.goal_short", missing=1) in body_text(digest)
