"""Coordinator statistics and mentor hours through the HTTP endpoint, from a scripted month."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from cards.formatting import month_name, number, percent
from dialogs.clock import Clock
from dialogs.rules.faq_file import parse_faq_file
from dialogs.rules.limits import MAX_MINUTES_PER_ENTRY
from dialogs.rules.org_file import parse_organization_file
from storage.db import Database
from storage.faq_repository import FaqRepository
from storage.models import FaqFeedback, Feedback, HelpRequest, MentorTimeEntry, Person, Question, RequestEvent
from storage.organization_repository import import_organization
from tests.support.office import AINO, FI, KAISA, MAIJA, OLLI, ORG, PEKKA, SARI, VILLE, Office

ADMIN = "00000000-0000-0000-0000-0000000000c9"
HR_EMPLOYEE = "00000000-0000-0000-0000-0000000000a9"
ORG_WITH_ADMIN = ORG + f"""  - {{aad_object_id: {ADMIN}, name: Anna Admin, unit: hva, roles: [employee, admin]}}
  - {{aad_object_id: {HR_EMPLOYEE}, name: Heikki Henkilö, unit: hr}}
"""
FAQ = """
- {id: teams-link, topic: teams, fi: {question: Miten lisään Teams-linkin?, answer: "1. Avaa kutsu."}}
- {id: outlook-share, topic: outlook, fi: {question: Miten jaan kalenterin?, answer: "1. Valitse Jaa."}}
"""
OCT = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)   # a Monday in October
SEP = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)    # the previous month
OCTOBER, SEPTEMBER = month_name(date(2026, 10, 1), "fi"), month_name(date(2026, 9, 1), "fi")
COORDINATORS_ONLY = FI("reply.refused_role", role=FI("roles.coordinator"))


async def _script(database_url: str, clock: Clock) -> None:
    """October: 6 questions in sote units, 1 in hr; September: 3 in sote."""
    database = Database(database_url, clock=clock.now)
    await import_organization(database, parse_organization_file(ORG_WITH_ADMIN))
    await FaqRepository(database).import_entries(parse_faq_file(FAQ))
    async with database.transaction() as session:
        ids = {p.aad_object_id: p.id for p in (await session.scalars(select(Person))).all()}

        def question(at, unit, outcome, entry=None, asker=MAIJA):
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

        def request(q, state, created, accept_after=None, mentor=None, escalated=False):
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
async def scripted(bot, connector, database_url, clock) -> Office:
    await _script(database_url, clock)
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
    assert card["body"][0]["text"] == FI("stats.title", scope="Sote", period=OCTOBER)
    assert card["body"][1]["text"] == FI("stats.compared", previous=SEPTEMBER)
    facts = _facts(card)
    assert facts[FI("stats.questions")] == "6 (+3)"
    # q1, q3 (q2 was handed on)
    assert facts[FI("stats.answered_by_faq")] == f"2 ({percent(2 / 6, 'fi')}) (−1)"
    assert facts[FI("stats.helpful")] == "1 / 1"
    assert facts[FI("stats.handed")] == "4 (+4)"
    # 4 and 6 min within 10; 30 min not
    assert facts[FI("stats.accepted")] == FI("stats.accepted_value", count=3, share=percent(2 / 3, "fi")) + " (+3)"
    assert facts[FI("stats.time_to_accept")] == FI("stats.minutes_pair", p50=number(6.0, "fi"),
                                                   p90=number(30.0, "fi"))
    assert facts[FI("stats.resolved")] == "2 (+2)"
    assert facts[FI("stats.cancelled")] == "1 (+1)"
    assert facts[FI("stats.escalated")] == "2 (+2)"
    assert facts[FI("stats.unanswered")] == "1 (+1)"
    # 2 ratings below the whole organisation
    assert facts[FI("stats.satisfaction")] == FI("stats.fewer_than_five")
    assert FI("stats.distribution") not in facts
    assert facts[FI("stats.mentor_minutes")] == FI("units.minutes", minutes=105) + " (+105)"
    assert facts["Pekka Korhonen"] == FI("stats.minutes_of_allowance", minutes=75, allowance=531)
    assert facts["Ville Heikkinen"] == FI("stats.minutes_of_allowance", minutes=30, allowance=531)
    assert facts["teams"] == "3" and facts["outlook"] == "1"
    image = [b for b in card["body"] if b["type"] == "Image"][0]
    assert image["url"].startswith("data:image/png;base64,")
    assert image["altText"].startswith(FI("stats.chart_alt", period=OCTOBER, previous=SEPTEMBER))
    assert f"{FI('stats.questions')}: 6 (3)" in image["altText"]


async def test_the_whole_organisation_shows_satisfaction_and_counts_every_unit(scripted):
    card = await _stats(scripted, ADMIN, "2026-10")
    assert card["body"][0]["text"] == FI("stats.title", scope=FI("stats.whole_organisation"), period=OCTOBER)
    facts = _facts(card)
    assert facts[FI("stats.questions")] == "7 (+4)"
    assert facts[FI("stats.satisfaction")] == FI("stats.satisfaction_value", mean=number(4.0, "fi"), count=2)
    assert facts[FI("stats.distribution")] == "5: 1, 4: 0, 3: 1, 2: 0, 1: 0"


async def test_a_coordinator_sees_only_their_subtree(scripted):
    facts = _facts(await _stats(scripted, KAISA, "2026-10 ward-5"))
    assert facts[FI("stats.questions")] == "1 (+1)"  # ward-5 had no questions in September
    await scripted.say(KAISA, "tilastot 2026-10 hr")
    assert scripted.texts(KAISA)[-1] == FI("stats.not_in_scope", unit="hr")
    # Not a period and not a unit: a question that starts with the command word, for the FAQ.
    await scripted.say(KAISA, "tilastot eilen")
    assert scripted.cards(KAISA)[-1]["actions"][-1]["verb"] == "askMentor"
    await scripted.say(KAISA, "tilastot 2026-13")
    assert scripted.texts(KAISA)[-1] == FI("stats.bad_period", word="2026-13")


@pytest.mark.parametrize("person", [MAIJA, PEKKA])
async def test_employees_and_mentors_cannot_see_stats(scripted, person):
    await scripted.say(person, "tilastot")
    assert scripted.texts(person)[-1] == COORDINATORS_ONLY


async def test_log_and_my_hours_agree_with_resolved_requests(bot, connector, database_url):
    # Every timestamp, the logged minutes' included, comes from the one frozen clock: a working
    # Wednesday, whatever today's date is.
    office = await Office(bot, connector, database_url).setup()
    request_id = await office.ask_a_mentor()
    await office.click(PEKKA, "acceptRequest", {"request_id": request_id})
    await office.click(PEKKA, "resolveRequest", {"request_id": request_id, "minutes": "15"})
    await office.say(PEKKA, "kirjaa 30 tiimikoulutus, soita 040 123 4567")
    assert office.texts(PEKKA)[-1] == FI("hours.logged", minutes=30,
                                         note=f"tiimikoulutus, soita {FI('privacy.phone')}")
    await office.say(PEKKA, "kirjaa 900 koko päivän koulutus")
    assert office.texts(PEKKA)[-1] == FI("hours.log_usage", limit=MAX_MINUTES_PER_ENTRY)
    await office.say(PEKKA, "omat tunnit")
    card = office.cards(PEKKA)[-1]
    assert card["body"][0]["text"] == FI("hours.title")
    hours = _facts(card)
    assert hours[FI("hours.this_week")] == FI("hours.value", minutes=45, allowance=120)
    assert hours[FI("hours.on_requests")] == FI("units.minutes", minutes=15)
    assert hours[FI("hours.other")] == FI("units.minutes", minutes=30)
    assert json.dumps(card).count("data:image/png") == 1


async def test_gaps_group_similar_questions_and_offer_a_draft(bot, connector, database_url):
    office = await Office(bot, connector, database_url).setup()
    for text in ("missä näen työvuorolistan", "mistä löydän työvuorolistan", "työvuorolista ei näy",
                 "miten tilaan uuden kulkukortin"):
        await office.say(MAIJA, text)
    await office.say(KAISA, "aukot")
    card = office.cards(KAISA)[-1]
    assert card["body"][0]["text"] == FI("gaps.title", days=30)
    containers = [b for b in card["body"] if b["type"] == "Container"]
    assert len(containers) == 2
    first = containers[0]["items"]
    assert "työvuorolist" in first[0]["text"]
    assert first[1]["text"] == FI("gaps.counts", total=3, unanswered=3, not_helpful=0)
    draft = first[2]["actions"][0]
    assert (draft["verb"], draft["title"]) == ("draftFaq", FI("gaps.draft"))

    refused = await office.click(MAIJA, "draftFaq", draft["data"])
    assert refused["value"] == COORDINATORS_ONLY
    form = await office.click(KAISA, "draftFaq", draft["data"])
    values = {i["id"]: i.get("value") for i in form["value"]["body"] if i["type"].startswith("Input.")}
    assert "työvuorolist" in values["question"] and values["answer"] == ""


async def test_coordinator_manages_the_mentors_of_their_units_with_an_audit_trail(bot, connector, database_url):
    from storage.models import AuditLog, MentorProfile

    office = await Office(bot, connector, database_url).setup()
    await office.say(KAISA, "mentorit")
    card = office.cards(KAISA)[-1]
    listed = [c["items"][0]["text"] for c in card["body"] if c["type"] == "Container"]
    assert [name.split("**")[1] for name in listed] == ["Aino Mäkinen", "Pekka Korhonen", "Sari Lehto",
                                                         "Ville Heikkinen"]  # Olli (hr) is not Kaisa's
    database = office.database()
    async with database.transaction() as session:
        ids = {p.aad_object_id: p.id for p in (await session.scalars(select(Person))).all()}

    changed = await office.click(KAISA, "setAllowance", {"person_id": ids[PEKKA], f"allowance_{ids[PEKKA]}": "90"})
    assert FI("stats.minutes_of_allowance", minutes=0, allowance=90) in json.dumps(changed["value"],
                                                                                  ensure_ascii=False)
    removed = await office.click(KAISA, "removeMentor", {"person_id": ids[VILLE]})
    assert "Ville Heikkinen" not in json.dumps(removed["value"], ensure_ascii=False)
    added = await office.click(KAISA, "addMentor", {"new_mentor": MAIJA})
    assert "Maija Virtanen" in json.dumps(added["value"], ensure_ascii=False)

    outside = await office.click(KAISA, "removeMentor", {"person_id": ids[OLLI]})
    assert outside["value"] == FI("mentors.not_in_scope")
    forged = await office.click(SARI, "setAllowance", {"person_id": ids[SARI], f"allowance_{ids[SARI]}": "999"})
    assert forged["value"] == COORDINATORS_ONLY
    await office.say(VILLE, "paikalla")
    assert office.texts(VILLE)[-1] == FI("reply.refused_role", role=FI("roles.mentor"))

    async with database.transaction() as session:
        audit = [(a.actor, a.action, a.person_id)
                 for a in (await session.scalars(select(AuditLog).order_by(AuditLog.id))).all() if a.actor == KAISA]
        pekka = await session.get(MentorProfile, ids[PEKKA])
    await database.dispose()
    assert audit == [(KAISA, "set_allowance", ids[PEKKA]), (KAISA, "remove_mentor", ids[VILLE]),
                     (KAISA, "add_mentor", ids[MAIJA])]
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
    requests = list(book[FI("export.sheets.requests")].iter_rows(values_only=True))
    assert requests[0][:5] == (FI("export.columns.request_id"),
                               FI("export.utc", column=FI("export.columns.created_at")),
                               FI("export.columns.unit"), FI("export.columns.language"), FI("export.columns.state"))
    assert [(r[2], r[4], r[7], r[9]) for r in requests[1:]] == [
        ("ward-3", "resolved", "Pekka Korhonen", 15), ("ward-3", "resolved", "Ville Heikkinen", 30),
        ("ward-3", "expired", None, None), ("sote", "cancelled", "Aino Mäkinen", None)]
    # Two ratings below the whole organisation: not shown one by one.
    assert {r[10] for r in requests[1:]} == {FI("stats.fewer_than_five"), None}
    times = list(book[FI("export.sheets.time_entries")].iter_rows(values_only=True))[1:]
    assert sorted(t[4] for t in times) == [15, 30, 60]

    csv_response = await scripted.bot.http.get("/" + links["csv"].split("/", 3)[3])
    rows = list(csv.reader(io.StringIO((await csv_response.read()).decode("utf-8-sig"))))
    assert rows[0] == list(requests[0])
    assert len(rows) == 5 and rows[1][4] == "resolved"


async def test_the_whole_organisation_export_shows_ratings_and_forged_links_get_404(scripted):
    from io import BytesIO

    from openpyxl import load_workbook

    links = await _export_links(scripted, ADMIN, "2026-10")
    response = await scripted.bot.http.get("/" + links["xlsx"].split("/", 3)[3])
    book = load_workbook(BytesIO(await response.read()))
    feedback = list(book[FI("export.sheets.feedback")].iter_rows(values_only=True))
    assert feedback[0][3] == FI("export.columns.rating")
    assert sorted(r[3] for r in feedback[1:]) == [3, 5]

    token, name = links["xlsx"].split("/exports/")[1].split("/")
    payload, mac = token.split(".")
    forged = await scripted.bot.http.get(f"/exports/{payload}x.{mac}/{name}")
    assert forged.status == 404
    assert await forged.text() == FI("export.link_expired")


def test_export_links_expire():
    from dialogs.rules.signed_links import ExportGrant, LinkSigner

    signer = LinkSigner(b"k" * 32)
    token = signer.sign(ExportGrant(1, ("sote",), "2026-10-01T00:00:00+03:00", "2026-11-01T00:00:00+02:00", "fi",
                                    expires=1000))
    assert signer.verify(token, now=999) is not None
    assert signer.verify(token, now=1001) is None
    assert LinkSigner(b"other" * 7).verify(token, now=999) is None
