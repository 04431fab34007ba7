"""open_helpers: anyone who knows helps

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "open_helpers",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.Integer(), nullable=True),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE",
                                name=op.f("fk_open_helpers_person_id_people")),
        sa.ForeignKeyConstraint(["removed_by"], ["people.id"], name=op.f("fk_open_helpers_removed_by_people")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_open_helpers")),
    )
    with op.batch_alter_table("open_helpers") as batch_op:
        batch_op.create_index("ix_open_helpers_state", ["state"], unique=False)


def downgrade() -> None:
    op.drop_table("open_helpers")
