"""team_sessions and session_participants: a team books a digitutor

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "team_sessions",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("booking_key", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("chosen_slot", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("meeting_state", sa.String(length=20), nullable=False),
        sa.Column("meeting_url", sa.String(length=2000), nullable=True),
        sa.Column("meeting_attempts", sa.Integer(), nullable=False),
        sa.Column("meeting_lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.CheckConstraint("headcount BETWEEN 1 AND 500", name=op.f("ck_team_sessions_sane_headcount")),
        sa.ForeignKeyConstraint(["request_id"], ["help_requests.id"], ondelete="CASCADE",
                                name=op.f("fk_team_sessions_request_id_help_requests")),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_team_sessions")),
        sa.UniqueConstraint("booking_key", name=op.f("uq_team_sessions_booking_key")),
    )
    with op.batch_alter_table("team_sessions") as batch_op:
        batch_op.create_index("ix_team_sessions_remind_at", ["remind_at"], unique=False)
        batch_op.create_index("ix_team_sessions_meeting_state", ["meeting_state"], unique=False)
    op.create_table(
        "session_participants",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5",
                           name=op.f("ck_session_participants_rating_range")),
        sa.ForeignKeyConstraint(["request_id"], ["help_requests.id"], ondelete="CASCADE",
                                name=op.f("fk_session_participants_request_id_help_requests")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_session_participants_person_id_people")),
        sa.PrimaryKeyConstraint("request_id", "person_id", name=op.f("pk_session_participants")),
    )
    with op.batch_alter_table("session_participants") as batch_op:
        batch_op.create_index("ix_session_participants_rated_at", ["rated_at"], unique=False)


def downgrade() -> None:
    op.drop_table("session_participants")
    op.drop_table("team_sessions")
