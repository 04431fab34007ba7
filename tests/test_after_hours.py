"""Outside working hours a question waits for the next working-day start instead of racing
through every tier to a coordinator in the same second; the asker is told when. A process
stopped in the middle of an offer round's sends leaves offers that still go out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.messenger import TeamsMessenger
from cards.formatting import clock_time, day
from dialogs.rules.periods import HELSINKI
from tests.support.office import AINO, FI, KAISA, MAIJA, OLLI, PEKKA, SARI, VILLE, Office
from tests.support.time import WEDNESDAY_EVENING, WEDNESDAY_MORNING

THURSDAY_START = datetime(2026, 11, 26, 8, 0, tzinfo=HELSINKI)
FRIDAY_EVENING = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)  # 19:30 in Helsinki
MONDAY_START = datetime(2026, 11, 30, 8, 0, tzinfo=HELSINKI)


@pytest.fixture
async def office(bot, connector, database_url) -> Office:
    return await Office(bot, connector, database_url).setup()


def told_when(start: datetime) -> str:
    local = start.astimezone(HELSINKI)
    return FI("request.after_hours", when=FI("request.after_hours_when", day=FI(f"weekdays.{local.weekday()}"),
                                              date=day(local.date(), "fi"), time=clock_time(local, "fi")))


async def test_an_evening_question_waits_for_the_morning_and_is_offered_in_the_askers_unit(office):
    office.clock.freeze(WEDNESDAY_EVENING)
    request_id = await office.ask_a_mentor()
    assert office.cards(PEKKA) == [] and office.cards(KAISA) == []
    assert office.texts(MAIJA) == [told_when(THURSDAY_START)]
    record, events = await office.request(request_id)
    assert (record.state, record.tier, events) == ("open", 0, ["created"])
    # The timer fires in the night too: it changes nothing until working hours.
    assert await office.escalate_at(WEDNESDAY_EVENING + timedelta(hours=3)) == 0
    assert await office.escalate_at(THURSDAY_START - timedelta(minutes=1)) == 0
    assert await office.escalate_at(THURSDAY_START) == 1
    assert len(office.cards(PEKKA)) == 1 and len(office.cards(VILLE)) == 1 and office.cards(AINO) == []
    record, events = await office.request(request_id)
    assert record.state == "offered" and "escalated" not in events and "expire" not in events


async def test_a_friday_evening_question_waits_for_monday(office):
    office.clock.freeze(FRIDAY_EVENING)
    await office.ask_a_mentor()
    assert office.texts(MAIJA) == [told_when(MONDAY_START)]
    assert await office.escalate_at(MONDAY_START - timedelta(hours=40)) == 0  # Saturday
    assert await office.escalate_at(MONDAY_START) == 1
    assert len(office.cards(PEKKA)) == 1


async def test_an_offer_that_times_out_after_hours_is_widened_in_the_morning_not_at_night(office):
    office.clock.freeze(datetime(2026, 11, 25, 15, 55, tzinfo=HELSINKI))
    request_id = await office.ask_a_mentor()
    assert len(office.cards(PEKKA)) == 1
    assert await office.escalate_at(datetime(2026, 11, 25, 16, 10, tzinfo=HELSINKI)) == 0
    assert office.cards(AINO) == [] and office.cards(KAISA) == []
    assert await office.escalate_at(THURSDAY_START) == 1
    assert len(office.cards(AINO)) == 1  # the wider circle, in working hours
    _, events = await office.request(request_id)
    assert events.count("escalated") == 1


async def test_a_widening_stopped_in_the_middle_of_its_sends_still_reaches_its_mentors(office, monkeypatch):
    office.clock.freeze(WEDNESDAY_MORNING)
    request_id = await office.ask_a_mentor()
    sending = asyncio.Event()

    async def hangs(*args, **kwargs):  # Teams is slow, and then the process is told to stop
        sending.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(TeamsMessenger, "send", hangs)
    office.clock.freeze(WEDNESDAY_MORNING + timedelta(minutes=11))
    assert await office.flows.offers.escalate_due() == 1
    await asyncio.wait_for(sending.wait(), 10)
    monkeypatch.undo()
    await office.flows.deliveries.stop(grace=0.1)  # the sends in flight are cut off and given back
    record, events = await office.request(request_id)
    assert events.count("escalated") == 1 and record.tier == 1
    # The widening committed its offers with it: they go out (here, or from another process).
    await office.settle()
    assert len(office.cards(AINO)) == 1 and len(office.cards(SARI)) == 1 and office.cards(OLLI) == []


async def test_stats_count_the_questions_asked_after_hours(office):
    office.clock.freeze(WEDNESDAY_EVENING)
    await office.say(MAIJA, "miten jaan kalenterini")  # an evening shift's question
    office.clock.freeze(WEDNESDAY_MORNING)
    await office.say(MAIJA, "miten vaihdan taustakuvan")
    await office.say(KAISA, "tilastot viikko")
    card = office.cards(KAISA)[-1]
    facts = {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet" for f in b["facts"]}
    assert facts[FI("stats.questions")].startswith("2 ")
    assert facts[FI("stats.after_hours")] == "1 (+1)"
