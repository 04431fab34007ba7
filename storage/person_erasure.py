"""Erasing a person on request: pseudonymise, never delete the rows the statistics count.

Removed: their name, e-mail, languages, roles and coordinator scopes; the texts they wrote
(question texts and the FAQ variants and proposals made of them, rating comments, time-entry
notes, the FAQ answers they proposed that still wait); their full name where others wrote it;
their conversation references and the locations of offer cards sent to them; their survey
answers and where their answering stood (the results of closed rounds stay). Their Entra object
id becomes "erased-<id>" everywhere, so that nothing links the rows to them again: a later
import naming them makes a new person with no history. Kept: every row with its times, states,
units, minutes and ratings, so that every count and statistic stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, delete, func, or_, select, update

from storage.audit_repository import add_entry
from storage.coverage_repository import sync_coverage
from storage.db import Database
from storage.models import (
    REDACTED,
    Agreement,
    AgreementEvaluation,
    AgreementGoal,
    AnnouncementDelivery,
    AuditLog,
    ConversationReference,
    CoordinatorScope,
    FaqEntry,
    FaqTranslation,
    FaqVariant,
    Feedback,
    HelpRequest,
    MentorProfile,
    MentorTimeEntry,
    OpenHelper,
    OutboxMessage,
    Person,
    PersonRole,
    Question,
    RequestOffer,
    RequestState,
    SessionParticipant,
    TeamSession,
)
from storage.personal_data import PersonFound, people_with_email
from storage.survey_models import SurveyAnswer, SurveyResponse

OPEN_STATES = (RequestState.OPEN.value, RequestState.OFFERED.value, RequestState.ACCEPTED.value)
ERASED_SOURCE = "erased"


@dataclass(frozen=True)
class Erasure:
    """One person erased (or, in a preview, what would be): who it was, and counts only."""

    person: PersonFound
    counts: dict[str, int]


class _Preview(Exception):
    def __init__(self, erasures: list[Erasure]) -> None:
        self.erasures = erasures


def pseudonym(person_id: int) -> str:
    return f"erased-{person_id}"


class PersonErasure:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def erase(self, email: str, *, actor: str, apply: bool) -> list[Erasure]:
        """Everyone stored with the e-mail, erased in one transaction and audited (counts only).
        Without `apply` the same work is done and rolled back: the preview's counts are exactly
        what erasing would change. Empty when nobody has the address (also once erased)."""
        try:
            async with self._database.transaction() as session:
                erasures = [Erasure(found, await self._erase(session, found))
                            for found in await people_with_email(session, email)]
                for erasure in erasures:
                    add_entry(session, self._database, actor=actor, action="person_erased",
                              person_id=erasure.person.id, **erasure.counts)
                if not apply:
                    raise _Preview(erasures)
        except _Preview as preview:
            return preview.erasures
        return erasures

    async def _erase(self, session, found: PersonFound) -> dict[str, int]:
        person_id, aad, erased_as = found.id, found.aad_object_id, pseudonym(found.id)
        counts: dict[str, int] = {}

        async def run(name: str, statement) -> None:
            counts[name] = counts.get(name, 0) + (await session.execute(statement)).rowcount

        asked = or_(Question.asker_person_id == person_id, Question.asker_aad_object_id == aad)
        question_ids = list((await session.scalars(select(Question.id).where(asked))).all())
        requested = or_(HelpRequest.asker_person_id == person_id, HelpRequest.asker_aad_object_id == aad)
        request_ids = select(HelpRequest.id).where(requested).scalar_subquery()
        counts["open_requests"] = await session.scalar(select(func.count()).select_from(HelpRequest).where(
            or_(requested, HelpRequest.assigned_mentor_id == person_id), HelpRequest.state.in_(OPEN_STATES)))

        await run("question_texts", update(Question).where(asked, Question.text != REDACTED)
                  .values(text=REDACTED))
        await session.execute(update(Question).where(asked).values(asker_aad_object_id=erased_as))
        counts["faq_variant_texts"] = await _redact_variants(session, self._database,
                                                             FaqVariant.question_id.in_(question_ids))
        proposed_from_questions = [f"proposed-{question_id}" for question_id in question_ids]
        await run("proposal_texts", update(FaqTranslation).where(
            FaqTranslation.entry_id.in_(_still_proposed(FaqEntry.id.in_(proposed_from_questions))),
            FaqTranslation.question != REDACTED).values(question=REDACTED))
        await run("proposal_texts", update(FaqTranslation).where(
            FaqTranslation.entry_id.in_(_still_proposed(FaqEntry.proposed_by == person_id)),
            FaqTranslation.answer != REDACTED).values(answer=REDACTED))
        await run("comments", update(Feedback).where(Feedback.request_id.in_(request_ids), _written(Feedback.comment))
                  .values(comment=REDACTED))
        await session.execute(update(HelpRequest).where(requested).values(asker_aad_object_id=erased_as))
        await run("time_entry_notes", update(MentorTimeEntry).where(
            MentorTimeEntry.mentor_id == person_id, _written(MentorTimeEntry.note)).values(note=REDACTED))
        await self._erase_collaboration(session, person_id, request_ids, run)
        # An erased helper stops helping; the row (topics, dates) stays for the counts.
        await run("helper_offer", update(OpenHelper).where(OpenHelper.person_id == person_id,
                                                           OpenHelper.state == "active")
                  .values(state="withdrawn", ended_at=self._database.now()))
        counts["mentions"] = await _scrub_name(session, self._database, found.name)

        await run("conversation_references", delete(ConversationReference)
                  .where(ConversationReference.aad_object_id == aad))
        # Messages to them, or carrying their question to mentors: waiting ones are not sent.
        # Messages already delivered are kept a day only for inspection and may quote them
        # anywhere (a digest, a resolved card): they all go.
        await run("messages", delete(OutboxMessage).where(or_(
            OutboxMessage.recipient == aad, OutboxMessage.request_id.in_(request_ids),
            OutboxMessage.finished_at.is_not(None))))
        # Their waiting announcements were among the messages: they will never be delivered.
        await session.execute(update(AnnouncementDelivery).where(AnnouncementDelivery.person_id == person_id,
                                                                 AnnouncementDelivery.state == "pending")
                              .values(state="skipped"))
        await run("offer_cards", update(RequestOffer).where(
            RequestOffer.mentor_id == person_id,
            or_(RequestOffer.conversation_id.is_not(None), RequestOffer.activity_id.is_not(None)))
            .values(conversation_id=None, activity_id=None))
        await run("audit_entries_by_them", update(AuditLog).where(AuditLog.actor == aad).values(actor=erased_as))
        # Their survey answers go; the results of closed rounds were written when each closed and
        # stay as they were. Answers and bookings go with the response (ON DELETE CASCADE, which
        # the count below does not rely on).
        responses = select(SurveyResponse.id).where(SurveyResponse.person_id == person_id).scalar_subquery()
        await run("survey_answers", delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(responses)))
        await run("survey_responses", delete(SurveyResponse).where(SurveyResponse.person_id == person_id))
        await run("roles", delete(PersonRole).where(PersonRole.person_id == person_id))
        await run("coordinator_scopes", delete(CoordinatorScope).where(CoordinatorScope.person_id == person_id))
        # The allowance stays: the statistics compare the minutes with it.
        await session.execute(update(MentorProfile).where(MentorProfile.person_id == person_id)
                              .values(topics=[], status="away", away_until=None))
        await run("people", update(Person).where(Person.id == person_id, Person.source != ERASED_SOURCE).values(
            name=REDACTED, email=None, aad_object_id=erased_as, languages=[], active=False, source=ERASED_SOURCE,
            updated_at=self._database.now()))
        # An erased mentor leaves their unit: if they were its last, the loss is recorded now.
        await sync_coverage(session, self._database)
        return counts


    @staticmethod
    async def _erase_collaboration(session, person_id: int, request_ids, run) -> None:
        """Their words in sessions and agreements: the topic and note of sessions they booked,
        their session feedback and evaluation comments, and the goals of agreements they are a
        side of (goals describe the mentee's work and were written by the mentor). Counts,
        ratings and goal answers stay."""
        await run("session_texts", update(TeamSession).where(TeamSession.request_id.in_(request_ids),
                                                             _written(TeamSession.note)).values(note=REDACTED))
        await run("session_texts", update(TeamSession).where(TeamSession.request_id.in_(request_ids),
                                                             TeamSession.topic != REDACTED).values(topic=REDACTED))
        await run("comments", update(SessionParticipant).where(SessionParticipant.person_id == person_id,
                                                               _written(SessionParticipant.comment))
                  .values(comment=REDACTED))
        await run("comments", update(AgreementEvaluation).where(AgreementEvaluation.person_id == person_id,
                                                                _written(AgreementEvaluation.comment))
                  .values(comment=REDACTED))
        sides = select(Agreement.id).where(or_(Agreement.mentor_id == person_id,
                                               Agreement.mentee_person_id == person_id)).scalar_subquery()
        await run("agreement_goals", update(AgreementGoal).where(AgreementGoal.agreement_id.in_(sides),
                                                                 AgreementGoal.text != REDACTED)
                  .values(text=REDACTED))
        await run("agreement_topics", update(Agreement).where(Agreement.id.in_(sides), Agreement.topic != REDACTED)
                  .values(topic=REDACTED))


def _written(column):
    """A text someone wrote that is still there."""
    return and_(column.is_not(None), column != "", column != REDACTED)


def _still_proposed(condition):
    # A published proposal is the organisation's FAQ now, as a coordinator wrote it.
    return select(FaqEntry.id).where(condition, FaqEntry.status == "proposed")


async def _redact_variants(session, database: Database, condition) -> int:
    """An approved variant is withdrawn from its entry too, which every replica then re-indexes."""
    variants = (await session.scalars(select(FaqVariant).where(condition, FaqVariant.text != REDACTED))).all()
    for variant in variants:
        if variant.status == "approved":
            translations = (await session.scalars(select(FaqTranslation).where(
                FaqTranslation.entry_id == variant.entry_id).with_for_update())).all()
            for translation in translations:
                if variant.text in translation.variants:
                    translation.variants = [v for v in translation.variants if v != variant.text]
            await session.execute(update(FaqEntry).where(FaqEntry.id == variant.entry_id)
                                  .values(version=FaqEntry.version + 1, updated_at=database.now()))
        variant.text = REDACTED
    await session.flush()
    return len(variants)


def _full_name(name: str) -> str | None:
    """Only a full name is safe to look for in free text: a single short word would match
    inside other words."""
    name = " ".join(name.split())
    return name if name != REDACTED and " " in name and len(name) >= 5 else None


async def _scrub_name(session, database: Database, name: str) -> int:
    """Their full name where others wrote it: in questions, comments and notes it is replaced in
    place; a variant or proposal mentioning it is redacted whole (a replaced variant could
    collide with another wording of the same entry)."""
    name = _full_name(name)
    if name is None:
        return 0
    scrubbed = 0
    for model, column in ((Question, Question.text), (Feedback, Feedback.comment),
                          (MentorTimeEntry, MentorTimeEntry.note), (TeamSession, TeamSession.note),
                          (SessionParticipant, SessionParticipant.comment), (AgreementGoal, AgreementGoal.text),
                          (AgreementEvaluation, AgreementEvaluation.comment)):
        replaced = func.replace(column, name, REDACTED)
        result = await session.execute(update(model).where(column.is_not(None), replaced != column)
                                       .values({column.key: replaced}))
        scrubbed += result.rowcount
    scrubbed += await _redact_variants(session, database, func.replace(FaqVariant.text, name, "") != FaqVariant.text)
    for column in (FaqTranslation.question, FaqTranslation.answer):
        result = await session.execute(update(FaqTranslation).where(
            FaqTranslation.entry_id.in_(select(FaqEntry.id).where(FaqEntry.status == "proposed")),
            func.replace(column, name, REDACTED) != column).values({column.key: func.replace(column, name, REDACTED)}))
        scrubbed += result.rowcount
    return scrubbed
