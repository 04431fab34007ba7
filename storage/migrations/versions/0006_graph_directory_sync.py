"""department rules for Graph directory sync; where each person came from

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organization") as batch_op:
        batch_op.add_column(sa.Column("department_rules", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("people") as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=10), nullable=False, server_default="import"))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch_op:
        batch_op.drop_column("source")
    with op.batch_alter_table("organization") as batch_op:
        batch_op.drop_column("department_rules")
