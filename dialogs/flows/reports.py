"""Coordinators' reports: statistics for a period and units, the FAQ's gaps, and export links.

A coordinator sees the units they coordinate and everything under them; an admin sees all.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import NamedTuple

from cards.i18n import Texts
from cards.reports import export_card, gaps_card, stats_card
from dialogs.clock import Clock
from dialogs.flows.directory import Directory
from dialogs.flows.faq_library import FaqLibrary
from dialogs.redacted import readable
from dialogs.replies import Reply
from dialogs.rules.gap_groups import group_gaps
from dialogs.rules.people import Member
from dialogs.rules.periods import Period, PeriodError, looks_like_period, parse_period
from dialogs.rules.signed_links import LIFETIME_SECONDS, ExportGrant, LinkSigner
from dialogs.rules.stats import changes, protect_small_groups
from dialogs.rules.units import subtree, topmost, unit_name
from storage.directory_repository import DirectoryRepository
from storage.question_repository import QuestionRepository
from storage.stats_repository import StatsRepository
from storage.variant_repository import VariantRepository

GAP_DAYS = 30
# With the gap groups, more would pass Teams' 28 KB card limit; the rest wait their turn.
MAX_PENDING_SHOWN = 8


class Selection(NamedTuple):
    period: Period
    units: set[str] | None  # None: the whole organisation
    unit_word: str | None
    parents: dict[str, str | None]


class Reports:
    def __init__(self, stats: StatsRepository, directory_repository: DirectoryRepository, directory: Directory,
                 questions: QuestionRepository, variants: VariantRepository, library: FaqLibrary, signer: LinkSigner,
                 base_url: str, clock: Clock, *, coverage=None) -> None:
        self._stats = stats
        # dialogs.flows.coverage.Coverage: the digest carries the share of units covered.
        self._coverage = coverage
        self._variants = variants
        self._library = library
        self._directory_repository = directory_repository
        self._directory = directory
        self._questions = questions
        self._signer = signer
        self._base_url = base_url.rstrip("/")
        self._clock = clock

    async def selection(self, member: Member, argument: str, texts: Texts) -> Selection | Reply:
        """What `stats`, `export` and `impact` were asked for, or the answer saying what was wrong."""
        return await self._selection(member, argument, texts)

    async def scope_name(self, units: set[str] | None, unit_word: str | None, parents: dict[str, str | None],
                         texts: Texts) -> str:
        """"koko organisaatio", or the units by name: the one asked for, or the coordinator's own."""
        if units is None:
            return texts("stats.whole_organisation")
        names = await self._directory_repository.unit_names()
        return ", ".join(sorted(unit_name(names, u, texts.language) for u in (
            {unit_word} if unit_word else topmost(units, parents))))

    async def _selection(self, member: Member, argument: str, texts: Texts) -> Selection | Reply:
        """The period and units a coordinator asked for, within what they may see."""
        words = argument.split()
        period_word = next((w for w in words if looks_like_period(w)), None)
        unit_word = next((w for w in words if not looks_like_period(w)), None)
        try:
            period = parse_period(period_word, self._clock.now())
        except PeriodError:
            return Reply(text=texts("stats.bad_period", word=period_word))
        parents = await self._directory_repository.unit_parents()
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
        parents = await self._directory_repository.unit_parents()
        units = await self._directory.visible_units(member, parents)
        coverage = None
        if self._coverage is not None:
            coverage = self._coverage.summary_text(await self._coverage.summary(units), texts)
        return await self._stats_card(Selection(week, units, None, parents), texts, coverage=coverage)

    async def _stats_card(self, selection: Selection, texts: Texts, *, coverage: str | None = None) -> Reply:
        period, units, unit_word, parents = selection
        settings = await self._directory_repository.settings()
        common = dict(offer_timeout=settings.offer_timeout, default_allowance=settings.mentor_weekly_minutes)
        previous = period.previous()
        current = await self._stats.figures(units, period.start, period.end, weeks=period.weeks, **common)
        before = await self._stats.figures(units, previous.start, previous.end, weeks=previous.weeks, **common)
        whole = units is None
        delta = changes(current, before)
        shown = protect_small_groups(current, whole_organisation=whole)
        shown = replace(shown, mentor_minutes=tuple(replace(m, name=readable(m.name, texts))
                                                    for m in shown.mentor_minutes))
        if shown.satisfaction_hidden:
            delta["satisfaction_mean"] = None
        scope = await self.scope_name(units, unit_word, parents, texts)
        # The chart is drawn in a worker thread: a few tens of milliseconds of CPU each.
        rollouts = await self._stats.rollout_questions(units, period.start, period.end)
        card = await asyncio.to_thread(stats_card, texts, scope=scope, period=period, previous_period=previous,
                                       figures=shown, delta=delta, coverage=coverage, rollouts=rollouts)
        return Reply(card=card)

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
            expires=int(self._clock.now().timestamp()) + LIFETIME_SECONDS,
        )
        token = self._signer.sign(grant)
        name = f"digimentor-{selection.period.label}"
        links = {kind: f"{self._base_url}/exports/{token}/{name}.{kind}" for kind in ("xlsx", "csv")}
        return Reply(card=export_card(texts, period=selection.period, links=links, minutes=LIFETIME_SECONDS // 60))

    async def gaps(self, member: Member, texts: Texts) -> Reply:
        units = await self._directory.visible_units(member, await self._directory_repository.unit_parents())
        since = self._clock.now() - timedelta(days=GAP_DAYS)
        gaps = await self._questions.gaps(since, limit=200, units=units)
        groups = group_gaps([(g.question_id, g.text, g.reason) for g in gaps])
        pending = await self._variants.pending(MAX_PENDING_SHOWN)
        titles = dict(await self._library.titles([v.entry_id for v in pending], texts.language))
        variants = [(v.id, v.text, titles[v.entry_id]) for v in pending if v.entry_id in titles]
        return Reply(card=gaps_card(texts, groups, GAP_DAYS, variants))
