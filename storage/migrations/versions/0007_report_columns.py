"""copies of event facts on requests and questions, for reports over large histories

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("help_requests") as batch_op:
        batch_op.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalated", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("questions") as batch_op:
        batch_op.add_column(sa.Column("handed", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE help_requests SET accepted_at = (SELECT min(e.at) FROM request_events e "
        "WHERE e.request_id = help_requests.id AND e.kind = 'accept')"
    )
    op.execute(
        "UPDATE help_requests SET escalated = EXISTS (SELECT 1 FROM request_events e "
        "WHERE e.request_id = help_requests.id AND e.kind = 'escalated')"
    )
    op.execute("UPDATE questions SET handed = EXISTS (SELECT 1 FROM help_requests r WHERE r.question_id = questions.id)")


def downgrade() -> None:
    with op.batch_alter_table("questions") as batch_op:
        batch_op.drop_column("handed")
    with op.batch_alter_table("help_requests") as batch_op:
        batch_op.drop_column("escalated")
        batch_op.drop_column("accepted_at")
