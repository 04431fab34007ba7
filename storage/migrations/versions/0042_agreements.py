"""agreements with their goals, evaluations and goal answers; mentor_time_entries.agreement_id

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creation_key", sa.String(length=64), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("mentee_person_id", sa.Integer(), nullable=True),
        sa.Column("mentee_unit_id", sa.String(length=100), nullable=True),
        sa.Column("mentee_contact_id", sa.Integer(), nullable=True),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("planned_meetings", sa.Integer(), nullable=False),
        sa.Column("minutes_per_meeting", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("reminded_meetings", sa.Integer(), nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("(mentee_person_id IS NULL) <> (mentee_unit_id IS NULL)",
                           name=op.f("ck_agreements_one_mentee")),
        sa.CheckConstraint("planned_meetings BETWEEN 1 AND 100", name=op.f("ck_agreements_sane_meetings")),
        sa.ForeignKeyConstraint(["mentor_id"], ["people.id"], name=op.f("fk_agreements_mentor_id_people")),
        sa.ForeignKeyConstraint(["mentee_person_id"], ["people.id"],
                                name=op.f("fk_agreements_mentee_person_id_people")),
        sa.ForeignKeyConstraint(["mentee_unit_id"], ["units.id"], name=op.f("fk_agreements_mentee_unit_id_units")),
        sa.ForeignKeyConstraint(["mentee_contact_id"], ["people.id"],
                                name=op.f("fk_agreements_mentee_contact_id_people")),
        sa.ForeignKeyConstraint(["closed_by"], ["people.id"], name=op.f("fk_agreements_closed_by_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
        sa.UniqueConstraint("creation_key", name=op.f("uq_agreements_creation_key")),
    )
    with op.batch_alter_table("agreements") as batch_op:
        batch_op.create_index("ix_agreements_mentor_id", ["mentor_id"], unique=False)
        batch_op.create_index("ix_agreements_mentee_person_id", ["mentee_person_id"], unique=False)
        batch_op.create_index("ix_agreements_state", ["state"], unique=False)
        batch_op.create_index("ix_agreements_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_agreements_closed_at", ["closed_at"], unique=False)
        batch_op.create_index("ix_agreements_next_check_at", ["next_check_at"], unique=False)
    op.create_table(
        "agreement_goals",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"], ondelete="CASCADE",
                                name=op.f("fk_agreement_goals_agreement_id_agreements")),
        sa.PrimaryKeyConstraint("agreement_id", "position", name=op.f("pk_agreement_goals")),
    )
    op.create_table(
        "agreement_evaluations",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_agreement_evaluations_rating_range")),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"], ondelete="CASCADE",
                                name=op.f("fk_agreement_evaluations_agreement_id_agreements")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_agreement_evaluations_person_id_people")),
        sa.PrimaryKeyConstraint("agreement_id", "person_id", name=op.f("pk_agreement_evaluations")),
    )
    with op.batch_alter_table("agreement_evaluations") as batch_op:
        batch_op.create_index("ix_agreement_evaluations_given_at", ["given_at"], unique=False)
    op.create_table(
        "agreement_goal_answers",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=10), nullable=False),
        sa.CheckConstraint("answer IN ('yes', 'partly', 'no')", name=op.f("ck_agreement_goal_answers_known_answer")),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"], ondelete="CASCADE",
                                name=op.f("fk_agreement_goal_answers_agreement_id_agreements")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_agreement_goal_answers_person_id_people")),
        sa.PrimaryKeyConstraint("agreement_id", "position", "person_id", name=op.f("pk_agreement_goal_answers")),
    )
    with op.batch_alter_table("mentor_time_entries") as batch_op:
        batch_op.add_column(sa.Column("agreement_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_mentor_time_entries_agreement_id_agreements", "agreements",
                                    ["agreement_id"], ["id"])
        batch_op.create_index("ix_mentor_time_entries_agreement_id", ["agreement_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mentor_time_entries") as batch_op:
        batch_op.drop_index("ix_mentor_time_entries_agreement_id")
        batch_op.drop_constraint("fk_mentor_time_entries_agreement_id_agreements", type_="foreignkey")
        batch_op.drop_column("agreement_id")
    op.drop_table("agreement_goal_answers")
    op.drop_table("agreement_evaluations")
    op.drop_table("agreement_goals")
    op.drop_table("agreements")
