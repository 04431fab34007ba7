"""faq_variants: askers' own words that reached an entry, waiting for a coordinator's decision

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "faq_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["entry_id"], ["faq_entries.id"], name="fk_faq_variants_entry_id_faq_entries",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], name="fk_faq_variants_question_id_questions"),
        sa.ForeignKeyConstraint(["decided_by"], ["people.id"], name="fk_faq_variants_decided_by_people"),
        sa.PrimaryKeyConstraint("id", name="pk_faq_variants"),
        sa.UniqueConstraint("entry_id", "language", "text", name="uq_faq_variants_entry_id"),
    )
    op.create_index("ix_faq_variants_status", "faq_variants", ["status"])


def downgrade() -> None:
    op.drop_index("ix_faq_variants_status", table_name="faq_variants")
    op.drop_table("faq_variants")
