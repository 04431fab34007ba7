"""The one source of the current time. Flows and repositories ask it; tests freeze it, so no
test depends on today's date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """UTC now, or a frozen moment that tests set and move. `starting_at` makes a clock that
    reads that moment now and runs on from it at the real pace: for a whole served process
    under test, which cannot be frozen from outside."""

    def __init__(self, frozen_at: datetime | None = None, *, starting_at: datetime | None = None) -> None:
        self._frozen_at = frozen_at
        self._offset = starting_at - datetime.now(UTC) if starting_at is not None else timedelta(0)

    def now(self) -> datetime:
        return self._frozen_at if self._frozen_at is not None else datetime.now(UTC) + self._offset

    def freeze(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("the clock keeps aware UTC times")
        self._frozen_at = at

    def advance(self, by: timedelta) -> None:
        self._frozen_at = self.now() + by

    def resume(self) -> None:
        self._frozen_at = None
