"""Help beyond single questions: team sessions with a digitutor, peer-mentoring agreements and
the open helpers ("anyone who knows helps"). Part of storage/models.py's metadata (it imports
this module), kept apart to keep each module readable."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UtcDateTime


class TeamSession(Base):
    """A team's booking of a digitutor. It is a help request of kind "session", offered, accepted
    and resolved through the same rows and conditional updates as a question; this row holds
    what the booker asked for and what the mentor chose."""

    __tablename__ = "team_sessions"

    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"), primary_key=True)
    # The booking form and its content: the same form sent twice books once.
    booking_key: Mapped[str] = mapped_column(String(64), unique=True)
    topic: Mapped[str] = mapped_column(String(200))  # as the booker wrote it, masked
    slots: Mapped[list] = mapped_column(JSON, default=list)  # the preferred starts, ISO UTC
    headcount: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)  # masked
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    chosen_slot: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The reminder to both sides one working day before; claimed once by setting reminded_at.
    remind_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The Teams meeting through Graph: none (no Graph) | wanted | created | failed.
    meeting_state: Mapped[str] = mapped_column(String(20), default="none", index=True)
    meeting_url: Mapped[str | None] = mapped_column(String(2000))
    meeting_attempts: Mapped[int] = mapped_column(Integer, default=0)
    meeting_lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    participants: Mapped[int | None] = mapped_column(Integer)  # as the mentor recorded it

    __table_args__ = (CheckConstraint("headcount BETWEEN 1 AND 500", name="sane_headcount"),)


class SessionParticipant(Base):
    """Someone the booker named for a session: they get the one-question feedback card."""

    __tablename__ = "session_participants"

    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)

    __table_args__ = (CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),)


class Agreement(Base):
    """A peer-mentoring agreement between a mentor and a mentee (a person, or a team: a unit,
    answered for by its supervisor or coordinator). It starts only when the mentee accepts."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The form and its content: the same form sent twice makes one agreement.
    creation_key: Mapped[str] = mapped_column(String(64), unique=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    mentee_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    mentee_unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"))
    # Who accepted or declined it for the mentee side (the mentee, or a team's supervisor).
    mentee_contact_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    topic: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)
    planned_meetings: Mapped[int] = mapped_column(Integer)
    minutes_per_meeting: Mapped[int] = mapped_column(Integer)
    # proposed | active | declined | closed (dialogs.rules.agreements)
    state: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # Planned meetings whose due date has been reminded of (when nothing was logged).
    reminded_meetings: Mapped[int] = mapped_column(Integer, default=0)
    # When the reminder and closing round should look at it next.
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)

    __table_args__ = (
        CheckConstraint("(mentee_person_id IS NULL) <> (mentee_unit_id IS NULL)", name="one_mentee"),
        CheckConstraint("planned_meetings BETWEEN 1 AND 100", name="sane_meetings"),
    )


class AgreementGoal(Base):
    __tablename__ = "agreement_goals"

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1..5
    text: Mapped[str] = mapped_column(Text)


class AgreementEvaluation(Base):
    """One side's answer at the close: a 1-5 rating (and a comment); per goal in the next table."""

    __tablename__ = "agreement_evaluations"

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    given_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)

    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)


class AgreementGoalAnswer(Base):
    __tablename__ = "agreement_goal_answers"

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    answer: Mapped[str] = mapped_column(String(10))

    __table_args__ = (CheckConstraint("answer IN ('yes', 'partly', 'no')", name="known_answer"),)


class OpenHelper(Base):
    """Someone who offered, in chat, to help on topics they know ("anyone who knows helps"):
    offered questions on those topics after the named mentors, under the organisation's
    helper allowance."""

    __tablename__ = "open_helpers"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    topics: Mapped[list] = mapped_column(JSON, default=list)
    # active | withdrawn (by themselves) | removed (by a coordinator)
    state: Mapped[str] = mapped_column(String(20), default="active", index=True)
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
