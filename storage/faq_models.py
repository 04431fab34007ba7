"""The FAQ's tables: entries with their translations, the vectors of their texts, the askers'
words waiting to become variants, and answers' helpful/not-helpful clicks. Part of
storage/models.py's metadata (it imports this module), kept apart to keep each module readable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import REDACTED, Base, UtcDateTime


class FaqEntry(Base):
    __tablename__ = "faq_entries"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    topic: Mapped[str | None] = mapped_column(String(50))
    # published entries answer questions; proposed ones wait for a coordinator.
    status: Mapped[str] = mapped_column(String(20), default="published")
    links: Mapped[list] = mapped_column(JSON, default=list)
    # The IT helpdesk's entry (a fault, not know-how): its answer card offers the helpdesk's
    # contact instead of a digimentor.
    helpdesk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Raised by every write: the FAQ's revision, which tells replicas to rebuild their index.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class FaqTranslation(Base):
    __tablename__ = "faq_translations"

    entry_id: Mapped[str] = mapped_column(ForeignKey("faq_entries.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    variants: Mapped[list] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(Text)


class TextEmbedding(Base):
    """A sentence-embedding vector of one FAQ text, keyed by the model and the text's hash, so
    that a restart or another replica finds it instead of embedding the text again."""

    __tablename__ = "text_embeddings"

    model: Mapped[str] = mapped_column(String(80), primary_key=True)
    text_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FaqVariant(Base):
    """An asker's own words that reached an entry; a coordinator approves (it becomes one of
    the entry's variants) or rejects it."""

    __tablename__ = "faq_variants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("faq_entries.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)  # masked, like every stored question
    source: Mapped[str] = mapped_column(String(20))  # suggestion | mentor
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending | approved | rejected
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    # The same words wait once per entry; redacted texts are all alike and must not collide.
    __table_args__ = (Index("uq_faq_variants_entry_id", "entry_id", "language", "text", unique=True,
                            sqlite_where=sql_text(f"text <> '{REDACTED}'"),
                            postgresql_where=sql_text(f"text <> '{REDACTED}'")),)


class FaqFeedback(Base):
    __tablename__ = "faq_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    faq_entry_id: Mapped[str | None] = mapped_column(ForeignKey("faq_entries.id", ondelete="SET NULL"))
    helpful: Mapped[bool] = mapped_column(Boolean)
    given_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("question_id", name="uq_faq_feedback_question"),)
