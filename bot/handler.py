"""The Teams activity handler: parse the input, call a service, render a card. Nothing more."""

from __future__ import annotations

import logging

from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from bot.domain.commands import Command, parse_command
from bot.i18n import Texts, language_of
from bot.services import MAX_QUESTION_CHARACTERS, Services
from bot.teams_context import Incoming, conversation_reference_of, read_incoming
from cards.help import help_card
from cards.welcome import welcome_card

log = logging.getLogger(__name__)

# Only these are worth deduplicating here: card actions (invokes) must be idempotent on
# their own, because a re-sent invoke still needs its card answer.
_DEDUPLICATED_TYPES = {ActivityTypes.message, ActivityTypes.conversation_update, ActivityTypes.installation_update}


class DigimentorBot(ActivityHandler):
    def __init__(self, services: Services) -> None:
        self._services = services

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        key = _delivery_key(activity)
        if key is not None and not await self._services.claims.claim(key):
            log.info("duplicate delivery skipped", extra={"activity_type": activity.type})
            return
        try:
            await super().on_turn(turn_context)
        except BaseException:
            if key is not None:
                await self._services.claims.release(key)
            raise

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        incoming = read_incoming(turn_context.activity)
        await self._remember(turn_context, incoming)
        texts = Texts(language_of(incoming.locale))
        if len(incoming.text) > MAX_QUESTION_CHARACTERS:
            await turn_context.send_activity(
                texts("reply.text_too_long", length=len(incoming.text), limit=MAX_QUESTION_CHARACTERS)
            )
            return
        command = parse_command(incoming.text)
        member = await self._services.directory.member(incoming.aad_object_id, incoming.display_name)
        if command is not None and command.required_role and not member.has_role(command.required_role):
            await turn_context.send_activity(texts("reply.refused_role", role=texts(f"roles.{command.required_role}")))
            return
        if command is not None and command.name == "help":
            await _send_card(turn_context, help_card(texts, member.has_role))
            return
        await self._answer_question(turn_context, incoming, command, texts)

    async def _answer_question(
        self, turn_context: TurnContext, incoming: Incoming, command: Command | None, texts: Texts
    ) -> None:
        # The FAQ and the hand-off to mentors plug in here.
        await turn_context.send_activity(texts("reply.not_understood"))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        incoming = read_incoming(turn_context.activity)
        await self._remember(turn_context, incoming)
        await self._welcome(turn_context, incoming)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        incoming = read_incoming(turn_context.activity)
        for member in members_added:
            if member.id == bot_id:
                # The bot itself was added: in a personal chat that is the install.
                if incoming.is_personal:
                    await self._remember(turn_context, incoming)
                continue
            if incoming.is_personal:
                await self._remember(turn_context, incoming)
                await self._welcome(turn_context, incoming)

    async def _welcome(self, turn_context: TurnContext, incoming: Incoming) -> None:
        texts = Texts(language_of(incoming.locale))
        await _send_card(turn_context, welcome_card(texts, texts.list("welcome.examples")))

    async def _remember(self, turn_context: TurnContext, incoming: Incoming) -> None:
        if not incoming.aad_object_id or not incoming.conversation_id:
            return
        activity = turn_context.activity
        await self._services.conversations.remember(
            aad_object_id=incoming.aad_object_id,
            conversation_id=incoming.conversation_id,
            conversation_type=incoming.conversation_type,
            tenant_id=incoming.tenant_id,
            service_url=activity.service_url or "",
            channel_id=activity.channel_id or "msteams",
            locale=incoming.locale,
            reference=conversation_reference_of(activity),
        )


async def _send_card(turn_context: TurnContext, card: dict) -> None:
    await turn_context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(card)))


def _delivery_key(activity: Activity) -> str | None:
    if activity.type not in _DEDUPLICATED_TYPES or not activity.id:
        return None
    conversation_id = activity.conversation.id if activity.conversation else ""
    return f"{conversation_id}|{activity.id}"
