"""The relational model of the whole domain.

Two-person state (a hand-off, an offer, an acceptance) lives here so that the database, not a
Python process, decides races. Times are stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# What a text erased on request or past its retention time reads in the database; the rows stay,
# so that every count and statistic stays as it was. Shown to people in their own language.
REDACTED = "[redacted]"


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on every backend.

    SQLite keeps no offset: values are converted to UTC before they are stored, and read back
    as UTC, so that comparisons in SQL and in Python agree.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class RequestState(str, Enum):
    """The values of help_requests.state; which moves between them are allowed is a rule
    (dialogs.rules.help_requests), applied here with conditional updates."""

    OPEN = "open"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Organization(Base):
    """One deployment serves one organisation; its settings come from the organisation file."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    default_language: Mapped[str] = mapped_column(String(2), default="fi")
    mentor_weekly_minutes: Mapped[int] = mapped_column(Integer, default=120)
    offer_timeout_minutes: Mapped[float] = mapped_column(Float, default=10.0)
    working_hours_start: Mapped[str] = mapped_column(String(5), default="08:00")
    working_hours_end: Mapped[str] = mapped_column(String(5), default="16:00")
    # Rules that place people found through Microsoft Graph (dialogs.rules.department_mapping).
    department_rules: Mapped[list] = mapped_column(JSON, default=list)
    # named | open | both: named digimentors, "anyone who knows helps", or both (the open
    # helpers are another feature's; stored here so that the file round-trips).
    mentor_model: Mapped[str] = mapped_column(String(10), default="named", server_default="named")
    # The IT helpdesk's contact details ({name, phone, url, hours}), None when not given.
    helpdesk: Mapped[dict | None] = mapped_column(JSON)
    # The share of units (percent) that should have a named digimentor.
    coverage_goal: Mapped[int] = mapped_column(Integer, default=100, server_default="100")
    # The impact report's assumptions: working time one FAQ answer and one helpdesk contact
    # avoided are worth, printed on the card.
    minutes_per_faq_answer: Mapped[float] = mapped_column(Float, default=5.0, server_default="5")
    minutes_per_helpdesk_contact: Mapped[float] = mapped_column(Float, default=15.0, server_default="15")
    # The weekly allowance of the open helpers ("anyone who knows helps"), in minutes.
    helper_weekly_minutes: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True)
    names: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    aad_object_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "import": from the organisation file; "graph": placed by department rules.
    source: Mapped[str] = mapped_column(String(10), default="import")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PersonRole(Base):
    __tablename__ = "person_roles"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    __table_args__ = (
        CheckConstraint("role IN ('employee', 'mentor', 'coordinator', 'admin', 'supervisor', 'helpdesk')",
                        name="known_role"),
    )


class CoordinatorScope(Base):
    __tablename__ = "coordinator_scopes"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), primary_key=True)


class MentorProfile(Base):
    __tablename__ = "mentor_profiles"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    topics: Mapped[list] = mapped_column(JSON, default=list)
    # None means the organisation's default allowance.
    weekly_minutes: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="available")
    away_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    last_send_refused_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ConversationReference(Base):
    """Where the bot can reach a user proactively (personal chat) or a channel thread."""

    __tablename__ = "conversation_references"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    aad_object_id: Mapped[str] = mapped_column(String(64), index=True)
    conversation_id: Mapped[str] = mapped_column(String(400))
    conversation_type: Mapped[str] = mapped_column(String(20), default="personal")
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    service_url: Mapped[str] = mapped_column(String(400))
    channel_id: Mapped[str] = mapped_column(String(40), default="msteams")
    locale: Mapped[str | None] = mapped_column(String(20))
    reference: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("aad_object_id", "conversation_id", name="uq_conversation_user"),)


