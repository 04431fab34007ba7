"""Pending FAQ variants: proposed from use, decided once by a coordinator."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from storage.audit_repository import add_entry
from storage.db import Database
from storage.models import REDACTED, FaqEntry, FaqTranslation, FaqVariant

MAX_VARIANT_CHARACTERS = 500


@dataclass(frozen=True)
class VariantRecord:
    id: int
    entry_id: str
    language: str
    text: str
    source: str
    status: str


def _record(row: FaqVariant) -> VariantRecord:
    return VariantRecord(row.id, row.entry_id, row.language, row.text, row.source, row.status)


class VariantRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def propose(self, *, entry_id: str, language: str, text: str, question_id: int | None,
                      source: str) -> bool:
        """True when this wording is new for the entry; the same words twice wait once. A
        redacted question has no words left to learn from."""
        if text == REDACTED:
            return False
        async with self._database.transaction() as session:
            if await session.get(FaqEntry, entry_id) is None:
                return False
            result = await session.execute(
                self._database.insert(FaqVariant).values(
                    entry_id=entry_id, language=language, text=text[:MAX_VARIANT_CHARACTERS], source=source,
                    question_id=question_id, status="pending", created_at=self._database.now())
                .on_conflict_do_nothing())
            return bool(result.rowcount)

    async def pending(self, limit: int = 10) -> list[VariantRecord]:
        async with self._database.transaction() as session:
            rows = (await session.scalars(select(FaqVariant).where(FaqVariant.status == "pending",
                                                                   FaqVariant.text != REDACTED)
                                          .order_by(FaqVariant.created_at, FaqVariant.id).limit(limit))).all()
        return [_record(row) for row in rows]

    async def decide(self, variant_id: int, *, approve: bool, person_id: int | None, actor: str,
                     fallback_language: str) -> VariantRecord | None:
        """Approves or rejects a pending variant; None when it is not pending (already decided
        by someone else, no such variant, or its text was redacted). An approved one joins the
        entry's variants in its language (else in `fallback_language`), which every replica's
        index picks up. The decision is audited without the text, which is an asker's words."""
        now = self._database.now()
        status = "approved" if approve else "rejected"
        async with self._database.transaction() as session:
            decided = await session.execute(
                update(FaqVariant).where(FaqVariant.id == variant_id, FaqVariant.status == "pending",
                                         FaqVariant.text != REDACTED)
                .values(status=status, decided_by=person_id, decided_at=now))
            if decided.rowcount != 1:
                return None
            variant = await session.get(FaqVariant, variant_id)
            if approve:
                await self._add_to_entry(session, variant, now, fallback_language)
            add_entry(session, self._database, actor=actor, action=f"variant_{status}", variant_id=variant_id,
                      entry_id=variant.entry_id, language=variant.language)
            return _record(variant)

    @staticmethod
    async def _add_to_entry(session, variant: FaqVariant, now, fallback_language: str) -> None:
        translations = {t.language: t for t in (await session.scalars(
            select(FaqTranslation).where(FaqTranslation.entry_id == variant.entry_id)
            .with_for_update())).all()}
        translation = (translations.get(variant.language) or translations.get(fallback_language)
                       or next(iter(translations.values()), None))
        if translation is None:
            return
        if variant.text not in translation.variants:
            translation.variants = [*translation.variants, variant.text]
        await session.execute(update(FaqEntry).where(FaqEntry.id == variant.entry_id)
                              .values(version=FaqEntry.version + 1, updated_at=now))
