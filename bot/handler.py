"""The Teams activity handler: read the activity, ask the router, send what it answers."""

from __future__ import annotations

import contextlib
import logging

from botbuilder.core import ActivityHandler, CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from bot.teams_context import Incoming, card_action_of, conversation_reference_of, read_incoming
from cards.i18n import Texts
from dialogs.replies import Reply
from dialogs.router import Router
from dialogs.rules.people import Member
from dialogs.wiring import Flows
from storage.activity_claims import delivery_scope

log = logging.getLogger(__name__)

# Only these are worth deduplicating here: card actions (invokes) must be idempotent on
# their own, because a re-sent invoke still needs its card answer.
_DEDUPLICATED_TYPES = {ActivityTypes.message, ActivityTypes.conversation_update, ActivityTypes.installation_update}
CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"


class DigimentorBot(ActivityHandler):
    def __init__(self, flows: Flows, router: Router) -> None:
        self._flows = flows
        self._router = router

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        key = _delivery_key(activity)
        if key is not None and not await self._flows.claims.claim(key):
            log.info("duplicate delivery skipped", extra={"activity_type": activity.type})
            return
        try:
            claims = self._flows.claims
            with delivery_scope(claims.delivery(key)) if key is not None else contextlib.nullcontext():
                await super().on_turn(turn_context)
        except BaseException:
            if key is not None:
                # Best effort: with the database down this fails too, and the claims take the
                # Connector's retry over (storage/activity_claims.py).
                with contextlib.suppress(Exception):
                    await self._flows.claims.release(key)
            raise
        if key is not None:
            # Only now is a redelivery a duplicate; until here it would run the turn again.
            await self._flows.claims.finish(key)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        incoming = read_incoming(turn_context.activity)
        await self._remember(turn_context, incoming)
        member, texts = await self._who(incoming)
        action = card_action_of(turn_context.activity)
        if action is not None:
            await _send(turn_context, await self._router.action(action, member, texts), replace_clicked=True)
            return
        reply = await self._router.text(member, incoming.text, texts, shared_conversation=not incoming.is_personal)
        await _send(turn_context, reply, replace_clicked=False)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        if turn_context.activity.name != "adaptiveCard/action":
            # Nothing else is ours to answer (sign-in, messaging extensions, config...): an empty
            # 200 tells Teams so. botbuilder's default answers 501, or fails on some of them.
            return InvokeResponse(status=200)
        member, texts = await self._who(read_incoming(turn_context.activity))
        reply = await self._router.action(card_action_of(turn_context.activity), member, texts)
        # Built here as a plain dict: botbuilder's AdaptiveCardInvokeResponse model cannot carry
        # a text value, and its own path serialises the body twice.
        if reply.notice:
            await turn_context.send_activity(reply.notice)
        if reply.card is not None:
            if reply.text:
                await turn_context.send_activity(reply.text)
            body = {"statusCode": 200, "type": CARD, "value": reply.card}
        else:
            body = {"statusCode": 200, "type": MESSAGE, "value": reply.text}
        return InvokeResponse(status=200, body=body)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        incoming = read_incoming(turn_context.activity)
        await self._remember(turn_context, incoming)
        member, texts = await self._who(incoming)
        await _send(turn_context, await self._router.installed(member, texts), replace_clicked=False)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        # Teams follows every installation with this update; the welcome is sent once, for the
        # installationUpdate, and here the conversation reference is only refreshed.
        incoming = read_incoming(turn_context.activity)
        if incoming.is_personal:
            await self._remember(turn_context, incoming)

    async def _who(self, incoming: Incoming) -> tuple[Member, Texts]:
        """The writer as the directory knows them, and the language to answer them in."""
        return await self._flows.directory.member_and_texts(incoming.aad_object_id, incoming.display_name,
                                                            incoming.locale)

    async def _remember(self, turn_context: TurnContext, incoming: Incoming) -> None:
        if not incoming.aad_object_id or not incoming.conversation_id:
            return
        activity = turn_context.activity
        await self._flows.conversations.remember(
            aad_object_id=incoming.aad_object_id,
            conversation_id=incoming.conversation_id,
            conversation_type=incoming.conversation_type,
            tenant_id=incoming.tenant_id,
            service_url=activity.service_url or "",
            channel_id=activity.channel_id or "msteams",
            locale=incoming.locale,
            reference=conversation_reference_of(activity),
        )


async def _send(turn_context: TurnContext, reply: Reply, *, replace_clicked: bool) -> None:
    """Notice and text first, then the card: after a click (the Action.Submit path) it replaces
    the clicked card when the client allows, otherwise it is posted anew."""
    for text in (reply.notice, reply.text):
        if text:
            await turn_context.send_activity(text)
    if reply.card is None:
        return
    card = MessageFactory.attachment(CardFactory.adaptive_card(reply.card))
    if replace_clicked and turn_context.activity.reply_to_id:
        card.id = turn_context.activity.reply_to_id
        try:
            await turn_context.update_activity(card)
            return
        except Exception:  # noqa: BLE001 - a client that cannot update gets a new card
            log.info("card update refused; sending a new card")
        card.id = None
    await turn_context.send_activity(card)


def _delivery_key(activity: Activity) -> str | None:
    if activity.type not in _DEDUPLICATED_TYPES or not activity.id:
        return None
    conversation_id = activity.conversation.id if activity.conversation else ""
    return f"{conversation_id}|{activity.id}"
