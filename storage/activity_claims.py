"""Recognising re-delivered activities: Teams re-sends when a reply takes about 15 s."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, update

from storage.db import Database, StorageUnavailable
from storage.models import ProcessedActivity

# Teams re-sends an activity it got no answer to within about 15 s; a turn that has held its
# claim this long without finishing is taken to be dead, and a redelivery runs it again.
CLAIM_LEASE = timedelta(minutes=2)


class ActivityClaims:
    def __init__(self, database: Database) -> None:
        self._database = database
        # Claims this process could not give back (the database was down): when the Connector
        # re-sends one of these, this process takes the claim over at once.
        self._abandoned: set[str] = set()

    async def claim(self, activity_key: str) -> bool:
        """True for the first delivery of this activity, and for a redelivery whose first turn
        never finished (its process died, or the database failed under it) and was claimed
        over CLAIM_LEASE ago; False while a turn runs or once it has finished."""
        now, key = self._database.now(), _stored_key(activity_key)
        stale = ProcessedActivity.done.is_(False)
        if key not in self._abandoned:
            stale = stale & (ProcessedActivity.received_at < now - CLAIM_LEASE)
        statement = self._database.insert(ProcessedActivity).values(activity_key=key, received_at=now, done=False)
        statement = statement.on_conflict_do_update(
            index_elements=["activity_key"], set_={"received_at": now}, where=stale,
        ).returning(ProcessedActivity.activity_key)
        # A Core statement on a bare connection: this runs on every turn, and the ORM's unit of
        # work costs more than the statement itself.
        async with self._database.connection() as connection:
            claimed = (await connection.execute(statement)).first() is not None
        self._abandoned.discard(key)
        return claimed

    async def finish(self, activity_key: str) -> None:
        """The turn's work is done: from now on every redelivery is a duplicate."""
        async with self._database.connection() as connection:
            await connection.execute(update(ProcessedActivity)
                                     .where(ProcessedActivity.activity_key == _stored_key(activity_key))
                                     .values(done=True))

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
