"""Messages per second and latency of three bots on loopback, all answering the same connector.

    .venv/bin/python bench/message_bench.py            full run (300 messages per level)
    .venv/bin/python bench/message_bench.py --quick    smoke run (60 messages per level)
    ... --connector-delay-ms 50     the connector answers after 50 ms, like a real one far away

Targets, each served by its own subprocess of this Python so nothing leaks between them:

* bare        - an aiohttp handler that parses the activity and POSTs a text reply to the
                connector with one shared ClientSession: the floor for "the same HTTP work".
* stock-echo  - Microsoft's echo-bot sample on botbuilder 4.17.1 (CloudAdapter +
                ConfigurationBotFrameworkAuthentication, empty app id), no patches applied.
* digimentor  - bot.web.create_app on a fresh temporary SQLite database, answering "help"
                with its Adaptive Card.
* digimentor-faq - the same with the shipped FAQ loaded and embedded, answering Finnish
                questions in askers' own words (the calibration sets'), each worded differently
                from the one before, so that the question vectors' cache does not help.

The loopback Bot Connector and the load generator run in this process on 127.0.0.1. Every
message is a Teams-shaped activity with a unique id (Digimentor deduplicates by id) from one
fixed user. Latency is measured from sending the POST until the bot's HTTP answer; the bots
reply to the connector before answering, so it includes the outbound call. Each target gets a
warm-up, then N messages with 1 and with 20 in flight. The connector counts the replies so a
target that answers 200 without replying cannot look fast. "bot CPU ms/msg" is the CPU time
of the bot's whole process (all threads) per message, from /proc.

Exit status 1 when Digimentor misses a target at 20 in flight, unless --no-fail: "help" at
>= 3x stock-echo messages/s with p99 < 100 ms; FAQ questions at >= 1x with p99 < 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGETS = ("bare", "stock-echo", "digimentor", "digimentor-faq")
BASELINE = "stock-echo"
CONCURRENCY_LEVELS = (1, 20)
USER = "00000000-0000-0000-0000-0000000000a1"
TENANT = "00000000-0000-0000-0000-00000000d1f1"
BOT_ID = "28:digimentor-bot"
ADAPTIVE = "application/vnd.microsoft.card.adaptive"
TARGET_SPEEDUP = 3.0
TARGET_P99_MS = 100.0
FAQ_TARGET_SPEEDUP = 1.0
FAQ_TARGET_P99_MS = 300.0
STARTUP_TIMEOUT = 60.0
RUN_TIMEOUT = 90.0


# ----------------------------------------------------------------------------------------------
# The servers. Each `--serve KIND` child binds port 0 on 127.0.0.1 and prints "READY <port>".
# Imports stay inside the functions: the stock child must never import bot.*.
# ----------------------------------------------------------------------------------------------


async def _serve(app) -> None:
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"READY {port}", flush=True)
    try:
        # The parent closes our stdin when it is done (or dies): that is the signal to stop.
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)
    finally:
        await runner.cleanup()


def serve_bare() -> None:
    from urllib.parse import quote

    import aiohttp
    from aiohttp import web

    http: dict[str, aiohttp.ClientSession] = {}

    async def messages(request: web.Request) -> web.Response:
        activity = await request.json()
        conversation = activity["conversation"]
        reply = {
            "type": "message",
            "text": f"Echo: {activity.get('text', '')}",
            "from": activity.get("recipient"),
            "recipient": activity.get("from"),
            "conversation": conversation,
            "replyToId": activity["id"],
            "serviceUrl": activity["serviceUrl"],
            "channelId": activity.get("channelId"),
        }
        url = (
            f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/{quote(conversation['id'], safe='')}"
            f"/activities/{quote(activity['id'], safe='')}"
        )
        async with http["session"].post(url, json=reply) as response:
            await response.read()
            if response.status >= 300:
                return web.Response(status=502)
        return web.Response(status=200)

    async def session_ctx(app: web.Application):
        http["session"] = aiohttp.ClientSession()
        yield
        await http["session"].close()

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.cleanup_ctx.append(session_ctx)
    asyncio.run(_serve(app))


def serve_stock_echo() -> None:
    """Microsoft's 02.echo-bot sample (app.py, config.py, bots/echo_bot.py), unchanged in substance."""
    from aiohttp import web
    from aiohttp.web import Request, Response
    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
    from botbuilder.integration.aiohttp import (
        CloudAdapter,
        ConfigurationBotFrameworkAuthentication,
        aiohttp_error_middleware,
    )

    class DefaultConfig:
        PORT = 3978
        APP_ID = ""
        APP_PASSWORD = ""
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    class EchoBot(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext):
            return await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(DefaultConfig()))

    async def on_error(context: TurnContext, error: Exception):
        print(f"\n [on_turn_error] unhandled error: {error}", file=sys.stderr)
        await context.send_activity("The bot encountered an error or bug.")

    adapter.on_turn_error = on_error
    bot = EchoBot()

    async def messages(req: Request) -> Response:
        return await adapter.process(req, bot)

    app = web.Application(middlewares=[aiohttp_error_middleware])
    app.router.add_post("/api/messages", messages)
    asyncio.run(_serve(app))


