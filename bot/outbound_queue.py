"""The outbound queue: every call to the Bot Connector waits here for its turn, so that the bot
keeps the rates Teams allows (docs/design.md, "Teams limits"):

- at most 7 messages per second in one conversation,
- about 50 requests per second per app in one tenant.

Each conversation and each tenant has a sliding-window log of its recent grants. A caller is let
through when both its conversation and its tenant have room in every window, so that no window
of the configured length ever holds more grants than allowed (a token bucket would let through
a burst plus the refill, up to twice the rate in one second). Teams counts arrivals, not our
grants, and the time from one to the other varies; two measures keep that variation from
breaking a limit:
- grants are paced (for tenants, and for conversations unless `pace_conversations` is off): one
  per `seconds / count` of the fastest rate at most, so that a window's
  worth of requests does not leave in one burst, queue up in this process and arrive spread
  unevenly;
- every window is lengthened by a margin (100 ms by default), the variation it absorbs.

Nothing is dropped: callers wait. A proactive send has no person waiting on an HTTP answer, so
arriving a little later beats exceeding the limit (a 429 and a retry) or losing the message.
Waits are bounded by the backlog: the queue drains at the configured rate. A caller that cannot
wait that long sets `max_wait`; past it the caller gets OutboundQueueTimeout, a clear failure,
and is never let through above the limit.

Fairness: within a conversation, callers go first come, first served. Within a tenant, the
conversations with callers waiting take turns (round robin), so one busy conversation cannot
hold up another's message behind its backlog. Tenants have separate budgets and never wait for
each other.

The limits hold within one process; bot/teams_budget.py splits Teams' limits between the live
processes and changes them here with `set_rates`. Plain asyncio; no background task: grants
are made when a caller arrives and when a timer fires at the moment the next window opens.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rate:
    """At most `count` grants in any window of `seconds`."""

    count: int
    seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.count < 1 or self.seconds <= 0:
            raise ValueError(f"a rate needs count >= 1 and seconds > 0, not {self.count}/{self.seconds}")


# Teams' documented limits (docs/design.md). More windows may be given, e.g. Rate(60, 30.0).
TEAMS_PER_CONVERSATION: tuple[Rate, ...] = (Rate(7, 1.0),)
TEAMS_PER_TENANT: tuple[Rate, ...] = (Rate(50, 1.0),)
# Added to every window: covers the spread in time between a grant here and the arrival at Teams.
DEFAULT_MARGIN = 0.1


class OutboundQueueTimeout(Exception):
    """The caller waited `max_wait` seconds without getting a slot; nothing was sent."""

    def __init__(self, conversation_id: str, tenant_id: str | None, waited: float) -> None:
        super().__init__(f"no send slot for conversation {conversation_id!r} (tenant {tenant_id!r}) "
                         f"within {waited:g} s")
        self.conversation_id = conversation_id
        self.tenant_id = tenant_id


class _Window:
    """The recent grants of one conversation or tenant, against one or more rates."""

    __slots__ = ("_rates", "_margin", "_pace", "_spacing", "_grants", "_held_until")

    def __init__(self, rates: tuple[Rate, ...], margin: float, pace: bool) -> None:
        self._margin = margin
        self._pace = pace
        self._grants: deque[float] = deque()
        self.set_rates(rates)
        self._held_until = float("-inf")

    def set_rates(self, rates: tuple[Rate, ...]) -> None:
        self._rates = rates
        # The fastest rate's even spacing: longer windows (e.g. 60 in 30 s) cap the total only.
        self._spacing = min(rate.seconds / rate.count for rate in rates) if self._pace else 0.0
        self._grants = deque(self._grants, maxlen=max(rate.count for rate in rates))

    def opens_at(self) -> float:
        """The earliest time at which one more grant keeps every rate."""
        opens = self._held_until
        if self._grants:
            opens = max(opens, self._grants[-1] + self._spacing)
        for rate in self._rates:
            if len(self._grants) >= rate.count:
                # The grant `count` back must have left the window.
                opens = max(opens, self._grants[-rate.count] + rate.seconds + self._margin)
        return opens

    def grant(self, now: float) -> None:
        self._grants.append(now)

    def hold(self, until: float) -> None:
        self._held_until = max(self._held_until, until)

    def idle_since(self, now: float, horizon: float) -> bool:
        """No grant or hold within `horizon`: forgetting the window changes nothing."""
        last = self._grants[-1] if self._grants else float("-inf")
        return max(last, self._held_until) + horizon < now


@dataclass
class _Tenant:
    window: _Window
    # Waiting callers per conversation; the order of the keys is the round-robin order.
    queues: OrderedDict[str, deque[asyncio.Future]] = field(default_factory=OrderedDict)
    timer: asyncio.TimerHandle | None = None
    timer_at: float = float("inf")


class OutboundQueue:
    """`await queue.acquire(conversation_id, tenant_id)` before each Bot Connector request."""

    def __init__(
        self,
        *,
        per_conversation: Iterable[Rate] = TEAMS_PER_CONVERSATION,
        per_tenant: Iterable[Rate] = TEAMS_PER_TENANT,
        margin: float = DEFAULT_MARGIN,
        pace: bool = True,
        pace_conversations: bool | None = None,
        max_wait: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_conversation = tuple(per_conversation)
        self._per_tenant = tuple(per_tenant)
        if not self._per_conversation or not self._per_tenant:
            raise ValueError("both per-conversation and per-tenant rates are needed")
        self._margin = margin
        self._pace = pace
        # Conversations are paced like tenants unless told otherwise.
        self._pace_conversations = pace if pace_conversations is None else pace_conversations
        self.max_wait = max_wait
        self._clock = clock
        self._tenants: dict[str, _Tenant] = {}
        self._conversations: dict[tuple[str, str], _Window] = {}
        self._horizon = max(r.seconds for r in (*self._per_conversation, *self._per_tenant)) + margin
        self._next_sweep = float("-inf")

    async def acquire(self, conversation_id: str, tenant_id: str | None) -> float:
        """Waits until one request to the conversation keeps both limits, and returns the clock
        time of the grant. Raises OutboundQueueTimeout after `max_wait` seconds, if set."""
        tenant_key = tenant_id or ""
        tenant = self._tenant(tenant_key)
        waiter: asyncio.Future = asyncio.get_running_loop().create_future()
        tenant.queues.setdefault(conversation_id, deque()).append(waiter)
        self._pump(tenant_key)
        if waiter.done():
            return waiter.result()
        if self.max_wait is None:
            return await waiter
        try:
            return await asyncio.wait_for(waiter, self.max_wait)
        except TimeoutError:
            raise OutboundQueueTimeout(conversation_id, tenant_id, self.max_wait) from None

    def hold(self, conversation_id: str, tenant_id: str | None, seconds: float) -> None:
        """Lets nothing through to the conversation for `seconds` (Teams answered 429 with
        Retry-After); callers already waiting keep their places."""
        tenant_key = tenant_id or ""
        self._conversation(tenant_key, conversation_id).hold(self._clock() + max(0.0, seconds))
        self._pump(tenant_key)

    def set_rates(self, *, per_conversation: Iterable[Rate], per_tenant: Iterable[Rate]) -> None:
        """New limits, for the windows already open too (this process's share of a budget
        shared with others changed); callers waiting are granted by the new limits."""
        self._per_conversation, self._per_tenant = tuple(per_conversation), tuple(per_tenant)
        for window in self._conversations.values():
            window.set_rates(self._per_conversation)
        for key, tenant in list(self._tenants.items()):
            tenant.window.set_rates(self._per_tenant)
            tenant.timer_at = float("nan")  # reschedule: the next opening moved
            self._pump(key)

    @property
    def waiting(self) -> int:
        """Callers waiting for a slot right now."""
        return sum(1 for t in self._tenants.values() for q in t.queues.values() for w in q if not w.done())

    # -- scheduling ----------------------------------------------------------------------------
    def _tenant(self, key: str) -> _Tenant:
        tenant = self._tenants.get(key)
        if tenant is None:
            tenant = self._tenants[key] = _Tenant(_Window(self._per_tenant, self._margin, self._pace))
        return tenant

    def _conversation(self, tenant_key: str, conversation_id: str) -> _Window:
        key = (tenant_key, conversation_id)
        window = self._conversations.get(key)
        if window is None:
            window = self._conversations[key] = _Window(self._per_conversation, self._margin,
                                                        self._pace_conversations)
        return window

    def _pump(self, tenant_key: str) -> None:
        """Grants every slot the windows allow now, in round-robin order over the tenant's
        conversations, and sets a timer for when the next one may open."""
        tenant = self._tenant(tenant_key)
        now = self._clock()
        while tenant.queues and tenant.window.opens_at() <= now:
            chosen = None
            for conversation_id, queue in list(tenant.queues.items()):
                while queue and queue[0].done():  # gave up (cancelled or timed out)
                    queue.popleft()
                if not queue:
                    del tenant.queues[conversation_id]
                elif self._conversation(tenant_key, conversation_id).opens_at() <= now:
                    chosen = conversation_id
                    break
            if chosen is None:
                break
            queue = tenant.queues[chosen]
            queue.popleft().set_result(now)
            tenant.window.grant(now)
            self._conversation(tenant_key, chosen).grant(now)
            if queue:
                tenant.queues.move_to_end(chosen)  # the other conversations go first
            else:
                del tenant.queues[chosen]
        self._schedule(tenant_key, tenant, now)
        self._sweep(now)

    def _schedule(self, tenant_key: str, tenant: _Tenant, now: float) -> None:
        if not tenant.queues:
            wake = float("inf")
        else:
            earliest_conversation = min(self._conversation(tenant_key, c).opens_at() for c in tenant.queues)
            wake = max(tenant.window.opens_at(), earliest_conversation)
        if wake == tenant.timer_at:
            return
        if tenant.timer is not None:
            tenant.timer.cancel()
            tenant.timer = None
        tenant.timer_at = wake
        if wake != float("inf"):
            tenant.timer = asyncio.get_running_loop().call_later(max(0.0, wake - now), self._wake, tenant_key)

    def _wake(self, tenant_key: str) -> None:
        tenant = self._tenants.get(tenant_key)
        if tenant is not None:
            tenant.timer, tenant.timer_at = None, float("inf")
            self._pump(tenant_key)

    def _sweep(self, now: float) -> None:
        """Forgets the windows of conversations and tenants idle for longer than any window, so
        that memory stays proportional to recent traffic."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._horizon
        for key in [k for k, w in self._conversations.items() if w.idle_since(now, self._horizon)]:
            tenant = self._tenants.get(key[0])
            if tenant is None or key[1] not in tenant.queues:
                del self._conversations[key]
        for key in [k for k, t in self._tenants.items() if not t.queues and t.window.idle_since(now, self._horizon)]:
            del self._tenants[key]
