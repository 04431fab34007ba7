"""The published FAQ in memory, with its two indexes, rebuilt when any replica changed the FAQ.

The n-gram index is built at once (about 0.25 s for 1,000 entries), so the FAQ answers from the
first question. The embedding index needs a vector per entry question and language: vectors
are looked up in the database by the text's hash (another replica or an earlier start may have
embedded them already), the few new ones after an edit are embedded on the spot, and a whole
unknown FAQ (the first start) is embedded in the background while the n-grams answer. Until
it is ready, or when the model cannot run here, questions are matched on n-grams alone.

A large background build embeds the entries' bare questions first (when the variants make up
most of the text), which match by meaning under their own fitted policy until the full texts
are in. It goes a chunk at a time, each stored as soon as it is made and in a random order per
process: a restart resumes where the database left off, and replicas starting together share
the work.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

import numpy as np

from cards.i18n import LANGUAGES
from dialogs.embedding import Embeddings, EmbeddingUnavailable
from dialogs.rules.faq_matching import LexicalIndex
from dialogs.rules.faq_policy import NONE, MatchResult, Policy, calibrated_policy, decide, lexically_decisive
from dialogs.rules.semantic_index import SemanticIndex, question_documents, semantic_documents
from storage.db import StorageUnavailable
from storage.embedding_repository import EmbeddingRepository, text_hash
from storage.faq_repository import FaqLink, FaqRecord, FaqRepository

log = logging.getLogger(__name__)

# Embedded on the spot when an edit leaves this few texts without a vector (about 20 ms
# each): the edited entry then matches by meaning from the next question on.
INLINE_EMBEDDING = 24
# A background build's texts are embedded and stored this many at a time (a few seconds of
# the model): a restart loses at most one chunk, and another replica picks up each one at once.
BUILD_CHUNK = 32
# A background build embeds the missing bare questions first when they are at most this share
# of the missing text (variants make up the rest): the first stage then adds little to the
# build. For entries with few variants the full texts are in nearly as soon.
QUESTIONS_FIRST_SHARE = 1 / 3


@dataclass(frozen=True)
class EntryView:
    """One entry as a reader sees it: in their language, or another one when it has none."""

    entry_id: str
    language: str
    title: str
    answer: str
    links: tuple[FaqLink, ...] = ()
    fell_back: bool = False
    helpdesk: bool = False  # the IT helpdesk's entry (a fault, not know-how)


def entry_view(entry: FaqRecord, language: str) -> EntryView:
    if language in entry.texts:
        chosen, fell_back = language, False
    else:
        chosen = next(lang for lang in LANGUAGES if lang in entry.texts)
        fell_back = True
    text = entry.texts[chosen]
    return EntryView(entry.id, chosen, text.question, text.answer, entry.links, fell_back, entry.helpdesk)


@dataclass(frozen=True)
class MatchingState:
    """How questions are matched right now, for /healthz."""

    mode: str  # hybrid | warming | lexical
    reason: str | None = None
    degraded: bool = False  # the model failed: answers are less good than they should be
    busy_fallbacks: int = 0  # questions matched on n-grams alone because the model was busy


class _Index:
    def __init__(self, revision: tuple[int, int], entries: list[FaqRecord]) -> None:
        self.revision = revision
        self.entries = {entry.id: entry for entry in entries}
        self.lexical = LexicalIndex(entries)
        self.documents, self.owners = semantic_documents(entries)
        self.hashes = [text_hash(text) for text in self.documents]
        self.questions, self.question_owners = question_documents(entries)
        self.question_hashes = [text_hash(text) for text in self.questions]
        self.semantic: SemanticIndex | None = None
        self.questions_only = False  # the embedding index has only the bare questions so far

    @property
    def complete(self) -> bool:
        return self.semantic is not None and not self.questions_only

    def attach(self, vectors: dict[str, np.ndarray]) -> bool:
        """Gives the index the fullest embedding index its known vectors allow; True once
        every full text has its vector."""
        if not self.complete and all(digest in vectors for digest in self.hashes):
            self.semantic, self.questions_only = self._semantic(vectors, self.hashes, self.owners), False
        elif self.semantic is None and all(digest in vectors for digest in self.question_hashes):
            self.semantic = self._semantic(vectors, self.question_hashes, self.question_owners)
            self.questions_only = True
        return self.complete

    def _semantic(self, vectors: dict[str, np.ndarray], hashes: list[str], owners: np.ndarray) -> SemanticIndex:
        matrix = np.stack([vectors[d] for d in hashes]) if hashes else np.empty((0, 1), np.float32)
        return SemanticIndex(matrix, owners, len(self.entries))


class FaqLibrary:
    def __init__(self, faq: FaqRepository, vectors: EmbeddingRepository, embeddings: Embeddings | None,
                 policy: Policy | None = None) -> None:
        self._faq = faq
        self._stored_vectors = vectors
        self._embeddings = embeddings
        self._policy = policy or calibrated_policy()
        self._index: _Index | None = None
        self._lock = asyncio.Lock()
        self._vectors: dict[str, np.ndarray] = embeddings.known if embeddings is not None else {}
        self._unsaved: dict[str, np.ndarray] = {}  # made here, not yet in the database
        self._embedding_task: asyncio.Task | None = None
        self._build_order = random.Random()  # spreads replicas' work apart; nothing secret

    async def index(self) -> _Index:
        revision = await self._faq.revision()
        if self._index is None or self._index.revision != revision:
            async with self._lock:
                if self._index is None or self._index.revision != revision:
                    entries = await self._faq.published()
                    # Building the n-gram matrices takes CPU time: keep the event loop free.
                    index = await asyncio.to_thread(_Index, revision, entries)
                    await self._attach_vectors(index)
                    self._index = index
                    log.info("faq index built", extra={"entries": len(entries),
                                                       "semantic": index.semantic is not None})
        self._keep_embedding()
        return self._index

    async def match(self, question: str, index: _Index | None = None) -> MatchResult:
        """Answer, suggestions or nothing, for a question already masked; `index` when the
        caller has just fetched it."""
        index = index or await self.index()
        ids = index.lexical.entry_ids
        if not ids:
            return MatchResult(NONE)
        lexical = index.lexical.scores(question)
        semantic = None
        if index.semantic is not None and self._embeddings is not None and \
                not lexically_decisive(self._policy, lexical):
            vector = await self._embeddings.query(question)
            if vector is not None:
                semantic = index.semantic.scores(vector)
        return decide(self._policy, ids, lexical, semantic, questions_only=index.questions_only)

    def by_meaning(self) -> bool:
        """Whether questions are matched with embeddings yet (a first start's bare questions
        count)."""
        return self._index is not None and self._index.semantic is not None

    def matching_state(self) -> MatchingState:
        if self._embeddings is None:
            return MatchingState("lexical", "turned off (SEMANTIC_MATCHING=false)")
        busy = self._embeddings.skipped_busy
        if self._embeddings.failure is not None:
            return MatchingState("lexical", self._embeddings.failure, degraded=True, busy_fallbacks=busy)
        if self._index is None or self._index.semantic is None:
            return MatchingState("warming", "embedding the FAQ; n-grams answer meanwhile", busy_fallbacks=busy)
        if self._index.questions_only:
            return MatchingState("warming", "embedding the FAQ; its questions match by meaning, their other "
                                 "wordings not yet", busy_fallbacks=busy)
        return MatchingState("hybrid", busy_fallbacks=busy)

    async def close(self) -> None:
        if self._embedding_task is not None:
            self._embedding_task.cancel()
            await asyncio.gather(self._embedding_task, return_exceptions=True)

    async def _attach_vectors(self, index: _Index) -> None:
        """Gives the index its embedding vectors if they are known, stored, or few enough to
        make now; the rest are made in the background (_keep_embedding)."""
        if self._embeddings is None or self._embeddings.failure is not None or index.attach(self._vectors):
            return
        try:
            model = await self._embeddings.model()
        except EmbeddingUnavailable:
            return
        await self._load_stored(model, index)
        if index.attach(self._vectors):
            return
        unknown = self._unknown(index)
        if len(unknown) <= INLINE_EMBEDDING:
            await self._embed(model, unknown, background=False)
            index.attach(self._vectors)

    def _keep_embedding(self) -> None:
        """Makes sure an index still without its vectors is being given them: after a first
        start, and again after a round that the database or the model cut short."""
        index = self._index
        if index is None or self._embeddings is None or self._embeddings.failure is not None:
            return
        if index.complete and not self._unsaved:
            return
        if self._embedding_task is None or self._embedding_task.done():
            self._embedding_task = asyncio.create_task(self._complete_in_background())

    def _unknown(self, index: _Index) -> dict[str, str]:
        """The texts still to embed: in a long build with no embedding index yet, the bare
        questions first."""
        unknown = {d: t for d, t in zip(index.hashes, index.documents, strict=True) if d not in self._vectors}
        if index.semantic is None and len(unknown) > INLINE_EMBEDDING:
            questions = {d: t for d, t in zip(index.question_hashes, index.questions, strict=True)
                         if d not in self._vectors}
            # Characters stand in for tokens.
            if sum(map(len, questions.values())) <= QUESTIONS_FIRST_SHARE * sum(map(len, unknown.values())):
                return questions or unknown
        return unknown

    async def _load_stored(self, model: tuple[str, int], index: _Index) -> None:
        model_id, dimension = model
        missing = [d for d in dict.fromkeys(index.hashes) if d not in self._vectors]
        self._vectors.update(await self._stored_vectors.vectors(model_id, missing, dimension))
        if index.semantic is None and any(d not in self._vectors for d in index.hashes):
            # Incomplete: a build's first stage may be stored.
            missing = [d for d in dict.fromkeys(index.question_hashes) if d not in self._vectors]
            self._vectors.update(await self._stored_vectors.vectors(model_id, missing, dimension))

    async def _embed(self, model: tuple[str, int], texts: dict[str, str], *, background: bool = True) -> None:
        try:
            vectors = await self._embeddings.documents(list(texts.values()), background=background)
        except EmbeddingUnavailable:
            return
        made = dict(zip(texts, vectors, strict=True))
        self._vectors.update(made)
        self._unsaved.update(made)
        await self._save(model)

    async def _save(self, model: tuple[str, int]) -> None:
        """Stores the vectors made here; in an outage they wait in memory for the next round."""
        if self._unsaved:
            saving = dict(self._unsaved)
            await self._stored_vectors.store(model[0], saving)
            for digest in saving:
                self._unsaved.pop(digest, None)

    async def _complete_in_background(self) -> None:
        """Embeds what the newest index lacks, a chunk at a time, until it has everything (the
        FAQ may change meanwhile), or the model fails."""
        try:
            model = await self._embeddings.model()
            await self._save(model)
            logged = False
            while (index := self._index) is not None:
                await self._load_stored(model, index)  # another replica may have made some meanwhile
                if index.attach(self._vectors):
                    if index is self._index:
                        break
                    continue  # an edit made a new index meanwhile: it needs its vectors too
                unknown = self._unknown(index)
                if not logged:
                    log.info("embedding faq texts", extra={"texts": sum(d not in self._vectors for d in index.hashes)})
                    logged = True
                chunk = self._build_order.sample(sorted(unknown), min(BUILD_CHUNK, len(unknown)))
                await self._embed(model, {digest: unknown[digest] for digest in chunk})
                if self._embeddings.failure is not None:
                    return
            log.info("faq embeddings ready")
        except EmbeddingUnavailable:
            return
        except StorageUnavailable:
            log.warning("faq embeddings not stored: database unavailable; tried again at the next question")
        except Exception:  # a failed warm-up leaves n-gram matching in place
            log.exception("embedding faq texts failed")

    async def entry(self, entry_id: str) -> FaqRecord | None:
        return (await self.index()).entries.get(entry_id)

    async def topics(self) -> set[str]:
        """The topics of the published entries."""
        return {entry.topic for entry in (await self.index()).entries.values() if entry.topic}

    async def topic_of(self, entry_id: str | None, question: str) -> str | None:
        """What a question is about, for choosing mentors who know it: the topic of the entry the
        asker was shown (or chose), else of the closest entry if it is at least plausibly related."""
        index = await self.index()
        entry = index.entries.get(entry_id) if entry_id else None
        if entry is None:
            result = await self.match(question, index)
            if result.outcome != NONE and result.best is not None:
                entry = index.entries.get(result.best.entry_id)
        return entry.topic if entry else None

    async def closest(self, question: str, language: str, limit: int = 3) -> list[tuple[str, str]]:
        """(entry id, title) of the entries closest to a question, for a mentor to name the one
        that answered it."""
        index = await self.index()
        ranked = (await self.match(question, index)).candidates
        ids = [c.entry_id for c in ranked] or [entry_id for entry_id, _ in index.lexical.rank(question, limit)]
        return [(entry_id, entry_view(index.entries[entry_id], language).title) for entry_id in ids[:limit]]

    async def titles(self, entry_ids: list[str], language: str) -> list[tuple[str, str]]:
        """(entry id, title in the language) for entries that still exist."""
        index = await self.index()
        return [(entry_id, entry_view(index.entries[entry_id], language).title)
                for entry_id in entry_ids if entry_id in index.entries]

    async def on_topics(self, topics: list[str], language: str, limit: int = 3) -> list[EntryView]:
        """Entries about these topics, the first topic's first: what a survey area points to."""
        entries = (await self.index()).entries.values()
        found = [entry for topic in topics for entry in sorted(entries, key=lambda e: e.id) if entry.topic == topic]
        return [entry_view(entry, language) for entry in found[:limit]]
