"""The durable outbound queue: the asker's click is answered before Teams hears of the offers;
messages are claimed by one live process, in order per person, and taken over from a dead one;
an offer no longer open is not sent."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.web import DATABASE
from storage.db import StorageUnavailable
from storage.models import HelpRequest, OutboxMessage, Question
from storage.outbox import OutboxRepository, Outgoing
from storage.processes import ProcessRegistry
from tests.support.activities import card_click, message
from tests.support.office import MAIJA, PEKKA, PEOPLE, VILLE, Office, body_text, chat
from tests.support.outage import database_outage


@pytest.fixture
async def office(bot, connector, database_url) -> Office:
    return await Office(bot, connector, database_url).setup()


async def test_the_askers_click_is_answered_before_the_offers_reach_teams(office):
    await office.say(MAIJA, "milloin palkka maksetaan")
    button = office.cards(MAIJA)[-1]["actions"][-1]
    office.connector.delay = 2.0  # Teams is slow today
    response = await office.bot.post(card_click("askMentor", button["data"], service_url=office.connector.url,
                                                user=MAIJA, name=PEOPLE[MAIJA]))
    assert response.status == 200
    assert "cancelRequest" in body_text((await response.json())["value"])
    # Answered while the offers were still on their way.
    assert office.cards(PEKKA) == [] and office.cards(VILLE) == []
    await office.settle()
    assert len(office.cards(PEKKA)) == 1 and len(office.cards(VILLE)) == 1


async def test_an_offer_taken_before_its_turn_to_be_sent_is_not_sent(office):
    office.connector.scripted[chat(VILLE)] = [503] * 4  # Ville's chat fails for a while
    request_id = await office.ask_a_mentor()
    assert len(office.cards(PEKKA)) == 1 and office.cards(VILLE) == []  # his offer waits for a retry
    taken = await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    assert "resolveRequest" in body_text(taken["value"])
    office.clock.advance(timedelta(minutes=1))  # the retry is due
    await office.settle()
    # Neither the offer nor its "taken" update: Ville never saw the request.
    assert office.cards(VILLE) == []
    database = office.database()
    async with database.transaction() as session:
        states = (await session.execute(select(OutboxMessage.purpose, OutboxMessage.state)
                                        .where(OutboxMessage.recipient == VILLE))).all()
    await database.dispose()
    assert sorted(states) == [("offer", "skipped"), ("update", "skipped")]


async def test_messages_are_claimed_by_one_process_in_order_per_person(database):
    first, second = (OutboxRepository(database, ProcessRegistry(database)) for _ in range(2))
    await first.add([Outgoing("a", text="a1"), Outgoing("a", text="a2"), Outgoing("b", text="b1")])
    claimed = await first.claim(10)
    assert [m.text for m in claimed] == ["a1", "b1"]  # a2 waits for a1
    assert await second.claim(10) == []
    await first.sent(claimed[0], "conversation-a", "activity-1")
    [a2] = await second.claim(10)
    assert a2.text == "a2" and a2.attempts == 1


async def test_a_message_claimed_by_a_dead_process_is_sent_by_another(database):
    dying = OutboxRepository(database, ProcessRegistry(database))
    await dying.add([Outgoing("a", text="hei")])
    [claimed] = await dying.claim(10)
    # Alive, it keeps its claim; once its heartbeat is stale, another process takes the message.
    assert await OutboxRepository(database, ProcessRegistry(database, dead_after=60)).claim(10) == []
    survivor = OutboxRepository(database, ProcessRegistry(database, dead_after=0.5))
    deadline = asyncio.get_running_loop().time() + 10
    while not (taken := await survivor.claim(10)):
        assert asyncio.get_running_loop().time() < deadline, "the message was never taken over"
        await asyncio.sleep(0.1)
    assert [m.id for m in taken] == [claimed.id] and taken[0].attempts == 2


async def test_a_stopping_process_gives_back_what_it_could_not_send(database):
    stopping = OutboxRepository(database, ProcessRegistry(database))
    await stopping.add([Outgoing("a", text="hei")])
    claimed = await stopping.claim(10)
    await stopping.release(claimed)
    [again] = await OutboxRepository(database, ProcessRegistry(database, dead_after=60)).claim(10)
    assert again.text == "hei"


async def test_a_503_in_the_middle_of_a_hand_off_leaves_one_question_and_one_request(office, monkeypatch):
    """The database fails after the question and its request were stored: 503. The Connector's
    retry finishes that work instead of asking again: one question, one request, offered."""
    database = office.bot.http.server.app[DATABASE]
    outage = database_outage(database)

    async def fails_in_the_round(*args, **kwargs):
        outage.__enter__()
        raise StorageUnavailable("the database went away")

    monkeypatch.setattr(office.flows.offers, "offer", fails_in_the_round)
    activity = message("mentori miten liitän tulostimen", service_url=office.connector.url, user=MAIJA,
                       name=PEOPLE[MAIJA])
    assert (await office.bot.post(activity)).status == 503
    outage.__exit__(None, None, None)
    monkeypatch.undo()

    assert (await office.bot.post(activity)).status == 200
    [(_, waiting)] = office.connector.cards_to(chat(MAIJA))
    assert "cancelRequest" in body_text(waiting)
    assert await office.count(Question) == 1 and await office.count(HelpRequest) == 1
    # The round the outage cut off runs at the next escalation round.
    assert await office.escalate_at(office.clock.now()) == 1
    assert len(office.cards(PEKKA)) == 1 and len(office.cards(VILLE)) == 1
