"""One Teams budget for the whole deployment: replies in a turn, proactive sends and card updates
all wait in it, and two processes together keep 7 calls a second per conversation and 50 per
tenant, counted where Teams counts them: at the Bot Connector."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import aiohttp
import pytest

from bot.outbound_queue import OutboundQueue, Rate
from bot.teams_budget import TeamsBudget, conversation_of
from bot.web import ENDPOINT
from tests.support.activities import TENANT, installation, message
from tests.support.served import start_served

OTHER_TENANT = "00000000-0000-0000-0000-00000000d2f2"


def person(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


def most_in_a_second(times: list[float]) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_the_conversation_is_read_from_every_conversations_api_url():
    base = "https://smba.trafficmanager.net/emea"
    assert conversation_of(f"{base}/v3/conversations/a%3A1abc/activities/act-1") == "a:1abc"
    assert conversation_of(f"{base}/v3/conversations/19%3Ax%40thread.tacv2%3Bmessageid%3D1/activities") == \
        "19:x@thread.tacv2;messageid=1"
    assert conversation_of(f"{base}/v3/conversations") == ""  # creating one: the tenant's budget only
    assert conversation_of("https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token") is None


async def test_each_of_several_processes_takes_an_equal_share():
    budget = TeamsBudget()
    budget.share(2)
    grants = await asyncio.gather(*(budget.acquire(f"http://x/v3/conversations/c{n % 2}/activities")
                                    for n in range(8)))
    assert len(grants) == 8
    assert budget.queue._per_conversation == (Rate(3, 1.0),) and budget.queue._per_tenant == (Rate(24, 1.0),)
    budget.share(3)  # a third process joined: one of each window held back, the rest split in three
    assert budget.queue._per_conversation == (Rate(2, 1.0),) and budget.queue._per_tenant == (Rate(16, 1.0),)
    budget.share(1)
    assert budget.queue._per_conversation == (Rate(7, 1.0),) and budget.queue._per_tenant == (Rate(50, 1.0),)


async def test_replies_in_a_turn_wait_in_the_same_budget_as_proactive_sends(bot, connector):
    """The replies to eight quick messages go out at the conversation's rate, not at once."""
    bot.http.server.app[ENDPOINT].budget.queue = OutboundQueue(per_conversation=[Rate(2, 0.5)], margin=0.0)
    activities = [message("ohje", service_url=connector.url) for _ in range(8)]
    responses = await asyncio.gather(*(bot.post(a) for a in activities))
    assert [r.status for r in responses] == [200] * 8
    arrivals = sorted(a.at for a in connector.arrivals)
    assert len(arrivals) == 8
    assert all(later - earlier >= 0.25 - 0.01 for earlier, later in zip(arrivals, arrivals[2:], strict=False))


@pytest.mark.timeout(240)
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_processes_together_keep_teams_limits(database_url, connector):
    """Two replicas on one database, each answering half of a flood of messages: 60 people in
    one tenant and 20 in another, and one person writing 30 messages in a row."""
    servers = [await start_served(database_url) for _ in range(2)]
    try:
        people = [(person(n), TENANT) for n in range(1, 61)] + [(person(n), OTHER_TENANT) for n in range(61, 81)]
        busy = person(1)
        work = [installation(service_url=connector.url, user=p, tenant=t) for p, t in people]
        work += [message("ohje", service_url=connector.url, user=p, tenant=t) for p, t in people for _ in range(3)]
        work += [message("ohje", service_url=connector.url, user=busy) for _ in range(30)]
        limit = asyncio.Semaphore(40)
        async with aiohttp.ClientSession() as http:
            async def post(n: int, activity: dict) -> int:
                async with limit, http.post(f"{servers[n % 2].url}/api/messages", json=activity) as response:
                    return response.status

            statuses = await asyncio.gather(*(post(n, a) for n, a in enumerate(work)))
        assert set(statuses) == {200}
    finally:
        for server in servers:
            await server.stop()
    assert len(connector.sent) == len(work)  # every message answered once
    tenant_of = {f"a:personal-{p}": t for p, t in people}
    by_tenant, by_conversation = defaultdict(list), defaultdict(list)
    for arrival in connector.arrivals:
        by_tenant[tenant_of[arrival.conversation_id]].append(arrival.at)
        by_conversation[arrival.conversation_id].append(arrival.at)
    per_tenant = {tenant: most_in_a_second(times) for tenant, times in by_tenant.items()}
    per_conversation = max(most_in_a_second(times) for times in by_conversation.values())
    figures = f"most in one second: per tenant {per_tenant}, per conversation {per_conversation}"
    assert per_tenant[TENANT] <= 50 and per_tenant[OTHER_TENANT] <= 50, figures
    assert per_conversation <= 7, figures
    print(f"\ntwo processes: {len(work)} replies; {figures}")
