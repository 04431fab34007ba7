"""Every flow, built once per application from the database, the clock and the edge's ports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import time

from dialogs.clock import Clock
from dialogs.embedding import Embeddings, shared_embeddings
from dialogs.flows.agreements import Agreements
from dialogs.flows.announcements import Announcements
from dialogs.flows.asking import Asking
from dialogs.flows.coverage import Coverage
from dialogs.flows.deliveries import Deliveries
from dialogs.flows.digest import Digest
from dialogs.flows.directory import Directory
from dialogs.flows.exports import Exports
from dialogs.flows.faq_admin import FaqAdmin
from dialogs.flows.faq_library import FaqLibrary
from dialogs.flows.handoff import Handoff
from dialogs.flows.helpdesk import HelpdeskReferrals
from dialogs.flows.impact import ImpactReport
from dialogs.flows.mentor_admin import MentorAdmin
from dialogs.flows.mentor_tools import MentorTools
from dialogs.flows.offer_rounds import OfferRounds
from dialogs.flows.open_helpers import OpenHelpers
from dialogs.flows.privacy import DEFAULT_RETENTION_DAYS, DEFAULT_SURVEY_RETENTION_DAYS, Privacy
from dialogs.flows.reports import Reports
from dialogs.flows.request_actions import RequestActions
from dialogs.flows.session_background import SessionRounds
from dialogs.flows.sessions import TeamSessions
from dialogs.flows.survey_answering import SurveyAnswering
from dialogs.flows.survey_instruments import Instruments
from dialogs.flows.survey_results import SurveyResults
from dialogs.flows.survey_rounds import SurveyRounds
from dialogs.ports import Graph, Messenger
from dialogs.rules.language import LanguageDetector
from dialogs.rules.signed_links import LinkSigner, key_from
from storage.activity_claims import ActivityClaims
from storage.agreement_repository import AgreementRepository
from storage.announcement_repository import AnnouncementRepository
from storage.audit_repository import AuditRepository
from storage.conversation_repository import ConversationRepository
from storage.coverage_repository import CoverageRepository
from storage.db import Database
from storage.digest_repository import DigestRepository
from storage.directory_repository import DirectoryRepository
from storage.embedding_repository import EmbeddingRepository
from storage.export_repository import ExportRepository
from storage.faq_repository import FaqRepository
from storage.helper_repository import HelperRepository
from storage.impact_repository import ImpactRepository
from storage.mentor_repository import MentorRepository
from storage.outbox import OutboxRepository
from storage.person_erasure import PersonErasure
from storage.person_export import PersonExport
from storage.processes import ProcessRegistry
from storage.question_repository import QuestionRepository
from storage.request_repository import RequestRepository
from storage.retention import Retention
from storage.session_repository import SessionRepository
from storage.stats_repository import StatsRepository
from storage.survey_instruments import SurveyInstrumentRepository
from storage.survey_responses import SurveyResponseRepository
from storage.survey_results import SurveyResultRepository
from storage.survey_rounds import SurveyRoundRepository
from storage.variant_repository import VariantRepository


@dataclass(frozen=True)
class FlowOptions:
    """The settings the flows use (bot.config reads them from the environment)."""

    offer_group_size: int = 3
    public_base_url: str = "http://127.0.0.1:3978"
    export_signing_key: str = ""
    digest_weekday: int = 0
    digest_time: time = time(8, 0)
    teams_app_id: str = ""
    # The package uses the bot's app id as the manifest id (bot/teams_package.py).
    manifest_id: str = ""
    group_chats: bool = False
    # FAQ matching with sentence embeddings as well as n-grams (dialogs/embedding.py).
    semantic_matching: bool = True
    retention_days: int = DEFAULT_RETENTION_DAYS
    survey_retention_days: int = DEFAULT_SURVEY_RETENTION_DAYS


@dataclass
class Flows:
    clock: Clock
    directory: Directory
    conversations: ConversationRepository
    processes: ProcessRegistry
    claims: ActivityClaims
    deliveries: Deliveries
    faq: FaqLibrary
    asking: Asking
    faq_admin: FaqAdmin
    offers: OfferRounds
    requests: RequestActions
    mentor_tools: MentorTools
    reports: Reports
    mentor_admin: MentorAdmin
    exports: Exports
    digest: Digest
    privacy: Privacy
    survey_rounds: SurveyRounds
    survey_answering: SurveyAnswering
    survey_results: SurveyResults
    coverage: Coverage
    helpdesk: HelpdeskReferrals
    announcements: Announcements
    impact: ImpactReport
    sessions: TeamSessions
    session_rounds: SessionRounds
    open_helpers: OpenHelpers
    agreements: Agreements
    unit_ids: Callable[[], Awaitable[Collection[str]]]

    @classmethod
    def build(cls, database: Database, clock: Clock, messenger: Messenger, options: FlowOptions,
              graph: Graph | None = None, embeddings: Embeddings | None = None) -> "Flows":
        """`embeddings`: the process's shared model unless given (tests give a failing one)."""
        directory_repository, questions = DirectoryRepository(database), QuestionRepository(database)
        mentors, requests, stats = MentorRepository(database), RequestRepository(database), StatsRepository(database)
        faq, variants, audit = FaqRepository(database), VariantRepository(database), AuditRepository(database)
        directory = Directory(directory_repository, graph)
        if options.semantic_matching:
            embeddings = embeddings or shared_embeddings()
        library = FaqLibrary(faq, EmbeddingRepository(database), embeddings if options.semantic_matching else None)
        announcements = Announcements(AnnouncementRepository(database), directory_repository, directory, library,
                                      clock)
        asking = Asking(library, questions, variants, LanguageDetector(), directory, clock,
                        rollout_for=announcements.rollout_for)
        signer = LinkSigner(key_from(options.export_signing_key))
        processes = ProcessRegistry(database)
        helpers = HelperRepository(database)
        outbox = OutboxRepository(database, processes)
        handoff = Handoff(requests, directory, questions, outbox, clock)
        offers = OfferRounds(handoff, mentors, library, group_size=options.offer_group_size, graph=graph,
                             teams_app_id=options.teams_app_id, manifest_id=options.manifest_id)
        coverage = Coverage(CoverageRepository(database), directory_repository, directory, clock)
        reports = Reports(stats, directory_repository, directory, questions, variants, library, signer,
                          options.public_base_url, clock, coverage=coverage)
        impact = ImpactReport(ImpactRepository(database), reports, coverage, directory_repository, signer,
                              options.public_base_url, clock)
        mentor_tools = MentorTools(mentors, requests, stats, directory_repository, asking, clock)
        deliveries = Deliveries(outbox, messenger, requests, offers, clock, announcement_card=announcements.card_for)
        # A transaction that stored messages wakes this process's worker at once.
        database.outbox_listeners.append(deliveries.wake)
        request_actions = RequestActions(handoff, offers, mentors, library, variants, graph=graph,
                                         group_chats=options.group_chats)
        # Team sessions ride on the request flows: the same offers, verbs and transitions.
        session_repository = SessionRepository(database)
        sessions = TeamSessions(handoff, offers, session_repository, directory_repository, library,
                                meetings=graph is not None)
        handoff.sessions, offers.session_cards, request_actions.sessions = session_repository, sessions, sessions
        instruments, survey_rounds_repository = Instruments(SurveyInstrumentRepository(database)), \
            SurveyRoundRepository(database)
        survey_rounds = SurveyRounds(instruments, survey_rounds_repository, directory_repository, directory, clock)
        survey_results = SurveyResults(instruments, survey_rounds_repository, SurveyResultRepository(database),
                                       directory_repository, survey_rounds, signer, options.public_base_url, clock)
        survey_rounds.results_after_close = survey_results.after_close
        return cls(
            clock=clock,
            directory=directory,
            conversations=ConversationRepository(database),
            processes=processes,
            claims=ActivityClaims(database, processes),
            deliveries=deliveries,
            faq=library,
            asking=asking,
            faq_admin=FaqAdmin(library, faq, questions, variants, reports.gaps),
            offers=offers,
            requests=request_actions,
            mentor_tools=mentor_tools,
            reports=reports,
            mentor_admin=MentorAdmin(mentors, directory_repository, directory, clock, after_change=coverage.alert_due,
                                     helpers=helpers),
            exports=Exports(ExportRepository(database), signer, clock, audit, directory_repository,
                            survey_tables=survey_results.export_tables, impact=impact),
            digest=Digest(DigestRepository(database), directory, reports, mentor_tools, clock,
                          weekday=options.digest_weekday, at=options.digest_time, survey=survey_results,
                          helpers=helpers),
            privacy=Privacy(PersonExport(database), PersonErasure(database), Retention(database), audit, clock,
                            retention_days=options.retention_days,
                            survey_retention_days=options.survey_retention_days),
            survey_rounds=survey_rounds,
            survey_answering=SurveyAnswering(instruments, SurveyResponseRepository(database), library, asking,
                                             request_actions, clock),
            survey_results=survey_results,
            coverage=coverage,
            helpdesk=HelpdeskReferrals(asking, request_actions, directory, directory_repository),
            announcements=announcements,
            impact=impact,
            sessions=sessions,
            session_rounds=SessionRounds(sessions, handoff, clock, graph),
            open_helpers=OpenHelpers(helpers, directory, library),
            agreements=Agreements(AgreementRepository(database), directory_repository, asking, clock),
            unit_ids=directory_repository.unit_parents,
        )
