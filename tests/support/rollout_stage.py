"""A rollout announced to a crowd by `python app.py serve` processes against the loopback Bot
Connector, with a process killed (kill -9) in the middle of the staff's sends: shared by
tests/test_announcement_crash.py (a small crowd) and bench/announcement_bench.py (5,000 people).

Everyone has the app installed (their 1:1 conversation references are stored, as the bot stores
them at installation). The coordinator announces on a Wednesday through the bot's endpoint; the
mentors get it at once; a process started on Thursday morning sends it to the staff; the
connector stalls, and once every send it accepted is recorded the process is killed with sends
still in flight; a new process finishes the job.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from sqlalchemy import func, select

from dialogs.clock import Clock
from dialogs.rules.org_file import parse_organization_file
from storage.conversation_repository import ConversationRepository
from storage.db import Database
from storage.models import AnnouncementDelivery, OutboxMessage
from storage.organization_repository import import_organization
from tests.support.activities import BOT_ID, TENANT, card_click
from tests.support.time import WEDNESDAY_MORNING

TITLE = "Uusi potilastietojärjestelmä"
STARTS = "2026-11-26"  # Thursday
THURSDAY_MORNING = datetime(2026, 11, 26, 6, 1, tzinfo=UTC)  # 08:01 in Helsinki
THURSDAY_LATER = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
WARDS = 10
# The served processes need no FAQ matching by meaning here; it would only take CPU.
SERVE = {"SEMANTIC_MATCHING": "false", "ESCALATION_POLL_SECONDS": "5"}


def aad(kind: str, n: int) -> str:
    return f"00000000-0000-0000-0000-{kind}{n:011d}"


@dataclass(frozen=True)
class Crowd:
    staff: tuple[str, ...]
    mentors: tuple[str, ...]
    coordinator: str

    @property
    def everyone(self) -> tuple[str, ...]:
        return (*self.staff, *self.mentors, self.coordinator)


def organisation(staff: int, mentors_per_ward: int = 2) -> tuple[str, Crowd]:
    crowd = Crowd(tuple(aad("e", n) for n in range(1, staff + 1)),
                  tuple(aad("b", n) for n in range(1, WARDS * mentors_per_ward + 1)), aad("c", 1))
    people = [f"  - {{aad_object_id: {a}, name: Työntekijä {n}, unit: ward-{n % WARDS}}}"
              for n, a in enumerate(crowd.staff)]
    people += [f"  - {{aad_object_id: {a}, name: Mentori {n}, unit: ward-{n % WARDS}, roles: [employee, mentor]}}"
               for n, a in enumerate(crowd.mentors)]
    people.append(f"  - {{aad_object_id: {crowd.coordinator}, name: Koordinaattori, unit: sote, "
                  f"roles: [employee, coordinator], coordinator_of: [sote]}}")
    units = "\n".join(f"  - {{id: ward-{w}, parent: sote, name: {{fi: Osasto {w}}}}}" for w in range(WARDS))
    text = ('organization: {name: Testialue, working_hours: "08:00-16:00"}\nunits:\n'
            "  - {id: sote, name: {fi: Sote}}\n" + units + "\npeople:\n" + "\n".join(people) + "\n")
    return text, crowd


async def seed(database_url: str, org: str, crowd: Crowd, service_url: str) -> None:
    """The organisation, and everyone's 1:1 conversation as the bot stores it at installation."""
    database = Database(database_url, clock=Clock(frozen_at=WEDNESDAY_MORNING).now)
    try:
        await import_organization(database, parse_organization_file(org))
        conversations = ConversationRepository(database)
        for person in crowd.everyone:
            conversation = f"a:personal-{person}"
            await conversations.remember(
                aad_object_id=person, conversation_id=conversation, conversation_type="personal", tenant_id=TENANT,
                service_url=service_url, channel_id="msteams", locale="fi-FI",
                reference={"user": {"id": f"29:{person}", "aadObjectId": person},
                           "bot": {"id": BOT_ID, "name": "Digimentor"},
                           "conversation": {"id": conversation, "conversationType": "personal",
                                            "tenantId": TENANT},
                           "channelId": "msteams", "locale": "fi-FI", "serviceUrl": service_url})
    finally:
        await database.dispose()


async def announce(url: str, connector, crowd: Crowd) -> dict:
    """The coordinator's sendAnnouncement click (Action.Execute), as Teams posts it."""
    form = {"title": TITLE, "text": "Siirrymme uuteen järjestelmään torstaina. Digimentorit auttavat.",
            "units": "sote", "starts": STARTS, "form_id": "rollout-1"}
    async with aiohttp.ClientSession() as http, http.post(f"{url}/api/messages", json=card_click(
            "sendAnnouncement", form, service_url=connector.url, user=crowd.coordinator,
            name="Koordinaattori")) as response:
        assert response.status == 200, await response.text()
        return json.loads(await response.read())


def announcement_cards(connector) -> Counter:
    """How many announcement cards each conversation got."""
    return Counter(sent.conversation_id for sent in connector.sent if sent.method != "update"
                   and any(TITLE in json.dumps(card, ensure_ascii=False) for card in sent.cards))


async def recorded(database_url: str) -> dict[str, int]:
    """Deliveries by audience and state, and outbox messages still waiting or being sent."""
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            rows = (await session.execute(
                select(AnnouncementDelivery.audience, AnnouncementDelivery.state, func.count())
                .group_by(AnnouncementDelivery.audience, AnnouncementDelivery.state))).all()
            waiting = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.state.in_(["pending", "sending"])))
    finally:
        await database.dispose()
    counts = {f"{audience} {state}": int(count) for audience, state, count in rows}
    counts["waiting"] = int(waiting)
    return counts


async def a_day_later() -> None:
    """The mentors' sends (Wednesday) and the staff's (Thursday) are a day apart; here that day
    is a little over Teams' one-second window, so that the rate measured across the two processes
    is the rate Teams would count."""
    await asyncio.sleep(1.2)


async def until(condition, what: str, timeout: float = 120.0, every: float = 0.1) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(every)


async def stall_and_settle(connector, database_url: str, staff_delivered_at_least: int) -> int:
    """Lets the staff's sends run until enough were delivered, then stalls the connector: sends
    keep arriving and are held, and once the bot has recorded every send the connector accepted
    the moment is right for kill -9 (sends in flight, none accepted unrecorded). Returns how many
    staff cards were delivered by then."""
    staff_cards = lambda: sum(1 for c, n in announcement_cards(connector).items() if "-e" in c)  # noqa: E731
    await until(lambda: staff_cards() >= staff_delivered_at_least, "the staff's sends are under way")
    connector.hold = True

    async def settled() -> bool:
        return (connector.held > 0
                and (await recorded(database_url)).get("staff sent", 0) == staff_cards())

    await until(settled, "every accepted send is recorded, with more held in flight")
    return staff_cards()


def busiest_second(arrivals, conversations: set[str]) -> tuple[int, int]:
    """(most sends to the tenant in any one-second window, most to one conversation)."""
    sends = [a for a in arrivals if a.method != "update" and a.conversation_id in conversations and a.status == 200]
    times = sorted(a.at for a in sends)
    tenant, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        tenant = max(tenant, end - start + 1)
    per_conversation = 0
    by_conversation: dict[str, list[float]] = {}
    for a in sends:
        by_conversation.setdefault(a.conversation_id, []).append(a.at)
    for moments in by_conversation.values():
        moments.sort()
        first = 0
        for last, moment in enumerate(moments):
            while moment - moments[first] >= 1.0:
                first += 1
            per_conversation = max(per_conversation, last - first + 1)
    return tenant, per_conversation
