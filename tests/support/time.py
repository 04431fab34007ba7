"""Fixed moments the tests freeze the clock at, so that no test depends on today's date."""

from __future__ import annotations

from datetime import UTC, datetime

# Wednesday 25 Nov 2026, 10:00 in Helsinki: inside the demo organisation's working hours.
WEDNESDAY_MORNING = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
# The same day at 18:15 in Helsinki: after working hours.
WEDNESDAY_EVENING = datetime(2026, 11, 25, 16, 15, tzinfo=UTC)
