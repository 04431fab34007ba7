"""Who gets the weekly digest, and the claim that sends it once per person and week."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import DigestSent, OpenHelper, Person, PersonRole
from storage.outbox import Outgoing, enqueue


class DigestRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def recipients(self) -> list[tuple[str, str]]:
        """(aad id, kind) of active coordinators and admins, then mentors, then open helpers
        (their thanks); one kind per person."""
        async with self._database.transaction() as session:
            rows = (await session.execute(
                select(Person.aad_object_id, PersonRole.role).join(PersonRole, PersonRole.person_id == Person.id)
                .where(Person.active.is_(True), PersonRole.role.in_(["coordinator", "admin", "mentor"]))
                .order_by(Person.id)
            )).all()
            helpers = (await session.scalars(
                select(Person.aad_object_id).join(OpenHelper, OpenHelper.person_id == Person.id)
                .where(Person.active.is_(True), OpenHelper.state == "active").order_by(Person.id))).all()
        kinds: dict[str, str] = {}
        for aad, role in rows:
            kind = "mentor" if role == "mentor" else "coordinator"
            if kinds.get(aad) != "coordinator":
                kinds[aad] = kind
        for aad in helpers:
            kinds.setdefault(aad, "helper")
        return list(kinds.items())

    async def sent(self, person_id: int, week: str) -> bool:
        """The person's digest for the week is already on its way."""
        async with self._database.transaction() as session:
            return await session.get(DigestSent, (person_id, week)) is not None

    async def claim(self, person_id: int, week: str, kind: str, messages: Sequence[Outgoing]) -> bool:
        """Claims the person's digest for the week and stores its messages in the outbox,
        together: it goes out once, however many processes try, and is retried until delivered."""
        try:
            async with self._database.transaction() as session:
                session.add(DigestSent(person_id=person_id, week=week, kind=kind, sent_at=self._database.now()))
                await session.flush()
                await enqueue(session, messages, self._database.now())
        except IntegrityError:
            return False
        return True
