"""index feedback by time, for the coordinators' reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_feedback_given_at", "feedback", ["given_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feedback_given_at", table_name="feedback")
