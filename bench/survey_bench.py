"""Survey results at scale: 20,000 respondents answering the shipped instrument's 30 statements
in 300 units, two closed rounds of it (1.2 million answers), on SQLite and on PostgreSQL.

Times what `survey results` runs for the current round compared with the previous one: the
queries alone (the target), and the whole card with its chart; for the whole organisation and
for one area of the organisation (one of its ten second-level units and the units under it).
Also times closing a round, which reads its 600,000 answers once to write the results.

    .venv/bin/python bench/survey_bench.py                       # both databases, 20,000 respondents
    .venv/bin/python bench/survey_bench.py --respondents 2000    # a quicker run
    .venv/bin/python bench/survey_bench.py --postgres URL        # an existing (empty) database

Without --postgres a throwaway cluster is started with scripts/pg_throwaway.sh. Targets:
PostgreSQL <= 300 ms and SQLite <= 1.5 s for the results query.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from cards.i18n import Texts  # noqa: E402
from dialogs.clock import Clock  # noqa: E402
from dialogs.flows.directory import Directory  # noqa: E402
from dialogs.flows.survey_instruments import Instruments, shipped_instrument  # noqa: E402
from dialogs.flows.survey_results import SurveyResults  # noqa: E402
from dialogs.flows.survey_rounds import SurveyRounds  # noqa: E402
from dialogs.rules.people import Member  # noqa: E402
from dialogs.rules.signed_links import LinkSigner  # noqa: E402
from dialogs.rules.survey_privacy import reporting_homes  # noqa: E402
from dialogs.rules.units import subtree  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.directory_repository import DirectoryRepository  # noqa: E402
from storage.migrate import migrate  # noqa: E402
from storage.survey_instruments import SurveyInstrumentRepository  # noqa: E402
from storage.survey_results import SurveyResultRepository  # noqa: E402
from storage.survey_rounds import SurveyRoundRepository  # noqa: E402

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
TARGETS_MS = {"postgresql": 300, "sqlite": 1500}
AREA = "area-3"


def units() -> list[tuple[str, str | None]]:
    """A root, 10 areas and 289 units under them: 300 in all."""
    return [("org", None)] + [(f"area-{a}", "org") for a in range(10)] + [
        (f"unit-{u}", f"area-{u % 10}") for u in range(289)]


def generate(respondents: int, seed: int = 12):
    """People in units of very different sizes (a tenth of them under five), and two rounds of
    answers: the second a little better, unit by unit."""
    rng = random.Random(seed)
    leaves = [u for u, _ in units() if u.startswith("unit-")]
    small = set(rng.sample(leaves, len(leaves) // 10))
    weights = [0.04 if u in small else rng.uniform(0.5, 1.5) for u in leaves]
    people = []
    for pid in range(1, respondents + 1):
        unit = rng.choices(leaves, weights)[0]
        people.append((pid, f"00000000-0000-0000-0000-{pid:012d}", f"Person {pid}", unit))
    instrument = shipped_instrument()
    items = [(item.id, area.id) for area in instrument.sequence(supervisor=False) for item in area.items]
    level = {u: rng.uniform(2.2, 4.2) for u in leaves}
    rounds = []
    for number, lift in ((1, 0.0), (2, 0.3)):
        responses, answers = [], []
        for pid, _, _, unit in people:
            response_id = (number - 1) * respondents + pid
            responses.append((response_id, number, pid, unit))
            for item, area in items:
                value = 0 if rng.random() < 0.03 else min(5, max(1, round(rng.gauss(level[unit] + lift, 0.9))))
                answers.append((response_id, item, area, value))
        rounds.append((number, responses, answers))
    return people, instrument, rounds


INSERTS = {
    "units": ("units", ("id", "parent_id", "names", "active")),
    "people": ("people", ("id", "aad_object_id", "name", "unit_id", "languages", "active", "source", "updated_at")),
    "roles": ("person_roles", ("person_id", "role")),
    "instruments": ("survey_instruments", ("id", "version", "definition", "imported_at")),
    "rounds": ("survey_rounds", ("id", "instrument_id", "instrument_version", "started_by", "pretest", "units",
                                 "invited", "opened_at", "closes_at", "reminders_sent")),
    "responses": ("survey_responses", ("id", "round_id", "person_id", "unit_id", "staff_group", "invited_at",
                                       "position", "saved_areas", "revision", "answered_at", "finished_at",
                                       "updated_at")),
    "answers": ("survey_answers", ("response_id", "item_id", "area_id", "value", "saved_at")),
}


def _records(data, for_sqlite: bool):
    people, instrument, rounds = data

    def stamp(value: datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ") if for_sqlite else value

    now = stamp(NOW)
    yield "units", [(u, p, json.dumps({"fi": u}), True) for u, p in units()]
    yield "people", [(*p, '["fi"]', True, "import", now) for p in people]
    yield "roles", [(p[0], "employee") for p in people]
    yield "instruments", [(instrument.id, instrument.version, json.dumps(instrument.definition), now)]
    for number, responses, answers in rounds:
        opened = NOW - timedelta(days=200 if number == 1 else 20)
        yield "rounds", [(number, instrument.id, instrument.version, None, False, '["org"]', len(responses),
                          stamp(opened), stamp(opened + timedelta(days=14)), 0)]
        saved = json.dumps([a.id for a in instrument.sequence(supervisor=False)])
        yield "responses", [(rid, rnd, pid, unit, "staff", stamp(opened), 5, saved, 5, stamp(opened), stamp(opened),
                             stamp(opened)) for rid, rnd, pid, unit in responses]
        yield "answers", [(*a, stamp(opened)) for a in answers]


def load_sqlite(path: Path, data) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    for key, records in _records(data, for_sqlite=True):
        table, columns = INSERTS[key]
        marks = ", ".join("?" for _ in columns)
        connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", records)
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()


async def load_postgres(url: str, data) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for key, records in _records(data, for_sqlite=False):
            table, columns = INSERTS[key]
            await connection.copy_records_to_table(table, records=records, columns=list(columns))
        await connection.execute("SELECT setval('survey_rounds_id_seq', 2)")
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def flows(database: Database, clock: Clock) -> SurveyResults:
    directory_repository = DirectoryRepository(database)
    instruments, rounds = Instruments(SurveyInstrumentRepository(database)), SurveyRoundRepository(database)
    round_flow = SurveyRounds(instruments, rounds, directory_repository, Directory(directory_repository), clock)
    return SurveyResults(instruments, rounds, SurveyResultRepository(database), directory_repository, round_flow,
                         LinkSigner(b"bench"), "https://bot.example.fi", clock)


async def queries(results: SurveyResultRepository, scope: set[str] | None) -> None:
    """What the results card reads, for the current round and the previous one."""
    for round_id in (2, 1):
        await results.by_area(round_id, scope)
        await results.by_area(round_id, scope, by_home=True)
    await results.respondents(2, scope)
    await results.homes(2, scope)
    await results.turnout(2, scope)
    if scope is None:
        await results.by_area(2, None, by_group=True)


async def time_results(url: str, repeats: int = 5) -> list[tuple[str, str, float, float]]:
    clock = Clock(frozen_at=NOW)
    database = Database(url, clock=clock.now)
    rounds, found = SurveyRoundRepository(database), []
    parents = dict(units())
    try:
        for round_id in (1, 2):
            started = time.perf_counter()
            assert await rounds.close(round_id, None, lambda totals: reporting_homes(totals, parents))
            found.append(("closing a round (its answers read once)", f"round {round_id}",
                          (time.perf_counter() - started) * 1000, None))
        results, survey = SurveyResultRepository(database), flows(database, clock)
        admin = Member("00000000-0000-0000-0000-00000000ad00", "Admin", 1, "org", ("fi",),
                       frozenset({"employee", "admin"}))
        for label, scope, argument in (("whole organisation", None, "2"),
                                       (f"one area ({len(subtree({AREA}, parents))} units)",
                                        subtree({AREA}, parents), f"2 {AREA}")):
            for what, run in (("results query, round 2 and round 1", lambda s=scope: queries(results, s)),
                              ("the whole results card with its chart",
                               lambda a=argument: survey.results(admin, a, Texts("fi")))):
                await run()  # warm
                timings = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    await run()
                    timings.append((time.perf_counter() - started) * 1000)
                found.append((what, label, statistics.median(timings), max(timings)))
    finally:
        await database.dispose()
    return found


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--respondents", type=int, default=20_000)
    parser.add_argument("--postgres", help="an empty PostgreSQL database (postgresql+asyncpg://...)")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    data = generate(args.respondents)
    answers = sum(len(r[2]) for r in data[2])
    print(f"generated {args.respondents:,} respondents in 300 units, two rounds, {answers:,} answers in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    table = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        database = Database(url)
        await migrate(database)
        await database.dispose()
        started = time.perf_counter()
        load_sqlite(Path(folder) / "bench.db", data)
        print(f"sqlite: loaded in {time.perf_counter() - started:.0f} s", flush=True)
        table += [("sqlite", *row) for row in await time_results(url)]
    if not args.skip_postgres:
        cluster, url = None, args.postgres
        if url is None:
            dir_port = subprocess.run([str(ROOT / "scripts/pg_throwaway.sh"), "start"], check=True,
                                      capture_output=True, text=True).stdout.split()
            cluster, url = dir_port[0], f"postgresql+asyncpg://postgres@127.0.0.1:{dir_port[1]}/postgres"
        try:
            database = Database(url)
            await migrate(database)
            await database.dispose()
            started = time.perf_counter()
            await load_postgres(url, data)
            print(f"postgresql: loaded in {time.perf_counter() - started:.0f} s", flush=True)
            table += [("postgresql", *row) for row in await time_results(url)]
        finally:
            if cluster:
                subprocess.run([str(ROOT / "scripts/pg_throwaway.sh"), "stop", cluster], check=False)

    print(f"\n{args.respondents:,} respondents × 30 statements, 300 units, two rounds (median of five)\n")
    print("| database | what | scope | median ms | worst ms | target ms |")
    print("|---|---|---|---:|---:|---:|")
    failed = False
    for engine, what, scope, median, worst in table:
        target = TARGETS_MS[engine] if what.startswith("results query") else None
        failed |= target is not None and median > target
        worst_text = f"{worst:,.0f}" if worst is not None else ""
        print(f"| {engine} | {what} | {scope} | {median:,.0f} | {worst_text} | "
              f"{f'≤ {target:,}' if target else ''} |")
    print("\nFAIL: a results query is over its target" if failed else "\nPASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
