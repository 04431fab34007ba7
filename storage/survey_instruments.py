"""Survey instruments, one row per version, as validated by dialogs/rules/survey_file.py.

A version that a round has used is fixed: the round's answers and results mean what that
version asked. A changed instrument is imported under a new version instead."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from storage.audit_repository import CLI_ACTOR, add_entry
from storage.db import Database
from storage.survey_models import SurveyInstrument, SurveyRound

# The instrument shipped with the product: what a round uses until an admin imports another.
SHIPPED_INSTRUMENT = Path(__file__).with_name("seed") / "survey.yaml"


@dataclass(frozen=True)
class StoredInstrument:
    id: str
    version: int
    definition: dict


class InstrumentInUse(Exception):
    def __init__(self, instrument_id: str, version: int, round_ids: list[int]) -> None:
        self.instrument_id, self.version, self.round_ids = instrument_id, version, round_ids
        super().__init__(f"{instrument_id} version {version} is used by round(s) {', '.join(map(str, round_ids))}")


class SurveyInstrumentRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def store(self, instrument_id: str, version: int, definition: dict, *, actor: str = CLI_ACTOR) -> str:
        """"created", "updated" or "unchanged"; InstrumentInUse when the version differs from the
        stored one and a round already used it. Audited in the same transaction."""
        async with self._database.transaction() as session:
            row = await session.get(SurveyInstrument, (instrument_id, version))
            if row is not None and row.definition == definition:
                return "unchanged"
            if row is not None:
                used = (await session.scalars(select(SurveyRound.id).where(
                    SurveyRound.instrument_id == instrument_id, SurveyRound.instrument_version == version)
                    .order_by(SurveyRound.id))).all()
                if used:
                    raise InstrumentInUse(instrument_id, version, list(used))
                row.definition, row.imported_at, outcome = definition, self._database.now(), "updated"
            else:
                session.add(SurveyInstrument(id=instrument_id, version=version, definition=definition,
                                             imported_at=self._database.now()))
                outcome = "created"
            add_entry(session, self._database, actor=actor, action="survey_imported", instrument=instrument_id,
                      version=version, outcome=outcome)
        return outcome

    async def store_if_missing(self, instrument_id: str, version: int, definition: dict, *, actor: str) -> bool:
        """Stores the version unless it is there (two rounds starting at once store it once)."""
        async with self._database.transaction() as session:
            added = await session.execute(self._database.insert(SurveyInstrument).values(
                id=instrument_id, version=version, definition=definition, imported_at=self._database.now())
                .on_conflict_do_nothing())
            if added.rowcount:
                add_entry(session, self._database, actor=actor, action="survey_imported", instrument=instrument_id,
                          version=version, outcome="created")
        return bool(added.rowcount)

    async def get(self, instrument_id: str, version: int | None = None) -> StoredInstrument | None:
        """That version, or the newest version of the instrument."""
        query = select(SurveyInstrument).where(SurveyInstrument.id == instrument_id)
        query = query.where(SurveyInstrument.version == version) if version is not None else \
            query.order_by(SurveyInstrument.version.desc()).limit(1)
        async with self._database.transaction() as session:
            row = await session.scalar(query)
        return StoredInstrument(row.id, row.version, row.definition) if row else None

    async def newest_versions(self) -> list[StoredInstrument]:
        """The newest version of each instrument, the most recently imported first: what a new
        round may use, and its default."""
        newest = (select(SurveyInstrument.id, func.max(SurveyInstrument.version).label("version"))
                  .group_by(SurveyInstrument.id).subquery())
        query = (select(SurveyInstrument).join(newest, (SurveyInstrument.id == newest.c.id)
                                               & (SurveyInstrument.version == newest.c.version))
                 .order_by(SurveyInstrument.imported_at.desc(), SurveyInstrument.id))
        async with self._database.transaction() as session:
            rows = (await session.scalars(query)).all()
        return [StoredInstrument(row.id, row.version, row.definition) for row in rows]
