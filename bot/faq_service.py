"""Answering questions from the FAQ: guard personal data, match, record, and take feedback.

No botbuilder here: the handler turns these results into cards.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from pydantic import ValidationError

from bot.domain.faq_file import LANGUAGES, FaqEntrySpec, FaqLink
from bot.domain.faq_matching import ANSWERED, SUGGESTED, FaqMatcher
from bot.domain.language_detection import LanguageDetector
from bot.domain.people import Member
from bot.domain.privacy import MaskedText, mask_personal_data
from storage.db import Database
from storage.faq_repository import import_faq, published_faq
from storage.question_repository import QuestionRepository, faq_revision

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EntryView:
    entry_id: str
    language: str
    title: str
    answer: str
    links: tuple[FaqLink, ...] = ()
    fell_back: bool = False  # shown in another language than the asker's


@dataclass(frozen=True)
class AskOutcome:
    question_id: int
    outcome: str
    language: str
    masked: MaskedText
    answer: EntryView | None = None
    suggestions: tuple[EntryView, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Refusal:
    """A card action that was refused; `reason` is a locale key under card_refusal."""

    reason: str


@dataclass(frozen=True)
class FeedbackRecorded:
    helpful: bool
    view: EntryView | None  # None when the entry was removed meanwhile


class _Index:
    def __init__(self, revision, entries: list[FaqEntrySpec]) -> None:  # noqa: ANN001
        self.revision = revision
        self.entries = {entry.id: entry for entry in entries}
        self.matcher = FaqMatcher(entries)


class FaqService:
    def __init__(self, database: Database, questions: QuestionRepository, detector: LanguageDetector) -> None:
        self._database = database
        self._questions = questions
        self._detector = detector
        self._index: _Index | None = None
        self._lock = asyncio.Lock()

    async def _current(self) -> _Index:
        """The in-memory index, rebuilt when any replica changed the FAQ."""
        revision = await faq_revision(self._database)
        if self._index is not None and self._index.revision == revision:
            return self._index
        async with self._lock:
            if self._index is None or self._index.revision != revision:
                entries = await published_faq(self._database)
                self._index = await asyncio.to_thread(_Index, revision, entries)
                log.info("faq index built", extra={"entries": len(entries)})
        return self._index

    async def ask(self, member: Member, text: str, locale_language: str) -> AskOutcome:
        masked = mask_personal_data(text)
        language = self._detector.detect(masked.text, fallback=locale_language)
        index = await self._current()
        result = index.matcher.match(masked.text)
        shown: list[EntryView] = []
        if result.outcome in (ANSWERED, SUGGESTED):
            limit = 1 if result.outcome == ANSWERED else 3
            shown = [_view(index.entries[c.entry_id], language) for c in result.candidates[:limit]]
        best = result.best
        question_id = await self._questions.record(
            asker_aad_object_id=member.aad_object_id,
            asker_person_id=member.person_id,
            unit_id=member.unit_id,
            text=masked.text,
            language=language,
            outcome=result.outcome,
            faq_entry_id=shown[0].entry_id if shown else None,
            score=best.score if best else None,
            shown_entry_ids=[view.entry_id for view in shown],
            masked_items=masked.masked_count,
        )
        if result.outcome == ANSWERED:
            return AskOutcome(question_id, result.outcome, language, masked, answer=shown[0])
        return AskOutcome(question_id, result.outcome, language, masked, suggestions=tuple(shown))

    async def record_direct(self, member: Member, text: str, locale_language: str) -> tuple[int, MaskedText, str]:
        """A question sent straight to a digimentor (`mentor <question>`), stored like any other."""
        masked = mask_personal_data(text)
        language = self._detector.detect(masked.text, fallback=locale_language)
        question_id = await self._questions.record(
            asker_aad_object_id=member.aad_object_id, asker_person_id=member.person_id, unit_id=member.unit_id,
            text=masked.text, language=language, outcome="direct", faq_entry_id=None, score=None,
            shown_entry_ids=[], masked_items=masked.masked_count,
        )
        return question_id, masked, language

    async def entry(self, entry_id: str) -> FaqEntrySpec | None:
        return (await self._current()).entries.get(entry_id)

    async def save_language(self, data: dict) -> EntryView | Refusal | tuple[str, str]:
        """Adds or replaces one language of an entry from the coordinator's form; other
        languages stay. Returns the saved view, or (field, problem) when the form is invalid."""
        language = data.get("language") if data.get("language") in LANGUAGES else None
        if language is None:
            return ("language", "fi, sv, en")
        entry_id = str(data.get("faq_id") or "").strip()
        variants = [v.strip() for v in str(data.get("variants") or "").split(",") if v.strip()]
        current = (await self._current()).entries.get(entry_id)
        document = current.model_dump(exclude_none=True) if current else {"id": entry_id}
        document["id"] = entry_id
        topic = str(data.get("topic") or "").strip()
        if topic:
            document["topic"] = topic
        document[language] = {"question": str(data.get("question") or ""), "variants": variants,
                              "answer": str(data.get("answer") or "")}
        try:
            entry = FaqEntrySpec.model_validate(document)
        except ValidationError as invalid:
            error = invalid.errors()[0]
            field = ".".join(str(part) for part in error["loc"] if part != language) or "faq_id"
            return (field, error["msg"])
        await import_faq(self._database, [entry])
        return _view(entry, language)

    async def titles(self, entry_ids: list[str], language: str) -> list[tuple[str, str]]:
        """(entry id, title in the language) for entries that still exist."""
        index = await self._current()
        return [(entry_id, _view(index.entries[entry_id], language).title)
                for entry_id in entry_ids if entry_id in index.entries]

    async def _shown_question(self, question_id: int, clicker: str, entry_id: str):  # noqa: ANN202
        """The clicker's own question, when `entry_id` was shown for it; otherwise a Refusal."""
        question = await self._questions.get(question_id)
        if question is None:
            return Refusal("unknown_question")
        if question.asker_aad_object_id != clicker.lower():
            return Refusal("not_yours")
        if entry_id not in question.shown_entry_ids:
            return Refusal("not_offered")
        return question

    async def show_suggestion(self, question_id: int, clicker: str, entry_id: str) -> EntryView | Refusal:
        question = await self._shown_question(question_id, clicker, entry_id)
        if isinstance(question, Refusal):
            return question
        index = await self._current()
        entry = index.entries.get(entry_id)
        if entry is None:
            return Refusal("entry_gone")
        await self._questions.note_suggestion_chosen(question_id, entry_id)
        return _view(entry, question.language)

    async def rate(self, question_id: int, clicker: str, entry_id: str, helpful: bool) -> FeedbackRecorded | Refusal:
        question = await self._shown_question(question_id, clicker, entry_id)
        if isinstance(question, Refusal):
            return question
        if not await self._questions.record_feedback(question_id, entry_id, helpful):
            return Refusal("already_rated")
        entry = (await self._current()).entries.get(entry_id)
        return FeedbackRecorded(helpful, _view(entry, question.language) if entry else None)


def _view(entry: FaqEntrySpec, language: str) -> EntryView:
    texts = entry.texts()
    if language in texts:
        chosen, fell_back = language, False
    else:
        chosen = next(lang for lang in ("fi", *LANGUAGES) if lang in texts)
        fell_back = True
    text = texts[chosen]
    return EntryView(entry.id, chosen, text.question, text.answer, tuple(entry.links), fell_back)
