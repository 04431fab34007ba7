"""the digital-competence survey: instruments, rounds, responses with their dialog state,
answers, mentor bookings, and the results written when a round closes

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _counts() -> list[sa.Column]:
    return [sa.Column(f"n{value}", sa.Integer(), nullable=False) for value in range(6)]


def upgrade() -> None:
    op.create_table(
        "survey_instruments",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", "version", name="pk_survey_instruments"),
    )
    op.create_index("ix_survey_instruments_imported_at", "survey_instruments", ["imported_at"])
    op.create_table(
        "survey_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=100), nullable=False),
        sa.Column("instrument_version", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("pretest", sa.Boolean(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.CheckConstraint("reminders_sent BETWEEN 0 AND 2", name="ck_survey_rounds_reminders"),
        sa.ForeignKeyConstraint(["instrument_id", "instrument_version"],
                                ["survey_instruments.id", "survey_instruments.version"],
                                name="fk_survey_rounds_instrument"),
        sa.ForeignKeyConstraint(["started_by"], ["people.id"], name="fk_survey_rounds_started_by_people"),
        sa.ForeignKeyConstraint(["closed_by"], ["people.id"], name="fk_survey_rounds_closed_by_people"),
        sa.PrimaryKeyConstraint("id", name="pk_survey_rounds"),
    )
    op.create_index("ix_survey_rounds_closes_at", "survey_rounds", ["closes_at"])
    op.create_index("ix_survey_rounds_closed_at", "survey_rounds", ["closed_at"])
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("paper_form", sa.String(length=50), nullable=True),
        sa.Column("unit_id", sa.String(length=100), nullable=False),
        sa.Column("staff_group", sa.String(length=20), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("saved_areas", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("staff_group IN ('staff', 'supervisor')", name="ck_survey_responses_staff_group"),
        sa.ForeignKeyConstraint(["round_id"], ["survey_rounds.id"], ondelete="CASCADE",
                                name="fk_survey_responses_round_id_survey_rounds"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_survey_responses_person_id_people"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_survey_responses_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_survey_responses"),
    )
    op.create_index("ix_survey_responses_person_id", "survey_responses", ["person_id"])
    op.create_index("uq_survey_responses_round_person", "survey_responses", ["round_id", "person_id"], unique=True)
    op.create_index("uq_survey_responses_round_form", "survey_responses", ["round_id", "paper_form"], unique=True)
    op.create_table(
        "survey_answers",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=100), nullable=False),
        sa.Column("area_id", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value BETWEEN 0 AND 5", name="ck_survey_answers_scale"),
        sa.ForeignKeyConstraint(["response_id"], ["survey_responses.id"], ondelete="CASCADE",
                                name="fk_survey_answers_response_id_survey_responses"),
        sa.PrimaryKeyConstraint("response_id", "item_id", name="pk_survey_answers"),
    )
    op.create_table(
        "survey_bookings",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.String(length=100), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["survey_responses.id"], ondelete="CASCADE",
                                name="fk_survey_bookings_response_id_survey_responses"),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], name="fk_survey_bookings_question_id_questions"),
        sa.PrimaryKeyConstraint("response_id", "area_id", name="pk_survey_bookings"),
    )
    op.create_table(
        "survey_result_units",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=100), nullable=False),
        sa.Column("staff_group", sa.String(length=20), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Integer(), nullable=False),
        sa.Column("paper", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["survey_rounds.id"], ondelete="CASCADE",
                                name="fk_survey_result_units_round_id_survey_rounds"),
        sa.PrimaryKeyConstraint("round_id", "unit_id", "staff_group", name="pk_survey_result_units"),
    )
    op.create_table(
        "survey_result_areas",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=100), nullable=False),
        sa.Column("staff_group", sa.String(length=20), nullable=False),
        sa.Column("area_id", sa.String(length=100), nullable=False),
        sa.Column("home_unit_id", sa.String(length=100), nullable=True),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["survey_rounds.id"], ondelete="CASCADE",
                                name="fk_survey_result_areas_round_id_survey_rounds"),
        sa.PrimaryKeyConstraint("round_id", "unit_id", "staff_group", "area_id", name="pk_survey_result_areas"),
    )
    op.create_table(
        "survey_result_items",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=100), nullable=False),
        sa.Column("staff_group", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.String(length=100), nullable=False),
        sa.Column("area_id", sa.String(length=100), nullable=False),
        *_counts(),
        sa.ForeignKeyConstraint(["round_id"], ["survey_rounds.id"], ondelete="CASCADE",
                                name="fk_survey_result_items_round_id_survey_rounds"),
        sa.PrimaryKeyConstraint("round_id", "unit_id", "staff_group", "item_id", name="pk_survey_result_items"),
    )


def downgrade() -> None:
    for table in ("survey_result_items", "survey_result_areas", "survey_result_units", "survey_bookings",
                  "survey_answers", "survey_responses", "survey_rounds", "survey_instruments"):
        op.drop_table(table)
