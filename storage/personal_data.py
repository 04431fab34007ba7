"""Where the database keeps something about a person: the map that `person export` and
`person erase` work from, and finding a person by e-mail.

`PERSON_COLUMNS` names every column that ties a row to a person, directly (a person id or an
Entra object id) or through their question, help request or survey response; tests/test_personal_data.py fails
when a table gains such a column that is not listed here, so that a new table cannot be left
out of an export or an erasure.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from storage.models import CoordinatorScope, Person, PersonRole

# (table, column) -> the section of a person's export that holds those rows.
PERSON_COLUMNS: dict[tuple[str, str], str] = {
    ("people", "id"): "directory",
    ("people", "aad_object_id"): "directory",
    ("person_roles", "person_id"): "directory",
    ("coordinator_scopes", "person_id"): "directory",
    ("mentor_profiles", "person_id"): "directory",
    ("conversation_references", "aad_object_id"): "conversation_references",
    ("questions", "asker_person_id"): "questions",
    ("questions", "asker_aad_object_id"): "questions",
    # A delivery claim only points at the question its turn recorded (no text), for two days.
    ("processed_activities", "question_id"): "questions",
    # A helpdesk agent handed these questions to the digimentors for someone else.
    ("questions", "filed_by_person_id"): "questions_handed_on",
    ("faq_feedback", "question_id"): "faq_feedback",
    ("faq_variants", "question_id"): "faq_variants_from_questions",
    ("faq_variants", "decided_by"): "faq_variants_decided",
    ("faq_entries", "proposed_by"): "faq_proposals",
    ("help_requests", "asker_person_id"): "help_requests_as_asker",
    ("help_requests", "asker_aad_object_id"): "help_requests_as_asker",
    ("help_requests", "question_id"): "help_requests_as_asker",
    ("feedback", "request_id"): "help_requests_as_asker",
    ("help_requests", "assigned_mentor_id"): "help_requests_as_mentor",
    ("request_events", "actor_person_id"): "request_events",
    ("request_events", "request_id"): "help_requests_as_asker",
    ("request_offers", "mentor_id"): "offers",
    ("request_offers", "request_id"): "offers",
    ("mentor_time_entries", "mentor_id"): "time_entries",
    ("mentor_time_entries", "request_id"): "time_entries",
    ("digests_sent", "person_id"): "digests",
    # Messages waiting to be sent, or sent within the last day: to them, or about their request.
    ("outbox_messages", "recipient"): "messages",
    ("outbox_messages", "mentor_id"): "messages",
    ("outbox_messages", "request_id"): "messages",
    # Their survey answers and the state of their answering; the rounds they started or closed.
    ("survey_responses", "person_id"): "survey_answers",
    ("survey_answers", "response_id"): "survey_answers",
    ("survey_bookings", "response_id"): "survey_answers",
    ("survey_bookings", "question_id"): "survey_answers",
    ("survey_rounds", "started_by"): "survey_rounds",
    ("survey_rounds", "closed_by"): "survey_rounds",
    # Rollout announcements they made, and those sent to them (with their acknowledgement).
    ("announcements", "created_by"): "announcements_made",
    ("announcement_deliveries", "person_id"): "announcements_received",
    ("audit_log", "actor"): "audit",
    ("audit_log", "person_id"): "audit",
    # Team sessions: the booking of a request they asked or took, and their own feedback on one.
    ("team_sessions", "request_id"): "sessions",
    ("session_participants", "request_id"): "sessions",
    ("session_participants", "person_id"): "session_participation",
    # Peer-mentoring agreements they are a side of (or closed), and their own evaluations.
    ("agreements", "mentor_id"): "agreements",
    ("agreements", "mentee_person_id"): "agreements",
    ("agreements", "mentee_contact_id"): "agreements",
    ("agreements", "closed_by"): "agreements",
    ("agreement_evaluations", "person_id"): "agreement_evaluations",
    ("agreement_goal_answers", "person_id"): "agreement_evaluations",
    # Their own offer of help, and the helpers a coordinator removed.
    ("open_helpers", "person_id"): "open_helper",
    ("open_helpers", "removed_by"): "open_helper",
}


@dataclass(frozen=True)
class PersonFound:
    id: int
    aad_object_id: str
    name: str
    email: str | None
    unit_id: str | None
    active: bool
    roles: tuple[str, ...]
    coordinator_of: tuple[str, ...]


async def people_with_email(session, email: str) -> list[PersonFound]:
    """Everyone stored with this e-mail address, whatever its case: an address is not unique in
    the organisation file, and a Graph-placed row may repeat an imported one."""
    rows = (await session.scalars(select(Person).where(func.lower(Person.email) == email.strip().lower())
                                  .order_by(Person.id))).all()
    found = []
    for row in rows:
        roles = (await session.scalars(select(PersonRole.role).where(PersonRole.person_id == row.id)
                                       .order_by(PersonRole.role))).all()
        scopes = (await session.scalars(select(CoordinatorScope.unit_id).where(CoordinatorScope.person_id == row.id)
                                        .order_by(CoordinatorScope.unit_id))).all()
        found.append(PersonFound(row.id, row.aad_object_id, row.name, row.email, row.unit_id, row.active,
                                 tuple(roles), tuple(scopes)))
    return found


def plain(row, *, without: tuple[str, ...] = ()) -> dict:
    """A model row as a dict of its columns."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns if column.key not in without}
