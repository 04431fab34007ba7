"""Recognising re-delivered activities: Teams re-sends when a reply takes about 15 s."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database, StorageUnavailable
from storage.models import ProcessedActivity

# Teams re-sends an activity it got no answer to within seconds (about 15 s, or soon after a
# 503); a claim older than this belongs to a turn that answered long ago or died with its process.
CLAIM_LEASE = timedelta(minutes=2)


class ActivityClaims:
    def __init__(self, database: Database) -> None:
        self._database = database
        # Claims this process could not give back (the database was down): when the Connector
        # re-sends one of these, this process takes the claim over at once.
        self._abandoned: set[str] = set()

    async def claim(self, activity_key: str) -> bool:
        """True for the first delivery of this activity; False for a redelivery within
        CLAIM_LEASE, while its first turn may still be running or has just answered. Later the
        claim is taken over: a turn that still held it died with its process (Teams itself
        redelivers only within seconds). A claim this process could not give back because the
        database was down is taken over at once."""
        now, key = self._database.now(), _stored_key(activity_key)
        # The first delivery is by far the commonest: a plain insert is the cheapest claim.
        try:
            async with self._database.connection() as connection:
                await connection.execute(insert(ProcessedActivity).values(activity_key=key, received_at=now))
            return True
        except IntegrityError:
            pass
        takeover = update(ProcessedActivity).where(ProcessedActivity.activity_key == key)
        if key not in self._abandoned:
            takeover = takeover.where(ProcessedActivity.received_at < now - CLAIM_LEASE)
        async with self._database.connection() as connection:
            taken = (await connection.execute(takeover.values(received_at=now))).rowcount == 1
        self._abandoned.discard(key)
        return taken

    async def release(self, activity_key: str) -> None:
        """A turn that failed gives its claim back, so that Teams' retry is processed."""
        key = _stored_key(activity_key)
        try:
            async with self._database.transaction() as session:
                await session.execute(delete(ProcessedActivity).where(ProcessedActivity.activity_key == key))
        except StorageUnavailable:
            self._abandoned.add(key)
            raise

    async def forget_older_than(self, age: timedelta) -> int:
        async with self._database.transaction() as session:
            result = await session.execute(
                delete(ProcessedActivity).where(ProcessedActivity.received_at < self._database.now() - age))
            return result.rowcount or 0


def _stored_key(activity_key: str) -> str:
    """A fixed-length digest: cutting a long key short would make two deliveries in a
    conversation with a long id look like one, and the second would be dropped."""
    return hashlib.sha256(activity_key.encode("utf-8", "surrogatepass")).hexdigest()
