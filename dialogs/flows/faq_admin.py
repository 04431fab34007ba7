"""Coordinators keep the FAQ from chat: a form to add or edit one language of an entry, saved
at once for every replica, and a drafted form from a question the FAQ could not answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import ValidationError

from cards.faq import answer_card
from cards.faq_admin import faq_form_card
from cards.i18n import DEFAULT_LANGUAGE, LANGUAGES, Texts
from dialogs.card_action import CardAction
from dialogs.flows.faq_library import FaqLibrary, entry_view
from dialogs.redacted import is_redacted
from dialogs.replies import Reply, refused
from dialogs.rules.faq_file import FaqEntrySpec
from dialogs.rules.people import Member
from storage.faq_repository import FaqRepository
from storage.question_repository import QuestionRepository
from storage.variant_repository import VariantRepository

# pydantic's error types, as the form's own words (locale keys under faq_admin.problems).
_PROBLEMS = {
    "missing": "required",
    "string_too_short": "too_short",
    "string_too_long": "too_long",
    "string_pattern_mismatch": "pattern",
    "too_long": "too_many",
}


class FaqAdmin:
    def __init__(self, library: FaqLibrary, faq: FaqRepository, questions: QuestionRepository,
                 variants: VariantRepository, gaps: Callable[[Member, Texts], Awaitable[Reply]]) -> None:
        self._library = library
        self._variants = variants
        self._gaps = gaps
        self._faq = faq
        self._questions = questions

    async def form(self, entry_id: str, texts: Texts) -> Reply:
        """A blank form, or the entry's text in the reader's language to edit."""
        entry = await self._library.entry(entry_id) if entry_id else None
        if entry is None:
            notice = texts("faq_admin.unknown_entry", id=entry_id) if entry_id else None
            return Reply(card=faq_form_card(texts, entry_id=entry_id, language=texts.language), text=notice)
        text = entry.texts.get(texts.language)
        return Reply(card=faq_form_card(
            texts, entry_id=entry.id, topic=entry.topic or "", language=texts.language, editing=True,
            question=text.question if text else "", variants=list(text.variants) if text else [],
            answer=text.answer if text else ""))

    async def draft(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        """The form filled in with a gap question, for the coordinator to complete."""
        question_id = action.integer("question_id")
        question = await self._questions.get(question_id) if question_id is not None else None
        if question is None:
            return refused(texts, "unknown_question")
        return Reply(card=faq_form_card(Texts(question.language), language=question.language,
                                        question="" if is_redacted(question.text) else question.text))

    async def save(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        """Adds or replaces one language of an entry; the entry's other languages stay."""
        data = action.data
        language = data.get("language")
        if language not in LANGUAGES:
            return self._invalid(texts, "language", "invalid", {})
        entry_id = str(data.get("faq_id") or "").strip()
        current = await self._library.entry(entry_id)
        document = FaqEntrySpec.document_of(current) if current else {"id": entry_id}
        topic = str(data.get("topic") or "").strip()
        if topic:
            document["topic"] = topic
        variants = [v.strip() for v in str(data.get("variants") or "").split(",") if v.strip()]
        document[language] = {"question": str(data.get("question") or ""), "variants": variants,
                              "answer": str(data.get("answer") or "")}
        try:
            entry = FaqEntrySpec.model_validate(document).to_record()
        except ValidationError as invalid:
            error = invalid.errors()[0]
            field = next((str(part) for part in reversed(error["loc"]) if isinstance(part, str)), "faq_id")
            problem = "topic" if field == "topic" else _PROBLEMS.get(error["type"], "invalid")
            return self._invalid(texts, "faq_id" if field == "id" else field, problem, error.get("ctx") or {})
        await self._faq.save_text(entry.id, entry.topic, language, entry.texts[language],
                                  actor=member.aad_object_id)
        view = entry_view(entry, language)
        return Reply(card=answer_card(Texts(language), view, None), text=texts("faq_admin.saved"))

    async def approve_variant(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        return await self._decide(action, member, texts, approve=True)

    async def reject_variant(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        return await self._decide(action, member, texts, approve=False)

    async def _decide(self, action: CardAction, member: Member, texts: Texts, *, approve: bool) -> Reply:
        """One decision per variant, whoever clicks first; the gaps card comes back up to date."""
        variant_id = action.integer("variant_id")
        if variant_id is None:
            return refused(texts, "bad_data")
        decided = await self._variants.decide(variant_id, approve=approve, person_id=member.person_id,
                                              actor=member.aad_object_id, fallback_language=DEFAULT_LANGUAGE)
        gaps = await self._gaps(member, texts)
        if decided is None:
            return Reply(card=gaps.card, text=texts("faq_admin.variant_already_decided"))
        key = "faq_admin.variant_approved" if approve else "faq_admin.variant_rejected"
        return Reply(card=gaps.card, text=texts(key, question=decided.text))

    @staticmethod
    def _invalid(texts: Texts, field: str, problem: str, context: dict) -> Reply:
        limits = {key: context[key] for key in ("min_length", "max_length") if key in context}
        return Reply(text=texts("faq_admin.invalid", field=texts(f"faq_admin.fields.{field}"),
                                problem=texts(f"faq_admin.problems.{problem}", **limits)))
