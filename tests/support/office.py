"""A small organisation in which everyone has installed the app, driven through the bot's real
HTTP endpoint with a loopback Bot Connector: the shared stage of the multi-user tests."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.web import CLOCK, FLOWS
from cards.i18n import Texts
from dialogs.clock import Clock
from dialogs.rules.org_file import parse_organization_file
from dialogs.wiring import Flows
from storage.db import Database
from storage.organization_repository import import_organization
from storage.request_repository import RequestRepository
from tests.support.activities import card_click, installation, message


def aad(suffix: str) -> str:
    return f"00000000-0000-0000-0000-0000000000{suffix}"


MAIJA, PEKKA, VILLE, AINO, SARI, OLLI, KAISA = (aad(s) for s in ("a1", "b1", "b2", "b3", "b4", "b5", "c1"))
PEOPLE = {MAIJA: "Maija Virtanen", PEKKA: "Pekka Korhonen", VILLE: "Ville Heikkinen", AINO: "Aino Mäkinen",
          SARI: "Sari Lehto", OLLI: "Olli Nieminen", KAISA: "Kaisa Laine"}

ORG = f"""
organization: {{name: Testialue, offer_timeout_minutes: 10, working_hours: "08:00-16:00"}}
units:
  - {{id: hva, name: {{fi: Hyvinvointialue}}}}
  - {{id: sote, parent: hva, name: {{fi: Sote}}}}
  - {{id: ward-3, parent: sote, name: {{fi: Osasto 3}}}}
  - {{id: ward-5, parent: sote, name: {{fi: Osasto 5}}}}
  - {{id: hr, parent: hva, name: {{fi: Henkilöstö}}}}
people:
  - {{aad_object_id: {MAIJA}, name: Maija Virtanen, unit: ward-3}}
  - {{aad_object_id: {PEKKA}, name: Pekka Korhonen, unit: ward-3, roles: [employee, mentor],
     mentor: {{topics: [teams]}}}}
  - {{aad_object_id: {VILLE}, name: Ville Heikkinen, unit: ward-3, roles: [employee, mentor]}}
  - {{aad_object_id: {AINO}, name: Aino Mäkinen, unit: sote, roles: [employee, mentor]}}
  - {{aad_object_id: {SARI}, name: Sari Lehto, unit: ward-5, roles: [employee, mentor]}}
  - {{aad_object_id: {OLLI}, name: Olli Nieminen, unit: hr, roles: [employee, mentor]}}
  - {{aad_object_id: {KAISA}, name: Kaisa Laine, unit: sote, roles: [employee, coordinator], coordinator_of: [sote]}}
"""

FI = Texts("fi")
# Words for which the shipped FAQ's calendar-sharing entry is only a suggestion, not an answer:
# the FAQ can learn them as a variant.
CALENDAR_PARAPHRASE, CALENDAR_ENTRY = "esihenkilö haluaa nähdä milloin olen varattu", "outlook-share-calendar"


def chat(person: str) -> str:
    return f"a:personal-{person}"


def body_text(card: dict) -> str:
    return json.dumps(card, ensure_ascii=False)


def offer_of(card: dict) -> int:
    return [a for a in card["actions"] if a["verb"] == "acceptRequest"][0]["data"]["request_id"]


class Office:
    """The bot with a seeded organisation whose people have all installed the app."""

    def __init__(self, bot, connector, database_url: str, org: str = ORG) -> None:
        self.bot, self.connector, self.database_url, self.org = bot, connector, database_url, org

    @property
    def flows(self) -> Flows:
        return self.bot.http.server.app[FLOWS]

    @property
    def clock(self) -> Clock:
        return self.bot.http.server.app[CLOCK]

    def database(self) -> Database:
        return Database(self.database_url, clock=self.clock.now)

    async def setup(self) -> Office:
        database = self.database()
        await import_organization(database, parse_organization_file(self.org))
        await database.dispose()
        for person, name in PEOPLE.items():
            await self.bot.post(installation(service_url=self.connector.url, user=person, name=name))
        await self.connector.wait_for(len(PEOPLE))
        self.connector.sent.clear()
        return self

    async def settle(self) -> None:
        """Until the outbox has delivered everything due: what the people are sent next."""
        await self.flows.deliveries.settle()

    async def say(self, person: str, text: str):
        response = await self.bot.post(message(text, service_url=self.connector.url, user=person,
                                               name=PEOPLE.get(person, "Testi Henkilö")))
        await self.settle()
        return response

    async def click(self, person: str, verb: str, data: dict) -> dict:
        response = await self.bot.post(card_click(verb, data, service_url=self.connector.url, user=person,
                                                  name=PEOPLE.get(person, "Testi Henkilö")))
        assert response.status == 200, await response.text()
        body = await response.json()
        await self.settle()
        return body

    def cards(self, person: str, method: str | None = None) -> list[dict]:
        return [card for m, card in self.connector.cards_to(chat(person)) if method is None or m == method]

    def texts(self, person: str) -> list[str]:
        return [s.text for s in self.connector.to(chat(person)) if s.text]

    async def ask_a_mentor(self, person: str = MAIJA, question: str = "milloin palkka maksetaan") -> int:
        await self.say(person, question)
        await self.connector.wait_for(1)
        offer_button = self.cards(person)[-1]["actions"][-1]
        assert offer_button["verb"] == "askMentor"
        reply = await self.click(person, "askMentor", offer_button["data"])
        assert reply["type"] == "application/vnd.microsoft.card.adaptive"
        cancel = [a for a in reply["value"]["actions"] if a["verb"] == "cancelRequest"][0]
        return cancel["data"]["request_id"]

    async def escalate_at(self, moment) -> int:
        """The escalation loop's round at `moment`: the clock moves there and stays."""
        self.clock.freeze(moment)
        fired = await self.flows.offers.escalate_due()
        await self.settle()
        return fired

    async def count(self, model, **where) -> int:
        database = self.database()
        async with database.transaction() as session:
            query = select(func.count()).select_from(model)
            for column, value in where.items():
                query = query.where(getattr(model, column) == value)
            value = await session.scalar(query)
        await database.dispose()
        return value

    async def request(self, request_id: int):
        database = self.database()
        record = await RequestRepository(database).get(request_id)
        events = await RequestRepository(database).events(request_id)
        await database.dispose()
        return record, [kind for kind, _, _ in events]
