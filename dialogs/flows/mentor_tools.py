"""A digimentor's own tools: on duty or away, logging other mentoring, and their hours against
the weekly allowance."""

from __future__ import annotations

import asyncio
import re

from cards.formatting import clock_time
from cards.i18n import Texts
from cards.reports import hours_card
from dialogs.clock import Clock
from dialogs.flows.asking import Asking
from dialogs.replies import Reply
from dialogs.rules.duty import away_until
from dialogs.rules.limits import MAX_LOG_NOTE_CHARACTERS, MAX_MINUTES_PER_ENTRY, minutes_in_range
from dialogs.rules.people import Member
from dialogs.rules.periods import HELSINKI, Period, parse_period
from storage.directory_repository import DirectoryRepository
from storage.mentor_repository import MentorRepository
from storage.request_repository import RequestRepository
from storage.stats_repository import StatsRepository

_LOG = re.compile(r"^\s*(\d{1,4})\s*(?:min|minuuttia|minuter|minutes)?\s*(.*)$", re.IGNORECASE | re.DOTALL)


class MentorTools:
    def __init__(self, mentors: MentorRepository, requests: RequestRepository, stats: StatsRepository,
                 directory: DirectoryRepository, asking: Asking, clock: Clock) -> None:
        self._mentors = mentors
        self._requests = requests
        self._stats = stats
        self._directory = directory
        self._asking = asking
        self._clock = clock

    async def installed(self, member: Member) -> None:
        await self._mentors.reachable_again(member.person_id)

    async def available(self, member: Member, texts: Texts) -> Reply:
        if not await self._mentors.set_duty(member.person_id, True):
            return Reply(text=texts("duty.no_profile"))
        return Reply(text=texts("duty.available"))

    async def away(self, member: Member, argument: str, texts: Texts) -> Reply:
        until = away_until(argument, self._clock.now())
        if not await self._mentors.set_duty(member.person_id, False, until):
            return Reply(text=texts("duty.no_profile"))
        if until is None:
            return Reply(text=texts("duty.away"))
        return Reply(text=texts("duty.away_until", time=clock_time(until.astimezone(HELSINKI), texts.language)))

    async def log(self, member: Member, argument: str, texts: Texts) -> Reply:
        match = _LOG.match(argument or "")
        minutes = int(match.group(1)) if match else None
        if not match or not minutes_in_range(minutes) or not match.group(2).strip():
            return Reply(text=texts("hours.log_usage", limit=MAX_MINUTES_PER_ENTRY))
        note = self._asking.guard(match.group(2).strip()[:MAX_LOG_NOTE_CHARACTERS], texts.language).text.text
        await self._requests.record_time(member.person_id, None, member.unit_id, minutes, note)
        return Reply(text=texts("hours.logged", minutes=minutes, note=note))

    async def my_hours(self, member: Member, texts: Texts, week: Period | None = None) -> Reply:
        """This week so far (or the given week, for the digest) and its month, against the allowance."""
        now = self._clock.now()
        settings = await self._directory.settings()
        # An open helper (no mentor profile) has the organisation's helper allowance.
        default = settings.helper_weekly_minutes if member.has_role("helper") and not member.has_role("mentor") \
            else settings.mentor_weekly_minutes
        allowance = await self._stats.weekly_allowance(member.person_id, default)
        # The whole week, not up to now: an entry stamped this very moment counts too.
        week = week or parse_period("week", now)
        month = parse_period("month", week.start)
        week_minutes = await self._stats.minutes_of(member.person_id, week.start, week.end)
        month_minutes = await self._stats.minutes_of(member.person_id, month.start, month.end)
        card = await asyncio.to_thread(hours_card, texts, week=week_minutes, month=month_minutes,
                                       weekly_allowance=allowance, month_allowance=round(allowance * month.weeks))
        return Reply(card=card)
