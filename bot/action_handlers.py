"""What each card verb does: check the data, call the service, say what to show."""

from __future__ import annotations

from typing import Awaitable, Callable

from bot.card_actions import CardAction
from bot.domain.people import Member
from bot.faq_service import FaqService, Refusal
from bot.handoff_service import HandoffService
from bot.i18n import Texts
from bot.mentor_admin_service import MentorAdminService
from bot.replies import Reply
from bot.report_service import ReportService
from cards.faq import answer_card, feedback_thanks_card

Handler = Callable[[CardAction, Member, Texts], Awaitable[Reply]]


def _refused(texts: Texts, reason: str) -> Reply:
    return Reply(text=texts(f"card_refusal.{reason}"))


class FaqActions:
    def __init__(self, faq: FaqService) -> None:
        self._faq = faq

    async def show_faq(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        question_id, entry_id = action.integer("question_id"), action.text("faq_id")
        if question_id is None or entry_id is None:
            return _refused(texts, "bad_data")
        view = await self._faq.show_suggestion(question_id, member.aad_object_id, entry_id)
        if isinstance(view, Refusal):
            return _refused(texts, view.reason)
        return Reply(card=answer_card(Texts(view.language), view, question_id))

    async def faq_helpful(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        question_id, entry_id, helpful = action.integer("question_id"), action.text("faq_id"), action.flag("helpful")
        if question_id is None or entry_id is None or helpful is None:
            return _refused(texts, "bad_data")
        result = await self._faq.rate(question_id, member.aad_object_id, entry_id, helpful)
        if isinstance(result, Refusal):
            return _refused(texts, result.reason)
        if result.view is None:
            return Reply(text=texts("faq.thanks_helpful" if helpful else "faq.thanks_not_helpful"))
        return Reply(card=feedback_thanks_card(Texts(result.view.language), result.view, question_id, helpful))


class FaqAdminActions:
    def __init__(self, faq: FaqService, reports: ReportService) -> None:
        self._faq = faq
        self._reports = reports

    async def draft(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        if not member.has_role("coordinator"):
            return Reply(text=texts("reply.refused_role", role=texts("roles.coordinator")))
        reply = await self._reports.draft_faq(member, action.integer("question_id"), texts)
        return Reply(card=reply.card, text=reply.text)

    async def save(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        # The form is only sent to coordinators, but a forged click must not edit the FAQ.
        if not member.has_role("coordinator"):
            return Reply(text=texts("reply.refused_role", role=texts("roles.coordinator")))
        result = await self._faq.save_language(action.data)
        if isinstance(result, tuple):
            field, problem = result
            return Reply(text=texts("faq_admin.invalid", field=field, problem=problem))
        return Reply(card=answer_card(Texts(result.language), result, None), text=texts("faq_admin.saved"))


class MentorAdminActions:
    def __init__(self, admin: MentorAdminService) -> None:
        self._admin = admin

    async def _coordinator(self, member: Member, texts: Texts, work) -> Reply:  # noqa: ANN001
        if not member.has_role("coordinator"):
            return Reply(text=texts("reply.refused_role", role=texts("roles.coordinator")))
        reply = await work()
        return Reply(card=reply.card, text=reply.text)

    async def add(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        return await self._coordinator(member, texts, lambda: self._admin.add(
            member, action.text("new_mentor", max_length=320), texts))

    async def remove(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        return await self._coordinator(member, texts, lambda: self._admin.remove(
            member, action.integer("person_id"), texts))

    async def set_allowance(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        person_id = action.integer("person_id")
        minutes = action.integer(f"allowance_{person_id}") if person_id is not None else None
        return await self._coordinator(member, texts, lambda: self._admin.set_allowance(
            member, person_id, minutes, texts))


class RequestActions:
    def __init__(self, handoff: HandoffService) -> None:
        self._handoff = handoff

    async def _with_request(self, action: CardAction, texts: Texts, work) -> Reply:  # noqa: ANN001
        request_id = action.integer("request_id")
        if request_id is None:
            return _refused(texts, "bad_data")
        outcome = await work(request_id)
        return Reply(card=outcome.card, text=outcome.text)

    async def ask_mentor(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        question_id = action.integer("question_id")
        if question_id is None:
            return _refused(texts, "bad_data")
        outcome = await self._handoff.ask(member, question_id, texts)
        if action.shared_conversation and outcome.card is not None:
            # A channel or group chat sees only that the question went on; the details go to the
            # asker's own chat with the bot.
            await self._handoff.notify_privately(member.aad_object_id, outcome.card)
            return Reply(text=texts("request.sent_privately"))
        return Reply(card=outcome.card, text=outcome.text)

    async def accept(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        return await self._with_request(action, texts, lambda rid: self._handoff.accept(member, rid, texts))

    async def decline(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        return await self._with_request(action, texts, lambda rid: self._handoff.decline(member, rid, texts))

    async def release(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        return await self._with_request(action, texts, lambda rid: self._handoff.release(member, rid, texts))

    async def open(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        return await self._with_request(action, texts, lambda rid: self._handoff.open_request(member, rid, texts))

    async def cancel(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        return await self._with_request(action, texts, lambda rid: self._handoff.cancel(member, rid, texts))

    async def reopen(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        return await self._with_request(action, texts, lambda rid: self._handoff.reopen(member, rid, texts))

    async def resolve(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        minutes = action.integer("minutes_other") or action.integer("minutes")
        proposed = action.text("faq_answer", max_length=2000) if action.flag("propose_faq") else None
        return await self._with_request(
            action, texts, lambda rid: self._handoff.resolve(member, rid, minutes, proposed, texts))

    async def rate(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        rating, comment = action.integer("rating"), action.text("comment", max_length=1000)
        return await self._with_request(
            action, texts, lambda rid: self._handoff.rate(member, rid, rating, comment, texts))


class ActionRouter:
    def __init__(self, handlers: dict[str, Handler]) -> None:
        self._handlers = handlers

    async def handle(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        handler = self._handlers.get(action.verb)
        if handler is None:
            return _refused(texts, "unknown_action")
        return await handler(action, member, texts)


def build_router(faq: FaqService, handoff: HandoffService, reports: ReportService,
                 mentor_admin: MentorAdminService) -> ActionRouter:
    faq_actions, requests, faq_admin = FaqActions(faq), RequestActions(handoff), FaqAdminActions(faq, reports)
    mentors = MentorAdminActions(mentor_admin)
    return ActionRouter({
        "addMentor": mentors.add,
        "removeMentor": mentors.remove,
        "setAllowance": mentors.set_allowance,
        "saveFaq": faq_admin.save,
        "draftFaq": faq_admin.draft,
        "showFaq": faq_actions.show_faq,
        "faqHelpful": faq_actions.faq_helpful,
        "askMentor": requests.ask_mentor,
        "acceptRequest": requests.accept,
        "declineRequest": requests.decline,
        "resolveRequest": requests.resolve,
        "releaseRequest": requests.release,
        "openRequest": requests.open,
        "cancelRequest": requests.cancel,
        "rateHelp": requests.rate,
        "reopenRequest": requests.reopen,
    })
