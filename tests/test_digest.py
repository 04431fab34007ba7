"""The weekly digest goes out once per recipient and week, across processes and restarts."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from bot.web import SERVICES
from tests.conftest import settings_for, start_bot
from tests.test_handoff_flow import AINO, KAISA, OLLI, PEKKA, SARI, VILLE, Office, chat

# Monday 30 Nov 2026, 08:05 in Helsinki (UTC+2); the default digest time is Monday 08:00.
MONDAY_AFTER_EIGHT = datetime(2026, 11, 30, 6, 5, tzinfo=timezone.utc)
MENTORS = (PEKKA, VILLE, AINO, SARI, OLLI)


def _digests(office: Office, person: str) -> list[dict]:
    return [card for method, card in office.connector.cards_to(chat(person)) if method != "update"]


async def test_each_recipient_gets_one_digest_a_week_across_processes_and_restarts(bot, connector, database_url):
    office = await Office(bot, connector, database_url).setup()
    first = office.services.digests
    assert await first.send_due(MONDAY_AFTER_EIGHT - timedelta(minutes=10)) == 0  # 07:55: not yet

    second_app = await start_bot(settings_for(database_url))
    try:
        second = second_app.server.app[SERVICES].digests
        results = await asyncio.gather(*(service.send_due(MONDAY_AFTER_EIGHT)
                                         for service in (first, second, first, second)))
    finally:
        await second_app.close()
    assert sum(results) == 6

    coordinator_digest = _digests(office, KAISA)
    assert len(coordinator_digest) == 1
    assert coordinator_digest[0]["body"][0]["text"] == "Tilastot: Sote, 2026-W48"
    for mentor in MENTORS:
        [digest] = _digests(office, mentor)
        assert digest["body"][0]["text"] == "Oma digimentorointiaikasi"

    restarted = await start_bot(settings_for(database_url))
    try:
        again = restarted.server.app[SERVICES].digests
        assert await again.send_due(MONDAY_AFTER_EIGHT + timedelta(hours=3)) == 0
        assert await again.send_due(MONDAY_AFTER_EIGHT + timedelta(days=7)) == 6  # next week
    finally:
        await restarted.close()
    assert len(_digests(office, KAISA)) == 2


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_failed_delivery_is_tried_again_next_round(bot, connector, database_url):
    office = await Office(bot, connector, database_url).setup()
    connector.throttled[chat(KAISA)] = 10  # more 429s than the messenger retries
    digests = office.services.digests
    assert await digests.send_due(MONDAY_AFTER_EIGHT) == 5
    assert _digests(office, KAISA) == []
    connector.throttled.clear()
    assert await digests.send_due(MONDAY_AFTER_EIGHT + timedelta(minutes=1)) == 1
    assert len(_digests(office, KAISA)) == 1
