"""FAQ matching: what askers meet on every labelled set, and how fast it is.

    .venv/bin/python bench/faq_eval.py           # accuracy tables and speed
    .venv/bin/python bench/faq_eval.py --quick   # accuracy only
    .venv/bin/python bench/faq_eval.py --speed   # speed only

Accuracy is scored the way the bot decides (bench/faq_sets.py): n-grams alone when they are
decisive, else n-grams and embeddings with the calibrated policy (dialogs/rules/faq_policy.json).
The calibration sets' own rows flatter the policy, which was fitted on them; their honest
figure is the cross-validated one bench/faq_calibrate.py recorded. The evaluation sets were
never used to choose anything. "Without embeddings" is what the bot answers when the model
cannot run. Speed uses synthetic FAQs made from the real entries.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.faq_sets import (  # noqa: E402
    CALIBRATION_SETS,
    EVALUATION_SETS,
    LANGUAGES,
    Labelled,
    ScoreTable,
    Tally,
    Vectors,
    load_faq,
    load_labelled,
    score_table,
    tally,
)
from dialogs.clock import Clock  # noqa: E402
from dialogs.embedding import Embeddings  # noqa: E402
from dialogs.flows.faq_library import FaqLibrary  # noqa: E402
from dialogs.rules.faq_matching import LexicalIndex  # noqa: E402
from dialogs.rules.faq_policy import PARAMETERS_FILE, calibrated_policy  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.embedding_repository import EmbeddingRepository  # noqa: E402
from storage.faq_repository import FaqRecord, FaqRepository, FaqText  # noqa: E402
from storage.migrate import migrate  # noqa: E402

# The targets for the evaluation sets (benchmarks, not tests).
TARGETS = {"answered": 0.75, "shown": 0.95, "wrong": 0.03, "off_topic_kept": 0.90}


def accuracy_tables(entries: list[FaqRecord], vectors: Vectors) -> None:
    policy = calibrated_policy()
    recorded = json.loads(PARAMETERS_FILE.read_text(encoding="utf-8"))["cross_validated"]
    print(Tally.HEADER)
    calibration: dict[str, ScoreTable] = {}
    for name, path in CALIBRATION_SETS.items():
        calibration[name] = score_table(entries, load_labelled(path), vectors)
        print(tally(policy, calibration[name]).row(f"{name} (fitted on: flatters)"))
    print(f"| calibration sets, 5-fold cross-validated | | {recorded['answered']:.3f} | {recorded['shown']:.3f} "
          f"| {recorded['wrong']:.3f} | {recorded['off_topic_kept']:.3f} | {recorded['off_topic_nothing']:.3f} |")
    bare = json.loads(PARAMETERS_FILE.read_text(encoding="utf-8"))["cross_validated_bare_questions"]
    print(f"| calibration sets, cross-validated, bare questions embedded | | {bare['answered']:.3f} "
          f"| {bare['shown']:.3f} | {bare['wrong']:.3f} | {bare['off_topic_kept']:.3f} "
          f"| {bare['off_topic_nothing']:.3f} |")
    evaluation = {name: score_table(entries, load_labelled(path), vectors) for name, path in EVALUATION_SETS.items()}
    for name, table in evaluation.items():
        print(tally(policy, table).row(f"**{name}** (never tuned on)"))
        for language in LANGUAGES:
            rows = [i for i, item in enumerate(table.items) if item.language == language]
            print(tally(policy, table.subset(rows)).row(f"{name}, {language}"))
        print(tally(policy, table, semantic=False).row(f"{name}, without embeddings"))
        bare = score_table(entries, load_labelled(EVALUATION_SETS[name]), vectors, questions_only=True)
        print(tally(policy, bare).row(f"{name}, a first start's bare questions embedded"))
    fed = with_confirmed_paraphrases(entries, [i for t in calibration.values() for i in t.items])
    for name, path in EVALUATION_SETS.items():
        print(tally(policy, score_table(fed, load_labelled(path), vectors)).row(
            f"{name}, after one confirmed paraphrase per entry"))
    print(f"\ntargets on the evaluation sets: answered ≥ {TARGETS['answered']}, shown ≥ {TARGETS['shown']}, "
          f"wrong ≤ {TARGETS['wrong']}, off-topic not answered ≥ {TARGETS['off_topic_kept']}")
    for name, table in evaluation.items():
        figures = tally(policy, table)
        misses = [key for key, target in TARGETS.items()
                  if (figures.rate(key) > target if key == "wrong" else figures.rate(key) < target)]
        print(f"{name}: " + ("every target met" if not misses else "below target: " + ", ".join(misses)))


def with_confirmed_paraphrases(entries: list[FaqRecord], confirmed: list[Labelled]) -> list[FaqRecord]:
    """Each entry with one confirmed paraphrase (the first calibration question for it) approved
    as a variant in the question's language, as a coordinator's approval does."""
    first: dict[str, Labelled] = {}
    for item in confirmed:
        if item.expected and item.expected not in first:
            first[item.expected] = item
    fed = []
    for entry in entries:
        item = first.get(entry.id)
        if item is None:
            fed.append(entry)
            continue
        language = item.language if item.language in entry.texts else next(iter(entry.texts))
        text = entry.texts[language]
        texts = {**entry.texts, language: dataclasses.replace(text, variants=(*text.variants, item.question))}
        fed.append(dataclasses.replace(entry, texts=texts))
    return fed


def synthetic_faq(entries: list[FaqRecord], size: int, seed: int = 7) -> list[FaqRecord]:
    """`size` entries made by recombining real questions, variants and answers."""
    rng = random.Random(seed)
    words = sorted({w for e in entries for t in e.texts.values() for w in f"{t.question} {t.answer}".split()})
    made = []
    for number in range(size):
        base = entries[number % len(entries)]
        texts = {}
        for language, text in base.texts.items():
            extra = " ".join(rng.sample(words, 4))
            texts[language] = FaqText(
                question=f"{text.question} {extra}",
                variants=tuple(f"{v} {rng.choice(words)}" for v in text.variants),
                answer=f"{text.answer}\n{extra}",
            )
        made.append(FaqRecord(id=f"synthetic-{number}", topic=base.topic, texts=texts))
    return made


def _percentiles(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.99) - 1)]


async def library_speed(entries: list[FaqRecord], questions: list[str], size: int) -> dict:
    """A served FAQ of `size` entries on SQLite: the first start (no vectors anywhere), a
    restart (vectors in the database), and questions against it."""
    corpus = synthetic_faq(entries, size)
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite+aiosqlite:///{folder}/bench.db", clock=Clock().now)
        await migrate(database)
        await FaqRepository(database).import_entries(corpus)
        figures = {"entries": size}
        embeddings = Embeddings()
        library = FaqLibrary(FaqRepository(database), EmbeddingRepository(database), embeddings)
        started = time.perf_counter()
        await library.index()
        figures["lexical_ready_s"] = time.perf_counter() - started
        figures["questions_s"] = None
        # Questions asked while the full texts are embedded, each worded anew and matched by
        # meaning: they must not wait behind the build.
        during, asked = [], itertools.count()
        while library.matching_state().mode == "warming":
            if not library.by_meaning():
                await asyncio.sleep(0.05)
                continue
            if figures["questions_s"] is None:
                figures["questions_s"] = time.perf_counter() - started
            number = next(asked)
            began = time.perf_counter()
            if (await library.match(f"{questions[number % len(questions)]} {number}")).semantic:
                during.append((time.perf_counter() - began) * 1000)
            await asyncio.sleep(0.25)
        figures["cold_s"] = time.perf_counter() - started
        figures["during_ms"] = _percentiles(during) if during else (0.0, 0.0)
        restarted = Embeddings()  # a new process: nothing in memory, the vectors in the database
        library = FaqLibrary(FaqRepository(database), EmbeddingRepository(database), restarted)
        started = time.perf_counter()
        await library.index()
        figures["warm_s"] = time.perf_counter() - started
        figures["warm_mode"] = library.matching_state().mode
        for question in questions[:10]:
            await library.match(question)
        distinct, repeated = [], []
        for question in questions[10:]:
            for timings in (distinct, repeated):  # the second time, its vector is cached
                began = time.perf_counter()
                await library.match(question)
                timings.append((time.perf_counter() - began) * 1000)
        figures["distinct_ms"], figures["repeated_ms"] = _percentiles(distinct), _percentiles(repeated)
        await library.close()
        await database.dispose()
    return figures


async def replicas_first_start(entries: list[FaqRecord], size: int, replicas: int = 2) -> dict:
    """A first start of `size` entries served by `replicas` replicas at once (`serve` starts one
    process per core on PostgreSQL), here in one process: each with its own model threads and
    its own connections, sharing one database."""
    corpus = synthetic_faq(entries, size)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        database = Database(url, clock=Clock().now)
        await migrate(database)
        await FaqRepository(database).import_entries(corpus)
        libraries = [FaqLibrary(FaqRepository(database), EmbeddingRepository(database), Embeddings())
                     for _ in range(replicas)]
        started = time.perf_counter()
        await asyncio.gather(*(library.index() for library in libraries))
        questions_s = None
        while any(library.matching_state().mode == "warming" for library in libraries):
            if questions_s is None and all(library.by_meaning() for library in libraries):
                questions_s = time.perf_counter() - started
            await asyncio.sleep(0.05)
        figures = {"questions_s": questions_s, "cold_s": time.perf_counter() - started}
        for library in libraries:
            await library.close()
        await database.dispose()
    return figures


def lexical_speed(entries: list[FaqRecord], questions: list[str], size: int) -> dict:
    corpus = synthetic_faq(entries, size)
    started = time.perf_counter()
    index = LexicalIndex(corpus)
    build = time.perf_counter() - started
    timings = []
    for question in questions * 2:
        began = time.perf_counter()
        index.scores(question)
        timings.append((time.perf_counter() - began) * 1000)
    return {"entries": size, "build_s": build, "ms": _percentiles(timings)}


def speed_tables(entries: list[FaqRecord]) -> None:
    questions = [item.question for path in CALIBRATION_SETS.values() for item in load_labelled(path)][:300]
    print("\n| FAQ entries | n-grams ready | first start: questions by meaning | first start: all embedded "
          "| question p50 / p99 during the first start | restart (vectors in the database) "
          "| question p50 / p99, new wording | same wording again |")
    print("|---|---|---|---|---|---|---|---|")
    for size in (len(entries), 1_000):
        f = asyncio.run(library_speed(entries, questions, size))
        by_meaning = f"{f['questions_s']:.1f} s" if f["questions_s"] is not None else "with all"
        print(f"| {size:,} | {f['lexical_ready_s']:.2f} s | {by_meaning} | {f['cold_s']:.1f} s "
              f"| {f['during_ms'][0]:.1f} / {f['during_ms'][1]:.1f} ms | {f['warm_s']:.2f} s "
              f"({f['warm_mode']}) | {f['distinct_ms'][0]:.1f} / {f['distinct_ms'][1]:.1f} ms "
              f"| {f['repeated_ms'][0]:.2f} / {f['repeated_ms'][1]:.2f} ms |")
    f = asyncio.run(replicas_first_start(entries, 1_000))
    print(f"| 1,000, two replicas starting together | | {f['questions_s']:.1f} s | {f['cold_s']:.1f} s | | | | |")
    print("\n| FAQ entries | n-gram index build | n-gram scoring p50 / p99 |")
    print("|---|---|---|")
    for size in (1_000, 10_000):
        f = lexical_speed(entries, questions, size)
        print(f"| {size:,} | {f['build_s']:.2f} s | {f['ms'][0]:.2f} / {f['ms'][1]:.2f} ms |")
    print("(targets: 1,000 entries embedded on a first start ≤ 60 s, a restart ≤ 3 s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="accuracy only")
    parser.add_argument("--speed", action="store_true", help="speed only")
    args = parser.parse_args()
    entries = load_faq()
    if not args.speed:
        accuracy_tables(entries, Vectors())
    if not args.quick:
        speed_tables(entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
