"""Coverage: a named digimentor in every unit. The coordinator's `coverage` card, the share the
weekly digest and the impact report carry, and the alert when a unit loses its last mentor.

A loss is recorded by storage in the transaction of the change that caused it (an import, a
removal in chat, an erasure, or the sweep here for anything else). Its alert is claimed and stored
in the outbox in one transaction, so it goes out once however many processes look.
"""

from __future__ import annotations

import logging
from datetime import datetime

from cards.coverage import UnitLine, coverage_alert_card, coverage_card, summary_text
from cards.i18n import Texts
from dialogs.clock import Clock
from dialogs.flows.directory import Directory
from dialogs.redacted import readable
from dialogs.replies import Reply
from dialogs.rules.coverage import CoverageSummary, duration, on_duty_this_week, summarise, uncovered_first
from dialogs.rules.language import preferred_language
from dialogs.rules.people import Member
from dialogs.rules.units import topmost, unit_name
from storage.coverage_repository import CoverageRepository, UnitCoverageRecord
from storage.directory_repository import DirectoryRepository
from storage.outbox import Outgoing

log = logging.getLogger(__name__)

# About 500 bytes a unit: more would pass Teams' 28 KB card limit. The share counts them all.
MAX_LISTED = 40


class Coverage:
    def __init__(self, coverage: CoverageRepository, directory_repository: DirectoryRepository,
                 directory: Directory, clock: Clock) -> None:
        self._coverage = coverage
        self._directory_repository = directory_repository
        self._directory = directory
        self._clock = clock

    async def report(self, member: Member, texts: Texts) -> Reply:
        parents = await self._directory_repository.unit_parents()
        scope = await self._directory.visible_units(member, parents)
        records = await self._coverage.overview(scope)
        settings = await self._directory_repository.settings()
        names = await self._directory_repository.unit_names()
        now = self._clock.now()

        def name(unit_id: str) -> str:
            return unit_name(names, unit_id, texts.language)

        summary = summarise(records, settings.coverage_goal)
        lines = [UnitLine(name(r.unit_id), tuple(readable(m.name, texts) for m in r.mentors),
                          any(on_duty_this_week(m, now) for m in r.mentors), r.covered_since,
                          duration(r.covered_since, now) if r.covered_since else None)
                 for r in uncovered_first(records, name)]
        scope_name = texts("stats.whole_organisation") if scope is None else ", ".join(
            sorted(name(u) for u in topmost(scope, parents)))
        return Reply(card=coverage_card(texts, scope=scope_name, summary=self.summary_text(summary, texts),
                                        lines=lines[:MAX_LISTED], not_shown=max(0, len(lines) - MAX_LISTED)))

    @staticmethod
    def summary_text(summary: CoverageSummary, texts: Texts) -> str:
        return summary_text(texts, summary.covered, summary.counted, summary.share, summary.goal,
                            summary.short_of_goal)

    async def records(self, units: set[str] | None) -> list[UnitCoverageRecord]:
        return await self._coverage.overview(units)

    async def summary(self, units: set[str] | None) -> CoverageSummary:
        """Now: the units of `units` (None: all) with people in them, and how many have a mentor."""
        settings = await self._directory_repository.settings()
        return summarise(await self._coverage.overview(units), settings.coverage_goal)

    async def summary_at(self, units: set[str] | None, moment: datetime) -> CoverageSummary:
        """At an earlier moment, by the recorded history (of today's units with people)."""
        settings = await self._directory_repository.settings()
        counted = {r.unit_id for r in await self._coverage.overview(units)}
        covered = await self._coverage.covered_units_at(moment)
        return CoverageSummary(len(counted & covered), len(counted), settings.coverage_goal)

    async def sweep(self) -> int:
        """Every minute: a loss no change recorded itself, then the alerts still to send."""
        await self._coverage.sync()
        return await self.alert_due()

    async def alert_due(self) -> int:
        """The coordinators of each unit that lost its last mentor get an alert card, once."""
        sent = 0
        losses = await self._coverage.pending_losses()
        if not losses:
            return 0
        parents = await self._directory_repository.unit_parents()
        names = await self._directory_repository.unit_names()
        settings = await self._directory_repository.settings()
        for loss in losses:
            context = await self._coverage.loss_context(loss.unit_id, parents)
            messages = []
            if context.still_uncovered:
                for aad, languages in context.recipients:
                    texts = Texts(preferred_language(None, languages or (settings.default_language,)))
                    candidates = [(c.aad_object_id, readable(c.name, texts), c.last_helped_at)
                                  for c in context.candidates]
                    messages.append(Outgoing(aad, "notice", card=coverage_alert_card(
                        texts, unit=unit_name(names, loss.unit_id, texts.language), since=loss.at,
                        candidates=candidates)))
            # A unit covered again before its alert went out needs none: the claim closes it.
            if await self._coverage.claim_alert(loss.change_id, messages) and messages:
                sent += 1
                log.info("coverage alert stored", extra={"recipients": len(messages)})
        return sent
