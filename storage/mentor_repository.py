"""A mentor's own settings: on duty or away."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from storage.db import Database
from storage.models import MentorProfile


class MentorRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def set_duty(self, person_id: int, available: bool, away_until: datetime | None = None) -> bool:
        """False when the person has no mentor profile."""
        values = {"status": "available" if available else "away", "away_until": None if available else away_until}
        if available:
            # Saying "available" also means "you can reach me again".
            values["reachable"] = True
        async with self._database.transaction() as session:
            result = await session.execute(update(MentorProfile).where(MentorProfile.person_id == person_id)
                                           .values(**values))
        return result.rowcount == 1
