"""Everything stored about a person, gathered table by table (storage.personal_data.PERSON_COLUMNS
names the columns), as plain dicts for `person export`."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from storage.db import Database
from storage.models import (
    Agreement,
    AgreementEvaluation,
    AgreementGoal,
    AgreementGoalAnswer,
    Announcement,
    AnnouncementDelivery,
    AuditLog,
    ConversationReference,
    DigestSent,
    FaqEntry,
    FaqFeedback,
    FaqTranslation,
    FaqVariant,
    Feedback,
    HelpRequest,
    MentorProfile,
    MentorTimeEntry,
    OpenHelper,
    OutboxMessage,
    Person,
    Question,
    RequestEvent,
    RequestOffer,
    SessionParticipant,
    TeamSession,
)
from storage.personal_data import PersonFound, people_with_email, plain
from storage.survey_models import SurveyAnswer, SurveyBooking, SurveyResponse, SurveyRound


class PersonExport:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def gather(self, email: str) -> list[dict]:
        """One document per person stored with the e-mail (usually one); empty when nobody is."""
        async with self._database.transaction() as session:
            return [await _person(session, found) for found in await people_with_email(session, email)]


async def _rows(session, query, **plain_options) -> list[dict]:
    return [plain(row, **plain_options) for row in (await session.scalars(query)).all()]


async def _person(session, found: PersonFound) -> dict:
    person_id, aad = found.id, found.aad_object_id
    person = await session.get(Person, person_id)
    profile = await session.get(MentorProfile, person_id)
    directory = {**plain(person), "roles": list(found.roles), "coordinator_of": list(found.coordinator_of),
                 "mentor_profile": plain(profile, without=("person_id",)) if profile else None}

    asked = or_(Question.asker_person_id == person_id, Question.asker_aad_object_id == aad)
    questions = await _rows(session, select(Question).where(asked).order_by(Question.asked_at, Question.id))
    question_ids = [q["id"] for q in questions]
    faq_feedback = await _rows(session, select(FaqFeedback).where(FaqFeedback.question_id.in_(question_ids))
                               .order_by(FaqFeedback.id))
    variants = await _rows(session, select(FaqVariant).where(FaqVariant.question_id.in_(question_ids))
                           .order_by(FaqVariant.id))
    decided = await _rows(session, select(FaqVariant).where(FaqVariant.decided_by == person_id)
                          .order_by(FaqVariant.id), without=("text",))

    # A mentor's proposal carries the asker's question: it belongs to both.
    proposal_ids = select(FaqEntry.id).where(or_(FaqEntry.proposed_by == person_id,
                                                 FaqEntry.id.in_([f"proposed-{q}" for q in question_ids])))
    proposals = await _rows(session, select(FaqEntry).where(FaqEntry.id.in_(proposal_ids)).order_by(FaqEntry.id))
    translations = await _rows(session, select(FaqTranslation).where(FaqTranslation.entry_id.in_(proposal_ids))
                               .order_by(FaqTranslation.entry_id, FaqTranslation.language))
    for proposal in proposals:
        proposal["texts"] = [t for t in translations if t["entry_id"] == proposal["id"]]

    as_asker = await _requests(session, or_(HelpRequest.asker_person_id == person_id,
                                            HelpRequest.asker_aad_object_id == aad))
    as_mentor = await _requests(session, HelpRequest.assigned_mentor_id == person_id)
    return {
        "directory": directory,
        "questions": questions,
        "faq_feedback": faq_feedback,
        "faq_variants_from_questions": variants,
        "faq_variants_decided": decided,
        # Someone else's questions, handed on by them as a helpdesk agent: the asker's words stay out.
        "questions_handed_on": await _rows(session, select(Question).where(Question.filed_by_person_id == person_id)
                                           .order_by(Question.asked_at, Question.id), without=("text",)),
        "faq_proposals": proposals,
        "help_requests_as_asker": as_asker,
        "help_requests_as_mentor": as_mentor,
        "request_events": await _rows(session, select(RequestEvent).where(RequestEvent.actor_person_id == person_id)
                                      .order_by(RequestEvent.at, RequestEvent.id)),
        "offers": await _rows(session, select(RequestOffer).where(RequestOffer.mentor_id == person_id)
                              .order_by(RequestOffer.offered_at, RequestOffer.request_id)),
        "time_entries": await _rows(session, select(MentorTimeEntry).where(MentorTimeEntry.mentor_id == person_id)
                                    .order_by(MentorTimeEntry.logged_at, MentorTimeEntry.id)),
        "conversation_references": await _rows(
            session, select(ConversationReference).where(ConversationReference.aad_object_id == aad)
            .order_by(ConversationReference.id)),
        "digests": await _rows(session, select(DigestSent).where(DigestSent.person_id == person_id)
                               .order_by(DigestSent.week)),
        # Sent to them, or carrying their question to a mentor (kept a day after delivery).
        "messages": await _rows(session, select(OutboxMessage).where(or_(
            OutboxMessage.recipient == aad, OutboxMessage.request_id.in_(
                select(HelpRequest.id).where(HelpRequest.asker_person_id == person_id))))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)),
        "survey_answers": await _survey_answers(session, person_id),
        "survey_rounds": await _rows(session, select(SurveyRound).where(or_(
            SurveyRound.started_by == person_id, SurveyRound.closed_by == person_id)).order_by(SurveyRound.id)),
        "announcements_made": await _rows(session, select(Announcement).where(Announcement.created_by == person_id)
                                          .order_by(Announcement.id)),
        "announcements_received": await _rows(
            session, select(AnnouncementDelivery).where(AnnouncementDelivery.person_id == person_id)
            .order_by(AnnouncementDelivery.id)),
        "audit": await _rows(session, select(AuditLog).where(or_(AuditLog.actor == aad,
                                                                 AuditLog.person_id == person_id))
                             .order_by(AuditLog.at, AuditLog.id)),
        **await _collaboration(session, person_id, [r["id"] for r in as_asker + as_mentor]),
    }


async def _collaboration(session, person_id: int, request_ids: list[int]) -> dict:
    """Sessions they booked or held (without the participants' own feedback), their feedback on
    sessions, agreements they are a side of (with the goals, without the other side's
    evaluation), their evaluations, and their offer of help."""
    sessions = await _rows(session, select(TeamSession).where(TeamSession.request_id.in_(request_ids))
                           .order_by(TeamSession.request_id))
    named = (await session.execute(select(SessionParticipant.request_id, SessionParticipant.person_id)
                                   .where(SessionParticipant.request_id.in_(request_ids)))).all()
    for booking in sessions:
        booking["participants_named"] = sorted(p for r, p in named if r == booking["request_id"])
    side = or_(Agreement.mentor_id == person_id, Agreement.mentee_person_id == person_id,
               Agreement.mentee_contact_id == person_id, Agreement.closed_by == person_id)
    agreements = await _rows(session, select(Agreement).where(side).order_by(Agreement.created_at, Agreement.id))
    goals = await _rows(session, select(AgreementGoal).where(
        AgreementGoal.agreement_id.in_([a["id"] for a in agreements]))
        .order_by(AgreementGoal.agreement_id, AgreementGoal.position))
    for agreement in agreements:
        agreement["goals"] = [g["text"] for g in goals if g["agreement_id"] == agreement["id"]]
    evaluations = await _rows(session, select(AgreementEvaluation).where(AgreementEvaluation.person_id == person_id)
                              .order_by(AgreementEvaluation.given_at))
    answers = await _rows(session, select(AgreementGoalAnswer).where(AgreementGoalAnswer.person_id == person_id)
                          .order_by(AgreementGoalAnswer.agreement_id, AgreementGoalAnswer.position))
    for evaluation in evaluations:
        evaluation["goal_answers"] = {a["position"]: a["answer"] for a in answers
                                      if a["agreement_id"] == evaluation["agreement_id"]}
    return {
        "sessions": sessions,
        "session_participation": await _rows(session, select(SessionParticipant).where(
            SessionParticipant.person_id == person_id).order_by(SessionParticipant.request_id)),
        "agreements": agreements,
        "agreement_evaluations": evaluations,
        "open_helper": await _rows(session, select(OpenHelper).where(
            or_(OpenHelper.person_id == person_id, OpenHelper.removed_by == person_id)).order_by(OpenHelper.since)),
    }


async def _requests(session, condition) -> list[dict]:
    """Help requests with their history, the minutes logged on them and the rating."""
    requests = await _rows(session, select(HelpRequest).where(condition)
                           .order_by(HelpRequest.created_at, HelpRequest.id))
    ids = [r["id"] for r in requests]
    events = await _rows(session, select(RequestEvent).where(RequestEvent.request_id.in_(ids))
                         .order_by(RequestEvent.at, RequestEvent.id))
    minutes = dict((await session.execute(
        select(MentorTimeEntry.request_id, func.sum(MentorTimeEntry.minutes))
        .where(MentorTimeEntry.request_id.in_(ids)).group_by(MentorTimeEntry.request_id))).all())
    ratings = {f["request_id"]: f for f in await _rows(session, select(Feedback).where(Feedback.request_id.in_(ids)))}
    for request in requests:
        request["events"] = [e for e in events if e["request_id"] == request["id"]]
        request["minutes"] = int(minutes.get(request["id"]) or 0)
        rating = ratings.get(request["id"])
        request["rating"] = {"rating": rating["rating"], "comment": rating["comment"],
                             "given_at": rating["given_at"]} if rating else None
    return requests


async def _survey_answers(session, person_id: int) -> list[dict]:
    """Each round they were invited to: where their answering stands, every answer they saved
    and the mentors they booked from their profile."""
    responses = await _rows(session, select(SurveyResponse).where(SurveyResponse.person_id == person_id)
                            .order_by(SurveyResponse.round_id))
    ids = [r["id"] for r in responses]
    answers = await _rows(session, select(SurveyAnswer).where(SurveyAnswer.response_id.in_(ids))
                          .order_by(SurveyAnswer.response_id, SurveyAnswer.area_id, SurveyAnswer.item_id))
    bookings = await _rows(session, select(SurveyBooking).where(SurveyBooking.response_id.in_(ids))
                           .order_by(SurveyBooking.response_id, SurveyBooking.area_id))
    for response in responses:
        response["answers"] = [a for a in answers if a["response_id"] == response["id"]]
        response["bookings"] = [b for b in bookings if b["response_id"] == response["id"]]
    return responses
