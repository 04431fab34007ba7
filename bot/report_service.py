"""Coordinator statistics and the mentor's own time: which units, which period, which figures.

No botbuilder here; the handler renders what this returns.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Callable, NamedTuple

from bot.domain.gap_groups import group_gaps
from bot.domain.mentor_choice import week_start
from bot.domain.people import Member
from bot.domain.periods import Period, PeriodError, looks_like_period, parse_period
from bot.domain.privacy import mask_personal_data
from bot.domain.stats import changes, protect_small_groups, subtree
from bot.export_links import LIFETIME_SECONDS, ExportGrant, LinkSigner
from bot.i18n import Texts
from bot.replies import Reply
from cards.faq_admin import faq_form_card
from cards.reports import export_card, gaps_card, hours_card, stats_card
from storage.directory_repository import DirectoryRepository
from storage.models import utcnow
from storage.question_repository import QuestionRepository
from storage.request_repository import RequestRepository
from storage.stats_repository import StatsRepository

MAX_LOGGED_MINUTES = 480
GAP_DAYS = 30
_LOG = re.compile(r"^\s*(\d{1,4})\s*(?:min|minuuttia|minuter|minutes)?\s*(.*)$", re.IGNORECASE | re.DOTALL)


class Selection(NamedTuple):
    period: Period
    units: set[str] | None  # None: the whole organisation
    unit_word: str | None
    parents: dict[str, str | None]


class ReportService:
    def __init__(self, stats: StatsRepository, requests: RequestRepository, directory: DirectoryRepository,
                 questions: QuestionRepository, signer: LinkSigner, base_url: str) -> None:
        self._signer = signer
        self._base_url = base_url.rstrip("/")
        self._questions = questions
        self._stats = stats
        self._requests = requests
        self._directory = directory
        self.clock: Callable[[], datetime] = utcnow

    async def _selection(self, member: Member, argument: str, texts: Texts) -> Selection | Reply:
        """The period and units a coordinator asked for, within what they may see."""
        words = argument.split()
        period_word = next((w for w in words if looks_like_period(w)), None)
        unit_word = next((w for w in words if not looks_like_period(w)), None)
        try:
            period = parse_period(period_word, self.clock())
        except PeriodError:
            return Reply(text=texts("stats.bad_period", word=period_word))
        parents = await self._requests.unit_parents()
        allowed = await self._directory.visible_units(member, parents)
        if unit_word is None:
            return Selection(period, allowed, None, parents)
        if unit_word not in parents:
            return Reply(text=texts("stats.unknown_word", word=unit_word))
        if allowed is not None and unit_word not in allowed:
            return Reply(text=texts("stats.not_in_scope", unit=unit_word))
        return Selection(period, subtree({unit_word}, parents), unit_word, parents)

    async def stats(self, member: Member, argument: str, texts: Texts) -> Reply:
        selection = await self._selection(member, argument, texts)
        if isinstance(selection, Reply):
            return selection
        return await self._stats_card(selection, texts)

    async def weekly_stats(self, member: Member, week: Period, texts: Texts) -> Reply:
        """The digest card: last week's figures for everything the coordinator coordinates."""
        parents = await self._requests.unit_parents()
        units = await self._directory.visible_units(member, parents)
        return await self._stats_card(Selection(week, units, None, parents), texts)

    async def _stats_card(self, selection: Selection, texts: Texts) -> Reply:
        period, units, unit_word, parents = selection
        settings = await self._requests.settings()
        common = dict(offer_timeout=settings.offer_timeout, default_allowance=settings.mentor_weekly_minutes)
        previous = period.previous()
        current = await self._stats.figures(units, period.start, period.end, weeks=period.weeks, **common)
        before = await self._stats.figures(units, previous.start, previous.end, weeks=previous.weeks, **common)
        whole = units is None
        delta = changes(current, before)
        shown = protect_small_groups(current, whole_organisation=whole)
        if shown.satisfaction_hidden:
            delta["satisfaction_mean"] = None
        names = await self._requests.unit_names()
        scope = texts("stats.whole_organisation") if whole else ", ".join(
            sorted(_name(names, u, texts.language) for u in (
                {unit_word} if unit_word else _roots(units, parents))))
        return Reply(card=stats_card(texts, scope=scope, period=period.label, previous_period=previous.label,
                                     figures=shown, delta=delta))

    async def export(self, member: Member, argument: str, texts: Texts) -> Reply:
        """Two download links (Excel and CSV) for the period's data, valid for 15 minutes."""
        selection = await self._selection(member, argument, texts)
        if isinstance(selection, Reply):
            return selection
        grant = ExportGrant(
            person_id=member.person_id,
            units=tuple(sorted(selection.units)) if selection.units is not None else None,
            start=selection.period.start.isoformat(),
            end=selection.period.end.isoformat(),
            language=texts.language,
            expires=int(time.time()) + LIFETIME_SECONDS,
        )
        token = self._signer.sign(grant)
        name = f"digimentor-{selection.period.label}"
        links = {kind: f"{self._base_url}/exports/{token}/{name}.{kind}" for kind in ("xlsx", "csv")}
        return Reply(card=export_card(texts, period=selection.period.label, links=links,
                                      minutes=LIFETIME_SECONDS // 60))

    async def gaps(self, member: Member, texts: Texts) -> Reply:
        units = await self._directory.visible_units(member, await self._requests.unit_parents())
        since = self.clock() - timedelta(days=GAP_DAYS)
        gaps = await self._questions.gaps(since, limit=200, units=units)
        groups = group_gaps([(g.question_id, g.text, g.reason) for g in gaps])
        return Reply(card=gaps_card(texts, groups, GAP_DAYS))

    async def draft_faq(self, member: Member, question_id: int | None, texts: Texts) -> Reply:
        """The FAQ form, filled in with a gap question, for the coordinator to complete."""
        question = await self._questions.get(question_id) if question_id is not None else None
        if question is None:
            return Reply(text=texts("card_refusal.unknown_question"))
        return Reply(card=faq_form_card(Texts(question.language), language=question.language,
                                        question=question.text))

    async def my_hours(self, member: Member, texts: Texts, week: Period | None = None) -> Reply:
        """This week so far (or the given week, for the digest) and its month, against the allowance."""
        now = self.clock()
        settings = await self._requests.settings()
        allowance = await self._allowance(member, settings.mentor_weekly_minutes)
        week_start_at, week_end_at = (week.start, week.end) if week else (week_start(now), now)
        month = parse_period("month", week_start_at)
        week = await self._stats.minutes_of(member.person_id, week_start_at, week_end_at)
        month_minutes = await self._stats.minutes_of(member.person_id, month.start, month.end)
        return Reply(card=hours_card(texts, week=week, month=month_minutes, weekly_allowance=allowance,
                                     month_allowance=round(allowance * month.weeks)))

    async def log(self, member: Member, argument: str, texts: Texts) -> Reply:
        match = _LOG.match(argument or "")
        if not match or not 1 <= int(match.group(1)) <= MAX_LOGGED_MINUTES or not match.group(2).strip():
            return Reply(text=texts("hours.log_usage"))
        minutes = int(match.group(1))
        note = mask_personal_data(match.group(2).strip()[:500]).text
        await self._requests.record_time(member.person_id, None, member.unit_id, minutes, note)
        return Reply(text=texts("hours.logged", minutes=minutes, note=note))

    async def _allowance(self, member: Member, default: int) -> int:
        return await self._stats.weekly_allowance(member.person_id, default)


def _name(names: dict[str, dict], unit_id: str, language: str) -> str:
    localized = names.get(unit_id) or {}
    return localized.get(language) or localized.get("fi") or next(iter(localized.values()), unit_id)


def _roots(units: set[str], parents: dict[str, str | None]) -> set[str]:
    """The topmost units of a set (a coordinator's scope, named in the card title)."""
    return {u for u in units if parents.get(u) not in units}
