"""bot_processes (serving processes and their heartbeats); delivery claims record their owner
process and when their turn finished

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_processes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_bot_processes"),
    )
    with op.batch_alter_table("bot_processes") as batch_op:
        batch_op.create_index("ix_bot_processes_heartbeat_at", ["heartbeat_at"], unique=False)
    with op.batch_alter_table("processed_activities") as batch_op:
        batch_op.add_column(sa.Column("owner_process_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    # Claims from before: their turns answered long ago (or never will); count them as finished.
    op.execute("UPDATE processed_activities SET finished_at = received_at")


def downgrade() -> None:
    with op.batch_alter_table("processed_activities") as batch_op:
        batch_op.drop_column("finished_at")
        batch_op.drop_column("owner_process_id")
    with op.batch_alter_table("bot_processes") as batch_op:
        batch_op.drop_index("ix_bot_processes_heartbeat_at")
    op.drop_table("bot_processes")
