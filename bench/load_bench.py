"""The 500-user mix against served processes on PostgreSQL, with the loopback Bot Connector.

    .venv/bin/python bench/load_bench.py                      500 users, 60 s, 2 workers, 10 tenants
    .venv/bin/python bench/load_bench.py --tenants 1          everyone in one tenant (Teams: 50 calls/s)
    .venv/bin/python bench/load_bench.py --quick              100 users for 15 s
    ... --database-url postgresql+asyncpg://...               a server of your own (a database is created
                                                              on it and dropped); default TEST_POSTGRES_URL,
                                                              else a throwaway cluster (scripts/pg_throwaway.sh)

`python app.py serve --workers N` serves a fresh database holding an organisation of 25 units,
each with 20 employees and 4 digimentors, and the shipped FAQ. Every person has installed the
app. The units are spread over `--tenants` Entra tenants: Teams allows 50 Bot Connector calls a
second per tenant, every call counted, so one tenant caps the replies of the whole deployment
(try `--tenants 1`). The product clock starts on a Wednesday morning (DIGIMENTOR_CLOCK_START), so
the offers go out in working hours. Each of the simulated employees repeats, with an exponential pause (mean
`--think` seconds) between steps, one of: help (15 %), a question the FAQ answers (65 %), or a
question it does not answer, handed to a digimentor (20 %). The requests are of four kinds:

* help         - "ohje": the help card
* faq          - a question the FAQ answers (Finnish, Swedish or English), or one it does not
* hand-off     - the "Ask a digimentor" click on such an unanswered question: an invoke, whose
                 answer is the waiting card; the offers go to three mentors through the outbox
* accept       - one of the offered mentors clicks Accept on the offer card when it arrives
                 (after 0.5-2 s), and gets the working card; the others' cards change to "taken"

Latency is from sending the request to the bot's HTTP answer (for messages, after the reply was
sent to the connector, which is part of the turn). "offer lag" is from the hand-off click's
answer to the first offer card at the connector. The connector counts every call per second
and tenant and per conversation: Teams allows 50 and 7. The bot's CPU time is that of every
worker process, from /proc.

Targets on 2 cores: hand-off click p99 < 500 ms, FAQ p99 < 300 ms, >= 168 requests/s. The load
generator, the connector and PostgreSQL share those cores with the bot, so figures on a shared
machine are indicative.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402

from dialogs.rules.faq_file import parse_faq_file  # noqa: E402
from dialogs.rules.org_file import parse_organization_file  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.faq_repository import FaqRepository  # noqa: E402
from storage.migrate import migrate  # noqa: E402
from storage.organization_repository import import_organization  # noqa: E402
from storage.processes import ProcessRegistry  # noqa: E402
from tests.support.activities import card_click, installation, message  # noqa: E402
from tests.support.connector import LoopbackConnector  # noqa: E402
from tests.support.served import Served  # noqa: E402

# Wednesday 25 Nov 2026, 09:00 in Helsinki: working hours, whatever day the bench runs on.
CLOCK_START = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
UNITS, EMPLOYEES_PER_UNIT, MENTORS_PER_UNIT = 25, 20, 4
FAQ_QUESTIONS = [
    "miten jaan kalenterini työkaverille", "miten vaihdan taustan teams palaverissa", "unohdin salasanani",
    "miten tulostan pdf tiedoston", "miten jaan tiedoston onedrivesta", "outlook ei synkronoi sähköpostia",
    "miten teen webropol kyselyn", "miten otan etävastaanoton", "hur delar jag min kalender",
    "how do I share a file from onedrive", "miten lisään allekirjoituksen sähköpostiin",
    "kuinka ajastan teams kokouksen",
]
UNANSWERED = ["milloin palkka maksetaan", "kuka korjaa kahvinkeittimen", "missä on lähin pysäköintihalli",
              "voiko lomat siirtää ensi vuodelle", "miten haen työsuhdepyörää"]
KINDS = ("help", "faq", "hand-off", "accept")
# A user's step: help, an FAQ question, or a question the FAQ cannot answer handed to a mentor.
HELP_SHARE, FAQ_SHARE = 0.15, 0.65
TARGETS_MS = {"hand-off": 500.0, "faq": 300.0}
TARGET_RATE = 168.0


def aad(kind: int, n: int) -> str:
    return f"00000000-0000-0000-{kind:04d}-{n:012d}"


@dataclass
class Person:
    aad: str
    name: str
    tenant: str
    mentor: bool = False


def organisation(tenants: list[str]) -> tuple[str, list[Person], list[Person]]:
    employees, mentors, lines = [], [], []
    for u in range(UNITS):
        tenant = tenants[u % len(tenants)]
        for e in range(EMPLOYEES_PER_UNIT):
            person = Person(aad(1, u * 100 + e), f"Työntekijä {u}-{e}", tenant)
            employees.append(person)
            lines.append(f"  - {{aad_object_id: {person.aad}, name: {person.name}, unit: u{u}, "
                         f"languages: [fi, sv, en]}}")
        for m in range(MENTORS_PER_UNIT):
            person = Person(aad(2, u * 100 + m), f"Mentori {u}-{m}", tenant, mentor=True)
            mentors.append(person)
            lines.append(f"  - {{aad_object_id: {person.aad}, name: {person.name}, unit: u{u}, "
                         f"languages: [fi, sv, en], roles: [employee, mentor], mentor: {{weekly_minutes: 2400}}}}")
    units = "\n".join(f"  - {{id: u{u}, parent: area{u % 5}, name: {{fi: Yksikkö {u}}}}}" for u in range(UNITS))
    areas = "\n".join(f"  - {{id: area{a}, parent: hva, name: {{fi: Alue {a}}}}}" for a in range(5))
    org = f"""
