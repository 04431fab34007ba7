"""processed_activities.done: a claim counts for good only once its turn has finished

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Claims made before this revision were made by turns that had already finished.
    with op.batch_alter_table("processed_activities") as batch_op:
        batch_op.add_column(sa.Column("done", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("processed_activities") as batch_op:
        batch_op.drop_column("done")
