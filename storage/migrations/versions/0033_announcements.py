"""announcements, announcement_units and announcement_deliveries: rollouts announced through the
mentors, delivered once per person; outbox_messages.announcement_delivery_id; questions tagged
with the rollout they were asked in (questions.announcement_id)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("faq_entry_ids", sa.JSON(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("window_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["people.id"], name="fk_announcements_created_by_people"),
        sa.PrimaryKeyConstraint("id", name="pk_announcements"),
        sa.UniqueConstraint("dedupe_key", name="uq_announcements_dedupe_key"),
    )
    op.create_index("ix_announcements_staff_due_at", "announcements", ["staff_due_at"], unique=False)
    op.create_table(
        "announcement_units",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["announcement_id"], ["announcements.id"], ondelete="CASCADE",
                                name="fk_announcement_units_announcement"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_announcement_units_unit_id_units"),
        sa.PrimaryKeyConstraint("announcement_id", "unit_id", name="pk_announcement_units"),
    )
    op.create_index("ix_announcement_units_unit_id", "announcement_units", ["unit_id"], unique=False)
    op.create_table(
        "announcement_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=100), nullable=True),
        sa.Column("audience", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["announcement_id"], ["announcements.id"], ondelete="CASCADE",
                                name="fk_announcement_deliveries_announcement"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_announcement_deliveries_person_id_people"),
        sa.PrimaryKeyConstraint("id", name="pk_announcement_deliveries"),
        sa.UniqueConstraint("announcement_id", "person_id", name="uq_announcement_deliveries_person"),
    )
    op.create_index("ix_announcement_deliveries_announcement_unit", "announcement_deliveries",
                    ["announcement_id", "unit_id"], unique=False)
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("announcement_delivery_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_outbox_messages_announcement_delivery",
                                    "announcement_deliveries", ["announcement_delivery_id"], ["id"],
                                    ondelete="CASCADE")
    with op.batch_alter_table("questions") as batch_op:
        batch_op.add_column(sa.Column("announcement_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_questions_announcement_id_announcements", "announcements",
                                    ["announcement_id"], ["id"], ondelete="SET NULL")
    op.create_index("ix_questions_announcement_id_asked_at", "questions", ["announcement_id", "asked_at"],
                    unique=False, sqlite_where=sa.text("announcement_id IS NOT NULL"),
                    postgresql_where=sa.text("announcement_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_questions_announcement_id_asked_at", table_name="questions")
    with op.batch_alter_table("questions") as batch_op:
        batch_op.drop_constraint("fk_questions_announcement_id_announcements", type_="foreignkey")
        batch_op.drop_column("announcement_id")
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_constraint("fk_outbox_messages_announcement_delivery", type_="foreignkey")
        batch_op.drop_column("announcement_delivery_id")
    op.drop_table("announcement_deliveries")
    op.drop_table("announcement_units")
    op.drop_table("announcements")
