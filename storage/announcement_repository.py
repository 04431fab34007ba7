"""Rollout announcements: stored with the mentors' deliveries and their outbox messages in one
transaction; fanned out to everyone in the target units on the start date, once.

Exactly once per person: each person has at most one delivery row per announcement (a unique
pair), and each delivery one outbox message, written in the transaction that creates the row. The
staff fan-out is claimed by a conditional update of `staff_released_at`, so two processes never
both fan out; the outbox then sends each message once (storage/outbox.py), a process that dies
mid-send leaves its unsent messages to the next one, and a delivery is marked in the same
transaction as its message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import (
    Announcement,
    AnnouncementDelivery,
    AnnouncementUnit,
    Person,
    PersonRole,
    Question,
)
from storage.outbox import Outgoing, enqueue


@dataclass(frozen=True)
class NewAnnouncement:
    created_by: int | None
    title: str
    text: str
    links: tuple[tuple[str, str], ...]
    faq_entry_ids: tuple[str, ...]
    units: tuple[str, ...]  # as chosen
    reached_units: frozenset[str]  # the chosen units and all below them
    starts_on: date
    ends_on: date | None
    window_starts_at: datetime
    window_ends_at: datetime
    staff_due_at: datetime
    dedupe_key: str


@dataclass(frozen=True)
class AnnouncementRecord:
    id: int
    created_by: int | None
    title: str
    text: str
    links: tuple[tuple[str, str], ...]
    faq_entry_ids: tuple[str, ...]
    units: tuple[str, ...]
    reached_units: frozenset[str]
    starts_on: date
    ends_on: date | None
    window_ends_at: datetime
    staff_due_at: datetime
    staff_released_at: datetime | None


@dataclass(frozen=True)
class DeliveryRecord:
    id: int
    announcement_id: int
    person_id: int
    audience: str  # mentor | staff
    language: str
    state: str
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class UnitCounts:
    """One unit's deliveries: of its mentors and of its staff."""

    unit_id: str | None
    mentors: int = 0
    mentors_delivered: int = 0
    acknowledged: int = 0
    staff: int = 0
    staff_delivered: int = 0
    unreachable: int = 0  # the app not installed, blocked, or given up on


async def _record(session, row: Announcement) -> AnnouncementRecord:
    reached = frozenset((await session.scalars(select(AnnouncementUnit.unit_id)
                                               .where(AnnouncementUnit.announcement_id == row.id))).all())
    return AnnouncementRecord(row.id, row.created_by, row.title, row.text,
                              tuple((link["title"], link["url"]) for link in row.links or []),
                              tuple(row.faq_entry_ids or ()), tuple(row.units or ()), reached, row.starts_on,
                              row.ends_on, row.window_ends_at, row.staff_due_at, row.staff_released_at)


def _language(languages: list | None, default: str) -> str:
    return (languages or [default])[0]


class AnnouncementRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(self, new: NewAnnouncement, default_language: str) -> tuple[AnnouncementRecord, bool, int]:
        """(the announcement, whether this call created it, how many mentors it went to). The
        target units' active mentors get their deliveries and outbox messages in the same
        transaction; a second call with the same dedupe key returns the first announcement."""
        now = self._database.now()
        try:
            async with self._database.transaction() as session:
                row = Announcement(
                    created_by=new.created_by, title=new.title, text=new.text,
                    links=[{"title": title, "url": url} for title, url in new.links],
                    faq_entry_ids=list(new.faq_entry_ids), units=list(new.units), starts_on=new.starts_on,
                    ends_on=new.ends_on, window_starts_at=new.window_starts_at, window_ends_at=new.window_ends_at,
                    staff_due_at=new.staff_due_at, dedupe_key=new.dedupe_key, created_at=now)
                session.add(row)
                await session.flush()
                await session.execute(AnnouncementUnit.__table__.insert(),
                                      [{"announcement_id": row.id, "unit_id": u} for u in sorted(new.reached_units)])
                mentors = (await session.execute(
                    select(Person.id, Person.aad_object_id, Person.unit_id, Person.languages)
                    .join(PersonRole, and_(PersonRole.person_id == Person.id, PersonRole.role == "mentor"))
                    .where(Person.active.is_(True), Person.unit_id.in_(sorted(new.reached_units)))
                    .order_by(Person.id))).all()
                await self._deliver(session, row.id, "mentor", mentors, default_language, now)
                return await _record(session, row), True, len(mentors)
        except IntegrityError:
            async with self._database.transaction() as session:
                row = await session.scalar(select(Announcement).where(Announcement.dedupe_key == new.dedupe_key))
                if row is None:
                    raise
                mentors = await session.scalar(select(func.count()).select_from(AnnouncementDelivery).where(
                    AnnouncementDelivery.announcement_id == row.id, AnnouncementDelivery.audience == "mentor"))
                return await _record(session, row), False, int(mentors)

    async def _deliver(self, session, announcement_id: int, audience: str, people, default_language: str,
                       now: datetime) -> int:
        """Delivery rows and their outbox messages, for people who have none for it yet."""
        if not people:
            return 0
        rows = [{"announcement_id": announcement_id, "person_id": person_id, "unit_id": unit_id,
                 "audience": audience, "language": _language(languages, default_language), "state": "pending",
                 "created_at": now} for person_id, _, unit_id, languages in people]
        # The unique pair is the last guard: a duplicate would roll the whole fan-out back,
        # its claim with it, and the next round would try again.
        inserted = (await session.execute(
            AnnouncementDelivery.__table__.insert().returning(
                AnnouncementDelivery.id, AnnouncementDelivery.person_id, sort_by_parameter_order=True),
            rows)).all()
        recipients = {person_id: aad for person_id, aad, _, _ in people}
        await enqueue(session, [Outgoing(recipients[person_id], "announcement", announcement_delivery_id=delivery_id)
                                for delivery_id, person_id in inserted], now)
        return len(inserted)

    async def release_due(self, default_language: str) -> list[tuple[int, int]]:
        """Fans out every announcement whose start has come: (announcement id, people reached)
        for each this call claimed. Everyone active in its units gets a delivery and a message,
        in the transaction that claims it; those who have one already (the mentors) are skipped."""
        now = self._database.now()
        async with self._database.transaction() as session:
            due = (await session.scalars(select(Announcement.id).where(
                Announcement.staff_due_at <= now, Announcement.staff_released_at.is_(None))
                .order_by(Announcement.id))).all()
        released = []
        for announcement_id in due:
            async with self._database.transaction() as session:
                claimed = await session.execute(update(Announcement).where(
                    Announcement.id == announcement_id, Announcement.staff_released_at.is_(None))
                    .values(staff_released_at=now))
                if not claimed.rowcount:
                    continue  # another process has it
                already = select(AnnouncementDelivery.person_id).where(
                    AnnouncementDelivery.announcement_id == announcement_id)
                staff = (await session.execute(
                    select(Person.id, Person.aad_object_id, Person.unit_id, Person.languages)
                    .join(AnnouncementUnit, and_(AnnouncementUnit.unit_id == Person.unit_id,
                                                 AnnouncementUnit.announcement_id == announcement_id))
                    .where(Person.active.is_(True), Person.id.not_in(already)).order_by(Person.id))).all()
                released.append((announcement_id,
                                 await self._deliver(session, announcement_id, "staff", staff, default_language, now)))
        return released

    async def get(self, announcement_id: int) -> AnnouncementRecord | None:
        async with self._database.transaction() as session:
            row = await session.get(Announcement, announcement_id)
            return await _record(session, row) if row is not None else None

    async def recent(self, limit: int = 5) -> list[AnnouncementRecord]:
        async with self._database.transaction() as session:
            rows = (await session.scalars(select(Announcement).order_by(Announcement.id.desc()).limit(limit))).all()
            return [await _record(session, row) for row in rows]

    async def delivery(self, delivery_id: int) -> DeliveryRecord | None:
        async with self._database.transaction() as session:
            row = await session.get(AnnouncementDelivery, delivery_id)
        return DeliveryRecord(row.id, row.announcement_id, row.person_id, row.audience, row.language, row.state,
                              row.acknowledged_at) if row else None

    async def delivery_to(self, announcement_id: int, person_id: int | None) -> DeliveryRecord | None:
        async with self._database.transaction() as session:
            row = await session.scalar(select(AnnouncementDelivery).where(
                AnnouncementDelivery.announcement_id == announcement_id, AnnouncementDelivery.person_id == person_id))
        return DeliveryRecord(row.id, row.announcement_id, row.person_id, row.audience, row.language, row.state,
                              row.acknowledged_at) if row else None

    async def acknowledge(self, announcement_id: int, person_id: int) -> bool:
        """True when this click acknowledged it; False when it already was (a repeated click)."""
        async with self._database.transaction() as session:
            result = await session.execute(update(AnnouncementDelivery).where(
                AnnouncementDelivery.announcement_id == announcement_id, AnnouncementDelivery.person_id == person_id,
                AnnouncementDelivery.audience == "mentor", AnnouncementDelivery.acknowledged_at.is_(None))
                .values(acknowledged_at=self._database.now()))
        return bool(result.rowcount)

    async def counts(self, announcement_id: int) -> list[UnitCounts]:
        """Deliveries and acknowledgements per unit."""
        d = AnnouncementDelivery

        def total(condition):
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        mentor, staff = d.audience == "mentor", d.audience == "staff"
        query = (select(d.unit_id, total(mentor), total(and_(mentor, d.state == "sent")),
                        total(d.acknowledged_at.is_not(None)), total(staff), total(and_(staff, d.state == "sent")),
                        total(d.state.in_(["unreachable", "failed", "skipped"])))
                 .where(d.announcement_id == announcement_id).group_by(d.unit_id).order_by(d.unit_id))
        async with self._database.transaction() as session:
            rows = (await session.execute(query)).all()
        return [UnitCounts(unit_id, *(int(value) for value in values)) for unit_id, *values in rows]

    async def questions_asked(self, announcement_id: int) -> int:
        async with self._database.transaction() as session:
            return int(await session.scalar(select(func.count()).select_from(Question)
                                            .where(Question.announcement_id == announcement_id)))

    async def rollout_windows(self, unit_id: str) -> list[tuple[int, datetime, datetime]]:
        """(announcement id, window start, window end) of every rollout reaching the unit."""
        async with self._database.transaction() as session:
            rows = (await session.execute(
                select(Announcement.id, Announcement.window_starts_at, Announcement.window_ends_at)
                .join(AnnouncementUnit, AnnouncementUnit.announcement_id == Announcement.id)
                .where(AnnouncementUnit.unit_id == unit_id))).all()
        return [tuple(row) for row in rows]
