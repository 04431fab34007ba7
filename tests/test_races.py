"""Two people doing the same thing at the same moment: the database decides, the loser gets a
polite answer (never an apology and a 500), and nothing is written twice.

Each race is run many times over, because a check-then-insert only loses now and then."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from storage.models import AuditLog, PersonRole, RequestOffer
from storage.question_repository import QuestionRepository
from storage.request_repository import RequestRepository
from tests.support.office import AINO, KAISA, MAIJA, PEKKA, Office, body_text

ROUNDS = 10
CARD = "application/vnd.microsoft.card.adaptive"


@pytest.fixture
async def office_db(bot, connector, database_url, database):
    return await Office(bot, connector, database_url).setup(), database


async def test_the_same_mentor_offered_by_two_rounds_at_once_is_offered_once(office_db):
    office, database = office_db
    requests, questions = RequestRepository(database), QuestionRepository(database)
    for _ in range(ROUNDS):
        question_id = await questions.record(
            asker_aad_object_id=MAIJA, asker_person_id=1, unit_id="ward-3", text="apua", language="fi",
            outcome="none", faq_entry_id=None, score=None, shown_entry_ids=[], masked_items=0)
        request, _ = await requests.create(question_id=question_id, asker_person_id=1, asker_aad_object_id=MAIJA,
                                           unit_id="ward-3", language="fi", topic=None)
        first, second = await asyncio.gather(requests.add_offers(request.id, 0, [2, 3]),
                                             requests.add_offers(request.id, 0, [3, 2]))
        # Between them, each mentor was newly offered exactly once.
        assert sorted(first + second) == [2, 3]
        async with database.transaction() as session:
            offered = (await session.scalars(select(RequestOffer.mentor_id)
                                             .where(RequestOffer.request_id == request.id))).all()
        assert sorted(offered) == [2, 3]


async def test_two_coordinators_adding_the_same_mentor_at_once_both_get_the_mentors_card(office_db):
    office, database = office_db
    for _ in range(ROUNDS // 2):
        add, again = await asyncio.gather(office.click(KAISA, "addMentor", {"new_mentor": MAIJA}),
                                          office.click(KAISA, "addMentor", {"new_mentor": MAIJA}))
        for reply in (add, again):
            assert reply["type"] == CARD and "Maija Virtanen" in body_text(reply["value"])
        remove = [a for c in add["value"]["body"] if c.get("type") == "Container" and "Maija" in body_text(c)
                  for item in c["items"] if item.get("type") == "ActionSet"
                  for a in item["actions"] if a["verb"] == "removeMentor"][0]
        first, second = await asyncio.gather(office.click(KAISA, "removeMentor", remove["data"]),
                                             office.click(KAISA, "removeMentor", remove["data"]))
        assert first["type"] == second["type"] == CARD
    async with database.transaction() as session:
        roles = (await session.scalars(select(PersonRole.role).where(PersonRole.role == "mentor"))).all()
        audit = (await session.scalars(select(AuditLog.action))).all()
    # Each round added once and removed once, whoever clicked first.
    assert audit.count("add_mentor") == audit.count("remove_mentor") == ROUNDS // 2
    assert len(roles) == 5  # the office's five named mentors, Maija no longer among them


async def test_two_accepts_of_one_offer_from_the_same_mentor_show_one_working_card(office_db):
    office, _ = office_db
    request_id = await office.ask_a_mentor()
    replies = await asyncio.gather(*(office.click(PEKKA, "acceptRequest", {"request_id": request_id})
                                     for _ in range(5)))
    assert all("resolveRequest" in body_text(r["value"]) for r in replies)
    # The other mentor's card says the question is taken; nobody else was offered it.
    assert office.cards(AINO) == []
