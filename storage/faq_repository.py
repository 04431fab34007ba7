"""FAQ entries and their translations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select

from bot.domain.faq_file import FaqEntrySpec, FaqLink, FaqText
from storage.db import Database
from storage.models import FaqEntry, FaqTranslation, utcnow


@dataclass
class FaqImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


async def import_faq(database: Database, entries: list[FaqEntrySpec]) -> FaqImportSummary:
    """Upserts every entry in one transaction; entries absent from the file are kept."""
    summary = FaqImportSummary()
    async with database.transaction() as session:
        ids = [e.id for e in entries]
        current = {spec.id: spec for spec in await _load(session, ids)}
        # Proposed (unpublished) entries exist as rows too: publishing one updates it in place.
        stored = set((await session.scalars(select(FaqEntry.id).where(FaqEntry.id.in_(ids)))).all())
        for entry in entries:
            existing = current.get(entry.id)
            if existing is not None and existing == entry:
                summary.unchanged += 1
                continue
            if entry.id not in stored:
                session.add(FaqEntry(id=entry.id, status="published"))
                stored.add(entry.id)
                summary.created += 1
            else:
                summary.updated += 1
                await session.execute(delete(FaqTranslation).where(FaqTranslation.entry_id == entry.id))
            await session.flush()
            row = await session.get(FaqEntry, entry.id)
            row.topic = entry.topic
            row.links = [link.model_dump() for link in entry.links]
            row.status = "published"
            row.updated_at = utcnow()
            for language, text in entry.texts().items():
                session.add(
                    FaqTranslation(
                        entry_id=entry.id,
                        language=language,
                        question=text.question,
                        variants=list(text.variants),
                        answer=text.answer,
                    )
                )
    return summary


async def published_faq(database: Database) -> list[FaqEntrySpec]:
    async with database.transaction() as session:
        return await _load(session, None)


async def count_faq_entries(database: Database) -> int:
    async with database.transaction() as session:
        return await session.scalar(select(func.count()).select_from(FaqEntry).where(FaqEntry.status == "published"))


async def _load(session, ids: list[str] | None) -> list[FaqEntrySpec]:
    query = select(FaqEntry).where(FaqEntry.status == "published").order_by(FaqEntry.id)
    if ids is not None:
        query = query.where(FaqEntry.id.in_(ids))
    rows = (await session.scalars(query)).all()
    if not rows:
        return []
    translations: dict[str, dict[str, FaqText]] = {}
    query = select(FaqTranslation).where(FaqTranslation.entry_id.in_([r.id for r in rows]))
    for t in (await session.scalars(query)).all():
        translations.setdefault(t.entry_id, {})[t.language] = FaqText(
            question=t.question, variants=list(t.variants), answer=t.answer
        )
    return [
        FaqEntrySpec(
            id=row.id,
            topic=row.topic,
            links=[FaqLink(**link) for link in row.links or []],
            **translations.get(row.id, {}),
        )
        for row in rows
    ]
