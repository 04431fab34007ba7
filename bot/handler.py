"""The Teams activity handler: parse the input, call a service, render a card. Nothing more."""

from __future__ import annotations

import logging

from botbuilder.core import (
    ActivityHandler,
    CardFactory,
    InvokeResponse,
    MessageFactory,
    TurnContext,
)
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from bot.card_actions import card_action_of
from bot.domain.commands import Command, parse_command
from bot.domain.duty import away_until
from bot.domain.faq_matching import ANSWERED, SUGGESTED
from bot.domain.mentor_choice import HELSINKI
from bot.domain.people import Member
from bot.faq_service import AskOutcome
from bot.i18n import Texts, language_of
from bot.replies import Reply
from bot.services import MAX_QUESTION_CHARACTERS, Services
from bot.teams_context import Incoming, conversation_reference_of, read_incoming
from cards.faq import answer_card, no_answer_card, suggestions_card
from cards.faq_admin import faq_form_card
from cards.help import help_card
from cards.welcome import welcome_card

log = logging.getLogger(__name__)

# Only these are worth deduplicating here: card actions (invokes) must be idempotent on
# their own, because a re-sent invoke still needs its card answer.
_DEDUPLICATED_TYPES = {ActivityTypes.message, ActivityTypes.conversation_update, ActivityTypes.installation_update}
CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"


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

    # -- messages ---------------------------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        incoming = read_incoming(turn_context.activity)
        await self._remember(turn_context, incoming)
        member, texts = await self._member_and_texts(incoming)
        action = card_action_of(turn_context.activity)
        if action is not None:
            reply = await self._services.actions.handle(action, member, texts)
            await self._send_action_reply(turn_context, reply)
            return
        if len(incoming.text) > MAX_QUESTION_CHARACTERS:
            await turn_context.send_activity(
                texts("reply.text_too_long", length=len(incoming.text), limit=MAX_QUESTION_CHARACTERS)
            )
            return
        command = parse_command(incoming.text)
        if command is not None and command.required_role and not member.has_role(command.required_role):
            await turn_context.send_activity(texts("reply.refused_role", role=texts(f"roles.{command.required_role}")))
            return
        if command is not None:
            await self._command(turn_context, member, command, texts)
            return
        if incoming.text:
            await self._answer_question(turn_context, member, incoming.text, texts)
            return
        await turn_context.send_activity(texts("reply.not_understood"))

    async def _command(self, turn_context: TurnContext, member: Member, command: Command, texts: Texts) -> None:
        """Every chat command (bot.domain.commands) and what answers it."""
        services, argument = self._services, command.argument
        if command.name == "help":
            await _send_card(turn_context, help_card(texts, member.has_role))
        elif command.name == "mentor":
            await self._ask_mentor_directly(turn_context, member, argument, texts)
        elif command.name == "faq":
            await self._faq_form(turn_context, argument.strip(), texts)
        elif command.name in ("available", "away"):
            await turn_context.send_activity(await self._set_duty(member, command.name, argument, texts))
        else:
            answers = {
                "mentors": lambda: services.mentor_admin.overview(member, texts),
                "my requests": lambda: services.handoff.my_requests(member, texts),
                "stats": lambda: services.reports.stats(member, argument, texts),
                "my hours": lambda: services.reports.my_hours(member, texts),
                "log": lambda: services.reports.log(member, argument, texts),
                "gaps": lambda: services.reports.gaps(member, texts),
                "export": lambda: services.reports.export(member, argument, texts),
            }
            reply = await answers[command.name]()
            await self._send_action_reply(turn_context, Reply(card=reply.card, text=reply.text), replace=False)

    async def _answer_question(self, turn_context: TurnContext, member: Member, text: str, texts: Texts) -> None:
        outcome: AskOutcome = await self._services.faq.ask(member, text, texts.language)
        answer_texts = Texts(outcome.language)
        if outcome.masked.changed:
            await turn_context.send_activity(answer_texts("faq.masked_notice"))
        if outcome.outcome == ANSWERED:
            card = answer_card(answer_texts, outcome.answer, outcome.question_id)
        elif outcome.outcome == SUGGESTED:
            card = suggestions_card(answer_texts, outcome.suggestions, outcome.question_id)
        else:
            card = no_answer_card(answer_texts, outcome.question_id)
        await _send_card(turn_context, card)

    async def _ask_mentor_directly(self, turn_context: TurnContext, member: Member, text: str, texts: Texts) -> None:
        if not text:
            await turn_context.send_activity(texts("request.mentor_usage"))
            return
        question_id, masked, language = await self._services.faq.record_direct(member, text, texts.language)
        if masked.changed:
            await turn_context.send_activity(Texts(language)("faq.masked_notice"))
        outcome = await self._services.handoff.ask(member, question_id, Texts(language))
        if not read_incoming(turn_context.activity).is_personal and outcome.card is not None:
            await self._services.handoff.notify_privately(member.aad_object_id, outcome.card)
            outcome = Reply(text=Texts(language)("request.sent_privately"))
        await self._send_action_reply(turn_context, Reply(card=outcome.card, text=outcome.text), replace=False)

    async def _faq_form(self, turn_context: TurnContext, entry_id: str, texts: Texts) -> None:
        entry = await self._services.faq.entry(entry_id) if entry_id else None
        if entry_id and entry is None:
            await turn_context.send_activity(texts("faq_admin.unknown_entry", id=entry_id))
        if entry is None:
            await _send_card(turn_context, faq_form_card(texts, entry_id=entry_id, language=texts.language))
            return
        text = entry.texts().get(texts.language)
        await _send_card(turn_context, faq_form_card(
            texts, entry_id=entry.id, topic=entry.topic or "", language=texts.language, editing=True,
            question=text.question if text else "", variants=list(text.variants) if text else [],
            answer=text.answer if text else ""))

    async def _set_duty(self, member: Member, command: str, argument: str, texts: Texts) -> str:
        until = away_until(argument, self._services.handoff.clock()) if command == "away" else None
        if not await self._services.mentors.set_duty(member.person_id, command == "available", until):
            return texts("duty.no_profile")
        if command == "available":
            return texts("duty.available")
        if until is None:
            return texts("duty.away")
        return texts("duty.away_until", time=until.astimezone(HELSINKI).strftime("%H:%M"))

    # -- card actions -----------------------------------------------------------------------
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        # Built here as a plain dict: botbuilder's AdaptiveCardInvokeResponse model cannot carry
        # a text value, and its own path serialises the body twice.
        incoming = read_incoming(turn_context.activity)
        member, texts = await self._member_and_texts(incoming)
        reply = await self._services.actions.handle(card_action_of(turn_context.activity), member, texts)
        if reply.card is not None:
            if reply.text:
                await turn_context.send_activity(reply.text)
            body = {"statusCode": 200, "type": CARD, "value": reply.card}
        else:
            body = {"statusCode": 200, "type": MESSAGE, "value": reply.text}
        return InvokeResponse(status=200, body=body)

    async def _send_action_reply(self, turn_context: TurnContext, reply: Reply, replace: bool = True) -> None:
        """The Action.Submit path: replace the clicked card when possible, else post anew."""
        if reply.text:
            await turn_context.send_activity(reply.text)
        if reply.card is None:
            return
        replaced = MessageFactory.attachment(CardFactory.adaptive_card(reply.card))
        if replace and turn_context.activity.reply_to_id:
            replaced.id = turn_context.activity.reply_to_id
            try:
                await turn_context.update_activity(replaced)
                return
            except Exception:  # noqa: BLE001 - a client that cannot update gets a new card
                log.info("card update refused; sending a new card")
            replaced.id = None
        await turn_context.send_activity(replaced)

    # -- installation -----------------------------------------------------------------------
    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        incoming = read_incoming(turn_context.activity)
        await self._remember(turn_context, incoming)
        _, texts = await self._member_and_texts(incoming)
        await _send_card(turn_context, welcome_card(texts, texts.list("welcome.examples")))

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        # Teams follows every installation with this update; the welcome is sent once, for the
        # installationUpdate, and here the conversation reference is only refreshed.
        incoming = read_incoming(turn_context.activity)
        if incoming.is_personal:
            await self._remember(turn_context, incoming)

    # -- helpers ----------------------------------------------------------------------------
    async def _member_and_texts(self, incoming: Incoming) -> tuple[Member, Texts]:
        member = await self._services.directory.member(incoming.aad_object_id, incoming.display_name)
        return member, Texts(member.preferred_language(language_of(incoming.locale, fallback="")))

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
