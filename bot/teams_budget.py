"""One Teams budget for the whole deployment.

Teams allows about 7 requests per second to one conversation and 50 per second per app in one
tenant, counting every Bot Connector call: replies in a turn, proactive sends, card updates.
Every such call passes through the HTTP driver under the connector clients
(bot/connector_driver.py), which asks this budget for a slot first, so no path bypasses it.

Across replicas the budget is shared by splitting it: each live process (storage/processes.py)
takes an equal share of each limit, `floor((limit - 1) / processes)` (at least 1; the whole limit
when it is alone), recomputed on every heartbeat as processes come and go. A process that starts
while others are alive waits one heartbeat before it serves, so that the others have lowered
their shares by the time it sends; a process that dies leaves the others on the smaller share
until it is seen dead (5 s), which only under-uses the budget. Splitting costs nothing per call
(no database round trip) and holds under any load; its price is that a busy process cannot
borrow an idle one's share.
With more processes than 7 the per-conversation share cannot shrink below 1 a second; the
default of one process per core keeps well under that.
"""

from __future__ import annotations

from contextvars import ContextVar
from urllib.parse import unquote, urlsplit

from bot.outbound_queue import TEAMS_PER_CONVERSATION, TEAMS_PER_TENANT, OutboundQueue, Rate
from bot.retry_after import retry_after_seconds

# The tenant of the conversation the current Bot Connector calls go to: set for each inbound
# turn (bot/adapter.py) and each proactive send (bot/messenger.py).
current_tenant: ContextVar[str | None] = ContextVar("current_tenant", default=None)
_CONVERSATIONS = "/v3/conversations/"


def _share(rates: tuple[Rate, ...], processes: int) -> tuple[Rate, ...]:
    if processes == 1:
        return rates
    # One call of each window is held back: processes pace independently, and a call granted in
    # one may leave late (its event loop was busy) while the next, in another, leaves at once.
    return tuple(Rate(max(1, (rate.count - 1) // processes), rate.seconds) for rate in rates)


class TeamsBudget:
    def __init__(self, queue: OutboundQueue | None = None, *,
                 per_conversation: tuple[Rate, ...] = TEAMS_PER_CONVERSATION,
                 per_tenant: tuple[Rate, ...] = TEAMS_PER_TENANT) -> None:
        self._per_conversation = tuple(per_conversation)
        self._per_tenant = tuple(per_tenant)
        # A tenant's 50 a second are paced evenly; a conversation's few may go at once (a reply
        # right after a notice need not wait a seventh of a second), its window still holds.
        self.queue = queue or OutboundQueue(per_conversation=self._per_conversation, per_tenant=self._per_tenant,
                                            pace_conversations=False)
        self.processes = 1

    def share(self, processes: int) -> None:
        """This process is one of `processes` live ones: it takes 1/processes of each limit."""
        processes = max(1, processes)
        if processes != self.processes:
            self.processes = processes
            self.queue.set_rates(per_conversation=_share(self._per_conversation, processes),
                                 per_tenant=_share(self._per_tenant, processes))

    async def acquire(self, url: str) -> None:
        """Waits for the slot of one call to `url`; calls outside the conversations API
        (tokens, Graph) are not Teams' to limit."""
        conversation = conversation_of(url)
        if conversation is not None:
            await self.queue.acquire(conversation, current_tenant.get())

    def throttled(self, url: str, retry_after: str | None) -> None:
        """Teams answered 429: nothing more goes to that conversation until Retry-After."""
        conversation = conversation_of(url)
        if conversation is not None:
            self.queue.hold(conversation, current_tenant.get(), retry_after_seconds(retry_after) or 1.0)


def conversation_of(url: str) -> str | None:
    """The conversation id of a Bot Connector conversations API URL ("" when it names none:
    creating a conversation), or None for any other URL."""
    path = urlsplit(url).path
    at = path.find(_CONVERSATIONS)
    if at < 0:
        return None if not path.rstrip("/").endswith("/v3/conversations") else ""
    return unquote(path[at + len(_CONVERSATIONS):].split("/", 1)[0])