organization: {{name: Kuormitusalue, offer_timeout_minutes: 30, working_hours: "08:00-16:00"}}
units:
  - {{id: hva, name: {{fi: Hyvinvointialue}}}}
{areas}
{units}
people:
""" + "\n".join(lines) + "\n"
    return org, employees, mentors


@dataclass
class Figures:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    offer_lag: list[float] = field(default_factory=list)

    def line(self, kind: str) -> str:
        values = sorted(self.latencies[kind])
        if not values:
            return f"| {kind} | 0 | | | {self.errors[kind]} | |"
        p50 = statistics.median(values) * 1000
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))] * 1000
        target = TARGETS_MS.get(kind)
        verdict = "" if target is None else ("met" if p99 < target else "missed") + f" (< {target:g})"
        return f"| {kind} | {len(values)} | {p50:.1f} | {p99:.1f} | {self.errors[kind]} | {verdict} |"


class Load:
    def __init__(self, bot_url: str, connector: LoopbackConnector, employees: list[Person], mentors: list[Person],
                 think: float) -> None:
        self.bot_url, self.connector = bot_url, connector
        self.employees, self.mentors_by_aad = employees, {m.aad: m for m in mentors}
        self.think = think
        self.figures = Figures()
        self.measuring = False
        self.accepted: set[int] = set()
        self.clicked_at: dict[int, float] = {}
        self.http: aiohttp.ClientSession | None = None

    async def post(self, kind: str, activity: dict) -> dict | None:
        started = time.perf_counter()
        try:
            async with self.http.post(f"{self.bot_url}/api/messages", json=activity) as response:
                body = await response.json(content_type=None) if response.status == 200 and \
                    response.content_length != 0 else None
                ok = response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            ok, body = False, None
        if self.measuring:
            if ok:
                self.figures.latencies[kind].append(time.perf_counter() - started)
            else:
                self.figures.errors[kind] += 1
        return body

    async def employee(self, person: Person, until: float) -> None:
        url = self.connector.url
        await asyncio.sleep(random.uniform(0, self.think))
        while time.monotonic() < until:
            roll = random.random()
            if roll < HELP_SHARE:
                await self.post("help", message("ohje", service_url=url, user=person.aad, name=person.name,
                                                tenant=person.tenant))
            elif roll < HELP_SHARE + FAQ_SHARE:
                await self.post("faq", message(random.choice(FAQ_QUESTIONS), service_url=url, user=person.aad,
                                               name=person.name, tenant=person.tenant))
            else:
                await self.hand_off(person)
            await asyncio.sleep(random.expovariate(1 / self.think))

    async def hand_off(self, person: Person) -> None:
        url = self.connector.url
        asked = message(random.choice(UNANSWERED) + f" ({uuid.uuid4().hex[:4]})", service_url=url, user=person.aad,
                        name=person.name, tenant=person.tenant)
        await self.post("faq", asked)
        question_id = self.connector_question(person, asked["id"])
        if question_id is None:
            return
        await asyncio.sleep(random.uniform(0.3, 1.0))  # reading the answer card
        click = card_click("askMentor", {"question_id": question_id}, service_url=url, user=person.aad,
                           name=person.name)
        click["channelData"] = {"tenant": {"id": person.tenant}}
        click["conversation"]["tenantId"] = person.tenant
        body = await self.post("hand-off", click)
        if body:
            for action in body.get("value", {}).get("actions", []):
                if action.get("verb") == "cancelRequest":
                    self.clicked_at[action["data"]["request_id"]] = time.perf_counter()

    def connector_question(self, person: Person, activity_id: str) -> int | None:
        # The reply has just arrived: look among the latest calls only.
        for sent in itertools.islice(reversed(self.connector.sent), 3000):
            if sent.reply_to_id == activity_id:
                for card in sent.cards:
                    for action in card.get("actions", []):
                        if action.get("verb") == "askMentor":
                            return action["data"]["question_id"]
        return None

    async def mentors(self, until: float) -> None:
        """Watches the offers arriving at the connector; one offered mentor accepts each."""
        seen, tasks = 0, []
        while time.monotonic() < until:
            sent = self.connector.sent
            for item in sent[seen:]:
                mentor = self.mentors_by_aad.get(item.conversation_id.removeprefix("a:personal-"))
                if mentor is None or item.method == "update":
                    continue
                for card in item.cards:
                    for action in card.get("actions", []):
                        request_id = action.get("data", {}).get("request_id")
                        if action.get("verb") == "acceptRequest" and request_id not in self.accepted:
                            self.accepted.add(request_id)
                            if request_id in self.clicked_at and self.measuring:
                                self.figures.offer_lag.append(time.perf_counter() - self.clicked_at[request_id])
                            tasks.append(asyncio.create_task(self.accept(mentor, request_id)))
            seen = len(sent)
            await asyncio.sleep(0.05)
        await asyncio.gather(*tasks, return_exceptions=True)

    async def accept(self, mentor: Person, request_id: int) -> None:
        await asyncio.sleep(random.uniform(0.5, 2.0))
        click = card_click("acceptRequest", {"request_id": request_id}, service_url=self.connector.url,
                           user=mentor.aad, name=mentor.name)
        click["channelData"] = {"tenant": {"id": mentor.tenant}}
        await self.post("accept", click)


async def loop_lag(until: float) -> float:
    """The longest this process's event loop was late for a timer, until `until`."""
    worst = 0.0
    while time.monotonic() < until:
        planned = time.monotonic() + 0.05
        await asyncio.sleep(0.05)
        worst = max(worst, time.monotonic() - planned)
    return worst


