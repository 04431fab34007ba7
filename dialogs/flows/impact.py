"""`impact [period] [unit-id]` (vaikuttavuus, effekt): what the FAQ and the digimentors achieved,
for the units a coordinator may see, against the previous period; with a chart, the assumption
behind the working time saved, and an Excel download (a signed 15-minute link, per unit as well)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from cards.export_files import CONTENT_TYPES, csv_bytes, workbook_bytes
from cards.i18n import Texts
from cards.impact import assumption_text, impact_card
from dialogs.clock import Clock
from dialogs.flows.coverage import Coverage
from dialogs.flows.reports import Reports
from dialogs.replies import Reply
from dialogs.rules.impact import Assumptions, Impact, changes, impact
from dialogs.rules.people import Member
from dialogs.rules.periods import Period
from dialogs.rules.signed_links import LIFETIME_SECONDS, ExportGrant, LinkSigner
from dialogs.rules.units import unit_name
from storage.directory_repository import DirectoryRepository
from storage.impact_repository import ImpactRepository

SUMMARY_COLUMNS = ("figure", "current_period", "previous_period")
UNIT_COLUMNS = ("unit", "faq_answers", "mentor_helped", "people_reached", "mentor_hours", "allowance_hours",
                "satisfaction", "ratings", "helpdesk_share", "helpdesk_answers", "hours_saved", "has_mentor")


class ImpactReport:
    def __init__(self, impact_figures: ImpactRepository, reports: Reports, coverage: Coverage,
                 directory_repository: DirectoryRepository, signer: LinkSigner, base_url: str, clock: Clock) -> None:
        self._figures = impact_figures
        self._reports = reports
        self._coverage = coverage
        self._directory_repository = directory_repository
        self._signer = signer
        self._base_url = base_url.rstrip("/")
        self._clock = clock

    async def report(self, member: Member, argument: str, texts: Texts) -> Reply:
        selection = await self._reports.selection(member, argument, texts)
        if isinstance(selection, Reply):
            return selection
        period, units, unit_word, parents = selection
        previous = period.previous()
        current, before = await self.figures(units, period)
        assumptions = await self._assumptions()
        grant = ExportGrant(person_id=member.person_id, units=tuple(sorted(units)) if units is not None else None,
                            start=period.start.isoformat(), end=period.end.isoformat(), language=texts.language,
                            expires=int(self._clock.now().timestamp()) + LIFETIME_SECONDS, kind="impact")
        excel = f"{self._base_url}/exports/{self._signer.sign(grant)}/digimentor-impact-{period.label}.xlsx"
        scope = await self._reports.scope_name(units, unit_word, parents, texts)
        # The chart is drawn in a worker thread: a few tens of milliseconds of CPU.
        card = await asyncio.to_thread(impact_card, texts, scope=scope, period=period, previous_period=previous,
                                       current=current, previous=before, delta=changes(current, before),
                                       assumptions=assumptions, excel_url=excel)
        return Reply(card=card)

    async def figures(self, units: set[str] | None, period: Period) -> tuple[Impact, Impact]:
        """The period's and the previous period's figures, side by side (bench/report_bench.py
        times this)."""
        current, before = await asyncio.gather(self._impact(units, period), self._impact(units, period.previous()))
        return current, before

    async def _assumptions(self) -> Assumptions:
        settings = await self._directory_repository.settings()
        return Assumptions(settings.minutes_per_faq_answer, settings.minutes_per_helpdesk_contact)

    async def _impact(self, units: set[str] | None, period: Period) -> Impact:
        settings = await self._directory_repository.settings()
        figures = await self._figures.figures(units, period.start, period.end,
                                              default_allowance=settings.mentor_weekly_minutes, weeks=period.weeks)
        coverage = await self._coverage.summary_at(units, min(period.end, self._clock.now()))
        return impact(figures, await self._assumptions(), coverage, whole_organisation=units is None)

    async def file(self, grant: ExportGrant, kind: str) -> tuple[bytes, str, dict[str, int]]:
        """The impact export of a verified grant: (content, content type, rows per sheet). Each
        unit's row keeps the small-group rule: below the whole organisation, fewer than five."""
        texts = Texts(grant.language)
        units = set(grant.units) if grant.units is not None else None
        start, end = datetime.fromisoformat(grant.start), datetime.fromisoformat(grant.end)
        period = Period(kind="month", start=start, end=end)  # only its span is read
        settings = await self._directory_repository.settings()
        assumptions = await self._assumptions()
        by_unit = await self._figures.figures_by_unit(units, start, end,
                                                      default_allowance=settings.mentor_weekly_minutes,
                                                      weeks=period.weeks)
        whole = await self._impact(units, period)
        covered = {r.unit_id for r in await self._coverage.records(units) if r.mentors}
        names = await self._directory_repository.unit_names()
        rows = [self._unit_row(texts, unit_name(names, unit_id, texts.language) or "–",
                               impact(figures, assumptions, None, whole_organisation=False), unit_id in covered)
                for unit_id, figures in sorted(by_unit.items(), key=lambda item: item[0] or "")]
        rows.sort(key=lambda row: str(row[0]).casefold())
        summary = [(texts(f"impact.{key}"), value) for key, value in (
            ("faq_answers", whole.faq_answers), ("mentor_helped", whole.mentor_helped),
            ("people_reached", whole.people_reached), ("mentor_hours", whole.mentor_hours),
            ("time_saved", whole.hours_saved))]
        summary.append((assumption_text(texts, assumptions), ""))
        sheets = [("impact", ("figure", "value"), summary), ("impact_units", UNIT_COLUMNS, rows)]
        if kind == "xlsx":
            content = await asyncio.to_thread(workbook_bytes, texts, sheets)
        else:
            content = await asyncio.to_thread(csv_bytes, texts, sheets[1])
        return content, CONTENT_TYPES[kind], {"impact": len(summary), "impact_units": len(rows)}

    @staticmethod
    def _unit_row(texts: Texts, name: str, shown: Impact, has_mentor: bool) -> tuple:
        hidden = texts("stats.fewer_than_five")
        return (name, shown.faq_answers, shown.mentor_helped, shown.people_reached, shown.mentor_hours,
                shown.allowance_hours, hidden if shown.satisfaction_hidden else shown.satisfaction_mean,
                shown.satisfaction_count, hidden if shown.helpdesk_hidden else shown.helpdesk_share,
                shown.helpdesk_answers, shown.hours_saved, texts("coverage.yes" if has_mentor else "coverage.no"))
