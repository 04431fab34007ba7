"""Exactly one mentor wins, however many click at once: decided by the database, on SQLite and
PostgreSQL, within one process and across two app processes."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import aiohttp
import pytest

from bot.web import FLOWS
from dialogs.rules.help_requests import TRANSITIONS, Action, State
from dialogs.rules.org_file import parse_organization_file
from storage.organization_repository import import_organization
from storage.question_repository import QuestionRepository
from storage.request_repository import RequestRepository, StateConflict
from tests.conftest import settings_for, start_bot
from tests.support.activities import card_click
from tests.support.office import AINO, PEKKA, PEOPLE, VILLE, Office
from tests.support.served import served

ASKER = "00000000-0000-0000-0000-000000000100"


def _org_with_mentors(count: int) -> str:
    people = [f"  - {{aad_object_id: {ASKER}, name: Kysyjä, unit: ward}}"]
    people += [
        f"  - {{aad_object_id: 00000000-0000-0000-0000-{200 + n:012d}, name: Mentori {n}, unit: ward, "
        f"roles: [employee, mentor]}}"
        for n in range(count)
    ]
    return "organization: {name: Kilpa}\nunits:\n  - {id: ward, name: {fi: Osasto}}\npeople:\n" + "\n".join(people)


async def test_twenty_concurrent_accepts_have_exactly_one_winner(database):
    try:
        await import_organization(database, parse_organization_file(_org_with_mentors(20)))
        requests = RequestRepository(database)
        question_id = await QuestionRepository(database).record(
            asker_aad_object_id=ASKER, asker_person_id=1, unit_id="ward", text="apua", language="fi",
            outcome="none", faq_entry_id=None, score=None, shown_entry_ids=[], masked_items=0)
        request, _ = await requests.create(question_id=question_id, asker_person_id=1, asker_aad_object_id=ASKER,
                                           unit_id="ward", language="fi", topic=None)
        mentor_ids = list(range(2, 22))
        assert await requests.add_offers(request.id, 0, mentor_ids) == mentor_ids

        accept_rule = TRANSITIONS[Action.ACCEPT]

        async def accept(mentor_id: int) -> int | None:
            try:
                await requests.transition(request.id, kind="accept", from_states=accept_rule.sources,
                                          to_state=accept_rule.target, actor_person_id=mentor_id,
                                          assign_mentor=mentor_id, require_offer_to=mentor_id)
                return mentor_id
            except StateConflict as refused:
                assert refused.state == State.ACCEPTED
                return None

        results = await asyncio.gather(*(accept(m) for m in mentor_ids))
        winners = [r for r in results if r is not None]
        assert len(winners) == 1
        record = await requests.get(request.id)
        assert record.state == "accepted" and record.assigned_mentor_id == winners[0]
        events = [kind for kind, _, _ in await requests.events(request.id)]
        assert events.count("accept") == 1
        offers = {o.mentor_id: o.state for o in await requests.offers(request.id)}
        assert offers[winners[0]] == "won"
        assert sorted(offers.values()).count("lost") == 19
    finally:
        await database.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_app_processes_sharing_postgresql_pick_one_winner(bot, connector, database_url):
    office = await Office(bot, connector, database_url).setup()
    request_id = await office.ask_a_mentor()
    await office.escalate_at(office.clock.now() + timedelta(minutes=11))  # + Aino

    async with served(database_url) as (port, _), aiohttp.ClientSession() as http:
        async def click(index: int) -> dict:
            person = (PEKKA, VILLE, AINO)[index % 3]
            activity = card_click("acceptRequest", {"request_id": request_id}, service_url=connector.url,
                                  user=person, name=PEOPLE[person])
            if index % 2:
                async with http.post(f"http://127.0.0.1:{port}/api/messages", json=activity) as response:
                    return await response.json()
            response = await bot.post(activity)
            return await response.json()

        replies = await asyncio.gather(*(click(i) for i in range(20)))
    working = [r for r in replies if "resolveRequest" in json.dumps(r)]
    winner_ids = {json.dumps(r["value"]["body"], ensure_ascii=False) for r in working}
    assert len(winner_ids) == 1  # one mentor won; their own repeated clicks show the same working card
    record, events = await office.request(request_id)
    assert events.count("accept") == 1
    assert record.state == "accepted"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_an_escalation_timer_fires_once_with_two_processes_claiming(bot, connector, database_url):

    office = await Office(bot, connector, database_url).setup()
    request_id = await office.ask_a_mentor()
    other = await start_bot(settings_for(database_url), office.clock)
    try:
        rounds = [office.flows.offers, other.server.app[FLOWS].offers]
        office.clock.advance(timedelta(minutes=11))
        fired = await asyncio.gather(*(r.escalate_due() for r in rounds for _ in range(3)))
    finally:
        await other.close()  # what it had not sent yet it gives back to the outbox
    await office.settle()
    assert sum(fired) == 1
    _, events = await office.request(request_id)
    assert events.count("escalated") == 1
    assert len(office.cards(AINO)) == 1
