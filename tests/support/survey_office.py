"""A larger organisation for the survey tests, where everyone has installed the app: a ward of
four (too few to be reported on its own), a ward of six with its supervisor, an HR unit of five,
and two coordinators; driven through the bot's real HTTP endpoint like tests/support/office.py."""

from __future__ import annotations

from datetime import date

from tests.support.activities import card_click, installation
from tests.support.office import Office, aad, chat

KAISA, HANNA = aad("c1"), aad("c2")  # coordinators of sote and of the whole organisation
WARD_3 = [aad(f"3{i}") for i in range(1, 5)]  # four people; the last one is its supervisor
WARD_5 = [aad(f"5{i}") for i in range(1, 7)]  # six people; the first one is its supervisor
HR = [aad(f"7{i}") for i in range(1, 6)]  # five people, one of them a mentor
SUPERVISOR_3, SUPERVISOR_5, HR_MENTOR, WARD_5_MENTOR = WARD_3[-1], WARD_5[0], HR[0], WARD_5[1]
NAMES = {KAISA: "Kaisa Laine", HANNA: "Hanna Koordinaattori",
         **{p: f"Osasto Kolme {i}" for i, p in enumerate(WARD_3, 1)},
         **{p: f"Osasto Viisi {i}" for i, p in enumerate(WARD_5, 1)},
         **{p: f"Henkilöstö Ihminen {i}" for i, p in enumerate(HR, 1)}}


def email_of(person: str) -> str:
    return NAMES[person].lower().replace(" ", ".").replace("ö", "o").replace("ä", "a") + "@example.fi"


def _person(person: str, unit: str, roles: str = "[employee]", extra: str = "") -> str:
    return (f"  - {{aad_object_id: {person}, name: {NAMES[person]}, email: {email_of(person)}, unit: {unit}, "
            f"roles: {roles}{extra}}}\n")


SURVEY_ORG = (
    """
organization: {name: Testialue, offer_timeout_minutes: 10, working_hours: "08:00-16:00"}
units:
  - {id: hva, name: {fi: Hyvinvointialue, sv: Välfärdsområdet, en: Wellbeing county}}
  - {id: sote, parent: hva, name: {fi: Sote, sv: Social och hälsa, en: Health and social}}
  - {id: ward-3, parent: sote, name: {fi: Osasto 3, sv: Avdelning 3, en: Ward 3}}
  - {id: ward-5, parent: sote, name: {fi: Osasto 5, sv: Avdelning 5, en: Ward 5}}
  - {id: hr, parent: hva, name: {fi: Henkilöstö, sv: Personal, en: HR}}
people:
"""
    + _person(KAISA, "sote", "[employee, coordinator]", ", coordinator_of: [sote]")
    + _person(HANNA, "hva", "[employee, coordinator]", ", coordinator_of: [hva]")
    + "".join(_person(p, "ward-3") for p in WARD_3[:-1])
    + _person(SUPERVISOR_3, "ward-3", "[employee, supervisor]")
    + _person(SUPERVISOR_5, "ward-5", "[employee, supervisor]", ", languages: [sv, fi]")
    + _person(WARD_5_MENTOR, "ward-5", "[employee, mentor]", ", mentor: {topics: [teams, mfa]}")
    + "".join(_person(p, "ward-5") for p in WARD_5[2:])
    + _person(HR_MENTOR, "hr", "[employee, mentor]", ", mentor: {topics: [remote-appointments]}")
    + "".join(_person(p, "hr", extra=", languages: [en]") for p in HR[1:])
)
LAST_DAY = date(2026, 12, 9)  # two weeks from the tests' Wednesday


class SurveyOffice(Office):
    def __init__(self, bot, connector, database_url: str, org: str = SURVEY_ORG) -> None:
        super().__init__(bot, connector, database_url, org)

    async def setup(self) -> SurveyOffice:
        from dialogs.rules.org_file import parse_organization_file
        from storage.organization_repository import import_organization

        database = self.database()
        await import_organization(database, parse_organization_file(self.org))
        await database.dispose()
        for person, name in NAMES.items():
            await self.bot.post(installation(service_url=self.connector.url, user=person, name=name))
        await self.connector.wait_for(len(NAMES))
        self.connector.sent.clear()
        self.connector.arrivals.clear()
        return self

    # The Teams client's language of each person, when it is not Finnish.
    locales: dict[str, str] = {}

    async def click(self, person: str, verb: str, data: dict) -> dict:
        response = await self.bot.post(card_click(verb, data, service_url=self.connector.url, user=person,
                                                  name=NAMES.get(person, "Testi Henkilö"),
                                                  locale=self.locales.get(person, "fi-FI")))
        assert response.status == 200, await response.text()
        body = await response.json()
        await self.settle()
        return body

    async def start_round(self, coordinator: str = KAISA, *, units: str = "sote", closes: date = LAST_DAY,
                          pretest: bool = False) -> dict:
        """The coordinator's click on the start form's button; the invoke's answer."""
        data = {"units": units, "closes": closes.isoformat()}
        if pretest:
            data["pretest"] = "true"
        return await self.click(coordinator, "startSurvey", data)

    def invitations(self, person: str) -> list[dict]:
        return [card for card in self.cards(person)
                if any(a.get("verb") == "openSurvey" for a in card.get("actions", []))]

    def round_of(self, person: str) -> int:
        [button] = [a for a in self.invitations(person)[-1]["actions"] if a.get("verb") == "openSurvey"]
        return button["data"]["round_id"]

    async def open(self, person: str, round_id: int, **data) -> dict:
        return (await self.click(person, "openSurvey", {"round_id": round_id, **data}))

    async def answer(self, person: str, card: dict, direction: str = "next", value: int | str = 4,
                     **values) -> dict:
        """Clicks the card's button for `direction` with every statement answered `value`
        (or as `values` says); the invoke's answer."""
        [button] = [a for a in card["actions"] if a.get("verb") == "answerSurvey"
                    and a["data"]["direction"] == direction]
        inputs = {element["id"]: str(values.get(element["id"], value)) for element in card["body"]
                  if element["type"] == "Input.ChoiceSet"}
        return await self.click(person, "answerSurvey", {**button["data"], **inputs})

    async def answer_all(self, person: str, round_id: int, value: int = 4) -> dict:
        """Every area with `value`, to the end: the profile card."""
        card = (await self.open(person, round_id))["value"]
        while any(a.get("verb") == "answerSurvey" for a in card.get("actions", [])):
            card = (await self.answer(person, card, value=value))["value"]
        return card

    async def close(self, coordinator: str, round_id: int) -> dict:
        return await self.click(coordinator, "closeSurvey", {"round_id": round_id})


def said(card: dict | str) -> str:
    """Everything a card says (texts, labels, facts, button titles), one per line; a text reply as it is."""
    if isinstance(card, str):
        return card
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "value", "label", "altText", "placeholder"):
                if isinstance(node.get(key), str) and not node[key].startswith("data:"):
                    found.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return "\n".join(found)


def progress_of(card: dict) -> str:
    return card["body"][0]["text"]


def inputs_of(card: dict) -> dict[str, str | None]:
    return {e["id"]: e.get("value") for e in card["body"] if e["type"] == "Input.ChoiceSet"}


__all__ = ["HANNA", "HR", "HR_MENTOR", "KAISA", "LAST_DAY", "NAMES", "SUPERVISOR_3", "SUPERVISOR_5", "SURVEY_ORG",
           "WARD_3", "WARD_5", "WARD_5_MENTOR", "SurveyOffice", "chat", "email_of", "inputs_of", "progress_of",
           "said"]
