"""The Microsoft 365 Agents Playground as a real Teams client: the bot runs in this process on
a loopback port, the playground (npm @microsoft/m365agentsplayground, installed by
`scripts/playground.sh install`) runs as a subprocess against it, and the tests act only
through the playground's HTTP API, reading the bot's replies from its log websocket.

Install → welcome; an FAQ question → the answer card; the hand-off: askMentor through an
Action.Execute invoke → the mentor (acting through custom activities) gets the offer, accepts,
and the asker is told who helps.

Without Node.js/npm the module is skipped locally and fails in CI (CI=true).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient

from bot.web import CLOCK
from cards.i18n import Texts
from dialogs.clock import Clock
from dialogs.rules.faq_file import parse_faq_file
from dialogs.rules.org_file import parse_organization_file
from storage.db import Database
from storage.faq_repository import FaqRecord, FaqRepository
from storage.migrate import migrate
from storage.organization_repository import import_organization
from tests.conftest import settings_for, start_bot
from tests.support.playground_driver import ADAPTIVE_CARD, MAIJA, MAIJA_CHAT, PEKKA, Playground
from tests.support.time import WEDNESDAY_MORNING

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[1]
PLAYGROUND_SCRIPT = ROOT / "scripts" / "playground.sh"
SEED = ROOT / "storage" / "seed"
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
STARTUP_TIMEOUT = 60.0
FI = Texts("fi")
# The shipped FAQ entry the FAQ test asks about.
CALENDAR_ENTRY = "outlook-share-calendar"


def _seed_faq() -> list[FaqRecord]:
    return parse_faq_file((SEED / "faq.yaml").read_text(encoding="utf-8"), "faq.yaml")


def _unavailable(reason: str) -> None:
    """No playground: a failure in CI, a skip on a developer's machine."""
    if IN_CI:
        pytest.fail(f"the Agents Playground is required in CI: {reason}", pytrace=False)
    pytest.skip(f"the Agents Playground is unavailable: {reason}")


