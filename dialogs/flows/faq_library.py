"""The published FAQ in memory, with its matcher, rebuilt when any replica changed the FAQ."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from cards.i18n import LANGUAGES
from dialogs.rules.faq_matching import FaqMatcher
from storage.faq_repository import FaqLink, FaqRecord, FaqRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EntryView:
    """One entry as a reader sees it: in their language, or another one when it has none."""

    entry_id: str
    language: str
    title: str
    answer: str
    links: tuple[FaqLink, ...] = ()
    fell_back: bool = False


def entry_view(entry: FaqRecord, language: str) -> EntryView:
    if language in entry.texts:
        chosen, fell_back = language, False
    else:
        chosen = next(lang for lang in LANGUAGES if lang in entry.texts)
        fell_back = True
    text = entry.texts[chosen]
    return EntryView(entry.id, chosen, text.question, text.answer, entry.links, fell_back)


class _Index:
    def __init__(self, revision: tuple[int, int], entries: list[FaqRecord]) -> None:
        self.revision = revision
        self.entries = {entry.id: entry for entry in entries}
        self.matcher = FaqMatcher(entries)


class FaqLibrary:
    def __init__(self, faq: FaqRepository) -> None:
        self._faq = faq
        self._index: _Index | None = None
        self._lock = asyncio.Lock()

    async def index(self) -> _Index:
        revision = await self._faq.revision()
        if self._index is not None and self._index.revision == revision:
            return self._index
        async with self._lock:
            if self._index is None or self._index.revision != revision:
                entries = await self._faq.published()
                # Building the n-gram matrices takes CPU time: keep the event loop free.
                self._index = await asyncio.to_thread(_Index, revision, entries)
                log.info("faq index built", extra={"entries": len(entries)})
        return self._index

    async def entry(self, entry_id: str) -> FaqRecord | None:
        return (await self.index()).entries.get(entry_id)

    async def topic_of(self, entry_id: str | None, question: str) -> str | None:
        """What a question is about, for choosing mentors who know it: the topic of the entry the
        asker was shown (or chose), else of the closest entry if it is at least plausibly related."""
        index = await self.index()
        entry = index.entries.get(entry_id) if entry_id else None
        if entry is None:
            ranked = index.matcher.rank(question, limit=1)
            if ranked and ranked[0].score >= index.matcher.thresholds.suggest:
                entry = index.entries.get(ranked[0].entry_id)
        return entry.topic if entry else None

    async def closest(self, question: str, language: str, limit: int = 3) -> list[tuple[str, str]]:
        """(entry id, title) of the entries closest to a question, for a mentor to name the one
        that answered it."""
        index = await self.index()
        return [(c.entry_id, entry_view(index.entries[c.entry_id], language).title)
                for c in index.matcher.rank(question, limit=limit)]

    async def titles(self, entry_ids: list[str], language: str) -> list[tuple[str, str]]:
        """(entry id, title in the language) for entries that still exist."""
        index = await self.index()
        return [(entry_id, entry_view(index.entries[entry_id], language).title)
                for entry_id in entry_ids if entry_id in index.entries]
