"""Conversation references: where the bot can later reach a user proactively."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storage.db import Database
from storage.models import ConversationReference


@dataclass(frozen=True)
class StoredReference:
    aad_object_id: str
    conversation_id: str
    conversation_type: str
    tenant_id: str | None
    service_url: str
    locale: str | None
    reference: dict
    updated_at: datetime


MAX_CONVERSATION_ID = 400  # the column's length
MAX_AAD_OBJECT_ID = 64
REWRITE_AFTER_SECONDS = 600.0
_STORED_LIMIT = 100_000


class ConversationRepository:
    def __init__(self, database: Database) -> None:
        self._database = database
        # What this process last stored per (user, conversation), and when (monotonic): an
        # unchanged reference is not written again on every message, but is after a while, in
        # case it was erased meanwhile (storage.person_erasure).
        self._stored: dict[tuple[str, str], tuple[float, tuple]] = {}

    async def remember(
        self,
        *,
        aad_object_id: str,
        conversation_id: str,
        conversation_type: str,
        tenant_id: str | None,
        service_url: str,
        channel_id: str,
        locale: str | None,
        reference: dict,
    ) -> None:
        """Insert or refresh in one statement, so that concurrent turns cannot collide. Ids longer
        than the column are channel threads, never a personal chat: nothing to keep for them."""
        if len(conversation_id) > MAX_CONVERSATION_ID or len(aad_object_id) > MAX_AAD_OBJECT_ID:
            return
        key = (aad_object_id.lower(), conversation_id)
        fingerprint = (conversation_type, tenant_id, service_url, channel_id, locale, reference)
        stored = self._stored.get(key)
        if stored is not None and stored[1] == fingerprint and time.monotonic() - stored[0] < REWRITE_AFTER_SECONDS:
            return
        values = dict(
            aad_object_id=aad_object_id.lower(),
            conversation_id=conversation_id,
            conversation_type=conversation_type,
            tenant_id=tenant_id,
            service_url=service_url,
            channel_id=channel_id,
            locale=locale,
            reference=reference,
            updated_at=self._database.now(),
        )
        statement = self._database.insert(ConversationReference).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["aad_object_id", "conversation_id"],
            set_={k: statement.excluded[k] for k in values if k not in ("aad_object_id", "conversation_id")},
        )
        async with self._database.transaction() as session:
            await session.execute(statement)
        if len(self._stored) > _STORED_LIMIT:
            self._stored.clear()
        self._stored[key] = (time.monotonic(), fingerprint)

    async def personal(self, aad_object_id: str) -> StoredReference | None:
        """The user's 1:1 chat with the bot, the newest if Teams gave several."""
        async with self._database.transaction() as session:
            row = await session.scalar(
                select(ConversationReference)
                .where(
                    ConversationReference.aad_object_id == aad_object_id.lower(),
                    ConversationReference.conversation_type == "personal",
                )
                .order_by(ConversationReference.updated_at.desc())
                .limit(1)
            )
        if row is None:
            return None
        return StoredReference(
            aad_object_id=row.aad_object_id,
            conversation_id=row.conversation_id,
            conversation_type=row.conversation_type,
            tenant_id=row.tenant_id,
            service_url=row.service_url,
            locale=row.locale,
            reference=row.reference,
            updated_at=row.updated_at,
        )
