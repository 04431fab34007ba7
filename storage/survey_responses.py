"""A respondent's own rows: their response to a round (with where their answering dialog stands),
their answers, and the mentors they booked from their profile. Nothing here is ever shown to
anyone but the respondent (and, on request, to the data-protection officer: storage/person_export.py).

A save is one transaction that checks the round is still open (on PostgreSQL holding the round
FOR SHARE, so that a close waits for it), moves the dialog with a conditional UPDATE on the
revision the respondent's card was made from, and replaces the area's answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update

from storage.audit_repository import add_entry
from storage.db import Database
from storage.survey_models import SurveyAnswer, SurveyBooking, SurveyResponse, SurveyRound
from storage.survey_rounds import RoundRecord, round_record


class RoundClosed(Exception):
    pass


class StaleRevision(Exception):
    """The response changed since the card was made (another card, another device, a double click)."""


@dataclass(frozen=True)
class ResponseRecord:
    id: int
    round_id: int
    person_id: int | None
    unit_id: str
    staff_group: str
    position: int
    saved_areas: tuple[str, ...]
    revision: int
    answered_at: datetime | None
    finished_at: datetime | None


def _record(row: SurveyResponse) -> ResponseRecord:
    return ResponseRecord(row.id, row.round_id, row.person_id, row.unit_id, row.staff_group, row.position,
                          tuple(row.saved_areas or ()), row.revision, row.answered_at, row.finished_at)


class SurveyResponseRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def of(self, round_id: int, person_id: int) -> tuple[RoundRecord, ResponseRecord] | None:
        """The round and the person's response to it; None when they were not invited."""
        async with self._database.transaction() as session:
            found = (await session.execute(
                select(SurveyRound, SurveyResponse).join(SurveyResponse, SurveyResponse.round_id == SurveyRound.id)
                .where(SurveyRound.id == round_id, SurveyResponse.person_id == person_id))).first()
        return (round_record(found[0]), _record(found[1])) if found else None

    async def open_for(self, person_id: int) -> list[tuple[RoundRecord, ResponseRecord]]:
        """The open rounds the person was invited to, newest first."""
        now = self._database.now()
        async with self._database.transaction() as session:
            rows = (await session.execute(
                select(SurveyRound, SurveyResponse).join(SurveyResponse, SurveyResponse.round_id == SurveyRound.id)
                .where(SurveyResponse.person_id == person_id, SurveyRound.closed_at.is_(None),
                       SurveyRound.closes_at > now).order_by(SurveyRound.id.desc()))).all()
        return [(round_record(r), _record(s)) for r, s in rows]

    async def answers(self, response_id: int) -> dict[str, int]:
        async with self._database.transaction() as session:
            rows = (await session.execute(select(SurveyAnswer.item_id, SurveyAnswer.value)
                                          .where(SurveyAnswer.response_id == response_id))).all()
        return dict(rows)

    async def save(self, response: ResponseRecord, *, area_id: str, answers: Mapping[str, int | None],
                   position: int, saved_areas: tuple[str, ...], reached_end: bool) -> ResponseRecord:
        """Saves the area's answers (None: left unanswered) and moves the dialog, if the round is
        open and the response is still at `response.revision`: else RoundClosed or StaleRevision,
        and nothing changes."""
        now = self._database.now()
        async with self._database.transaction() as session:
            await self._check_open(session, response.round_id, now)
            row = await self._move(session, response, position=position, saved_areas=saved_areas, now=now,
                                   answered=any(value is not None for value in answers.values()),
                                   reached_end=reached_end)
            await session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id == response.id,
                                                             SurveyAnswer.area_id == area_id))
            given = [{"response_id": response.id, "item_id": item, "area_id": area_id, "value": value, "saved_at": now}
                     for item, value in answers.items() if value is not None]
            if given:
                await session.execute(insert(SurveyAnswer), given)
        return row

    async def move(self, response: ResponseRecord, position: int) -> ResponseRecord:
        """Resumes at another area (nothing saved); RoundClosed or StaleRevision as for save."""
        now = self._database.now()
        async with self._database.transaction() as session:
            await self._check_open(session, response.round_id, now)
            return await self._move(session, response, position=position, saved_areas=response.saved_areas,
                                    now=now, answered=False, reached_end=False)

    async def _check_open(self, session, round_id: int, now: datetime) -> None:
        query = select(SurveyRound.closed_at, SurveyRound.closes_at).where(SurveyRound.id == round_id)
        if self._database.dialect == "postgresql":
            query = query.with_for_update(read=True)
        found = (await session.execute(query)).first()
        if found is None or found.closed_at is not None or found.closes_at <= now:
            raise RoundClosed(round_id)

    async def _move(self, session, response: ResponseRecord, *, position: int, saved_areas: tuple[str, ...],
                    now: datetime, answered: bool, reached_end: bool) -> ResponseRecord:
        values: dict = {"position": position, "saved_areas": list(saved_areas), "revision": SurveyResponse.revision + 1,
                        "updated_at": now}
        if answered:
            values["answered_at"] = func.coalesce(SurveyResponse.answered_at, now)
        if reached_end:
            values["finished_at"] = func.coalesce(SurveyResponse.finished_at, now)
        moved = await session.execute(
            update(SurveyResponse).where(SurveyResponse.id == response.id,
                                         SurveyResponse.revision == response.revision)
            .values(values).returning(SurveyResponse.revision, SurveyResponse.answered_at,
                                      SurveyResponse.finished_at))
        found = moved.first()
        if found is None:
            raise StaleRevision(response.id)
        return ResponseRecord(response.id, response.round_id, response.person_id, response.unit_id,
                              response.staff_group, position, tuple(saved_areas), found.revision,
                              found.answered_at, found.finished_at)

    async def book(self, response_id: int, area_id: str) -> tuple[bool, int | None]:
        """(booked now, the booking's question): a booking is made once per area, however often
        "book a mentor" is clicked; the question is named once the hand-off has it."""
        async with self._database.transaction() as session:
            made = await session.execute(self._database.insert(SurveyBooking).values(
                response_id=response_id, area_id=area_id, question_id=None, booked_at=self._database.now())
                .on_conflict_do_nothing())
            if made.rowcount:
                return True, None
            return False, await session.scalar(select(SurveyBooking.question_id).where(
                SurveyBooking.response_id == response_id, SurveyBooking.area_id == area_id))

    async def booked(self, response_id: int, area_id: str, question_id: int) -> None:
        async with self._database.transaction() as session:
            await session.execute(update(SurveyBooking).where(
                SurveyBooking.response_id == response_id, SurveyBooking.area_id == area_id)
                .values(question_id=question_id))

    async def booked_areas(self, response_id: int) -> set[str]:
        async with self._database.transaction() as session:
            return set((await session.scalars(select(SurveyBooking.area_id)
                                              .where(SurveyBooking.response_id == response_id))).all())

    async def import_paper(self, round_id: int, forms: list[tuple[str, str, str, dict[str, tuple[str, int]]]],
                           *, areas_of_group: dict[str, int], actor: str) -> tuple[int, int]:
        """Paper forms (form number, unit, staff group, item -> (area, value)) as responses of
        the round, in one transaction while it is open: (created, replaced). A form number
        imported before has its answers replaced. Audited with counts only."""
        now = self._database.now()
        created = replaced = 0
        async with self._database.transaction() as session:
            await self._check_open(session, round_id, now)
            for form, unit_id, group, answers in forms:
                existing = await session.scalar(select(SurveyResponse.id).where(
                    SurveyResponse.round_id == round_id, SurveyResponse.paper_form == form))
                saved = sorted({area for area, _ in answers.values()})
                values = {"unit_id": unit_id, "staff_group": group, "position": areas_of_group[group],
                          "saved_areas": saved, "answered_at": now, "finished_at": now, "updated_at": now}
                if existing is None:
                    response_id = await session.scalar(insert(SurveyResponse).values(
                        round_id=round_id, person_id=None, paper_form=form, revision=0, **values)
                        .returning(SurveyResponse.id))
                    created += 1
                else:
                    response_id = existing
                    await session.execute(update(SurveyResponse).where(SurveyResponse.id == existing).values(
                        revision=SurveyResponse.revision + 1, **values))
                    await session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id == existing))
                    replaced += 1
                await session.execute(insert(SurveyAnswer), [
                    {"response_id": response_id, "item_id": item, "area_id": area, "value": value, "saved_at": now}
                    for item, (area, value) in answers.items()])
            add_entry(session, self._database, actor=actor, action="survey_paper_answers", round=round_id,
                      created=created, replaced=replaced)
        return created, replaced
