"""Asking: guard personal data, match against the FAQ, record the question, answer with a
card; then the asker's clicks on that card (a suggestion opened, "did this help?")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cards.faq import answer_card, feedback_thanks_card, no_answer_card, suggestions_card
from cards.helpdesk import helpdesk_card
from cards.i18n import Texts
from dialogs.card_action import CardAction
from dialogs.clock import Clock
from dialogs.flows.directory import Directory
from dialogs.flows.faq_library import EntryView, FaqLibrary, entry_view
from dialogs.replies import Reply, refused
from dialogs.rules.faq_policy import ANSWERED, MAX_SUGGESTIONS, SUGGESTED
from dialogs.rules.helpdesk import ANSWER_WITH_HELPDESK, HELPDESK, fault_kind, route
from dialogs.rules.language import LanguageDetector
from dialogs.rules.people import Member
from dialogs.rules.privacy import BLANK, MaskedText, MaskLabels, mask_personal_data
from storage.question_repository import QuestionRepository, StoredQuestion
from storage.variant_repository import VariantRepository


@dataclass(frozen=True)
class GuardedQuestion:
    text: MaskedText
    language: str


class Asking:
    def __init__(self, library: FaqLibrary, questions: QuestionRepository, variants: VariantRepository,
                 detector: LanguageDetector, directory: Directory, clock: Clock, *,
                 rollout_for: Callable[[str | None], Awaitable[int | None]] | None = None) -> None:
        self._library = library
        # The rollout a question asked in a unit now belongs to (dialogs/flows/announcements.py).
        self._rollout_for = rollout_for
        self._directory = directory
        self._clock = clock
        self._variants = variants
        self._questions = questions
        self._detector = detector

    def guard(self, text: str, fallback_language: str) -> GuardedQuestion:
        """Personal data masked with labels in the question's own language."""
        language = self._detector.detect(mask_personal_data(text, BLANK).text, fallback=fallback_language)
        return GuardedQuestion(mask_personal_data(text, MaskLabels.from_texts(Texts(language))), language)

    async def ask(self, member: Member, text: str, texts: Texts) -> Reply:
        question = self.guard(text, texts.language)
        index = await self._library.index()
        result = await self._library.match(question.text.text, index)
        shown: list[EntryView] = []
        if result.outcome in (ANSWERED, SUGGESTED):
            limit = 1 if result.outcome == ANSWERED else MAX_SUGGESTIONS
            shown = [entry_view(index.entries[c.entry_id], question.language) for c in result.candidates[:limit]]
        # The IT helpdesk beside the matching, which has decided already (dialogs/rules/helpdesk.py).
        helpdesk = (await self._directory.settings()).helpdesk
        routing = route(answered=result.outcome == ANSWERED,
                        answered_by_helpdesk_entry=bool(shown) and shown[0].helpdesk,
                        suggested_helpdesk_entry=result.outcome == SUGGESTED and shown[0].helpdesk,
                        fault=fault_kind(question.text.text), helpdesk_known=helpdesk is not None)
        if routing.shown == HELPDESK:
            # Only the helpdesk's own entries are worth suggesting for a fault.
            shown = [view for view in shown if view.helpdesk]
        question_id = await self._questions.record(
            asker_aad_object_id=member.aad_object_id,
            asker_person_id=member.person_id,
            unit_id=member.unit_id,
            text=question.text.text,
            language=question.language,
            outcome=result.outcome,
            faq_entry_id=shown[0].entry_id if shown else None,
            # The answer model's confidence in the best entry: what gaps and reviews sort by.
            score=result.confidence,
            shown_entry_ids=[view.entry_id for view in shown],
            masked_items=question.text.masked_count,
            after_hours=await self._directory.outside_working_hours(self._clock.now()),
            helpdesk=routing.reason,
            announcement_id=await self._rollout(member),
        )
        answer_texts = Texts(question.language)
        if routing.shown == HELPDESK:
            card = helpdesk_card(answer_texts, helpdesk, routing.reason, question_id, shown)
        elif routing.shown == ANSWER_WITH_HELPDESK:
            card = answer_card(answer_texts, shown[0], question_id, helpdesk=helpdesk)
        elif result.outcome == ANSWERED:
            card = answer_card(answer_texts, shown[0], question_id)
        elif result.outcome == SUGGESTED:
            card = suggestions_card(answer_texts, shown, question_id)
        else:
            card = no_answer_card(answer_texts, question_id)
        return Reply(card=card, notice=masked_notice(answer_texts, question.text))

    async def record_direct(self, member: Member, text: str, texts: Texts, *,
                            filed_by: int | None = None) -> tuple[int, GuardedQuestion]:
        """A question sent straight to a digimentor (`mentor <question>`), stored like any other;
        `filed_by`: the helpdesk agent who handed it on for `member`."""
        question = self.guard(text, texts.language)
        question_id = await self._questions.record(
            asker_aad_object_id=member.aad_object_id, asker_person_id=member.person_id, unit_id=member.unit_id,
            text=question.text.text, language=question.language, outcome="direct", faq_entry_id=None, score=None,
            shown_entry_ids=[], masked_items=question.text.masked_count,
            after_hours=await self._directory.outside_working_hours(self._clock.now()),
            filed_by_person_id=filed_by,
            announcement_id=await self._rollout(member),
        )
        return question_id, question

    async def _rollout(self, member: Member) -> int | None:
        return await self._rollout_for(member.unit_id) if self._rollout_for is not None else None

    async def show_suggestion(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        question_id, entry_id = action.integer("question_id"), action.text("faq_id")
        if question_id is None or entry_id is None:
            return refused(texts, "bad_data")
        question = await self._shown_question(question_id, member.aad_object_id, entry_id)
        if isinstance(question, str):
            return refused(texts, question)
        entry = await self._library.entry(entry_id)
        if entry is None:
            return refused(texts, "entry_gone")
        await self._questions.note_suggestion_chosen(question_id, entry_id)
        view = entry_view(entry, question.language)
        return Reply(card=answer_card(Texts(view.language), view, question_id, helpdesk=await self._helpdesk_of(view)))

    async def rate_answer(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        question_id, entry_id, helpful = action.integer("question_id"), action.text("faq_id"), action.flag("helpful")
        if question_id is None or entry_id is None or helpful is None:
            return refused(texts, "bad_data")
        question = await self._shown_question(question_id, member.aad_object_id, entry_id)
        if isinstance(question, str):
            return refused(texts, question)
        if not await self._questions.record_feedback(question_id, entry_id, helpful):
            return refused(texts, "already_rated")
        if helpful and question.outcome == SUGGESTED:
            # The asker's own words found the right entry only as a suggestion: a coordinator
            # may make them one of its variants, so that the next asker gets the answer at once.
            await self._variants.propose(entry_id=entry_id, language=question.language, text=question.text,
                                         question_id=question_id, source="suggestion")
        entry = await self._library.entry(entry_id)
        if entry is None:
            return Reply(text=texts("faq.thanks_helpful" if helpful else "faq.thanks_not_helpful"))
        view = entry_view(entry, question.language)
        return Reply(card=feedback_thanks_card(Texts(view.language), view, question_id, helpful,
                                               helpdesk=await self._helpdesk_of(view)))

    async def _helpdesk_of(self, view: EntryView) -> dict | None:
        """The helpdesk's contact for its own entries, when the organisation file gives it."""
        return (await self._directory.settings()).helpdesk if view.helpdesk else None

    async def _shown_question(self, question_id: int, clicker: str, entry_id: str) -> StoredQuestion | str:
        """The clicker's own question when `entry_id` was shown for it; otherwise why not."""
        question = await self._questions.get(question_id)
        if question is None:
            return "unknown_question"
        if question.asker_aad_object_id != clicker.lower():
            return "not_yours"
        if entry_id not in question.shown_entry_ids:
            return "not_offered"
        return question


def masked_notice(texts: Texts, masked: MaskedText) -> str | None:
    return texts("faq.masked_notice") if masked.changed else None