def serve_digimentor(database_url: str, with_faq: bool = False) -> None:
    from bot.config import load_settings
    from bot.logging_setup import configure_logging
    from bot.web import create_app

    settings = load_settings({"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"})
    configure_logging(settings.log_level)
    if with_faq:
        asyncio.run(_load_faq(database_url))
    asyncio.run(_serve(create_app(settings)))


async def _load_faq(database_url: str) -> None:
    from dialogs.clock import Clock
    from dialogs.rules.faq_file import parse_faq_file
    from storage.db import Database
    from storage.faq_repository import FaqRepository
    from storage.migrate import migrate

    database = Database(database_url, clock=Clock().now)
    await migrate(database)
    faq = ROOT / "storage" / "seed" / "faq.yaml"
    await FaqRepository(database).import_entries(parse_faq_file(faq.read_text(encoding="utf-8")))
    await database.dispose()


def faq_questions() -> list[str]:
    """Finnish questions in askers' own words, each once (the calibration sets')."""
    import yaml

    questions = []
    for name in ("faq_calibration.yaml", "faq_calibration_blind.yaml"):
        rows = yaml.safe_load((ROOT / "tests" / "data" / name).read_text(encoding="utf-8"))
        questions += [row["q"] for row in rows if row["lang"] == "fi"]
    return list(dict.fromkeys(questions))


# ----------------------------------------------------------------------------------------------
# The loopback connector and the load generator (this process).
# ----------------------------------------------------------------------------------------------


@dataclass
class Connector:
    delay: float = 0.0  # seconds before answering, to stand in for the real Bot Connector's latency
    replies: int = 0
    cards: int = 0
    bad: int = 0
    url: str = ""
    runner: object = None

    async def start(self) -> "Connector":
        from aiohttp import web

        async def reply(request: web.Request) -> web.Response:
            activity = await request.json()
            if self.delay:
                await asyncio.sleep(self.delay)
            if activity.get("replyToId") != request.match_info["activity"] or activity.get("type") != "message":
                self.bad += 1
            self.replies += 1
            if any(a.get("contentType") == ADAPTIVE for a in activity.get("attachments") or []):
                self.cards += 1
            return web.json_response({"id": f"sent-{self.replies}"})

        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", reply)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        await self.runner.cleanup()


def activity_body(service_url: str, text: str) -> bytes:
    activity_id = f"bench-{uuid.uuid4().hex}"
    return json.dumps(
        {
            "type": "message",
            "id": activity_id,
            "timestamp": "2026-11-23T10:00:00.000Z",
            "serviceUrl": service_url,
            "channelId": "msteams",
            "from": {"id": f"29:{USER}", "name": "Bench User", "aadObjectId": USER},
            "conversation": {"id": f"a:personal-{USER}", "conversationType": "personal", "tenantId": TENANT},
            "recipient": {"id": BOT_ID, "name": "Digimentor"},
            "locale": "en-US",
            "text": text,
            "textFormat": "plain",
            "channelData": {"tenant": {"id": TENANT}},
        }
    ).encode()


@dataclass
class Result:
    target: str
    concurrency: int
    messages: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    failures: int
    bot_cpu_seconds: float | None = None  # user + system time of the bot's process during the run
    busy_fallbacks: int | None = None  # FAQ questions matched on n-grams alone: the model was busy

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


