"""Reading a closed round's results (written by storage/survey_rounds.py when it closed).

Every figure is summed over reported figures ("homes", dialogs/rules/survey_privacy.py): a
scope's figure counts the units whose respondents are reported in a unit of that scope, and
never a respondent whom the round counted nowhere. Answers of single people are never read here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import and_, func, select

from storage.db import Database
from storage.survey_models import SurveyResultArea, SurveyResultItem, SurveyResultUnit

COUNT_COLUMNS = ("n0", "n1", "n2", "n3", "n4", "n5")


@dataclass(frozen=True)
class Counts:
    """One reported figure (or a sum of them) for one area or item."""

    key: str  # the area id (or item id)
    respondents: int
    answers: tuple[int, int, int, int, int, int]  # "can't say", then 1-5
    home: str | None = None  # the reporting unit, when listed by unit
    group: str | None = None  # the staff group, when listed by group


@dataclass(frozen=True)
class Turnout:
    unit_id: str
    staff_group: str
    invited: int
    answered: int
    finished: int
    paper: int


def _sums(model) -> list:
    return [func.sum(getattr(model, column)) for column in COUNT_COLUMNS]


class SurveyResultRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    def _joined(self, round_id: int, homes: Collection[str] | None):
        a, i = SurveyResultArea, SurveyResultItem
        on = and_(i.round_id == a.round_id, i.unit_id == a.unit_id, i.staff_group == a.staff_group,
                  i.area_id == a.area_id)
        where = [a.round_id == round_id, a.home_unit_id.is_not(None)]
        if homes is not None:
            where.append(a.home_unit_id.in_(sorted(homes)))
        return on, where

    async def by_area(self, round_id: int, homes: Collection[str] | None, *, by_home: bool = False,
                      by_group: bool = False) -> list[Counts]:
        """Per area (and per reporting unit or staff group): respondents and answers, summed
        over the reported figures whose unit is in `homes` (None: all of them)."""
        a, i = SurveyResultArea, SurveyResultItem
        on, where = self._joined(round_id, homes)
        keys = [a.area_id] + ([a.home_unit_id] if by_home else []) + ([a.staff_group] if by_group else [])
        respondents = select(*keys, func.sum(a.respondents)).where(*where).group_by(*keys)
        answers = select(*keys, *_sums(i)).join(a, on).where(*where).group_by(*keys)
        async with self._database.transaction() as session:
            people = {tuple(row[:-1]): int(row[-1]) for row in (await session.execute(respondents)).all()}
            counted = {tuple(row[:len(keys)]): tuple(int(n or 0) for n in row[len(keys):])
                       for row in (await session.execute(answers)).all()}
        found = []
        for key, count in sorted(people.items(), key=lambda item: tuple(str(part) for part in item[0])):
            found.append(Counts(key[0], count, counted.get(key, (0,) * 6),
                                home=key[1] if by_home else None,
                                group=key[-1] if by_group else None))
        return found

    async def by_item(self, round_id: int, homes: Collection[str] | None) -> list[Counts]:
        """Per item, summed like by_area (respondents: those who answered the item)."""
        a, i = SurveyResultArea, SurveyResultItem
        on, where = self._joined(round_id, homes)
        async with self._database.transaction() as session:
            rows = (await session.execute(select(i.item_id, *_sums(i)).join(a, on).where(*where)
                                          .group_by(i.item_id).order_by(i.item_id))).all()
        return [Counts(row[0], sum(int(n or 0) for n in row[1:]), tuple(int(n or 0) for n in row[1:]))
                for row in rows]

    async def homes(self, round_id: int, units: Collection[str] | None = None) -> dict[tuple[str, str], str | None]:
        """(unit, area) -> where that unit's respondents are reported (None: nowhere)."""
        a = SurveyResultArea
        query = select(a.unit_id, a.area_id, a.home_unit_id).where(a.round_id == round_id).distinct()
        if units is not None:
            query = query.where(a.unit_id.in_(sorted(units)))
        async with self._database.transaction() as session:
            return {(unit, area): home for unit, area, home in (await session.execute(query)).all()}

    async def respondents(self, round_id: int, units: Collection[str] | None) -> dict[str, int]:
        """area -> respondents in these units, wherever they are reported: only to say whether a
        hidden figure had fewer than five, or was taken into a larger unit's."""
        a = SurveyResultArea
        query = select(a.area_id, func.sum(a.respondents)).where(a.round_id == round_id).group_by(a.area_id)
        if units is not None:
            query = query.where(a.unit_id.in_(sorted(units)))
        async with self._database.transaction() as session:
            return {area: int(count) for area, count in (await session.execute(query)).all()}

    async def turnout(self, round_id: int, units: Collection[str] | None = None) -> list[Turnout]:
        u = SurveyResultUnit
        query = select(u.unit_id, u.staff_group, u.invited, u.answered, u.finished, u.paper).where(
            u.round_id == round_id).order_by(u.unit_id, u.staff_group)
        if units is not None:
            query = query.where(u.unit_id.in_(sorted(units)))
        async with self._database.transaction() as session:
            return [Turnout(*row) for row in (await session.execute(query)).all()]
