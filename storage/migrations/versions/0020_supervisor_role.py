"""person_roles: the supervisor role (a supervisor sees their own unit's survey results)

Revision ID: 0020
Revises: 0016
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0016"
branch_labels = None
depends_on = None

WITH = "role IN ('employee', 'mentor', 'coordinator', 'admin', 'supervisor')"
WITHOUT = "role IN ('employee', 'mentor', 'coordinator', 'admin')"


def _replace_check(condition: str) -> None:
    # Batch mode: SQLite changes a check constraint only by rebuilding the table.
    with op.batch_alter_table("person_roles", recreate="always") as batch:
        batch.drop_constraint(op.f("ck_person_roles_known_role"), type_="check")
        batch.create_check_constraint(op.f("ck_person_roles_known_role"), sa.text(condition))


def upgrade() -> None:
    _replace_check(WITH)


def downgrade() -> None:
    op.execute("DELETE FROM person_roles WHERE role = 'supervisor'")
    _replace_check(WITHOUT)