async def load(session, bot_url: str, bodies: list[bytes], concurrency: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    failures = 0
    queue = iter(bodies)
    headers = {"Content-Type": "application/json"}

    async def worker() -> None:
        nonlocal failures
        for body in queue:
            started = time.perf_counter()
            async with session.post(bot_url, data=body, headers=headers) as response:
                await response.read()
                ok = 200 <= response.status < 300
            latencies.append((time.perf_counter() - started) * 1000)
            failures += not ok

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), RUN_TIMEOUT)
    return time.perf_counter() - started, latencies, failures


class Child:
    """One bot server subprocess; stopped by closing its stdin, killed if it does not stop."""

    def __init__(self, kind: str, workdir: Path) -> None:
        args = [sys.executable, str(Path(__file__).resolve()), "--serve", kind]
        if kind.startswith("digimentor"):
            args += ["--database-url", f"sqlite+aiosqlite:///{workdir / (kind + '.db')}"]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("PYTHONPATH", None)
        self.kind = kind
        self.log = open(workdir / f"{kind}.stderr", "w+")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True
        )
        self.url = self.healthz = ""

    async def ready(self) -> str:
        line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), STARTUP_TIMEOUT)
        if not line.startswith("READY "):
            self.log.seek(0)
            raise RuntimeError(f"{self.kind} did not start: {line!r}\n{self.log.read()[-3000:]}")
        port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{port}/api/messages"
        self.healthz = f"http://127.0.0.1:{port}/healthz"
        if self.kind == "digimentor-faq":
            await self._wait_for_embeddings()
        return self.url

    async def matching(self) -> dict:
        import aiohttp

        async with aiohttp.ClientSession() as session, session.get(self.healthz) as response:
            return (await response.json())["faq_matching"]

    async def _wait_for_embeddings(self) -> None:
        for _ in range(int(STARTUP_TIMEOUT * 10)):
            mode = (await self.matching())["mode"]
            if mode == "hybrid":
                return
            if mode == "lexical":
                raise RuntimeError("digimentor-faq: the embedding model is unavailable")
            await asyncio.sleep(0.1)
        raise RuntimeError("digimentor-faq: the FAQ was not embedded in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (subprocess.TimeoutExpired, OSError):
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()

    def cpu_seconds(self) -> float | None:
        """CPU time the bot's process has used so far (Linux /proc; None elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def errors(self) -> str:
        with open(self.log.name) as log:
            return log.read()[-2000:]


async def bench_target(kind: str, connector: Connector, workdir: Path, messages: int, warmup: int) -> list[Result]:
    import aiohttp

    texts = {"digimentor": ["help"], "digimentor-faq": faq_questions()}.get(kind, ["hello"])
    cycle = iter(texts * (1 + (warmup + messages * len(CONCURRENCY_LEVELS)) // len(texts)))
    child = Child(kind, workdir)
    results: list[Result] = []
    try:
        bot_url = await child.ready()
        before = connector.replies
        sent = 0
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            warm = [activity_body(connector.url, next(cycle)) for _ in range(warmup)]
            _, _, failed = await load(session, bot_url, warm, 5)
            sent += warmup
            if failed:
                raise RuntimeError(f"{kind}: {failed} warm-up requests failed\n{child.errors()}")
            for concurrency in CONCURRENCY_LEVELS:
                bodies = [activity_body(connector.url, next(cycle)) for _ in range(messages)]
                busy_before = (await child.matching())["busy_fallbacks"] if kind == "digimentor-faq" else None
                cpu_before = child.cpu_seconds()
                seconds, latencies, failures = await load(session, bot_url, bodies, concurrency)
                cpu_after = child.cpu_seconds()
                cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
                busy = None if busy_before is None else (await child.matching())["busy_fallbacks"] - busy_before
                sent += messages
                results.append(Result(kind, concurrency, messages, seconds, latencies, failures, cpu, busy))
        # Every message must have produced exactly one reply at the connector.
        for _ in range(50):
            if connector.replies - before >= sent:
                break
            await asyncio.sleep(0.05)
        if connector.replies - before != sent:
            raise RuntimeError(f"{kind}: {sent} messages but {connector.replies - before} replies at the connector")
    finally:
        child.stop()
    return results


def table(results: list[Result]) -> str:
    base = {r.concurrency: r for r in results if r.target == BASELINE}
    lines = [
        "| target | in flight | messages/s | p50 ms | p99 ms | bot CPU ms/msg "
        "| messages/s ÷ stock | p50 ÷ stock | p99 ÷ stock |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        b = base.get(r.concurrency)
        ratios = f"{r.rate / b.rate:.2f} | {r.p50 / b.p50:.2f} | {r.p99 / b.p99:.2f}" if b else "- | - | -"
        cpu = f"{r.bot_cpu_seconds / r.messages * 1000:.2f}" if r.bot_cpu_seconds is not None else "-"
        failed = f" ({r.failures} failed)" if r.failures else ""
        lines.append(
            f"| {r.target}{failed} | {r.concurrency} | {r.rate:,.0f} | {r.p50:.1f} | {r.p99:.1f} | {cpu} | {ratios} |"
        )
    notes = [f"{r.target} at {r.concurrency} in flight: {r.busy_fallbacks} of {r.messages} questions matched on "
             "n-grams alone because the embedding model was busy" for r in results if r.busy_fallbacks is not None]
    return "\n".join(lines) + "\n\n(messages/s ÷ stock: higher is better; p50/p99 ÷ stock: lower is better)" + \
        "".join(f"\n{note}" for note in notes)


def verdict(results: list[Result]) -> tuple[bool, str]:
    by = {(r.target, r.concurrency): r for r in results}
    stock = by.get((BASELINE, 20))
    if stock is None:
        return False, "FAIL: stock-echo at 20 in flight is needed for the verdict"
    lines, passed = [], True
    for target, speedup_target, p99_target in (("digimentor", TARGET_SPEEDUP, TARGET_P99_MS),
                                               ("digimentor-faq", FAQ_TARGET_SPEEDUP, FAQ_TARGET_P99_MS)):
        ours = by.get((target, 20))
        if ours is None:
            continue
        speedup = ours.rate / stock.rate
        ok = speedup >= speedup_target and ours.p99 < p99_target and ours.failures == 0
        passed &= ok
        lines.append(
            f"{'PASS' if ok else 'FAIL'}: {target} at 20 in flight: {speedup:.2f}x stock-echo throughput "
            f"(target >= {speedup_target:g}x), p99 {ours.p99:.1f} ms (target < {p99_target:.0f} ms)"
            + (f", {ours.failures} failed requests" if ours.failures else ""))
    if not lines:
        return False, "FAIL: no digimentor target ran"
    return passed, "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    connector = await Connector(delay=args.connector_delay_ms / 1000).start()
    results: list[Result] = []
    try:
        with tempfile.TemporaryDirectory(prefix="digimentor-bench-") as tmp:
            for kind in args.targets:
                print(f"benchmarking {kind} ...", file=sys.stderr, flush=True)
                replies_before, cards_before = connector.replies, connector.cards
                results += await bench_target(kind, connector, Path(tmp), args.messages, args.warmup)
                answered_with_cards = connector.cards - cards_before == connector.replies - replies_before
                if kind.startswith("digimentor") and not answered_with_cards:
                    raise RuntimeError(f"{kind} answered without an Adaptive Card")
        if connector.bad:
            raise RuntimeError(f"{connector.bad} replies at the connector had the wrong replyToId or type")
    finally:
        await connector.close()
    delay = f", connector answering after {args.connector_delay_ms:g} ms" if args.connector_delay_ms else ""
    print(
        f"\n{args.messages} messages per level after {args.warmup} warm-up, on 127.0.0.1{delay}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n"
    )
    print(table(results))
    ok, line = verdict(results)
    print(f"\n{line}")
    print(f"(total {time.perf_counter() - started:.1f} s)")
    return 0 if ok or args.no_fail else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 60 messages per level, 10 warm-up")
    parser.add_argument("--messages", type=int, help="messages per concurrency level (default 300)")
    parser.add_argument("--warmup", type=int, help="warm-up messages per target (default 30)")
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when the target is missed")
    parser.add_argument("--connector-delay-ms", type=float, default=0.0,
                        help="make the loopback connector answer after this long (default 0)")
    parser.add_argument("--serve", choices=TARGETS, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve == "bare":
        serve_bare()
        return 0
    if args.serve == "stock-echo":
        serve_stock_echo()
        return 0
    if args.serve in ("digimentor", "digimentor-faq"):
        serve_digimentor(args.database_url, with_faq=args.serve == "digimentor-faq")
        return 0

    args.messages = max(1, min(args.messages or (60 if args.quick else 300), 5000))
    args.warmup = max(0, min(args.warmup if args.warmup is not None else (10 if args.quick else 30), 500))
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
