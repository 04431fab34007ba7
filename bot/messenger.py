"""Proactive messages: send a card to a person's 1:1 chat with the bot, or update one sent
earlier. Only this module and bot/adapter.py know how botbuilder does it.

Teams refuses with 403 when the bot is blocked or uninstalled (the person is then marked
unreachable and the next mentor is offered); 429 and 5xx are retried with jittered backoff,
honouring Retry-After; 400/401/404 are not retried.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.adapter import BotEndpoint
from storage.conversation_repository import ConversationRepository

log = logging.getLogger(__name__)

RETRIED = {412, 429, 502, 503, 504}
ATTEMPTS = 4
MAX_BYTES = 80 * 1024


@dataclass(frozen=True)
class Delivery:
    aad_object_id: str
    conversation_id: str
    activity_id: str


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


class Messenger:
    def __init__(self, endpoint: BotEndpoint, conversations: ConversationRepository) -> None:
        self._endpoint = endpoint
        self._conversations = conversations

    async def send_card(self, aad_object_id: str, card: dict) -> Delivery:
        return await self._send(aad_object_id, MessageFactory.attachment(CardFactory.adaptive_card(card)))

    async def send_text(self, aad_object_id: str, text: str) -> Delivery:
        return await self._send(aad_object_id, MessageFactory.text(text))

    async def update_card(self, delivery: Delivery, card: dict) -> None:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
        activity.id = delivery.activity_id
        reference = await self._reference(delivery.aad_object_id)

        async def update(turn_context: TurnContext) -> None:
            await turn_context.update_activity(activity)

        await self._with_retries(reference, update)

    async def _send(self, aad_object_id: str, activity) -> Delivery:  # noqa: ANN001 - a botbuilder Activity
        reference = await self._reference(aad_object_id)
        sent: list[str] = []

        async def send(turn_context: TurnContext) -> None:
            response = await turn_context.send_activity(activity)
            sent.append(response.id if response else "")

        await self._with_retries(reference, send)
        return Delivery(aad_object_id, reference.conversation.id, sent[-1] if sent else "")

    async def _reference(self, aad_object_id: str) -> ConversationReference:
        stored = await self._conversations.personal(aad_object_id)
        if stored is None:
            raise DeliveryFailed("no conversation with this person", unreachable=True)
        return ConversationReference().deserialize(stored.reference)

    async def _with_retries(self, reference: ConversationReference, callback) -> None:  # noqa: ANN001
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await self._continue(reference, callback)
                return
            except HttpOperationError as error:
                status = error.response.status_code if error.response is not None else 0
                if status == 403:
                    raise DeliveryFailed("the bot is blocked or uninstalled", unreachable=True) from None
                if status not in RETRIED or attempt == ATTEMPTS:
                    raise DeliveryFailed(f"the Bot Connector answered {status}") from None
                await asyncio.sleep(_backoff(attempt, error.response.headers.get("Retry-After")))
            except (ClientRequestError, OSError, asyncio.TimeoutError) as error:
                if attempt == ATTEMPTS:
                    raise DeliveryFailed(type(error).__name__) from None
                await asyncio.sleep(_backoff(attempt, None))


    async def _continue(self, reference: ConversationReference, callback) -> None:  # noqa: ANN001
        """Runs `callback` in the conversation; its failure is raised here, not sent to the
        adapter's turn-error handler, which would apologise to the very person unreachable."""
        failures: list[BaseException] = []

        async def guarded(turn_context: TurnContext) -> None:
            try:
                await callback(turn_context)
            except Exception as error:  # noqa: BLE001 - re-raised below
                failures.append(error)

        await self._endpoint.continue_conversation(reference, guarded)
        if failures:
            raise failures[0]


def _backoff(attempt: int, retry_after: str | None) -> float:
    if retry_after:
        try:
            return min(float(retry_after), 30.0)
        except ValueError:
            pass
    return min(0.5 * 2 ** (attempt - 1), 8.0) * random.uniform(0.5, 1.5)
