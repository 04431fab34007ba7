"""Proactive messages: send a card to a person's 1:1 chat with the bot, or update one sent
earlier. Only this module and bot/adapter.py know how botbuilder does it.

Every request to the Bot Connector, retries included, first waits for its slot in the Teams
budget (bot/teams_budget.py, taken in the connector driver), which keeps Teams' per-conversation
and per-tenant rates across the deployment; a 429 holds the conversation there.
Failures follow RetryPolicy: 412, 429, 502, 503 and 504 are retried with jittered backoff,
honouring Retry-After (seconds or an HTTP date); 400, 401, 403, 404 and every other status are
not. A 403 means the bot is blocked or uninstalled: DeliveryFailed(unreachable=True), and the
caller offers the next mentor. A message over 80 KB is refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity, ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.adapter import BotEndpoint
from bot.outbound_queue import OutboundQueueTimeout
from bot.retry_after import retry_after_seconds
from dialogs.ports import Delivery, DeliveryFailed
from storage.conversation_repository import ConversationRepository

log = logging.getLogger(__name__)

RETRIED = frozenset({412, 429, 502, 503, 504})  # Teams: transient, retry with backoff
NEVER_RETRIED = frozenset({400, 401, 403, 404})  # Teams: a retry cannot succeed
ATTEMPTS = 4
# Teams refuses a message over about 100 KB, counted in UTF-16, with 413 MessageSizeTooBig, and
# advises keeping under 80 KB.
MAX_BYTES = 80 * 1024
# A person's stored conversation reference changes only on reinstall; a stale one fails with 403
# and is read again.
TARGET_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = ATTEMPTS
    base_delay: float = 0.5  # before the 2nd attempt; doubles each time, jittered ×0.5–1.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0  # a longer Retry-After fails the delivery instead of waiting
    retried: frozenset[int] = RETRIED

    def __post_init__(self) -> None:
        if self.retried & NEVER_RETRIED:
            raise ValueError(f"never retried: {sorted(self.retried & NEVER_RETRIED)}")

    def retries(self, status: int | None) -> bool:
        return status in self.retried

    def delay(self, attempt: int, retry_after: str | None = None) -> float | None:
        """Seconds to wait after failed attempt `attempt` (1-based): never less than Retry-After
        asks; None when it asks for longer than `max_retry_after`."""
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            if asked > self.max_retry_after:
                return None
            return asked * random.uniform(1.0, 1.2)  # spread the retries, never early
        return min(self.base_delay * 2 ** (attempt - 1), self.max_delay) * random.uniform(0.5, 1.5)


def message_size(activity: Activity) -> int:
    """The activity's JSON in UTF-16 bytes: how Teams measures a message against its limit.

    The card contents are measured with the json module, the rest of the activity with msrest:
    serialising a card with msrest costs as much as sending it."""
    contents = [attachment.content for attachment in activity.attachments or ()]
    try:
        for attachment in activity.attachments or ():
            attachment.content = None
        document = json.dumps(activity.serialize(), ensure_ascii=False, separators=(",", ":"))
    finally:
        for attachment, content in zip(activity.attachments or (), contents, strict=True):
            attachment.content = content
    size = len(document.encode("utf-16-le"))
    for content in contents:
        if content is not None:  # msrest leaves out an empty content, key and all
            member = ',"content":' + json.dumps(content, ensure_ascii=False, separators=(",", ":"))
            size += len(member.encode("utf-16-le"))
    return size


@dataclass(frozen=True)
class _Target:
    reference: ConversationReference
    conversation_id: str
    tenant_id: str | None
    aad_object_id: str = ""


class TeamsMessenger:
    """dialogs.ports.Messenger through the Bot Connector."""

    def __init__(
        self,
        endpoint: BotEndpoint,
        conversations: ConversationRepository,
        *,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._conversations = conversations
        self.retry = retry or RetryPolicy()
        # People's conversation references, read once in a while rather than for every message.
        self._targets: dict[str, tuple[float, _Target]] = {}

    async def send(self, aad_object_id: str, *, text: str | None = None, card: dict | None = None) -> Delivery:
        if card is None:
            return await self.send_text(aad_object_id, text or "")
        return await self._send(aad_object_id, MessageFactory.attachment(CardFactory.adaptive_card(card), text=text))

    async def send_card(self, aad_object_id: str, card: dict) -> Delivery:
        return await self._send(aad_object_id, MessageFactory.attachment(CardFactory.adaptive_card(card)))

    async def send_text(self, aad_object_id: str, text: str) -> Delivery:
        return await self._send(aad_object_id, MessageFactory.text(text))

    async def update_card(self, delivery: Delivery, card: dict) -> None:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
        activity.id = delivery.activity_id
        _ensure_small_enough(activity)
        target = await self._target(delivery.aad_object_id)

        async def update(turn_context: TurnContext) -> None:
            await turn_context.update_activity(activity)

        await self._deliver(target, update)

    async def _send(self, aad_object_id: str, activity: Activity) -> Delivery:
        _ensure_small_enough(activity)
        target = await self._target(aad_object_id)
        sent: list[str] = []

        async def send(turn_context: TurnContext) -> None:
            response = await turn_context.send_activity(activity)
            sent.append(response.id if response else "")

        await self._deliver(target, send)
        return Delivery(aad_object_id, target.conversation_id, sent[-1] if sent else "")

    async def _target(self, aad_object_id: str) -> _Target:
        key = aad_object_id.lower()
        cached = self._targets.get(key)
        if cached is not None and time.monotonic() - cached[0] < TARGET_CACHE_SECONDS:
            return cached[1]
        target = await self._stored_target(aad_object_id)
        if len(self._targets) > 10_000:
            self._targets.clear()
        self._targets[key] = (time.monotonic(), target)
        return target

    async def _stored_target(self, aad_object_id: str) -> _Target:
        stored = await self._conversations.personal(aad_object_id)
        if stored is None:
            raise DeliveryFailed("no conversation with this person", unreachable=True)
        reference = ConversationReference().deserialize(stored.reference)
        conversation = reference.conversation
        tenant_id = stored.tenant_id or (getattr(conversation, "tenant_id", None) if conversation else None)
        conversation_id = conversation.id if conversation and conversation.id else stored.conversation_id
        return _Target(reference, conversation_id, tenant_id, aad_object_id.lower())

    async def _deliver(self, target: _Target, callback) -> None:
        """One request per attempt, each after its slot in the Teams budget (taken by the
        connector driver, bot/teams_budget.py)."""
        policy = self.retry
        for attempt in range(1, policy.attempts + 1):
            try:
                await self._continue(target, callback)
                return
            except OutboundQueueTimeout as timeout:
                raise DeliveryFailed(str(timeout)) from None
            except HttpOperationError as error:
                response = error.response
                status = response.status_code if response is not None else None
                if status == 403:
                    self._targets.pop(target.aad_object_id, None)  # a reinstall may bring a new reference
                    raise DeliveryFailed("the bot is blocked or uninstalled", unreachable=True, status=403) from None
                if not policy.retries(status) or attempt == policy.attempts:
                    raise DeliveryFailed(_answered(status, attempt), status=status) from None
                retry_after = response.headers.get("Retry-After")
                delay = policy.delay(attempt, retry_after)
                if delay is None:
                    raise DeliveryFailed(f"the Bot Connector answered {status} with Retry-After {retry_after}, "
                                         f"longer than {policy.max_retry_after:g} s", status=status) from None
                log.info("Bot Connector call retried", extra={"status": status, "attempt": attempt,
                                                              "delay": round(delay, 3)})
            except (TimeoutError, ClientRequestError, OSError) as error:
                if attempt == policy.attempts:
                    raise DeliveryFailed(f"{type(error).__name__} after {attempt} attempts") from None
                delay = policy.delay(attempt)
                log.info("Bot Connector call retried", extra={"error": type(error).__name__, "attempt": attempt,
                                                              "delay": round(delay, 3)})
            await asyncio.sleep(delay)

    async def _continue(self, target: _Target, callback) -> None:
        """Runs `callback` in the conversation; its failure is raised here, not sent to the
        adapter's turn-error handler, which would apologise to the very person unreachable."""
        failures: list[BaseException] = []

        async def guarded(turn_context: TurnContext) -> None:
            try:
                await callback(turn_context)
            except Exception as error:  # noqa: BLE001 - re-raised below
                failures.append(error)

        await self._endpoint.continue_conversation(target.reference, guarded, tenant_id=target.tenant_id)
        if failures:
            raise failures[0]


def _answered(status: int | None, attempts: int) -> str:
    answer = f"the Bot Connector answered {status}" if status is not None else "the Bot Connector call failed"
    return answer if attempts == 1 else f"{answer} after {attempts} attempts"


def _ensure_small_enough(activity: Activity) -> None:
    size = message_size(activity)
    if size > MAX_BYTES:
        raise DeliveryFailed(f"the message is {size} bytes in UTF-16, over the {MAX_BYTES}-byte limit; "
                             f"nothing was sent", status=413)
