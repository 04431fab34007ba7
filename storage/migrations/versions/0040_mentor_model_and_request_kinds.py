"""organization.helper_weekly_minutes (the open helpers' allowance; mentor_model came with
0030), and help_requests.kind (a question, or a team session)

Revision ID: 0040
Revises: 0033
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organization") as batch_op:
        batch_op.add_column(sa.Column("helper_weekly_minutes", sa.Integer(), server_default="60", nullable=False))
    with op.batch_alter_table("help_requests") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), server_default="question", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("help_requests") as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("organization") as batch_op:
        batch_op.drop_column("helper_weekly_minutes")
