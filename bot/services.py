"""Everything a turn handler may call, built once per application (no module-level singletons)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.action_handlers import ActionRouter, build_router
from bot.config import Settings
from bot.domain.language_detection import LanguageDetector
from bot.faq_service import FaqService
from storage.activity_claims import ActivityClaims
from storage.bot_state import SqlStorage
from storage.conversation_repository import ConversationRepository
from storage.db import Database
from storage.directory_repository import DirectoryRepository
from storage.question_repository import QuestionRepository

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
    actions: ActionRouter

    @classmethod
    def build(cls, settings: Settings, database: Database) -> "Services":
        questions = QuestionRepository(database)
        faq = FaqService(database, questions, LanguageDetector())
        return cls(
            settings=settings,
            database=database,
            directory=DirectoryRepository(database),
            conversations=ConversationRepository(database),
            claims=ActivityClaims(database),
            state_storage=SqlStorage(database),
            questions=questions,
            faq=faq,
            actions=build_router(faq),
        )
