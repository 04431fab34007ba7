"""audit_log.person_id (whom an entry is about) and an index on its time; faq_variants' unique
wording key skips redacted texts, which are all alike

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

REDACTED = "[redacted]"  # storage.models.REDACTED, as it was when this revision was written


def upgrade() -> None:
    # Batch mode: SQLite can add a foreign key or drop a constraint only by rebuilding the table.
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_audit_log_person_id_people", "people", ["person_id"], ["id"])
    op.create_index("ix_audit_log_person_id", "audit_log", ["person_id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    # Entries written before this revision named their person in the data only.
    audit = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("data", sa.JSON),
                     sa.column("person_id", sa.Integer))
    connection = op.get_bind()
    for entry_id, data in connection.execute(sa.select(audit.c.id, audit.c.data)).all():
        person_id = (data or {}).get("person_id")
        if isinstance(person_id, int):
            connection.execute(sa.update(audit).where(audit.c.id == entry_id).values(person_id=person_id))

    with op.batch_alter_table("faq_variants") as batch:
        batch.drop_constraint("uq_faq_variants_entry_id", type_="unique")
    op.create_index("uq_faq_variants_entry_id", "faq_variants", ["entry_id", "language", "text"], unique=True,
                    sqlite_where=sa.text(f"text <> '{REDACTED}'"), postgresql_where=sa.text(f"text <> '{REDACTED}'"))


def downgrade() -> None:
    op.drop_index("uq_faq_variants_entry_id", table_name="faq_variants")
    with op.batch_alter_table("faq_variants") as batch:
        batch.create_unique_constraint("uq_faq_variants_entry_id", ["entry_id", "language", "text"])
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_index("ix_audit_log_person_id", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint("fk_audit_log_person_id_people", type_="foreignkey")
        batch.drop_column("person_id")