class Question(Base):
    """Every question asked, after personal data was masked, with what the FAQ made of it."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asker_aad_object_id: Mapped[str] = mapped_column(String(64), index=True)
    asker_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    outcome: Mapped[str] = mapped_column(String(20))  # answered | suggested | none | direct
    faq_entry_id: Mapped[str | None] = mapped_column(ForeignKey("faq_entries.id", ondelete="SET NULL"))
    score: Mapped[float | None] = mapped_column(Float)
    # The entry ids the asker was shown (answer or suggestions): only these may be rated.
    shown_entry_ids: Mapped[list] = mapped_column(JSON, default=list)
    # Set with the help request, in its transaction: reports count FAQ-only answers by it.
    handed: Mapped[bool] = mapped_column(Boolean, default=False)
    masked_items: Mapped[int] = mapped_column(Integer, default=0)
    # Asked outside working hours: tells coordinators whether evening shifts need cover.
    after_hours: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Shown the IT helpdesk's card instead of a digimentor offer, and why: locked_account,
    # broken_device, error_code, or entry (a helpdesk FAQ entry answered it). None otherwise.
    helpdesk: Mapped[str | None] = mapped_column(String(20))
    # A helpdesk agent who handed this question to the digimentors for the asker.
    filed_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # Asked in a target unit during a rollout's window: tagged with its announcement.
    announcement_id: Mapped[int | None] = mapped_column(ForeignKey("announcements.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)

    __table_args__ = (
        Index("ix_questions_announcement_id_asked_at", "announcement_id", "asked_at",
              sqlite_where=sql_text("announcement_id IS NOT NULL"),
              postgresql_where=sql_text("announcement_id IS NOT NULL")),
    )


class HelpRequest(Base):
    __tablename__ = "help_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # question: one person's question; session: a team's booking of a digitutor (team_sessions).
    kind: Mapped[str] = mapped_column(String(10), default="question", server_default="question")
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"), unique=True)
    asker_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    asker_aad_object_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True)
    language: Mapped[str] = mapped_column(String(2))
    topic: Mapped[str | None] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    tier: Mapped[int] = mapped_column(Integer, default=0)
    assigned_mentor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    # The escalation timer: due rows are claimed by exactly one process.
    next_escalation_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    # Copies of what the events say, written in the same transactions, so that reports over
    # a million requests need not join the events: the first accept, and whether it widened.
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RequestEvent(Base):
    """The append-only history that every coordinator figure is computed from."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_request_events_request_kind", "request_id", "kind"),
        Index("ix_request_events_kind_at", "kind", "at"),
    )


class RequestOffer(Base):
    __tablename__ = "request_offers"

    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"), primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    tier: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), default="sent")  # sent | declined | won | lost | failed
    conversation_id: Mapped[str | None] = mapped_column(String(400))
    activity_id: Mapped[str | None] = mapped_column(String(200))
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MentorTimeEntry(Base):
    __tablename__ = "mentor_time_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    # Not unique: a request reopened and resolved again is a second stretch of work.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("help_requests.id"), index=True)
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"))
    # A meeting of a peer-mentoring agreement: it counts against the agreement too.
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    logged_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)

    __table_args__ = (CheckConstraint("minutes > 0 AND minutes <= 1440", name="sane_minutes"),)


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"), unique=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    # "Would you otherwise have contacted the IT helpdesk?" (optional on the feedback card).
    helpdesk_avoided: Mapped[bool | None] = mapped_column(Boolean)
    given_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)

    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)


class AuditLog(Base):
    """Who changed roles, the FAQ or personal data, and who exported what. `actor` is an Entra
    object id, or "cli" for admin commands; `person_id` the person the entry is about. `data`
    holds ids and counts only, never a question text."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(50))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


# The survey's tables live in their own module (this one would pass 400 lines); imported here, at
# the end, so that Base.metadata (migrations, the schema test) always describes them too.
from storage import survey_models  # noqa: E402, F401

# Help beyond single questions (team sessions, agreements, open helpers) lives beside it too.
from storage.collaboration_models import (  # noqa: E402
    Agreement,
    AgreementEvaluation,
    AgreementGoal,
    AgreementGoalAnswer,
    OpenHelper,
    SessionParticipant,
    TeamSession,
)

# The bot's own bookkeeping (claims, processes, the outbox, digests) and the FAQ's tables too.
from storage.delivery_models import BotProcess, DigestSent, OutboxMessage, ProcessedActivity  # noqa: E402
from storage.faq_models import FaqEntry, FaqFeedback, FaqTranslation, FaqVariant, TextEmbedding  # noqa: E402

# The mentor network's tables (coverage, announcements) live beside this module; imported here
# so that the metadata, the migrations' check and every `from storage.models import` see them.
from storage.network_models import (  # noqa: E402
    Announcement,
    AnnouncementDelivery,
    AnnouncementUnit,
    CoverageChange,
    UnitCoverage,
)

__all__ = ["Agreement", "AgreementEvaluation", "AgreementGoal", "AgreementGoalAnswer", "Announcement",
           "AnnouncementDelivery", "AnnouncementUnit", "CoverageChange", "OpenHelper", "SessionParticipant",
           "TeamSession", "UnitCoverage", "BotProcess", "DigestSent", "OutboxMessage", "ProcessedActivity",
           "FaqEntry", "FaqFeedback", "FaqTranslation", "FaqVariant", "TextEmbedding"]
