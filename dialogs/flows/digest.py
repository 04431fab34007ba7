"""The weekly digest: coordinators get last week's statistics, mentors their own week, and open
helpers a thank-you with the number of people they helped.

Each recipient's digest is claimed in the database together with its outbox message, so that it
goes out once per week however many processes run the loop and however often they restart.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from cards.i18n import Texts
from cards.reports import helper_thanks_card
from dialogs.clock import Clock
from dialogs.flows.directory import Directory
from dialogs.flows.mentor_tools import MentorTools
from dialogs.flows.reports import Reports
from dialogs.flows.survey_results import SurveyResults
from dialogs.rules.periods import HELSINKI, parse_period
from storage.digest_repository import DigestRepository
from storage.helper_repository import HelperRepository
from storage.outbox import Outgoing


class Digest:
    def __init__(self, digests: DigestRepository, directory: Directory, reports: Reports, mentor_tools: MentorTools,
                 clock: Clock, *, weekday: int = 0, at: time = time(8, 0), survey: SurveyResults | None = None,
                 helpers: HelperRepository | None = None) -> None:
        self._digests = digests
        self._directory = directory
        self._reports = reports
        self._mentor_tools = mentor_tools
        self._clock = clock
        self._weekday = weekday  # 0 = Monday
        self._at = at
        self._survey = survey
        self._helpers = helpers

    def due_since(self, now: datetime) -> datetime:
        """This week's digest moment, Europe/Helsinki."""
        local = now.astimezone(HELSINKI)
        monday = local.date() - timedelta(days=local.weekday())
        return datetime.combine(monday + timedelta(days=self._weekday), self._at, tzinfo=HELSINKI)

    async def send_due(self) -> int:
        now = self._clock.now()
        if now < self.due_since(now):
            return 0
        this_week = parse_period("week", now)
        last_week = this_week.previous()
        due = self.due_since(now)
        sent = 0
        for aad_object_id, kind in await self._digests.recipients():
            member = await self._directory.member(aad_object_id)
            if member.person_id is None or await self._digests.sent(member.person_id, this_week.label):
                continue
            texts = Texts(member.preferred_language(None))
            if kind == "helper":
                card = await self._helper_thanks(member.person_id, last_week, texts)
                if card is None:
                    continue
            elif kind == "coordinator":
                card = (await self._reports.weekly_stats(member, last_week, texts)).card
            else:
                card = (await self._mentor_tools.my_hours(member, texts, week=last_week)).card
            messages = [Outgoing(aad_object_id, "digest", card=card)]
            aiming = await self._aiming(member, kind, texts, due)
            if aiming is not None:
                messages.append(Outgoing(aad_object_id, "digest", card=aiming))
            # The claim and its messages are stored together; the outbox delivers and retries.
            if await self._digests.claim(member.person_id, this_week.label, kind, messages):
                sent += 1
        return sent

    async def _helper_thanks(self, person_id: int, week, texts: Texts) -> dict | None:
        """An open helper's thanks: the different people whose requests they resolved last
        week (each once), and their topics; None when they no longer help."""
        if self._helpers is None:
            return None
        topics = await self._helpers.active(person_id)
        if topics is None:
            return None
        helped = await self._helpers.people_helped(person_id, week.start, week.end)
        return helper_thanks_card(texts, helped=helped, topics=topics)

    async def _aiming(self, member, kind: str, texts: Texts, due: datetime) -> dict | None:
        """Where the last survey round says support is needed: its lowest units and areas for a
        coordinator; for a mentor of such a unit, in the first digest after the round closed,
        a note suggesting a team session on that area."""
        if self._survey is None:
            return None
        if kind == "coordinator":
            return await self._survey.digest_card(member, texts)
        if kind != "mentor":
            return None
        return await self._survey.mentor_note(member, texts, since=due - timedelta(days=7), until=due)
