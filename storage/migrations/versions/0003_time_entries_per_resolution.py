"""a request may have several time entries (reopened and resolved again)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mentor_time_entries") as batch_op:
        batch_op.drop_constraint("uq_mentor_time_entries_request_id", type_="unique")
        batch_op.create_index("ix_mentor_time_entries_request_id", ["request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mentor_time_entries") as batch_op:
        batch_op.drop_index("ix_mentor_time_entries_request_id")
        batch_op.create_unique_constraint("uq_mentor_time_entries_request_id", ["request_id"])
