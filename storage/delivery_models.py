"""The bot's own bookkeeping: delivery claims of incoming activities, the live processes, the
outbox of outgoing messages and the digests sent. Part of storage/models.py's metadata (it
imports this module), kept apart to keep each module readable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UtcDateTime


class ProcessedActivity(Base):
    """Claims an inbound activity id so that a re-delivery is recognised: skipped once its turn
    finished, waited for while its owner process lives, taken over when that process is gone."""

    __tablename__ = "processed_activities"

    activity_key: Mapped[str] = mapped_column(String(500), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # The serving process running the turn (bot_processes.id; no foreign key: process rows are
    # forgotten after a day, and a claim whose owner is gone is simply taken over).
    owner_process_id: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The question this delivery recorded: its redelivery (after a crash or a 503) finds it
    # instead of recording the question, and handing it on, a second time.
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))


class BotProcess(Base):
    """A serving process, alive while its heartbeat is fresh by the database's own clock."""

    __tablename__ = "bot_processes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # Set once a graceful shutdown has drained the process: its claims may be taken at once.
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DigestSent(Base):
    """One row per recipient and week: the claim that makes the weekly digest go out once."""

    __tablename__ = "digests_sent"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    week: Mapped[str] = mapped_column(String(10), primary_key=True)  # e.g. 2026-W48
    kind: Mapped[str] = mapped_column(String(20))  # coordinator | mentor
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OutboxMessage(Base):
    """A proactive message waiting to be delivered, written in the same transaction as the state
    change that needs it (storage/outbox.py); delivered by a worker in any process."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64))  # aad object id
    # offer | update | notice | digest: what a delivery or a failure leads to
    purpose: Mapped[str] = mapped_column(String(20))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"))
    # An offer, or an update of the offer card: the offer's mentor (request_offers row).
    mentor_id: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    card: Mapped[dict | None] = mapped_column(JSON)
    # pending | sending | sent | skipped | failed | unreachable
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    owner_process_id: Mapped[int | None] = mapped_column(Integer)
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    conversation_id: Mapped[str | None] = mapped_column(String(400))
    activity_id: Mapped[str | None] = mapped_column(String(200))
    # An announcement's delivery to one person: the card is made when it is sent, and the
    # delivery is marked in the same transaction as this message.
    announcement_delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("announcement_deliveries.id", ondelete="CASCADE", name="fk_outbox_messages_announcement_delivery"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)

    __table_args__ = (
        Index("ix_outbox_messages_state_due_at", "state", "due_at"),
        Index("ix_outbox_messages_recipient_state", "recipient", "state"),
    )