def _install_playground() -> None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        _unavailable(f"{' and '.join(missing)} not found; install Node.js 20 or newer")
    try:
        result = subprocess.run([str(PLAYGROUND_SCRIPT), "install"], cwd=ROOT, capture_output=True, text=True,
                                timeout=300)
    except subprocess.TimeoutExpired:
        _unavailable("`scripts/playground.sh install` took over 300 s")
    if result.returncode != 0:
        _unavailable(f"`scripts/playground.sh install` exited with {result.returncode}:\n"
                     f"{(result.stdout + result.stderr)[-3000:]}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]) or "(empty)"
    except OSError as error:
        return f"(cannot read {path}: {error.strerror})"


async def _seed_demo(database_url: str, clock: Clock) -> None:
    """What `app.py demo` does: the schema, the demo organisation and the shipped FAQ."""
    database = Database(database_url, clock=clock.now)
    try:
        await migrate(database)
        await import_organization(database, parse_organization_file(
            (SEED / "demo_organization.yaml").read_text(encoding="utf-8"), "demo_organization.yaml"))
        await FaqRepository(database).import_entries(_seed_faq())
    finally:
        await database.dispose()


def _kill_if_running(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class _PortTaken(Exception):
    pass


class PlaygroundProcess:
    """`scripts/playground.sh run` in its own process group (bash `exec`s node)."""

    def __init__(self, bot_port: int, workdir: Path, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.bot_port = bot_port
        self.workdir = workdir
        self.log_file = workdir / "playground.log"
        self.output_file = workdir / "playground.out"
        self.port = 0
        self.process: subprocess.Popen | None = None

    def _spawn(self) -> None:
        self.port = _free_port()
        no_proxy = ",".join(filter(None, [os.environ.get("NO_PROXY") or os.environ.get("no_proxy"),
                                          "127.0.0.1", "localhost"]))
        env = {
            **os.environ,
            "PORT": str(self.bot_port),
            "PLAYGROUND_PORT": str(self.port),
            # A log of this run only: the tool deletes its log at start, so a shared one would
            # be clobbered by a parallel run or by a developer's `make run`.
            "M365_AGENTS_PLAYGROUND_LOGFILE": str(self.log_file),
            "M365_AGENTS_PLAYGROUND_RECORDING_FILE": str(self.workdir / "events_recording.log"),
            "TEAMSAPPTESTER_BROWSER": "none",
            # The playground's HTTP client (axios) honours HTTP(S)_PROXY; the bot is local.
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
        }
        env.pop("M365_AGENTS_PLAYGROUND_CONFIG_PATH", None)  # the repository's config
        with self.output_file.open("wb") as output:
            self.process = subprocess.Popen([str(PLAYGROUND_SCRIPT), "run"], cwd=ROOT, env=env,
                                            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        # Its own session is out of reach of Ctrl+C: should the teardown never run, kill it at exit.
        atexit.register(_kill_if_running, self.process)

    async def start(self) -> Playground:
        """Starts it and waits for GET /_debug/ping; a port taken meanwhile means another try."""
        for _ in range(3):
            self._spawn()
            playground = Playground(f"http://localhost:{self.port}", self.http)
            try:
                await self._wait_until_up(playground)
                return playground
            except _PortTaken:
                await self.stop()
        raise RuntimeError(f"the playground found its port taken three times\n{self.diagnostics()}")

    def diagnostics(self) -> str:
        return (f"playground output ({self.output_file}):\n{_tail(self.output_file, 20)}\n"
                f"playground log ({self.log_file}):\n{_tail(self.log_file)}")

    async def _wait_until_up(self, playground: Playground) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "is already in use" in _tail(self.output_file):
                    raise _PortTaken()
                raise RuntimeError(f"the playground exited with {self.process.returncode} during start-up\n"
                                   f"{self.diagnostics()}")
            listening = re.search(r"Listening on (\d+)", _tail(self.output_file))
            if listening and int(listening.group(1)) != self.port:
                raise _PortTaken()  # the tool fell back to a random port: someone took ours
            if await playground.ping():
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"the playground did not answer GET /_debug/ping on port {self.port} within "
                           f"{STARTUP_TIMEOUT:.0f} s\n{self.diagnostics()}")

    async def stop(self) -> None:
        """SIGTERM to the whole group, SIGKILL after 10 s; the leader is reaped only after the
        group is signalled, so its group id cannot have been reused by then."""
        process = self.process
        if process is None or process.returncode is not None:
            return  # never started, or already reaped (poll() saw it exit)
        os.killpg(process.pid, signal.SIGTERM)
        if not await self._exited(10):
            os.killpg(process.pid, signal.SIGKILL)
            await self._exited(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything else still in the group
        await asyncio.to_thread(process.wait, 10)

    async def _exited(self, timeout: float) -> bool:
        """Whether the leader has exited, without reaping it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                    return True
            except ChildProcessError:
                return True
            await asyncio.sleep(0.05)
        return False


@dataclass
class Session:
    playground: Playground
    bot: TestClient

    @property
    def clock(self) -> Clock:
        """The bot's one clock (bot.web.CLOCK): every flow and repository reads it."""
        return self.bot.server.app[CLOCK]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(tmp_path_factory) -> AsyncIterator[Session]:
    _install_playground()
    workdir = tmp_path_factory.mktemp("playground")
    database_url = f"sqlite+aiosqlite:///{workdir / 'digimentor.db'}"
    # Frozen on a working Wednesday morning for the whole module: nothing here reads today's date.
    clock = Clock(frozen_at=WEDNESDAY_MORNING)
    await _seed_demo(database_url, clock)
    bot = await start_bot(settings_for(database_url), clock)
    process: PlaygroundProcess | None = None
    http = aiohttp.ClientSession()
    playground: Playground | None = None
    try:
        process = PlaygroundProcess(bot.server.port, workdir, http)
        playground = await process.start()
        config = await playground.test_config()
        assert config["config"]["personalChat"]["id"] == MAIJA_CHAT, (
            f"the playground did not load scripts/playground/.m365agentsplayground.yml: {config}")
        # Connected before any action: frames sent with no client connected are lost to us.
        await playground.connect_log()
        yield Session(playground, bot)
    finally:
        if playground is not None:
            await playground.close()
        await http.close()
        if process is not None:
            await process.stop()
        await bot.close()


def _action(card: dict, verb: str) -> dict:
    actions = [a for a in card.get("actions") or [] if a.get("verb") == verb]
    shown = [a.get("verb") or a.get("title") for a in card.get("actions") or []]
    assert actions, f"no {verb} button on the card: {shown}"
    return actions[0]


def _heading(card: dict) -> str:
    return card["body"][0]["text"]


def _verbs(card: dict) -> list[str]:
    return [a.get("verb", "") for a in card.get("actions") or [] if a.get("type") == "Action.Execute"]


async def test_installing_the_app_greets_maija_in_finnish(session: Session):
    playground = session.playground
    mark = playground.mark()
    await playground.install(MAIJA_CHAT)
    welcome = await playground.wait_for_send(since=mark, conversation_id=MAIJA_CHAT, what="welcome card",
                                             match=lambda send: bool(send.cards))
    assert _heading(welcome.card) == FI("welcome.title"), welcome.describe()
    assert FI("welcome.body") in welcome.dump()
    assert all(example in welcome.dump() for example in FI.list("welcome.examples")), welcome.describe()
    # Teams sends installationUpdate and conversationUpdate: Maija is greeted once, not twice.
    await playground.wait_for_deliveries(since=mark, conversation_id=MAIJA_CHAT,
                                         activity_types=["installationUpdate", "conversationUpdate"])
    sent = playground.sends(mark, MAIJA_CHAT)
    assert len(sent) == 1, playground.report(mark)
    assert not playground.failures(mark), playground.report(mark)


async def test_an_faq_question_gets_the_answer_card(session: Session):
    playground = session.playground
    mark = playground.mark()
    await playground.say(MAIJA_CHAT, "miten jaan kalenterini työkaverille")
    answer = await playground.wait_for_send(since=mark, conversation_id=MAIJA_CHAT, what="answer card",
                                            match=lambda send: bool(send.cards))
    card = answer.card
    [entry] = [record for record in _seed_faq() if record.id == CALENDAR_ENTRY]
    assert _heading(card) == entry.texts["fi"].question, answer.describe()
    assert "faqHelpful" in _verbs(card) and "askMentor" in _verbs(card), answer.describe()
    await playground.wait_for_deliveries(since=mark, conversation_id=MAIJA_CHAT, activity_types=["message"])
    assert not playground.failures(mark), playground.report(mark)


async def test_a_question_handed_to_a_mentor_who_accepts(session: Session):
    playground = session.playground
    # Offers only go out in working hours: the hand-off happens on a Wednesday morning in Helsinki.
    session.clock.freeze(WEDNESDAY_MORNING)
    start = playground.mark()
    # Pekka (a ward-3 mentor, like Maija's unit) talks to the bot first, in his own 1:1
    # chat, so that the bot knows where to reach him.
    pekka_chat = await playground.create_personal_chat(PEKKA)
    mark = playground.mark()
    await playground.custom_activity(playground.activity_as(PEKKA, pekka_chat, "installationUpdate",
                                                            at=session.clock.now(), action="add"))
    await playground.wait_for_send(since=mark, conversation_id=pekka_chat, what="welcome card for Pekka",
                                   match=lambda send: bool(send.cards))

    # Maija asks something the FAQ does not know, and clicks "ask a digimentor".
    mark = playground.mark()
    await playground.say(MAIJA_CHAT, "milloin palkka maksetaan")
    offer_to_ask = await playground.wait_for_send(
        since=mark, conversation_id=MAIJA_CHAT, what="card offering a digimentor",
        match=lambda send: "askMentor" in send.verbs())
    mark = playground.mark()
    waiting = await playground.click(MAIJA, MAIJA_CHAT, offer_to_ask.message_id,
                                     _action(offer_to_ask.card, "askMentor"))
    assert waiting["type"] == ADAPTIVE_CARD, waiting
    assert _heading(waiting["value"]) == FI("request.asker_waiting_title"), waiting
    assert "cancelRequest" in _verbs(waiting["value"]), waiting

    # Pekka gets the offer in his chat, and accepts it.
    offer = await playground.wait_for_send(since=mark, conversation_id=pekka_chat, what="offer card for Pekka",
                                           match=lambda send: "acceptRequest" in send.verbs())
    assert _heading(offer.card) == FI("request.offer_title"), offer.describe()
    assert "milloin palkka maksetaan" in offer.dump() and "Maija Virtanen" in offer.dump(), offer.describe()
    mark = playground.mark()
    working = await playground.click(PEKKA, pekka_chat, offer.message_id, _action(offer.card, "acceptRequest"))
    assert working["type"] == ADAPTIVE_CARD, working
    assert _heading(working["value"]) == FI("request.working_title"), working
    assert "resolveRequest" in _verbs(working["value"]), working

    # Maija is told who helps her.
    assigned = await playground.wait_for_send(
        since=mark, conversation_id=MAIJA_CHAT, what="card telling Maija who helps",
        match=lambda send: "Pekka Korhonen" in send.dump())
    assert _heading(assigned.card) == FI("request.asker_assigned_title", mentor="Pekka Korhonen"), \
        assigned.describe()
    assert not playground.failures(start), playground.report(start)
