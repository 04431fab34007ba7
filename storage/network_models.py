"""The mentor network's tables: which units have a digimentor (and the history of it), and the
rollout announcements with their deliveries, one per person. Part of storage/models.py's
metadata (it imports this module), kept apart to keep each module readable."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UtcDateTime


class UnitCoverage(Base):
    """Whether a unit has an active named digimentor now, and since when. Kept in step with the
    directory in the transaction of every change that can take a unit's last mentor
    (storage/coverage_repository.py); the conditional update on it decides the one loss."""

    __tablename__ = "unit_coverage"

    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    # None: no active mentor now.
    covered_since: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CoverageChange(Base):
    """A unit gaining its first or losing its last active mentor: the coverage history the
    impact report reads, and, for a loss, the alert to its coordinators, sent once."""

    __tablename__ = "coverage_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    covered: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    # A loss waits for its alert while this is None; a gain, or a unit closed, is born done.
    alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_coverage_changes_unit_at", "unit_id", "at"),)


class Announcement(Base):
    """A rollout a coordinator announces: the target units' mentors get it at once, everyone in
    them on the start date (announcement_deliveries, one row per person)."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    links: Mapped[list] = mapped_column(JSON, default=list)  # [{title, url}], at most three
    faq_entry_ids: Mapped[list] = mapped_column(JSON, default=list)  # attached FAQ entries
    units: Mapped[list] = mapped_column(JSON, default=list)  # the units chosen (announcement_units: all below)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # The rollout window questions are tagged in: the start date to the end date (or four weeks).
    window_starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    window_ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Staff get it at the start of working hours on the start date; set once it was fanned out.
    staff_due_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    staff_released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The form's id (or the content's digest): a second click on the same form is the same one.
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AnnouncementUnit(Base):
    """Every unit an announcement reaches: those chosen and all below them."""

    __tablename__ = "announcement_units"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE", name="fk_announcement_units_announcement"),
        primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)


class AnnouncementDelivery(Base):
    """An announcement to one person, at most once (the unique pair): a mentor's at once, with
    Acknowledge, or a staff member's on the start date. Kept for the counts per unit."""

    __tablename__ = "announcement_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE", name="fk_announcement_deliveries_announcement"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[str | None] = mapped_column(String(100))  # the person's unit when it was sent
    audience: Mapped[str] = mapped_column(String(10))  # mentor | staff
    language: Mapped[str] = mapped_column(String(2))
    # pending | sent | unreachable | failed | skipped
    state: Mapped[str] = mapped_column(String(20), default="pending")
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("announcement_id", "person_id", name="uq_announcement_deliveries_person"),
        Index("ix_announcement_deliveries_announcement_unit", "announcement_id", "unit_id"),
    )
