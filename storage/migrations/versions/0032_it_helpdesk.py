"""The IT helpdesk: faq_entries.helpdesk (the helpdesk's entries), questions.helpdesk (a question
shown the helpdesk's card, and why), questions.filed_by_person_id (a helpdesk agent handed it to
the digimentors), feedback.helpdesk_avoided (would otherwise have contacted the helpdesk)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faq_entries") as batch_op:
        batch_op.add_column(sa.Column("helpdesk", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("questions") as batch_op:
        batch_op.add_column(sa.Column("helpdesk", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("filed_by_person_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_questions_filed_by_person_id_people", "people", ["filed_by_person_id"],
                                    ["id"])
    with op.batch_alter_table("feedback") as batch_op:
        batch_op.add_column(sa.Column("helpdesk_avoided", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch_op:
        batch_op.drop_column("helpdesk_avoided")
    with op.batch_alter_table("questions") as batch_op:
        batch_op.drop_constraint("fk_questions_filed_by_person_id_people", type_="foreignkey")
        batch_op.drop_column("filed_by_person_id")
        batch_op.drop_column("helpdesk")
    with op.batch_alter_table("faq_entries") as batch_op:
        batch_op.drop_column("helpdesk")
