"""Everything a turn handler may call, built once per application (no module-level singletons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from bot.action_handlers import ActionRouter, build_router
from bot.config import Settings
from bot.digest_service import DigestService
from bot.domain.language_detection import LanguageDetector
from bot.export_links import LinkSigner, key_from
from bot.export_service import ExportService
from bot.faq_service import FaqService
from bot.graph import GraphGateway
from bot.handoff_service import HandoffService
from bot.mentor_admin_service import MentorAdminService
from bot.messenger import Messenger
from bot.report_service import ReportService
from storage.activity_claims import ActivityClaims
from storage.bot_state import SqlStorage
from storage.conversation_repository import ConversationRepository
from storage.db import Database
from storage.digest_repository import DigestRepository
from storage.directory_repository import DirectoryRepository
from storage.export_repository import ExportRepository
from storage.mentor_repository import MentorRepository
from storage.question_repository import QuestionRepository
from storage.request_repository import RequestRepository
from storage.stats_repository import StatsRepository

MAX_QUESTION_CHARACTERS = 2000


@dataclass
class Services:
    settings: Settings
    database: Database
    directory: DirectoryRepository
    conversations: ConversationRepository
    claims: ActivityClaims
    state_storage: SqlStorage
    questions: QuestionRepository
    faq: FaqService
    handoff: HandoffService
    mentors: MentorRepository
    reports: ReportService
    exports: ExportService
    digests: DigestService
    mentor_admin: MentorAdminService
    actions: ActionRouter

    @classmethod
    def build(cls, settings: Settings, database: Database, messenger: Messenger) -> "Services":
        questions = QuestionRepository(database)
        faq = FaqService(database, questions, LanguageDetector())
        mentors, requests = MentorRepository(database), RequestRepository(database)
        directory = DirectoryRepository(database)
        signer = LinkSigner(key_from(settings.export_signing_key))
        reports = ReportService(StatsRepository(database), requests, directory, questions, signer,
                                settings.public_base_url)
        mentor_admin = MentorAdminService(mentors, requests, directory, on_change=directory.forget)
        handoff = HandoffService(requests, mentors, questions, messenger, faq.titles,
                                 group_size=settings.offer_group_size)
        if settings.graph_enabled:
            graph = GraphGateway.from_client_secret(settings.graph_tenant_id, settings.graph_client_id,
                                                    settings.graph_client_secret, base_url=settings.graph_base_url)
            # The package uses the bot's app id as the manifest id (bot/teams_package.py).
            handoff.connect_graph(graph, teams_app_id=settings.teams_app_id, manifest_id=settings.app_id,
                                  group_chats=settings.graph_group_chats)
            directory.graph = graph
        return cls(
            settings=settings,
            database=database,
            directory=directory,
            conversations=ConversationRepository(database),
            claims=ActivityClaims(database),
            state_storage=SqlStorage(database),
            questions=questions,
            faq=faq,
            handoff=handoff,
            mentors=mentors,
            reports=reports,
            exports=ExportService(ExportRepository(database), signer),
            digests=DigestService(DigestRepository(database), directory, reports, messenger,
                                  weekday=settings.digest_weekday, at=time.fromisoformat(settings.digest_time)),
            mentor_admin=mentor_admin,
            actions=build_router(faq, handoff, reports, mentor_admin),
        )
