"""A served process killed or stopped in the middle of its work strands nothing: the Connector's
redeliveries of the turns it had in flight are answered by the restarted process, and every
request still waiting has a live offer or a timer.

These run `python app.py serve` as a real process against the loopback Bot Connector, kill it
with SIGKILL or stop it with SIGTERM while the connector is slow (so that turns and sends are
in flight), start it again on the same database and replay what Teams would redeliver."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import and_, exists, func, select

from dialogs.rules.faq_file import parse_faq_file
from dialogs.rules.org_file import parse_organization_file
from storage.db import Database
from storage.faq_repository import FaqRepository
from storage.models import HelpRequest, RequestOffer
from storage.organization_repository import import_organization
from tests.support.activities import card_click, installation, message
from tests.support.served import start_served
from tests.support.time import WEDNESDAY_MORNING

ROOT = Path(__file__).resolve().parent.parent
EMPLOYEES = 40
MENTORS = 6


def aad(kind: str, n: int) -> str:
    return f"00000000-0000-0000-0000-{kind}{n:011d}"


EMPLOYEE_IDS = [aad("e", n) for n in range(1, EMPLOYEES + 1)]
MENTOR_IDS = [aad("b", n) for n in range(1, MENTORS + 1)]
COORDINATOR = aad("c", 1)
NAMES = {**{a: f"Työntekijä {n}" for n, a in enumerate(EMPLOYEE_IDS, 1)},
         **{a: f"Mentori {n}" for n, a in enumerate(MENTOR_IDS, 1)}, COORDINATOR: "Koordinaattori"}


def organisation(offer_timeout_minutes: float = 10) -> str:
    people = [f"  - {{aad_object_id: {a}, name: {NAMES[a]}, unit: ward-{3 if n % 2 else 5}}}"
              for n, a in enumerate(EMPLOYEE_IDS)]
    people += [f"  - {{aad_object_id: {a}, name: {NAMES[a]}, unit: {('ward-3', 'ward-5', 'sote')[n % 3]}, "
               f"roles: [employee, mentor]}}" for n, a in enumerate(MENTOR_IDS)]
    people.append(f"  - {{aad_object_id: {COORDINATOR}, name: Koordinaattori, unit: sote, "
                  f"roles: [employee, coordinator], coordinator_of: [sote]}}")
    return f"""
organization: {{name: Testialue, offer_timeout_minutes: {offer_timeout_minutes}, working_hours: "08:00-16:00"}}
units:
  - {{id: hva, name: {{fi: Hyvinvointialue}}}}
  - {{id: sote, parent: hva, name: {{fi: Sote}}}}
  - {{id: ward-3, parent: sote, name: {{fi: Osasto 3}}}}
  - {{id: ward-5, parent: sote, name: {{fi: Osasto 5}}}}
people:
""" + "\n".join(people) + "\n"


# A served process reads the product clock from here: a Wednesday morning, in working hours.
SERVE = {"DIGIMENTOR_CLOCK_START": WEDNESDAY_MORNING.isoformat(), "ESCALATION_POLL_SECONDS": "0.5"}


async def seed(database_url: str, org: str) -> None:
    database = Database(database_url, clock=lambda: WEDNESDAY_MORNING)
    try:
        await import_organization(database, parse_organization_file(org))
        await FaqRepository(database).import_entries(
            parse_faq_file((ROOT / "storage/seed/faq.yaml").read_text(encoding="utf-8")))
    finally:
        await database.dispose()


async def post(http: aiohttp.ClientSession, url: str, activity: dict) -> tuple[int, dict | None]:
    async with http.post(f"{url}/api/messages", json=activity) as response:
        body = await response.read()
        return response.status, json.loads(body) if body else None


async def install_everyone(http, url: str, connector) -> None:
    people = [*EMPLOYEE_IDS, *MENTOR_IDS, COORDINATOR]
    await asyncio.gather(*(post(http, url, installation(service_url=connector.url, user=a, name=NAMES[a]))
                           for a in people))
    await connector.wait_for(len(people), timeout=60)


async def until(condition, what: str, timeout: float = 60.0) -> None:
    """Waits for a condition (a callable, plain or async) to hold."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await _value(condition()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.2)


