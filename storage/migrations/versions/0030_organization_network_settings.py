"""organization: mentor_model, the IT helpdesk's contact details, the coverage goal and the impact
report's assumptions; person_roles: the helpdesk role

Revision ID: 0030
Revises: 0021
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0021"
branch_labels = None
depends_on = None

ROLES = "'employee', 'mentor', 'coordinator', 'admin', 'supervisor'"


def upgrade() -> None:
    with op.batch_alter_table("organization") as batch_op:
        batch_op.add_column(sa.Column("mentor_model", sa.String(length=10), nullable=False, server_default="named"))
        batch_op.add_column(sa.Column("helpdesk", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("coverage_goal", sa.Integer(), nullable=False, server_default="100"))
        batch_op.add_column(sa.Column("minutes_per_faq_answer", sa.Float(), nullable=False, server_default="5"))
        batch_op.add_column(sa.Column("minutes_per_helpdesk_contact", sa.Float(), nullable=False,
                                      server_default="15"))
    with op.batch_alter_table("person_roles") as batch_op:
        batch_op.drop_constraint(op.f("ck_person_roles_known_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_person_roles_known_role"), f"role IN ({ROLES}, 'helpdesk')")


def downgrade() -> None:
    op.execute("DELETE FROM person_roles WHERE role = 'helpdesk'")
    with op.batch_alter_table("person_roles") as batch_op:
        batch_op.drop_constraint(op.f("ck_person_roles_known_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_person_roles_known_role"), f"role IN ({ROLES})")
    with op.batch_alter_table("organization") as batch_op:
        for column in ("minutes_per_helpdesk_contact", "minutes_per_faq_answer", "coverage_goal", "helpdesk",
                       "mentor_model"):
            batch_op.drop_column(column)
