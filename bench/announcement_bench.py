"""A rollout announcement to 5,000 people through the loopback Bot Connector, sent by real
`python app.py serve` processes: first straight through, then with the sending process killed
with kill -9 in the middle of the staff's sends and a new one started. Prints the time taken,
the busiest second per tenant and per conversation, duplicates and losses.

    .venv/bin/python bench/announcement_bench.py                  # 5,000 people, SQLite
    .venv/bin/python bench/announcement_bench.py --people 1000    # a quicker run
    .venv/bin/python bench/announcement_bench.py --postgres URL   # an existing, empty database
    .venv/bin/python bench/announcement_bench.py --random-kills 3 # also kill at unplanned moments

The planned kill waits until the connector, stalled, holds sends in flight and every send it
accepted is recorded (tests/support/rollout_stage.py). A kill at an unplanned moment can fall in
the milliseconds between the connector accepting a send and the worker recording it: that send
is made again after the restart (docs/design.md, "Sent twice?"); --random-kills counts them.
Targets: every person exactly once, at most 50 sends a second to the tenant and 7 to a person.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from storage.db import Database  # noqa: E402
from storage.migrate import migrate  # noqa: E402
from tests.support.connector import LoopbackConnector  # noqa: E402
from tests.support.rollout_stage import (  # noqa: E402
    SERVE,
    THURSDAY_LATER,
    THURSDAY_MORNING,
    Crowd,
    a_day_later,
    announce,
    announcement_cards,
    busiest_second,
    organisation,
    recorded,
    seed,
    stall_and_settle,
    until,
)
from tests.support.served import start_served  # noqa: E402
from tests.support.time import WEDNESDAY_MORNING  # noqa: E402


async def fresh_sqlite(folder: str, name: str) -> str:
    url = f"sqlite+aiosqlite:///{folder}/{name}.db"
    database = Database(url)
    await migrate(database)
    await database.dispose()
    return url


async def fresh_postgres(base_url: str, name: str) -> str:
    import asyncpg

    admin = await asyncpg.connect(base_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    url = base_url.rsplit("/", 1)[0] + f"/{name}"
    database = Database(url)
    await migrate(database)
    await database.dispose()
    return url


async def staged(url: str, connector: LoopbackConnector, people: int) -> Crowd:
    """The organisation seeded and announced on Wednesday; the mentors have it."""
    org, crowd = organisation(people - 21, mentors_per_ward=2)  # + 20 mentors and the coordinator
    started = time.perf_counter()
    await seed(url, org, crowd, connector.url)
    print(f"  seeded {len(crowd.everyone):,} people in {time.perf_counter() - started:.0f} s", flush=True)
    wednesday = await start_served(url, DIGIMENTOR_CLOCK_START=WEDNESDAY_MORNING.isoformat(), **SERVE)
    try:
        await announce(wednesday.url, connector, crowd)
        await until(lambda: len(announcement_cards(connector)) == len(crowd.mentors), "the mentors have it")
    finally:
        await wednesday.stop()
    await a_day_later()
    return crowd


async def finished(url: str, expected: int) -> bool:
    counts = await recorded(url)
    return counts["waiting"] == 0 and counts.get("staff sent", 0) + counts.get("mentor sent", 0) == expected


def outcome(connector: LoopbackConnector, crowd: Crowd) -> dict:
    cards = announcement_cards(connector)
    chats = {f"a:personal-{person}" for person in crowd.everyone}
    tenant, per_conversation = busiest_second(connector.arrivals, chats)
    return {"people": len(chats), "lost": len(chats - set(cards)), "duplicates": sum(n - 1 for n in cards.values()),
            "tenant": tenant, "conversation": per_conversation}


async def straight_through(url: str, people: int, delay: float) -> dict:
    connector = await LoopbackConnector().start()
    try:
        crowd = await staged(url, connector, people)
        connector.delay = delay
        started = time.perf_counter()
        thursday = await start_served(url, DIGIMENTOR_CLOCK_START=THURSDAY_MORNING.isoformat(), **SERVE)
        try:
            await until(lambda: finished(url, len(crowd.everyone)), "everyone has it", timeout=3600, every=0.5)
        finally:
            await thursday.stop()
        return {**outcome(connector, crowd), "seconds": time.perf_counter() - started}
    finally:
        await connector.close()


async def killed_mid_send(url: str, people: int, delay: float, *, planned: bool) -> dict:
    connector = await LoopbackConnector().start()
    try:
        crowd = await staged(url, connector, people)
        connector.delay = delay
        started = time.perf_counter()
        thursday = await start_served(url, DIGIMENTOR_CLOCK_START=THURSDAY_MORNING.isoformat(), **SERVE)
        staff_cards = lambda: len(announcement_cards(connector)) - len(crowd.mentors)  # noqa: E731
        if planned:
            before = await stall_and_settle(connector, url, staff_delivered_at_least=(people * 2) // 5)
        else:
            target = random.randint(people // 5, (people * 4) // 5)
            await until(lambda: staff_cards() >= target, "the sends are under way", timeout=3600, every=0.02)
            before = staff_cards()
        in_flight = connector.held
        await thursday.kill()
        killed_at = time.perf_counter()
        connector.hold, connector.delay = False, delay
        resumed = await start_served(url, DIGIMENTOR_CLOCK_START=THURSDAY_LATER.isoformat(), **SERVE)
        try:
            await until(lambda: finished(url, len(crowd.everyone)), "everyone has it", timeout=3600, every=0.5)
        finally:
            await resumed.stop()
        done = time.perf_counter()
        return {**outcome(connector, crowd), "seconds": done - started, "delivered_before_kill": before,
                "in_flight_at_kill": in_flight, "resume_seconds": done - killed_at}
    finally:
        await connector.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--connector-delay-ms", type=float, default=50.0)
    parser.add_argument("--postgres", help="a PostgreSQL server (postgresql+asyncpg://.../postgres); default SQLite")
    parser.add_argument("--random-kills", type=int, default=0, help="also kill at this many unplanned moments")
    args = parser.parse_args()
    delay = args.connector_delay_ms / 1000
    engine = "PostgreSQL" if args.postgres else "SQLite"
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        async def database(name: str) -> str:
            return await (fresh_postgres(args.postgres, name) if args.postgres else fresh_sqlite(folder, name))

        print(f"straight through, {args.people:,} people, {engine}", flush=True)
        rows.append(("straight through", await straight_through(await database("bench_a"), args.people, delay)))
        print(f"kill -9 mid-send, {args.people:,} people, {engine}", flush=True)
        rows.append(("kill -9 mid-send, then restarted",
                     await killed_mid_send(await database("bench_b"), args.people, delay, planned=True)))
        for n in range(args.random_kills):
            print(f"kill -9 at an unplanned moment ({n + 1})", flush=True)
            rows.append((f"kill -9 at an unplanned moment ({n + 1})",
                         await killed_mid_send(await database(f"bench_r{n}"), args.people, delay, planned=False)))

    print(f"\n{args.people:,} people, {engine}, Bot Connector answering in {args.connector_delay_ms:g} ms\n")
    print("| run | people | seconds | busiest second, tenant | busiest second, one person | duplicates | lost |"
          " delivered before the kill | in flight at the kill | resumed and finished in |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    failed = False
    for name, r in rows:
        planned = not name.startswith("kill -9 at an")
        failed |= r["lost"] > 0 or r["tenant"] > 50 or r["conversation"] > 7 or (planned and r["duplicates"] > 0)
        kill = (f"{r['delivered_before_kill']:,} | {r['in_flight_at_kill']} | {r['resume_seconds']:.0f} s"
                if "resume_seconds" in r else "– | – | –")
        print(f"| {name} | {r['people']:,} | {r['seconds']:.0f} | {r['tenant']} | {r['conversation']} | "
              f"{r['duplicates']} | {r['lost']} | {kill} |")
    print("\nFAIL" if failed else "\nPASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