async def stranded_requests(database_url: str) -> int:
    """Requests waiting (open or offered) with neither a live offer nor a timer."""
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            live_offer = exists().where(and_(RequestOffer.request_id == HelpRequest.id, RequestOffer.state == "sent"))
            return await session.scalar(
                select(func.count()).select_from(HelpRequest)
                .where(HelpRequest.state.in_(["open", "offered"]), HelpRequest.next_escalation_at.is_(None),
                       ~live_offer))
    finally:
        await database.dispose()


async def request_count(database_url: str) -> int:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            return await session.scalar(select(func.count()).select_from(HelpRequest))
    finally:
        await database.dispose()


FAQ_QUESTIONS = ["miten jaan kalenterini työkaverille", "miten vaihdan taustakuvan teamsissa",
                 "unohdin salasanani", "miten tulostan", "hur delar jag min kalender"]


@pytest.mark.timeout(240)
async def test_kill_9_with_fifty_turns_in_flight_strands_nothing_after_the_replay(database_url, connector):
    await seed(database_url, organisation())
    first = await start_served(database_url, **SERVE)
    async with aiohttp.ClientSession() as http:
        await install_everyone(http, first.url, connector)
        # Fifteen askers already have a question on screen with "Ask a digimentor" on it.
        clickers = EMPLOYEE_IDS[:15]
        asked = await asyncio.gather(*(post(http, first.url, message("milloin palkka maksetaan",
                                                                     service_url=connector.url, user=a,
                                                                     name=NAMES[a])) for a in clickers))
        assert {status for status, _ in asked} == {200}
        question_ids = {}
        for asker in clickers:
            [card] = [c for _, c in connector.cards_to(f"a:personal-{asker}")][-1:]
            question_ids[asker] = card["actions"][-1]["data"]["question_id"]

        in_flight = [card_click("askMentor", {"question_id": question_ids[a]}, service_url=connector.url, user=a,
                                name=NAMES[a]) for a in clickers]
        in_flight += [message(f"mentori kysymys numero {n} tulostimesta", service_url=connector.url, user=a,
                              name=NAMES[a]) for n, a in enumerate(EMPLOYEE_IDS[15:30])]
        in_flight += [message(FAQ_QUESTIONS[n % len(FAQ_QUESTIONS)], service_url=connector.url, user=a,
                              name=NAMES[a]) for n, a in enumerate([*EMPLOYEE_IDS[30:40], *EMPLOYEE_IDS[:10]])]
        assert len(in_flight) == 50
        messages = [a for a in in_flight if a["type"] == "message"]

        # The connector answers slowly: the turns pile up waiting for it, and then the process dies.
        connector.delay = 3.0
        sending = [asyncio.create_task(post(http, first.url, activity)) for activity in in_flight]
        await until(lambda: connector.held >= 30, "turns are waiting for the connector", timeout=30)
        await first.kill()
        await asyncio.gather(*sending, return_exceptions=True)
        connector.delay = 0.0

        # Restarted, and every delivery in flight is redelivered, with the same ids.
        second = await start_served(database_url, **SERVE)
        try:
            replies = await asyncio.gather(*(post(http, second.url, activity) for activity in in_flight))
            assert [status for status, _ in replies] == [200] * len(in_flight)
            for activity, (_, body) in zip(in_flight, replies, strict=True):
                if activity["type"] == "invoke":
                    assert "cancelRequest" in json.dumps(body), "the asker's click is answered with the waiting card"

            def unanswered() -> list[str]:
                answered = {s.reply_to_id for s in connector.sent}
                return [a["id"] for a in messages if a["id"] not in answered]

            await until(lambda: not unanswered(), "every question is answered", timeout=60)
            await until(lambda: _none_stranded(database_url), "no request is stranded", timeout=60)
            # Every hand-off made a request: fifteen clicks and fifteen `mentori` questions.
            assert await request_count(database_url) >= 30
        finally:
            await second.stop()


