"""Coordinator statistics over a large history: 1,000,000 help requests (with their questions,
events, time entries and feedback) spread over two years and 200 units, on SQLite and on
PostgreSQL. Times what `stats` runs (the figures of a period and of the one before) for a
month and a quarter, for the whole organisation and for one coordinator's subtree, and what
`impact` runs (its figures and coverage for the period and the one before).

    .venv/bin/python bench/report_bench.py                     # both databases, 1,000,000 requests
    .venv/bin/python bench/report_bench.py --requests 100000   # a quicker run
    .venv/bin/python bench/report_bench.py --postgres URL      # an existing (empty) database

Without --postgres a throwaway cluster is started with scripts/pg_throwaway.sh. Targets:
PostgreSQL <= 300 ms and SQLite <= 1.5 s per report (stats and impact alike).
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

from dialogs.clock import Clock  # noqa: E402
from dialogs.flows.coverage import Coverage  # noqa: E402
from dialogs.flows.directory import Directory  # noqa: E402
from dialogs.flows.impact import ImpactReport  # noqa: E402
from dialogs.rules.periods import parse_period  # noqa: E402
from dialogs.rules.signed_links import LinkSigner  # noqa: E402
from dialogs.rules.units import subtree  # noqa: E402
from storage.coverage_repository import CoverageRepository  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.directory_repository import DirectoryRepository  # noqa: E402
from storage.impact_repository import ImpactRepository  # noqa: E402
from storage.migrate import migrate  # noqa: E402
from storage.stats_repository import StatsRepository  # noqa: E402

END = datetime(2026, 11, 1, tzinfo=UTC)
START = END - timedelta(days=730)
TOPICS = ("teams", "outlook", "onedrive", "excel", "mfa", "printing", "webropol", "remote-appointments")
TARGETS_MS = {"postgresql": 300, "sqlite": 1500}


def units() -> list[tuple[str, str | None]]:
    """A root, 9 areas and 190 units under them: 200 in all."""
    tree = [("org", None)] + [(f"area-{a}", "org") for a in range(9)]
    tree += [(f"unit-{u}", f"area-{u % 9}") for u in range(190)]
    return tree


def generate(requests: int, seed: int = 11):
    """Rows in dependency order; ids are assigned here so that both databases get the same data."""
    rng = random.Random(seed)
    unit_ids = [u for u, _ in units() if u.startswith("unit-")]
    people = [(pid, f"00000000-0000-0000-0000-{pid:012d}", f"Person {pid}", unit_ids[pid % len(unit_ids)])
              for pid in range(1, 2001)]
    mentors = [p for p in people if p[0] % 5 == 0]  # 400 mentors
    span = (END - START).total_seconds()
    rows = {"people": people, "roles": [(p[0], "mentor") for p in mentors] + [(p[0], "employee") for p in people],
            "profiles": [(p[0], "available", 1, 120) for p in mentors],
            "faq": [(f"faq-{t}", t) for t in TOPICS],
            "questions": [], "requests": [], "events": [], "time": [], "feedback": []}
    question_id = event_id = time_id = 0
    faq_only = requests // 2
    # Rows arrive in time order in a real deployment, so the table's physical order follows
    # time; random order would make every period's rows scattered over the whole table.
    moments = sorted(rng.random() * span for _ in range(requests + faq_only))
    handed_flags = [True] * requests + [False] * faq_only
    rng.shuffle(handed_flags)
    request_id = 0
    for number in range(requests + faq_only):
        question_id += 1
        asker = people[rng.randrange(len(people))]
        asked = START + timedelta(seconds=moments[number])
        handed = handed_flags[number]
        outcome = "none" if handed and rng.random() < 0.6 else "answered"
        rows["questions"].append((question_id, asker[1], asker[0], asker[3], "q", "fi", outcome,
                                  f"faq-{TOPICS[number % len(TOPICS)]}" if outcome == "answered" else None, asked,
                                  handed))
        if not handed:
            continue
        request_id += 1
        roll = rng.random()
        state = "resolved" if roll < 0.7 else "cancelled" if roll < 0.8 else "expired" if roll < 0.88 else "accepted"
        mentor = mentors[rng.randrange(len(mentors))]
        assigned = mentor[0] if state in ("resolved", "accepted") else None
        escalated = state == "expired" or rng.random() < 0.1
        accepted_at = asked + timedelta(minutes=rng.expovariate(1 / 6)) if assigned else None
        rows["requests"].append((request_id, question_id, asker[0], asker[1], asker[3], "fi", state, assigned, asked,
                                 accepted_at, escalated))
        for kind, offset in (("created", 0), ("offered", 1)):
            event_id += 1
            rows["events"].append((event_id, request_id, kind, None, asked + timedelta(seconds=offset)))
        if escalated:
            event_id += 1
            rows["events"].append((event_id, request_id, "escalated", None, asked + timedelta(minutes=10)))
        if assigned:
            event_id += 1
            rows["events"].append((event_id, request_id, "accept", assigned, accepted_at))
            if state == "resolved":
                done = accepted_at + timedelta(minutes=rng.randrange(5, 60))
                event_id += 1
                rows["events"].append((event_id, request_id, "resolve", assigned, done))
                time_id += 1
                rows["time"].append((time_id, assigned, request_id, mentor[3], rng.choice((5, 15, 30, 60)), done))
                if rng.random() < 0.6:
                    # "Would you otherwise have contacted the IT helpdesk?": yes, no, or not answered.
                    rows["feedback"].append((request_id, request_id, rng.choice((3, 4, 4, 5, 5, 5)),
                                             done + timedelta(hours=1), rng.choice((True, False, None))))
    return rows


INSERTS = {
    "units": ("units", ("id", "parent_id", "names", "active")),
    "people": ("people", ("id", "aad_object_id", "name", "unit_id", "languages", "active", "updated_at")),
    "roles": ("person_roles", ("person_id", "role")),
    "profiles": ("mentor_profiles", ("person_id", "status", "reachable", "weekly_minutes", "topics")),
    "faq": ("faq_entries", ("id", "topic", "status", "links", "updated_at")),
    "questions": ("questions", ("id", "asker_aad_object_id", "asker_person_id", "unit_id", "text", "language",
                                "outcome", "faq_entry_id", "asked_at", "handed", "shown_entry_ids", "masked_items")),
    "requests": ("help_requests", ("id", "question_id", "asker_person_id", "asker_aad_object_id", "unit_id",
                                   "language", "state", "assigned_mentor_id", "created_at", "accepted_at", "escalated",
                                   "updated_at", "tier", "version")),
    "events": ("request_events", ("id", "request_id", "kind", "actor_person_id", "at", "data")),
    "time": ("mentor_time_entries", ("id", "mentor_id", "request_id", "unit_id", "minutes", "logged_at")),
    "feedback": ("feedback", ("id", "request_id", "rating", "given_at", "helpdesk_avoided")),
}


def _records(rows, for_sqlite: bool):
    def stamp(value: datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ") if for_sqlite else value

    # JSON columns go in as text on both databases.
    yield "units", [(u, p, json.dumps({"fi": u}), True) for u, p in units()]
    now = stamp(END)
    yield "people", [(p[0], p[1], p[2], p[3], '["fi"]', True, now) for p in rows["people"]]
    yield "roles", rows["roles"]
    yield "profiles", [(pid, status, True, minutes, "[]") for pid, status, _, minutes in rows["profiles"]]
    yield "faq", [(fid, topic, "published", "[]", now) for fid, topic in rows["faq"]]
    yield "questions", [(*q[:8], stamp(q[8]), q[9], "[]", 0) for q in rows["questions"]]
    yield "requests", [(*r[:8], stamp(r[8]), stamp(r[9]) if r[9] else None, r[10], stamp(r[8]), 0, 0)
                       for r in rows["requests"]]
    yield "events", [(*e[:4], stamp(e[4]), "{}") for e in rows["events"]]
    yield "time", [(*t[:5], stamp(t[5])) for t in rows["time"]]
    yield "feedback", [(*f[:3], stamp(f[3]), f[4]) for f in rows["feedback"]]


def load_sqlite(path: Path, rows) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    for key, records in _records(rows, for_sqlite=True):
        table, columns = INSERTS[key]
        marks = ", ".join("?" for _ in columns)
        connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", records)
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()


async def load_postgres(url: str, rows) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for key, records in _records(rows, for_sqlite=False):
            table, columns = INSERTS[key]
            await connection.copy_records_to_table(table, records=records, columns=list(columns))
        # A running database is vacuumed by autovacuum; a freshly loaded one is not yet.
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def time_reports(url: str, repeats: int = 5) -> list[tuple[str, str, float, float]]:
    database = Database(url)
    stats = StatsRepository(database)
    parents = dict(units())
    scopes = {"whole organisation": None, "one area (21 units)": subtree({"area-3"}, parents)}
    now = END - timedelta(days=1)
    results = []
    try:
        for kind in ("month", "quarter"):
            period = parse_period(kind, now)
            previous = period.previous()
            for label, scope in scopes.items():
                timings = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    for p in (period, previous):
                        await stats.figures(scope, p.start, p.end, offer_timeout=timedelta(minutes=10),
                                            default_allowance=120, weeks=p.weeks)
                    timings.append((time.perf_counter() - started) * 1000)
                results.append((f"{kind} {period.label}", label, statistics.median(timings), max(timings)))
        # `impact`: what the report runs for the period and the one before, as it runs it.
        clock = Clock(frozen_at=now)
        directory = DirectoryRepository(database)
        coverage = Coverage(CoverageRepository(database), directory, Directory(directory), clock)
        report = ImpactReport(ImpactRepository(database), None, coverage, directory, LinkSigner(), "", clock)
        for kind in ("month", "quarter"):
            period = parse_period(kind, now)
            for label, scope in scopes.items():
                timings = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    await report.figures(scope, period)
                    timings.append((time.perf_counter() - started) * 1000)
                results.append((f"impact, {kind} {period.label}", label, statistics.median(timings), max(timings)))
    finally:
        await database.dispose()
    return results


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="an empty PostgreSQL database (postgresql+asyncpg://...)")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    rows = generate(args.requests)
    print(f"generated {args.requests:,} requests, {len(rows['questions']):,} questions, "
          f"{len(rows['events']):,} events, {len(rows['time']):,} time entries, {len(rows['feedback']):,} "
          f"feedback rows in {time.perf_counter() - started:.0f} s", flush=True)

    table = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        database = Database(url)
        await migrate(database)
        await database.dispose()
        started = time.perf_counter()
        load_sqlite(Path(folder) / "bench.db", rows)
        print(f"sqlite: loaded in {time.perf_counter() - started:.0f} s", flush=True)
        table += [("sqlite", *r) for r in await time_reports(url)]

    if not args.skip_postgres:
        cluster = None
        url = args.postgres
        if url is None:
            dir_port = subprocess.run([str(ROOT / "scripts/pg_throwaway.sh"), "start"], check=True,
                                      capture_output=True, text=True).stdout.split()
            cluster, url = dir_port[0], f"postgresql+asyncpg://postgres@127.0.0.1:{dir_port[1]}/postgres"
        try:
            database = Database(url)
            await migrate(database)
            await database.dispose()
            started = time.perf_counter()
            await load_postgres(url, rows)
            print(f"postgresql: loaded in {time.perf_counter() - started:.0f} s", flush=True)
            table += [("postgresql", *r) for r in await time_reports(url)]
        finally:
            if cluster:
                subprocess.run([str(ROOT / "scripts/pg_throwaway.sh"), "stop", cluster], check=False)

    print(f"\n{args.requests:,} help requests over two years, 200 units; `stats` = the figures of the "
          f"period and of the one before\n")
    print("| database | period | scope | median ms | worst ms | target ms |")
    print("|---|---|---|---:|---:|---:|")
    failed = False
    for engine, period, scope, median, worst in table:
        failed |= median > TARGETS_MS[engine]
        print(f"| {engine} | {period} | {scope} | {median:,.0f} | {worst:,.0f} | ≤ {TARGETS_MS[engine]:,} |")
    print("\nFAIL: a report is over its target" if failed else "\nPASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
