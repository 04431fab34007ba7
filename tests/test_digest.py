"""The weekly digest goes out once per recipient and week, across processes and restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.web import FLOWS
from cards.formatting import day
from tests.conftest import settings_for, start_bot
from tests.support.office import AINO, FI, KAISA, OLLI, PEKKA, SARI, VILLE, Office, chat

# Monday 30 Nov 2026, 08:05 in Helsinki (UTC+2); the default digest time is Monday 08:00.
MONDAY_AFTER_EIGHT = datetime(2026, 11, 30, 6, 5, tzinfo=UTC)
MENTORS = (PEKKA, VILLE, AINO, SARI, OLLI)
# The digest of Monday 30 Nov covers the week before: week 48, Monday 23 to Sunday 29 Nov.
LAST_WEEK = FI("periods.week", week=48, first=day(date(2026, 11, 23), "fi"), last=day(date(2026, 11, 29), "fi"))


def _digests(office: Office, person: str) -> list[dict]:
    return [card for method, card in office.connector.cards_to(chat(person)) if method != "update"]


async def test_each_recipient_gets_one_digest_a_week_across_processes_and_restarts(bot, connector, database_url):
    office = await Office(bot, connector, database_url).setup()
    first = office.flows.digest
    office.clock.freeze(MONDAY_AFTER_EIGHT - timedelta(minutes=10))
    assert await first.send_due() == 0  # 07:55: not yet

    # A second process on the same database, reading the same time.
    second_app = await start_bot(settings_for(database_url), clock=office.clock)
    try:
        second = second_app.server.app[FLOWS].digest
        office.clock.freeze(MONDAY_AFTER_EIGHT)
        results = await asyncio.gather(*(flow.send_due() for flow in (first, second, first, second)))
        await asyncio.gather(second_app.server.app[FLOWS].deliveries.settle(), office.settle())
    finally:
        await second_app.close()
    assert sum(results) == 6

    coordinator_digest = _digests(office, KAISA)
    assert len(coordinator_digest) == 1
    assert coordinator_digest[0]["body"][0]["text"] == FI("stats.title", scope="Sote", period=LAST_WEEK)
    for mentor in MENTORS:
        [digest] = _digests(office, mentor)
        assert digest["body"][0]["text"] == FI("hours.title")

    restarted = await start_bot(settings_for(database_url), clock=office.clock)
    try:
        again = restarted.server.app[FLOWS].digest
        office.clock.freeze(MONDAY_AFTER_EIGHT + timedelta(hours=3))
        assert await again.send_due() == 0
        office.clock.freeze(MONDAY_AFTER_EIGHT + timedelta(days=7))
        assert await again.send_due() == 6  # next week
        await asyncio.gather(restarted.server.app[FLOWS].deliveries.settle(), office.settle())
    finally:
        await restarted.close()
    assert len(_digests(office, KAISA)) == 2


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_failed_delivery_is_tried_again_later(bot, connector, database_url):
    office = await Office(bot, connector, database_url).setup()
    connector.throttled[chat(KAISA)] = 4  # as many 429s as the messenger tries at once
    digests = office.flows.digest
    office.clock.freeze(MONDAY_AFTER_EIGHT)
    assert await digests.send_due() == 6
    await office.settle()
    assert _digests(office, KAISA) == [] and len(_digests(office, PEKKA)) == 1
    office.clock.advance(timedelta(minutes=1))
    assert await digests.send_due() == 0  # claimed once, and waiting in the outbox
    await office.settle()  # its pause is over: the outbox tries again
    assert len(_digests(office, KAISA)) == 1
