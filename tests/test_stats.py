"""Coordinator statistics and mentor hours through the HTTP endpoint, from a scripted month."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.domain.org_file import parse_organization_file
from bot.domain.faq_file import parse_faq_file
from storage.db import Database
from storage.faq_repository import import_faq
from storage.models import FaqFeedback, Feedback, HelpRequest, MentorTimeEntry, Question, RequestEvent
from storage.organization_repository import import_organization
from tests.test_handoff_flow import AINO, KAISA, MAIJA, ORG, PEKKA, PEOPLE, VILLE, Office  # noqa: F401

ADMIN = "00000000-0000-0000-0000-0000000000c9"
HR_EMPLOYEE = "00000000-0000-0000-0000-0000000000a9"
ORG_WITH_ADMIN = ORG + f"""  - {{aad_object_id: {ADMIN}, name: Anna Admin, unit: hva, roles: [employee, admin]}}
  - {{aad_object_id: {HR_EMPLOYEE}, name: Heikki Henkilö, unit: hr}}
"""
FAQ = """
- {id: teams-link, topic: teams, fi: {question: Miten lisään Teams-linkin?, answer: "1. Avaa kutsu."}}
- {id: outlook-share, topic: outlook, fi: {question: Miten jaan kalenterin?, answer: "1. Valitse Jaa."}}
"""
OCT = datetime(2026, 10, 5, 9, 0, tzinfo=timezone.utc)   # a Monday in October
SEP = datetime(2026, 9, 7, 9, 0, tzinfo=timezone.utc)    # the previous month


async def _script(database_url: str) -> None:
    """October: 6 questions in sote units, 1 in hr; September: 3 in sote."""
    database = Database(database_url)
    await import_organization(database, parse_organization_file(ORG_WITH_ADMIN))
    await import_faq(database, parse_faq_file(FAQ))
    async with database.transaction() as session:
        ids = {aad: pid for pid, aad in enumerate(PEOPLE, start=1)}

        def question(at, unit, outcome, entry=None, asker=MAIJA):  # noqa: ANN001, ANN202
            row = Question(asker_aad_object_id=asker, asker_person_id=ids.get(asker), unit_id=unit, text="q",
                           language="fi", outcome=outcome, faq_entry_id=entry, shown_entry_ids=[], asked_at=at)
            session.add(row)
            return row

        # October, in Kaisa's scope (sote subtree)
        q1 = question(OCT, "ward-3", "answered", "teams-link")
        q2 = question(OCT + timedelta(days=1), "ward-3", "answered", "teams-link")
        q3 = question(OCT + timedelta(days=2), "ward-5", "answered", "outlook-share")
        q4 = question(OCT + timedelta(days=3), "ward-3", "none")
        q5 = question(OCT + timedelta(days=4), "ward-3", "none")
        q6 = question(OCT + timedelta(days=5), "sote", "suggested", "teams-link")
        question(OCT, "hr", "none", asker=HR_EMPLOYEE)  # outside the scope
        # September
        for day in range(3):
            question(SEP + timedelta(days=day), "ward-3", "answered", "teams-link")
        await session.flush()
        session.add_all([FaqFeedback(question_id=q1.id, faq_entry_id="teams-link", helpful=True, given_at=OCT),
                         FaqFeedback(question_id=q3.id, faq_entry_id="outlook-share", helpful=False, given_at=OCT)])

        def request(q, state, created, accept_after=None, mentor=None, escalated=False):  # noqa: ANN001, ANN202
            # The columns the request repository keeps alongside its events, as it writes them.
            q.handed = True
            row = HelpRequest(question_id=q.id, asker_person_id=ids[MAIJA], asker_aad_object_id=MAIJA,
                              unit_id=q.unit_id, language="fi", state=state, created_at=created, updated_at=created,
                              assigned_mentor_id=ids.get(mentor), escalated=escalated,
                              accepted_at=created + accept_after if accept_after is not None else None)
            session.add(row)
            return row, accept_after, mentor, escalated

        # q4, q5, q6 and q2 handed to mentors (q2's answer was not enough)
        plans = [
            request(q2, "resolved", OCT + timedelta(days=1), timedelta(minutes=4), PEKKA),
            request(q4, "resolved", OCT + timedelta(days=3), timedelta(minutes=6), VILLE),
            request(q5, "expired", OCT + timedelta(days=4), None, None, escalated=True),
            request(q6, "cancelled", OCT + timedelta(days=5), timedelta(minutes=30), AINO, escalated=True),
        ]
        await session.flush()
        for row, accept_after, mentor, escalated in plans:
            if accept_after is not None:
                session.add(RequestEvent(request_id=row.id, kind="accept", actor_person_id=ids[mentor],
                                         at=row.created_at + accept_after, data={}))
            if escalated:
                session.add(RequestEvent(request_id=row.id, kind="escalated", at=row.created_at, data={"tier": 1}))
        resolved_pekka, resolved_ville = plans[0][0], plans[1][0]
        session.add_all([
            MentorTimeEntry(mentor_id=ids[PEKKA], request_id=resolved_pekka.id, unit_id="ward-3", minutes=15,
                            logged_at=OCT + timedelta(days=1, hours=1)),
            MentorTimeEntry(mentor_id=ids[VILLE], request_id=resolved_ville.id, unit_id="ward-3", minutes=30,
                            logged_at=OCT + timedelta(days=3, hours=1)),
            MentorTimeEntry(mentor_id=ids[PEKKA], request_id=None, unit_id="ward-3", minutes=60, note="koulutus",
                            logged_at=OCT + timedelta(days=8)),
            Feedback(request_id=resolved_pekka.id, rating=5, given_at=OCT + timedelta(days=2)),
            Feedback(request_id=resolved_ville.id, rating=3, given_at=OCT + timedelta(days=4)),
        ])
    await database.dispose()


@pytest.fixture
async def scripted(bot, connector, database_url) -> Office:
    await _script(database_url)
    return Office(bot, connector, database_url)


def _facts(card: dict) -> dict[str, str]:
    return {fact["title"]: fact["value"] for block in card["body"] if block["type"] == "FactSet"
            for fact in block["facts"]}


async def _stats(office: Office, person: str, argument: str) -> dict:
    await office.say(person, f"tilastot {argument}".strip())
    sent = office.connector.to(f"a:personal-{person}")[-1]
    assert sent.cards, sent.text
    return sent.cards[0]


async def test_a_scripted_month_gives_exactly_the_expected_figures(scripted):
    card = await _stats(scripted, KAISA, "2026-10")
    assert card["body"][0]["text"] == "Tilastot: Sote, 2026-10"
    facts = _facts(card)
    assert facts["Kysymyksiä"] == "6 (+3)"
    assert facts["UKK vastasi ilman ihmistä"] == "2 (33 %) (−1)"  # q1, q3 (q2 was handed on)
    assert facts["Auttoi / ei auttanut"] == "1 / 1"
    assert facts["Välitetty digimentoreille"] == "4 (+4)"
    assert facts["Otettu hoitoon"] == "3, ajoissa 67 % (+3)"  # 4 and 6 min within 10; 30 min not
    assert facts["Aika hoitoon ottamiseen (mediaani / 90 %)"] == "6 / 30 min"
    assert facts["Ratkaistu"] == "2 (+2)"
    assert facts["Peruttu"] == "1 (+1)"
    assert facts["Laajennettu"] == "2 (+2)"
    assert facts["Jäi vastaamatta"] == "1 (+1)"
    assert facts["Tyytyväisyys (1–5)"] == "alle 5 vastausta"  # 2 ratings below the whole organisation
    assert "Arviot 5…1" not in facts
    assert facts["Mentorointiaika"] == "105 min (+105)"
    assert facts["Pekka Korhonen"] == "75 / 531 min" and facts["Ville Heikkinen"] == "30 / 531 min"
    assert facts["teams"] == "3" and facts["outlook"] == "1"
    image = [b for b in card["body"] if b["type"] == "Image"][0]
    assert image["url"].startswith("data:image/png;base64,") and "Kysymyksiä: 6 (3)" in image["altText"]


async def test_the_whole_organisation_shows_satisfaction_and_counts_every_unit(scripted):
    facts = _facts(await _stats(scripted, ADMIN, "2026-10"))
    assert facts["Kysymyksiä"] == "7 (+4)"
    assert facts["Tyytyväisyys (1–5)"] == "4.0 (2 vastausta)"
    assert facts["Arviot 5…1"] == "5: 1, 4: 0, 3: 1, 2: 0, 1: 0"


async def test_a_coordinator_sees_only_their_subtree(scripted):
    facts = _facts(await _stats(scripted, KAISA, "2026-10 ward-5"))
    assert facts["Kysymyksiä"] == "1 (+1)"  # ward-5 had no questions in September
    await scripted.say(KAISA, "tilastot 2026-10 hr")
    assert scripted.connector.to(f"a:personal-{KAISA}")[-1].text == \
        'Yksikkö "hr" ei kuulu yksiköihin, joita koordinoit.'
    await scripted.say(KAISA, "tilastot eilen")
    assert scripted.connector.to(f"a:personal-{KAISA}")[-1].text.startswith('En tunnistanut sanaa "eilen"')
    await scripted.say(KAISA, "tilastot 2026-13")
    assert scripted.connector.to(f"a:personal-{KAISA}")[-1].text.startswith('En tunnistanut jaksoa "2026-13"')


@pytest.mark.parametrize("person", [MAIJA, PEKKA])
async def test_employees_and_mentors_cannot_see_stats(scripted, person):
    await scripted.say(person, "tilastot")
    assert scripted.connector.to(f"a:personal-{person}")[-1].text.startswith(
        "Tämä komento on vain koordinaattori-roolille")


async def test_log_and_my_hours_agree_with_resolved_requests(bot, connector, database_url):
    office = await Office(bot, connector, database_url).setup()
    office.services.reports.clock = office.services.handoff.clock
    request_id = await office.ask_a_mentor()
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    await office.click(PEKKA, "resolveRequest", {"request_id": request_id, "minutes": "15"})
    await office.say(PEKKA, "kirjaa 30 tiimikoulutus, soita 040 123 4567")
    assert office.texts(PEKKA)[-1] == "Kirjattu 30 min: tiimikoulutus, soita [puhelinnumero]"
    await office.say(PEKKA, "kirjaa paljon")
    assert office.texts(PEKKA)[-1].startswith("Kirjoita esimerkiksi: kirjaa 30")
    await office.say(PEKKA, "omat tunnit")
    hours = _facts(office.cards(PEKKA)[-1])
    assert hours["Tällä viikolla"] == "45 / 120 min"
    assert hours["Kysymyksiin"] == "15 min" and hours["Muu mentorointi"] == "30 min"
    assert json.dumps(office.cards(PEKKA)[-1]).count("data:image/png") == 1


async def test_gaps_group_similar_questions_and_offer_a_draft(bot, connector, database_url):
    office = await Office(bot, connector, database_url).setup()
    office.services.reports.clock = lambda: datetime.now(timezone.utc)
    for text in ("missä näen työvuorolistan", "mistä löydän työvuorolistan", "työvuorolista ei näy",
                 "miten tilaan uuden kulkukortin"):
        await office.say(MAIJA, text)
    await office.say(KAISA, "aukot")
    card = office.cards(KAISA)[-1]
    containers = [b for b in card["body"] if b["type"] == "Container"]
    assert len(containers) == 2
    first = containers[0]["items"]
    assert "työvuorolist" in first[0]["text"]
    assert first[1]["text"] == "3 kysymystä: 3 vastaamatta, 0 ei auttanut"
    draft = first[2]["actions"][0]
    assert draft["verb"] == "draftFaq"

    refused = await office.click(MAIJA, "draftFaq", draft["data"])
    assert refused["value"].startswith("Tämä komento on vain koordinaattori-roolille")
    form = await office.click(KAISA, "draftFaq", draft["data"])
    values = {i["id"]: i.get("value") for i in form["value"]["body"] if i["type"].startswith("Input.")}
    assert "työvuorolist" in values["question"] and values["answer"] == ""


async def test_coordinator_manages_the_mentors_of_their_units_with_an_audit_trail(bot, connector, database_url):
    from sqlalchemy import select

    from storage.models import AuditLog, MentorProfile, Person
    from tests.test_handoff_flow import OLLI, SARI

    office = await Office(bot, connector, database_url).setup()
    await office.say(KAISA, "mentorit")
    card = office.cards(KAISA)[-1]
    listed = [c["items"][0]["text"] for c in card["body"] if c["type"] == "Container"]
    assert [name.split("**")[1] for name in listed] == ["Aino Mäkinen", "Pekka Korhonen", "Sari Lehto",
                                                         "Ville Heikkinen"]  # Olli (hr) is not Kaisa's
    database = Database(database_url)
    async with database.transaction() as session:
        ids = {p.aad_object_id: p.id for p in (await session.scalars(select(Person))).all()}

    changed = await office.click(KAISA, "setAllowance", {"person_id": ids[PEKKA], f"allowance_{ids[PEKKA]}": "90"})
    assert "0 / 90 min" in json.dumps(changed["value"], ensure_ascii=False)
    removed = await office.click(KAISA, "removeMentor", {"person_id": ids[VILLE]})
    assert "Ville Heikkinen" not in json.dumps(removed["value"], ensure_ascii=False)
    added = await office.click(KAISA, "addMentor", {"new_mentor": MAIJA})
    assert "Maija Virtanen" in json.dumps(added["value"], ensure_ascii=False)

    outside = await office.click(KAISA, "removeMentor", {"person_id": ids[OLLI]})
    assert outside["value"] == "Henkilö ei kuulu yksiköihin, joita koordinoit, joten en tehnyt muutoksia."
    forged = await office.click(SARI, "setAllowance", {"person_id": ids[SARI], f"allowance_{ids[SARI]}": "999"})
    assert forged["value"].startswith("Tämä komento on vain koordinaattori-roolille")
    await office.say(VILLE, "paikalla")
    assert office.texts(VILLE)[-1].startswith("Tämä komento on vain digimentori-roolille")

    async with database.transaction() as session:
        audit = [(a.actor, a.action) for a in (await session.scalars(select(AuditLog).order_by(AuditLog.id))).all()]
        pekka = await session.get(MentorProfile, ids[PEKKA])
    await database.dispose()
    assert audit == [(KAISA, "set_allowance"), (KAISA, "remove_mentor"), (KAISA, "add_mentor")]
    assert pekka.weekly_minutes == 90


async def _export_links(office: Office, person: str, argument: str) -> dict[str, str]:
    await office.say(person, f"vienti {argument}")
    card = office.connector.to(f"a:personal-{person}")[-1].cards[0]
    return {a["url"].rsplit(".", 1)[1]: a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl"}


async def test_export_files_open_and_match_the_database(scripted):
    import csv
    import io

    from openpyxl import load_workbook

    links = await _export_links(scripted, KAISA, "2026-10")
    assert set(links) == {"xlsx", "csv"}
    path = links["xlsx"].split("/", 3)[3]
    response = await scripted.bot.http.get("/" + path)
    assert response.status == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="digimentor-2026-10.xlsx"'
    book = load_workbook(io.BytesIO(await response.read()))
    requests = list(book["requests"].iter_rows(values_only=True))
    assert requests[0][:5] == ("request_id", "created_at (UTC)", "unit", "language", "state")
    assert [(r[2], r[4], r[7], r[9]) for r in requests[1:]] == [
        ("ward-3", "resolved", "Pekka Korhonen", 15), ("ward-3", "resolved", "Ville Heikkinen", 30),
        ("ward-3", "expired", None, None), ("sote", "cancelled", "Aino Mäkinen", None)]
    # Two ratings below the whole organisation: not shown one by one.
    assert {r[10] for r in requests[1:]} == {"alle 5 vastausta", None}
    times = list(book["time_entries"].iter_rows(values_only=True))[1:]
    assert sorted(t[4] for t in times) == [15, 30, 60]

    csv_response = await scripted.bot.http.get("/" + links["csv"].split("/", 3)[3])
    rows = list(csv.reader(io.StringIO((await csv_response.read()).decode("utf-8-sig"))))
    assert len(rows) == 5 and rows[1][4] == "resolved"


async def test_the_whole_organisation_export_shows_ratings_and_forged_links_get_404(scripted):
    from io import BytesIO

    from openpyxl import load_workbook

    links = await _export_links(scripted, ADMIN, "2026-10")
    response = await scripted.bot.http.get("/" + links["xlsx"].split("/", 3)[3])
    book = load_workbook(BytesIO(await response.read()))
    assert sorted(r[3] for r in list(book["feedback"].iter_rows(values_only=True))[1:]) == [3, 5]

    token, name = links["xlsx"].split("/exports/")[1].split("/")
    payload, mac = token.split(".")
    forged = await scripted.bot.http.get(f"/exports/{payload}x.{mac}/{name}")
    assert forged.status == 404
    assert (await forged.json())["error"].startswith("this download link is invalid or has expired")


def test_export_links_expire():
    from bot.export_links import ExportGrant, LinkSigner

    signer = LinkSigner(b"k" * 32)
    token = signer.sign(ExportGrant(1, ("sote",), "2026-10-01T00:00:00+03:00", "2026-11-01T00:00:00+02:00", "fi",
                                    expires=1000))
    assert signer.verify(token, now=999) is not None
    assert signer.verify(token, now=1001) is None
    assert LinkSigner(b"other" * 7).verify(token, now=999) is None