async def _value(result):
    return await result if asyncio.iscoroutine(result) else result


async def _none_stranded(database_url: str) -> bool:
    return await stranded_requests(database_url) == 0


def offer_cards_for(connector, person: str, request_id: int) -> list[dict]:
    return [card for _, card in connector.cards_to(f"a:personal-{person}")
            if any(a.get("verb") == "acceptRequest" and a["data"].get("request_id") == request_id
                   for a in card.get("actions", []))]


async def offers_in_tier(database_url: str, request_id: int, tier: int) -> list[tuple[str, str]]:
    """(mentor's aad id, offer state) of the request's offers in the tier."""
    from storage.models import Person

    database = Database(database_url)
    try:
        async with database.transaction() as session:
            rows = (await session.execute(
                select(Person.aad_object_id, RequestOffer.state).join(Person, Person.id == RequestOffer.mentor_id)
                .where(RequestOffer.request_id == request_id, RequestOffer.tier == tier))).all()
        return [(aad, state) for aad, state in rows]
    finally:
        await database.dispose()


async def make_due(database_url: str, request_id: int) -> None:
    """The offer's time runs out (the served process's clock started on WEDNESDAY_MORNING)."""
    from sqlalchemy import update

    database = Database(database_url)
    try:
        async with database.transaction() as session:
            await session.execute(update(HelpRequest).where(HelpRequest.id == request_id)
                                  .values(next_escalation_at=WEDNESDAY_MORNING))
    finally:
        await database.dispose()


@pytest.mark.timeout(180)
async def test_sigterm_while_an_escalation_sends_its_offers_still_reaches_the_wider_circle(database_url, connector):
    await seed(database_url, organisation())
    asker = EMPLOYEE_IDS[1]  # ward-3
    first = await start_served(database_url, **SERVE)
    async with aiohttp.ClientSession() as http:
        await install_everyone(http, first.url, connector)
        await post(http, first.url, message("milloin palkka maksetaan", service_url=connector.url, user=asker,
                                            name=NAMES[asker]))
        ask = [c for _, c in connector.cards_to(f"a:personal-{asker}")][-1]["actions"][-1]
        _, reply = await post(http, first.url, card_click("askMentor", ask["data"], service_url=connector.url,
                                                          user=asker, name=NAMES[asker]))
        request_id = [a for a in reply["value"]["actions"] if a["verb"] == "cancelRequest"][0]["data"]["request_id"]
        own_unit = await offers_in_tier(database_url, request_id, 0)
        await until(lambda: all(offer_cards_for(connector, m, request_id) for m, _ in own_unit),
                    "the own unit's mentors have their offers")

        # Nobody accepts in time; the widening's offers meet a Bot Connector that answers slowly,
        # and a redeploy stops the process in the middle of sending them.
        connector.delay = 8.0
        await make_due(database_url, request_id)
        await until(lambda: connector.held > 0, "the wider circle's offers are being sent")
        first.terminate()
        assert await first.wait(timeout=60) == 0, first.stderr_text[-3000:]
        connector.delay = 0.0

        second = await start_served(database_url, **SERVE)
        try:
            wider = await offers_in_tier(database_url, request_id, 1)
            assert wider, "the widening committed its offers before any was sent"

            async def everyone_offered() -> bool:
                offers = await offers_in_tier(database_url, request_id, 1)
                return all(offer_cards_for(connector, mentor, request_id) for mentor, _ in offers)

            await until(everyone_offered, "every mentor of the wider circle has the offer", timeout=60)
            for mentor, _ in wider:
                assert len(offer_cards_for(connector, mentor, request_id)) == 1, "each offer arrives once"
        finally:
            await second.stop()
