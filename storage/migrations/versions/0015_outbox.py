"""outbox_messages: proactive messages stored with the state change that needs them, delivered
by a worker in every process

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("mentor_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("card", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner_process_id", sa.Integer(), nullable=True),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("conversation_id", sa.String(length=400), nullable=True),
        sa.Column("activity_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["help_requests.id"], ondelete="CASCADE",
                                name="fk_outbox_messages_request_id_help_requests"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
    )
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.create_index("ix_outbox_messages_state_due_at", ["state", "due_at"], unique=False)
        batch_op.create_index("ix_outbox_messages_recipient_state", ["recipient", "state"], unique=False)
        batch_op.create_index("ix_outbox_messages_finished_at", ["finished_at"], unique=False)


def downgrade() -> None:
    op.drop_table("outbox_messages")
