"""Questions asked (already masked), what the FAQ made of them, and the asker's verdict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select, true, update
from sqlalchemy.exc import IntegrityError

from storage.activity_claims import current_delivery
from storage.db import Database
from storage.models import REDACTED, FaqEntry, FaqFeedback, FaqTranslation, ProcessedActivity, Question


@dataclass(frozen=True)
class StoredQuestion:
    id: int
    asker_aad_object_id: str
    asker_person_id: int | None
    unit_id: str | None
    text: str
    language: str
    outcome: str
    faq_entry_id: str | None
    shown_entry_ids: tuple[str, ...]
    asked_at: datetime


@dataclass(frozen=True)
class GapQuestion:
    question_id: int
    text: str
    language: str
    reason: str  # "unanswered" | "not_helpful"
    faq_entry_id: str | None
    asked_at: datetime


def _stored(row: Question) -> StoredQuestion:
    return StoredQuestion(
        id=row.id,
        asker_aad_object_id=row.asker_aad_object_id,
        asker_person_id=row.asker_person_id,
        unit_id=row.unit_id,
        text=row.text,
        language=row.language,
        outcome=row.outcome,
        faq_entry_id=row.faq_entry_id,
        shown_entry_ids=tuple(row.shown_entry_ids or ()),
        asked_at=row.asked_at,
    )


class QuestionRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def record(
        self,
        *,
        asker_aad_object_id: str,
        asker_person_id: int | None,
        unit_id: str | None,
        text: str,
        language: str,
        outcome: str,
        faq_entry_id: str | None,
        score: float | None,
        shown_entry_ids: list[str],
        masked_items: int,
        after_hours: bool = False,
        helpdesk: str | None = None,
        filed_by_person_id: int | None = None,
        announcement_id: int | None = None,
    ) -> int:
        """The new question's id. In a turn that redelivers an activity whose first turn already
        recorded its question (and then died, or met a database outage), that question's id:
        the question is counted, and handed on, once."""
        delivery = current_delivery.get()
        async with self._database.transaction() as session:
            if delivery is not None and delivery.taken_over:
                earlier = await session.scalar(select(ProcessedActivity.question_id)
                                               .where(ProcessedActivity.activity_key == delivery.key))
                if earlier is not None:
                    return earlier
            row = Question(
                asker_aad_object_id=asker_aad_object_id,
                asker_person_id=asker_person_id,
                unit_id=unit_id,
                text=text,
                language=language,
                outcome=outcome,
                faq_entry_id=faq_entry_id,
                score=score,
                shown_entry_ids=shown_entry_ids,
                masked_items=masked_items,
                after_hours=after_hours,
                helpdesk=helpdesk,
                filed_by_person_id=filed_by_person_id,
                announcement_id=announcement_id,
                asked_at=self._database.now(),
            )
            session.add(row)
            await session.flush()
            if delivery is not None:
                await session.execute(update(ProcessedActivity).where(ProcessedActivity.activity_key == delivery.key)
                                      .values(question_id=row.id))
            return row.id

    async def get(self, question_id: int) -> StoredQuestion | None:
        async with self._database.transaction() as session:
            row = await session.get(Question, question_id)
            return _stored(row) if row is not None else None

    async def note_suggestion_chosen(self, question_id: int, entry_id: str) -> None:
        async with self._database.transaction() as session:
            await session.execute(update(Question).where(Question.id == question_id).values(faq_entry_id=entry_id))

    async def record_feedback(self, question_id: int, entry_id: str, helpful: bool) -> bool:
        """True when stored; False when this question already had its feedback."""
        try:
            async with self._database.transaction() as session:
                session.add(FaqFeedback(question_id=question_id, faq_entry_id=entry_id, helpful=helpful,
                                        given_at=self._database.now()))
        except IntegrityError:
            return False
        return True

    async def propose_faq(self, question_id: int | None, answer: str, proposed_by: int | None) -> str | None:
        """A mentor's answer, stored as an FAQ entry that waits for a coordinator's approval."""
        if question_id is None:
            return None
        entry_id = f"proposed-{question_id}"
        async with self._database.transaction() as session:
            question = await session.get(Question, question_id)
            if question is None:
                return None
            # A second proposal for the same question (reopened, resolved again) keeps the first.
            created = await session.execute(
                self._database.insert(FaqEntry)
                .values(id=entry_id, status="proposed", proposed_by=proposed_by, links=[],
                        updated_at=self._database.now())
                .on_conflict_do_nothing(index_elements=["id"]))
            if not created.rowcount:
                return None
            session.add(FaqTranslation(entry_id=entry_id, language=question.language, question=question.text[:500],
                                       variants=[], answer=answer[:20_000]))
        return entry_id

    async def gaps(self, since: datetime, limit: int = 200, units: set[str] | None = None) -> list[GapQuestion]:
        """Unanswered questions and answers marked not helpful, newest first (within `units`)."""
        in_units = true() if units is None else Question.unit_id.in_(sorted(units))
        # A redacted question has nothing left to learn from.
        in_units = and_(in_units, Question.text != REDACTED)
        async with self._database.transaction() as session:
            unanswered = (
                select(Question.id, Question.text, Question.language, Question.faq_entry_id, Question.asked_at)
                .where(Question.outcome.in_(["none", "direct"]), Question.asked_at >= since, in_units)
                .order_by(Question.asked_at.desc())
                .limit(limit)
            )
            unhelpful = (
                select(Question.id, Question.text, Question.language, FaqFeedback.faq_entry_id, Question.asked_at)
                .join(FaqFeedback, FaqFeedback.question_id == Question.id)
                .where(FaqFeedback.helpful.is_(False), Question.asked_at >= since, in_units)
                .order_by(Question.asked_at.desc())
                .limit(limit)
            )
            gaps = [GapQuestion(r.id, r.text, r.language, "unanswered", r.faq_entry_id, r.asked_at)
                    for r in (await session.execute(unanswered)).all()]
            gaps += [GapQuestion(r.id, r.text, r.language, "not_helpful", r.faq_entry_id, r.asked_at)
                     for r in (await session.execute(unhelpful)).all()]
        return sorted(gaps, key=lambda g: g.asked_at, reverse=True)[:limit]
