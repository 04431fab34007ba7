"""Texts people wrote are kept for the retention time, then redacted in place: the rows stay,
so that every count and statistic stays as it was.

Each statement redacts only what is not redacted yet, so a run is idempotent, and two processes
running it at once cannot both count the same row: on PostgreSQL the second finds the first's
lock taken and skips its turn; SQLite has one writer at a time anyway.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, select, text, update

from storage.audit_repository import add_entry
from storage.db import Database
from storage.models import (
    REDACTED,
    Agreement,
    AgreementEvaluation,
    AgreementGoal,
    FaqEntry,
    FaqTranslation,
    FaqVariant,
    Feedback,
    HelpRequest,
    MentorTimeEntry,
    Question,
    SessionParticipant,
    TeamSession,
)
from storage.survey_models import SurveyAnswer, SurveyResponse, SurveyRound

# An arbitrary constant, distinct from the migration lock (storage.migrate).
_PG_RETENTION_LOCK = 805_2026


def _written(column):
    return and_(column.is_not(None), column != "", column != REDACTED)


class Retention:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def redact_older_than(self, cutoff: datetime, *, days: int, actor: str, survey_cutoff: datetime | None = None,
                                survey_days: int | None = None) -> dict[str, int] | None:
        """Counts of texts redacted (and survey answers deleted) now; None when another process is
        running it at this moment. A run that changed something is audited (counts only).

        Survey answers are deleted, not redacted, with their responses (where the respondent's
        answering stood) and bookings, once their round closed before `survey_cutoff`: the
        round's results were written when it closed and stay."""
        statements = {
            "question_texts": update(Question).where(Question.asked_at < cutoff, Question.text != REDACTED)
            .values(text=REDACTED),
            "comments": update(Feedback).where(Feedback.given_at < cutoff, _written(Feedback.comment))
            .values(comment=REDACTED),
            # Approved variants are part of the FAQ now; rejected ones never answer.
            "pending_faq_variants": update(FaqVariant).where(
                FaqVariant.created_at < cutoff, FaqVariant.status == "pending", FaqVariant.text != REDACTED)
            .values(text=REDACTED),
            "time_entry_notes": update(MentorTimeEntry).where(MentorTimeEntry.logged_at < cutoff,
                                                              _written(MentorTimeEntry.note))
            .values(note=REDACTED),
            # A mentor's proposal still waiting carries a copy of the asker's question.
            "proposal_questions": update(FaqTranslation).where(
                FaqTranslation.entry_id.in_(select(FaqEntry.id).where(FaqEntry.status == "proposed",
                                                                      FaqEntry.updated_at < cutoff)),
                FaqTranslation.question != REDACTED).values(question=REDACTED),
            # A session's note, from its booking; its topic stays (like an FAQ topic, it says what,
            # not who).
            "session_notes": update(TeamSession).where(
                TeamSession.request_id.in_(select(HelpRequest.id).where(HelpRequest.created_at < cutoff)),
                _written(TeamSession.note)).values(note=REDACTED),
            "session_comments": update(SessionParticipant).where(SessionParticipant.rated_at < cutoff,
                                                                 _written(SessionParticipant.comment))
            .values(comment=REDACTED),
            # An agreement's goals are kept while it runs, and for the retention time after.
            "agreement_goals": update(AgreementGoal).where(
                AgreementGoal.agreement_id.in_(select(Agreement.id).where(
                    Agreement.state.in_(("closed", "declined", "withdrawn")),
                    func.coalesce(Agreement.closed_at, Agreement.decided_at, Agreement.created_at) < cutoff)),
                AgreementGoal.text != REDACTED).values(text=REDACTED),
            "agreement_comments": update(AgreementEvaluation).where(AgreementEvaluation.given_at < cutoff,
                                                                    _written(AgreementEvaluation.comment))
            .values(comment=REDACTED),
        }
        async with self._database.transaction() as session:
            if self._database.dialect == "postgresql" and not await session.scalar(
                    text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _PG_RETENTION_LOCK}):
                return None
            counts = {name: (await session.execute(statement)).rowcount for name, statement in statements.items()}
            survey = {}
            if survey_cutoff is not None:
                old = select(SurveyResponse.id).where(SurveyResponse.round_id.in_(
                    select(SurveyRound.id).where(SurveyRound.closed_at < survey_cutoff)))
                survey = {"survey_answers": (await session.execute(
                    delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(old)))).rowcount}
                survey["survey_responses"] = (await session.execute(
                    delete(SurveyResponse).where(SurveyResponse.id.in_(old)))).rowcount
                counts.update(survey)
            if any(counts.values()):
                extra = {"survey_days": survey_days, "survey_cutoff": survey_cutoff.isoformat()} if survey else {}
                add_entry(session, self._database, actor=actor, action="retention_run", days=days,
                          cutoff=cutoff.isoformat(), **extra, **counts)
        return counts
