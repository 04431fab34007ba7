"""organization.mentor_model and helper_weekly_minutes, the supervisor role, and
help_requests.kind (a question, or a team session)

Revision ID: 0040
Revises: 0016
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0016"
branch_labels = None
depends_on = None

ROLES = "role IN ('employee', 'mentor', 'coordinator', 'admin', 'supervisor')"
OLD_ROLES = "role IN ('employee', 'mentor', 'coordinator', 'admin')"


def upgrade() -> None:
    with op.batch_alter_table("organization") as batch_op:
        batch_op.add_column(sa.Column("mentor_model", sa.String(length=10), server_default="named", nullable=False))
        batch_op.add_column(sa.Column("helper_weekly_minutes", sa.Integer(), server_default="60", nullable=False))
    with op.batch_alter_table("person_roles") as batch_op:
        batch_op.drop_constraint(op.f("ck_person_roles_known_role"), type_="check")
        batch_op.create_check_constraint("known_role", ROLES)
    with op.batch_alter_table("help_requests") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), server_default="question", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("help_requests") as batch_op:
        batch_op.drop_column("kind")
    op.execute("DELETE FROM person_roles WHERE role = 'supervisor'")
    with op.batch_alter_table("person_roles") as batch_op:
        batch_op.drop_constraint(op.f("ck_person_roles_known_role"), type_="check")
        batch_op.create_check_constraint("known_role", OLD_ROLES)
    with op.batch_alter_table("organization") as batch_op:
        batch_op.drop_column("helper_weekly_minutes")
        batch_op.drop_column("mentor_model")
