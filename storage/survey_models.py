"""The digital-competence survey's tables (docs/design.md, "Digital-competence survey").

Two kinds of rows, kept apart on purpose:

- a person's own rows: their response to a round (also the state of their answering dialog:
  which area they are on, which areas they saved) and their answers, item by item. Only the
  respondent ever sees these; `person export` shows them, `person erase` and
  SURVEY_RETENTION_DAYS delete them.
- the round's results, written once when the round closes: counts per unit, staff group, area,
  item and answer value, and which unit's reported figure each unit's respondents are counted
  in. Every report reads these, so erasing a person or deleting old answers changes no figure,
  and nobody can compare two looks at a round that is still filling up.

Imported by storage.models, so that one metadata describes every table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UtcDateTime

STAFF, SUPERVISOR = "staff", "supervisor"


class SurveyInstrument(Base):
    """One version of a survey definition (dialogs/rules/survey_file.py), as validated."""

    __tablename__ = "survey_instruments"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition: Mapped[dict] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class SurveyRound(Base):
    __tablename__ = "survey_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(100))
    instrument_version: Mapped[int] = mapped_column(Integer)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # A pre-test goes to the coordinator who started it, and to nobody else.
    pretest: Mapped[bool] = mapped_column(Boolean, default=False)
    units: Mapped[list] = mapped_column(JSON, default=list)  # the target units as chosen
    invited: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)  # the end of the closing date
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # None: at its date
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        ForeignKeyConstraint(["instrument_id", "instrument_version"],
                             ["survey_instruments.id", "survey_instruments.version"],
                             name="fk_survey_rounds_instrument"),
        CheckConstraint("reminders_sent BETWEEN 0 AND 2", name="reminders"),
    )


class SurveyResponse(Base):
    """A person invited to a round (or one paper form), their unit and staff group as they were
    when invited, and where their answering dialog stands."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)  # None: paper
    paper_form: Mapped[str | None] = mapped_column(String(50))  # the number written on the form
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    staff_group: Mapped[str] = mapped_column(String(20), default=STAFF)
    invited_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The dialog (dialogs/survey_dialog.py): the index of the area shown next in the person's
    # sequence of areas (equal to its length once they reached the end), the areas saved, and
    # a revision raised by every change, so that a stale card cannot overwrite a newer answer.
    position: Mapped[int] = mapped_column(Integer, default=0)
    saved_areas: Mapped[list] = mapped_column(JSON, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # the first area saved
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # reached the end
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        # Invited once per round, however many processes start or retry it.
        Index("uq_survey_responses_round_person", "round_id", "person_id", unique=True),
        Index("uq_survey_responses_round_form", "round_id", "paper_form", unique=True),
        CheckConstraint("staff_group IN ('staff', 'supervisor')", name="staff_group"),
    )


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"

    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"),
                                             primary_key=True)
    item_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    area_id: Mapped[str] = mapped_column(String(100))
    value: Mapped[int] = mapped_column(Integer)  # 1-5, or 0 for "can't say"
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (CheckConstraint("value BETWEEN 0 AND 5", name="scale"),)


class SurveyBooking(Base):
    """"Book a mentor" from a respondent's profile: one hand-off per area, however often clicked."""

    __tablename__ = "survey_bookings"

    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"),
                                             primary_key=True)
    area_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    booked_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SurveyResultUnit(Base):
    """How many were invited and answered, per unit and staff group, when the round closed."""

    __tablename__ = "survey_result_units"

    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    staff_group: Mapped[str] = mapped_column(String(20), primary_key=True)
    invited: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)  # saved at least one area (or paper)
    finished: Mapped[int] = mapped_column(Integer, default=0)
    paper: Mapped[int] = mapped_column(Integer, default=0)


class SurveyResultArea(Base):
    """Respondents per unit, staff group and area, and the unit whose reported figure counts
    them: the unit itself when at least five answered there, else the nearest unit above that
    gathers five; None when not even the whole organisation does (dialogs/rules/survey_privacy.py)."""

    __tablename__ = "survey_result_areas"

    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    staff_group: Mapped[str] = mapped_column(String(20), primary_key=True)
    area_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    home_unit_id: Mapped[str | None] = mapped_column(String(100))
    respondents: Mapped[int] = mapped_column(Integer, default=0)


class SurveyResultItem(Base):
    """How many gave each answer to an item, per unit and staff group: n0 "can't say", n1-n5."""

    __tablename__ = "survey_result_items"

    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    staff_group: Mapped[str] = mapped_column(String(20), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    area_id: Mapped[str] = mapped_column(String(100))
    n0: Mapped[int] = mapped_column(Integer, default=0)
    n1: Mapped[int] = mapped_column(Integer, default=0)
    n2: Mapped[int] = mapped_column(Integer, default=0)
    n3: Mapped[int] = mapped_column(Integer, default=0)
    n4: Mapped[int] = mapped_column(Integer, default=0)
    n5: Mapped[int] = mapped_column(Integer, default=0)
