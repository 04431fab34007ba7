"""An announcement reaches everyone exactly once across a restart and a kill -9 in the middle of
the staff's sends, within Teams' rates: real `python app.py serve` processes, one after another,
on the same database and the loopback Bot Connector (tests/support/rollout_stage.py)."""

from __future__ import annotations

import pytest

from tests.support.rollout_stage import (
    SERVE,
    THURSDAY_LATER,
    THURSDAY_MORNING,
    a_day_later,
    announce,
    announcement_cards,
    busiest_second,
    organisation,
    recorded,
    seed,
    stall_and_settle,
    until,
)
from tests.support.served import start_served
from tests.support.time import WEDNESDAY_MORNING

STAFF = 150
# The coordinator works in Sote, the target: they are staff there too.
EVERYONE_ELSE = STAFF + 1


@pytest.mark.timeout(300)
async def test_an_announcement_goes_to_each_person_once_across_a_restart_and_a_kill_mid_send(database_url,
                                                                                          connector):
    org, crowd = organisation(STAFF)
    await seed(database_url, org, crowd, connector.url)
    chats = {f"a:personal-{person}" for person in crowd.everyone}

    # Wednesday: the coordinator announces; the mentors have it at once, the staff do not.
    wednesday = await start_served(database_url, DIGIMENTOR_CLOCK_START=WEDNESDAY_MORNING.isoformat(), **SERVE)
    try:
        reply = await announce(wednesday.url, connector, crowd)
        assert "sendAnnouncement" not in str(reply) and reply["statusCode"] == 200
        await until(lambda: len(announcement_cards(connector)) == len(crowd.mentors), "every mentor has it")
    finally:
        assert await wednesday.stop() == 0, wednesday.stderr_text[-3000:]
    assert set(announcement_cards(connector)) == {f"a:personal-{m}" for m in crowd.mentors}
    await a_day_later()

    # Thursday 08:01: a new process fans it out to the staff; the connector is slow, then stalls,
    # and the process is killed with sends in flight.
    connector.delay = 0.2
    thursday = await start_served(database_url, DIGIMENTOR_CLOCK_START=THURSDAY_MORNING.isoformat(), **SERVE)
    delivered_before = await stall_and_settle(connector, database_url, staff_delivered_at_least=40)
    in_flight = connector.held
    await thursday.kill()
    connector.hold, connector.delay = False, 0.0
    assert in_flight > 0 and delivered_before < STAFF

    # Restarted: the send resumes where it stopped.
    resumed = await start_served(database_url, DIGIMENTOR_CLOCK_START=THURSDAY_LATER.isoformat(), **SERVE)
    try:
        async def finished() -> bool:
            counts = await recorded(database_url)
            return counts["waiting"] == 0 and counts.get("staff sent", 0) == EVERYONE_ELSE

        await until(finished, "every staff delivery is recorded and nothing waits", timeout=120)
    finally:
        assert await resumed.stop() == 0, resumed.stderr_text[-3000:]

    cards = announcement_cards(connector)
    assert set(cards) == chats, "no loss: every mentor and everyone else in the units"
    assert set(cards.values()) == {1}, "no duplicate"
    assert await recorded(database_url) == {"mentor sent": len(crowd.mentors), "staff sent": EVERYONE_ELSE,
                                            "waiting": 0}
    tenant, per_conversation = busiest_second(connector.arrivals, chats)
    assert tenant <= 50 and per_conversation <= 7
