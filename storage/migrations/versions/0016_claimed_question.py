"""processed_activities.question_id: the question a delivery recorded, found again by its
redelivery

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("processed_activities") as batch_op:
        batch_op.add_column(sa.Column("question_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_processed_activities_question_id_questions", "questions",
                                    ["question_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("processed_activities") as batch_op:
        batch_op.drop_constraint("fk_processed_activities_question_id_questions", type_="foreignkey")
        batch_op.drop_column("question_id")
