"""What each card verb does: check the data, call the service, say what to show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from bot.card_actions import CardAction
from bot.domain.people import Member
from bot.faq_service import FaqService, Refusal
from bot.i18n import Texts
from cards.faq import answer_card, feedback_thanks_card


@dataclass(frozen=True)
class ActionReply:
    """A card that replaces the clicked one, and/or a short text for the clicker."""

    card: dict | None = None
    text: str | None = None


Handler = Callable[[CardAction, Member, Texts], Awaitable[ActionReply]]


def _refused(texts: Texts, reason: str) -> ActionReply:
    return ActionReply(text=texts(f"card_refusal.{reason}"))


class FaqActions:
    def __init__(self, faq: FaqService) -> None:
        self._faq = faq

    async def show_faq(self, action: CardAction, member: Member, texts: Texts) -> ActionReply:
        question_id, entry_id = action.integer("question_id"), action.text("faq_id")
        if question_id is None or entry_id is None:
            return _refused(texts, "bad_data")
        view = await self._faq.show_suggestion(question_id, member.aad_object_id, entry_id)
        if isinstance(view, Refusal):
            return _refused(texts, view.reason)
        return ActionReply(card=answer_card(Texts(view.language), view, question_id))

    async def faq_helpful(self, action: CardAction, member: Member, texts: Texts) -> ActionReply:
        question_id, entry_id, helpful = action.integer("question_id"), action.text("faq_id"), action.flag("helpful")
        if question_id is None or entry_id is None or helpful is None:
            return _refused(texts, "bad_data")
        result = await self._faq.rate(question_id, member.aad_object_id, entry_id, helpful)
        if isinstance(result, Refusal):
            return _refused(texts, result.reason)
        if result.view is None:
            return ActionReply(text=texts("faq.thanks_helpful" if helpful else "faq.thanks_not_helpful"))
        return ActionReply(card=feedback_thanks_card(Texts(result.view.language), result.view, question_id, helpful))


class ActionRouter:
    def __init__(self, handlers: dict[str, Handler]) -> None:
        self._handlers = handlers

    async def handle(self, action: CardAction, member: Member, texts: Texts) -> ActionReply:
        handler = self._handlers.get(action.verb)
        if handler is None:
            return _refused(texts, "unknown_action")
        return await handler(action, member, texts)


def build_router(faq: FaqService) -> ActionRouter:
    faq_actions = FaqActions(faq)
    return ActionRouter({"showFaq": faq_actions.show_faq, "faqHelpful": faq_actions.faq_helpful})