def most_in_a_second(times: list[float]) -> int:
    times.sort()
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def cpu_seconds(supervisor_pid: int) -> float:
    """User + system time of the supervisor's worker processes so far."""
    total = 0.0
    try:
        children = Path(f"/proc/{supervisor_pid}/task/{supervisor_pid}/children").read_text().split()
    except OSError:
        return float("nan")
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


async def fresh_database(server_url: str) -> tuple[str, str]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return server_url.rsplit("/", 1)[0] + f"/{name}", name


async def drop_database(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


async def embeddings_ready(url: str, timeout: float = 900.0) -> float:
    """Seconds until every worker matches FAQ questions with embeddings too (a fresh database:
    the FAQ's texts are embedded in the background first), so that the measured minute is the
    product's steady state and not its first start."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        modes = set()
        for _ in range(12):  # fresh connections, so that SO_REUSEPORT spreads them over the workers
            async with (aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http,
                        http.get(f"{url}/healthz") as response):
                modes.add(((await response.json()).get("faq_matching") or {}).get("mode"))
        if modes == {"hybrid"}:
            return time.monotonic() - started
        await asyncio.sleep(1.0)
    raise SystemExit(f"FAQ embeddings not ready after {timeout:g} s")


async def run(args: argparse.Namespace, server_url: str) -> int:
    database_url, name = await fresh_database(server_url)
    tenants = [f"00000000-0000-0000-0000-{0xd1f1 + t:012x}" for t in range(args.tenants)]
    org, employees, mentors = organisation(tenants)
    employees = employees[:args.users]
    database = Database(database_url, clock=lambda: CLOCK_START)
    await migrate(database)
    await import_organization(database, parse_organization_file(org))
    await FaqRepository(database).import_entries(parse_faq_file((ROOT / "storage/seed/faq.yaml").read_text()))
    connector = await LoopbackConnector().start()
    served = Served(database_url, workers=args.workers, MIGRATE_ON_START="false",
                    DIGIMENTOR_CLOCK_START=CLOCK_START.isoformat())
    try:
        await served.healthy(timeout=60)
        registry = ProcessRegistry(database)
        while await registry.alive_count() < args.workers:
            await asyncio.sleep(0.2)
        args.embeddings_ready = await embeddings_ready(served.url)
        limits = aiohttp.TCPConnector(limit=200)
        async with aiohttp.ClientSession(connector=limits, timeout=aiohttp.ClientTimeout(total=120)) as http:
            load = Load(served.url, connector, employees, mentors, args.think)
            load.http = http
            people = [*employees, *mentors]
            installs = asyncio.Semaphore(50)

            async def install(person: Person) -> None:
                async with installs:
                    await load.post("install", installation(service_url=connector.url, user=person.aad,
                                                            name=person.name, tenant=person.tenant))

            await asyncio.gather(*(install(p) for p in people))
            warm_until = time.monotonic() + args.warmup
            until = warm_until + args.seconds
            calls_before = len(connector.arrivals)
            tasks = [asyncio.create_task(load.employee(p, until)) for p in employees]
            tasks.append(asyncio.create_task(load.mentors(until + 3)))
            await asyncio.sleep(args.warmup)
            load.measuring = True
            cpu_before, started = cpu_seconds(served.process.pid), time.monotonic()
            own_cpu_before = time.process_time()
            measured_from = len(connector.arrivals)
            lag = asyncio.create_task(loop_lag(started + args.seconds))
            await asyncio.sleep(args.seconds)
            load.measuring = False
            elapsed, cpu = time.monotonic() - started, cpu_seconds(served.process.pid) - cpu_before
            own_cpu = time.process_time() - own_cpu_before
            await asyncio.gather(*tasks)
        report(args, load.figures, elapsed, cpu, connector, measured_from, tenants, employees, mentors,
               calls_before)
        print(f"this process (load and connector): {own_cpu / elapsed:.2f} cores; its event loop lagged up to "
              f"{await lag * 1000:.0f} ms, which blurs the connector's per-second counts by as much")
    finally:
        await served.stop()
        await connector.close()
        await database.dispose()
        await drop_database(server_url, name)
    return 0


def report(args, figures: Figures, elapsed: float, cpu: float, connector: LoopbackConnector, measured_from: int,
           tenants: list[str], employees: list[Person], mentors: list[Person], calls_before: int) -> None:
    total = sum(len(figures.latencies[k]) for k in KINDS)
    rate = total / elapsed
    print(f"\n{len(employees)} users, {args.seconds:g} s measured after {args.warmup:g} s of warm-up, "
          f"{args.workers} workers on PostgreSQL, {args.tenants} tenant(s), mean think {args.think:g} s; "
          f"measured once the FAQ's embeddings were ready on every worker ({args.embeddings_ready:.0f} s after start)")
    print("\n| kind | requests | p50 ms | p99 ms | errors | target |\n|---|---:|---:|---:|---:|---|")
    for kind in KINDS:
        print(figures.line(kind))
    verdict = "met" if rate >= TARGET_RATE else "missed"
    print(f"\nrequests/s: {rate:.1f} ({verdict}: >= {TARGET_RATE:g}); bot CPU {cpu / max(total, 1) * 1000:.2f} ms "
          f"a request ({cpu / elapsed:.2f} cores)")
    if figures.offer_lag:
        lag = sorted(figures.offer_lag)
        print(f"offer lag (click answered -> first offer at the connector): p50 "
              f"{statistics.median(lag) * 1000:.0f} ms, p99 {lag[int(len(lag) * 0.99)] * 1000:.0f} ms")
    tenant_of = {f"a:personal-{p.aad}": p.tenant for p in (*employees, *mentors)}
    by_tenant, by_conversation = defaultdict(list), defaultdict(list)
    arrivals = connector.arrivals[measured_from:]
    for arrival in arrivals:
        by_tenant[tenant_of.get(arrival.conversation_id)].append(arrival.at)
        by_conversation[arrival.conversation_id].append(arrival.at)
    per_tenant = max((most_in_a_second(t) for t in by_tenant.values()), default=0)
    per_conversation = max((most_in_a_second(t) for t in by_conversation.values()), default=0)
    print(f"Bot Connector calls: {len(arrivals) / elapsed:.1f}/s; most in one second: {per_tenant} to one tenant "
          f"(Teams: 50), {per_conversation} to one conversation (Teams: 7)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=UNITS * EMPLOYEES_PER_UNIT)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--think", type=float, default=2.5, help="mean pause between a user's steps, seconds")
    parser.add_argument("--database-url", default=os.environ.get("TEST_POSTGRES_URL", ""))
    parser.add_argument("--quick", action="store_true", help="100 users for 15 s")
    args = parser.parse_args()
    if args.quick:
        args.users, args.seconds, args.warmup = 100, 15.0, 3.0
    cluster = None
    server_url = args.database_url
    if not server_url:
        started = subprocess.run([str(ROOT / "scripts/pg_throwaway.sh"), "start"], capture_output=True, text=True,
                                 check=True)
        cluster, port = started.stdout.split()
        server_url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    try:
        return asyncio.run(run(args, server_url))
    finally:
        if cluster:
            subprocess.run([str(ROOT / "scripts/pg_throwaway.sh"), "stop", cluster], check=False)


if __name__ == "__main__":
    sys.exit(main())
