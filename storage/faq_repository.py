"""FAQ entries and their translations, as plain records."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, func, select

from storage.audit_repository import CLI_ACTOR, add_entry
from storage.db import Database
from storage.models import FaqEntry, FaqTranslation


@dataclass(frozen=True)
class FaqText:
    question: str
    variants: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class FaqLink:
    title: str
    url: str


@dataclass(frozen=True)
class FaqRecord:
    """One published entry: its texts by language (at least one)."""

    id: str
    topic: str | None
    links: tuple[FaqLink, ...] = ()
    texts: dict[str, FaqText] = field(default_factory=dict)
    # The IT helpdesk's entry: a fault rather than know-how.
    helpdesk: bool = False


@dataclass
class FaqImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class FaqRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def import_entries(self, entries: list[FaqRecord], *, actor: str = CLI_ACTOR) -> FaqImportSummary:
        """Upserts every entry in one transaction; entries absent from the list are kept. The
        entries created and updated are audited."""
        summary = FaqImportSummary()
        written: dict[str, list[str]] = {"created": [], "updated": []}
        async with self._database.transaction() as session:
            current = {record.id: record for record in await _load(session, [e.id for e in entries])}
            for entry in entries:
                existing = current.get(entry.id)
                if existing == entry:
                    summary.unchanged += 1
                    continue
                created = await self._write_entry(session, entry)
                summary.created += created
                summary.updated += not created
                written["created" if created else "updated"].append(entry.id)
                await session.execute(delete(FaqTranslation).where(
                    FaqTranslation.entry_id == entry.id, FaqTranslation.language.not_in(list(entry.texts))))
                for language, text in entry.texts.items():
                    await self._write_text(session, entry.id, language, text)
            if written["created"] or written["updated"]:
                add_entry(session, self._database, actor=actor, action="faq_imported", **written)
        return summary

    async def save_text(self, entry_id: str, topic: str | None, language: str, text: FaqText, *,
                        actor: str) -> None:
        """One language of an entry (created if new), other languages untouched: two
        coordinators editing two languages at once both keep their change. Audited."""
        async with self._database.transaction() as session:
            add_entry(session, self._database, actor=actor, action="faq_saved", entry_id=entry_id, language=language)
            values = {"status": "published", "updated_at": self._database.now()}
            if topic:
                values["topic"] = topic
            statement = self._database.insert(FaqEntry).values(id=entry_id, links=[], **values)
            await session.execute(statement.on_conflict_do_update(
                index_elements=["id"], set_={**values, "version": FaqEntry.version + 1}))
            await self._write_text(session, entry_id, language, text)

    async def _write_entry(self, session, entry: FaqRecord) -> bool:
        """Inserts or updates the entry row; True when it was created. Proposed (unpublished)
        entries are rows too: publishing one updates it in place."""
        existed = await session.scalar(select(FaqEntry.id).where(FaqEntry.id == entry.id))
        values = {"topic": entry.topic, "links": [{"title": link.title, "url": link.url} for link in entry.links],
                  "helpdesk": entry.helpdesk, "status": "published", "updated_at": self._database.now()}
        statement = self._database.insert(FaqEntry).values(id=entry.id, **values)
        await session.execute(statement.on_conflict_do_update(
            index_elements=["id"], set_={**values, "version": FaqEntry.version + 1}))
        return existed is None

    async def _write_text(self, session, entry_id: str, language: str, text: FaqText) -> None:
        values = {"question": text.question, "variants": list(text.variants), "answer": text.answer}
        statement = self._database.insert(FaqTranslation).values(entry_id=entry_id, language=language, **values)
        await session.execute(statement.on_conflict_do_update(index_elements=["entry_id", "language"], set_=values))

    async def revision(self) -> tuple[int, int]:
        """Changes whenever a published entry is added, edited or withdrawn."""
        async with self._database.transaction() as session:
            count, versions = (await session.execute(
                select(func.count(), func.coalesce(func.sum(FaqEntry.version), 0))
                .where(FaqEntry.status == "published"))).one()
        return int(count), int(versions)

    async def published(self) -> list[FaqRecord]:
        async with self._database.transaction() as session:
            return await _load(session, None)


async def _load(session, ids: list[str] | None) -> list[FaqRecord]:
    query = select(FaqEntry).where(FaqEntry.status == "published").order_by(FaqEntry.id)
    if ids is not None:
        query = query.where(FaqEntry.id.in_(ids))
    rows = (await session.scalars(query)).all()
    if not rows:
        return []
    texts: dict[str, dict[str, FaqText]] = {}
    query = select(FaqTranslation).where(FaqTranslation.entry_id.in_([r.id for r in rows]))
    for t in (await session.scalars(query)).all():
        texts.setdefault(t.entry_id, {})[t.language] = FaqText(t.question, tuple(t.variants), t.answer)
    return [
        FaqRecord(id=row.id, topic=row.topic, links=tuple(FaqLink(**link) for link in row.links or []),
                  texts=texts.get(row.id, {}), helpdesk=bool(row.helpdesk))
        for row in rows
    ]
