"""Reading `away [until HH:MM]` (Finnish "poissa klo 14", Swedish "borta till 14.30")."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from dialogs.rules.periods import HELSINKI

_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?\s*$")


def away_until(argument: str, now: datetime) -> datetime | None:
    """The next moment at the given Helsinki clock time, or None for "until further notice"."""
    match = _TIME.search(argument or "")
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    local_now = now.astimezone(HELSINKI)
    until = datetime.combine(local_now.date(), time(hour, minute), tzinfo=HELSINKI)
    if until <= local_now:
        until += timedelta(days=1)
    return until
