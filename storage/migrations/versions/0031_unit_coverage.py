"""unit_coverage and coverage_changes: which units have an active named digimentor, since when,
their history, and the alert when a unit loses its last one

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_coverage",
        sa.Column("unit_id", sa.String(length=100), nullable=False),
        sa.Column("covered_since", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE",
                                name="fk_unit_coverage_unit_id_units"),
        sa.PrimaryKeyConstraint("unit_id", name="pk_unit_coverage"),
    )
    op.create_table(
        "coverage_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=100), nullable=False),
        sa.Column("covered", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE",
                                name="fk_coverage_changes_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_coverage_changes"),
    )
    op.create_index("ix_coverage_changes_unit_at", "coverage_changes", ["unit_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_table("coverage_changes")
    op.drop_table("unit_coverage")
