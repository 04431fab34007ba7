"""Survey results for coordinators (the units they coordinate) and supervisors (their own unit and
the units under it): `survey results [round-id] [unit-id]`, the Excel export behind a signed
link, and what the weekly digest says to aim support: the lowest units and areas of the last
closed round to coordinators, and a note to the mentors of those units.

Only closed rounds have results, and every figure is a sum of reported figures of five or more
(dialogs/rules/survey_privacy.py)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

from cards import survey_results as cards
from cards.formatting import day
from cards.i18n import Texts
from dialogs.card_action import MAX_INTEGER
from dialogs.clock import Clock
from dialogs.flows.survey_instruments import Instruments
from dialogs.flows.survey_rounds import SurveyRounds
from dialogs.replies import Reply
from dialogs.rules.people import Member
from dialogs.rules.signed_links import LIFETIME_SECONDS, ExportGrant, LinkSigner
from dialogs.rules.stats import SMALL_GROUP
from dialogs.rules.survey_file import EVERYONE, Instrument, localized
from dialogs.rules.survey_privacy import groups_shown
from dialogs.rules.survey_results import Figure, by_key, change, figure, lowest
from dialogs.rules.survey_rounds import closed_on, last_day
from dialogs.rules.units import subtree, topmost, unit_name
from storage.directory_repository import DirectoryRepository
from storage.survey_models import STAFF, SUPERVISOR
from storage.survey_results import SurveyResultRepository
from storage.survey_rounds import RoundRecord, SurveyRoundRepository

MAX_UNITS_SHOWN = 10
_ROUND = re.compile(r"[0-9]{1,12}")
DIGEST_LOWS = 3
# The digest keeps naming a round's lowest areas for this long after it closed.
DIGEST_DAYS = 365


class SurveyResults:
    def __init__(self, instruments: Instruments, rounds: SurveyRoundRepository, results: SurveyResultRepository,
                 directory_repository: DirectoryRepository, round_flow: SurveyRounds, signer: LinkSigner,
                 base_url: str, clock: Clock) -> None:
        self._instruments = instruments
        self._rounds = rounds
        self._results = results
        self._directory_repository = directory_repository
        self._round_flow = round_flow
        self._signer = signer
        self._base_url = base_url.rstrip("/")
        self._clock = clock

    async def _previous(self, survey_round: RoundRecord) -> RoundRecord | None:
        """The round of the same instrument that closed last before this one (pre-tests aside)."""
        if survey_round.pretest or survey_round.closed_at is None:
            return None
        return next((r for r in await self._rounds.rounds(closed_only=True)
                     if r.instrument_id == survey_round.instrument_id and not r.pretest
                     and r.closed_at < survey_round.closed_at), None)

    async def _reaches(self, survey_round: RoundRecord, scope: set[str] | None) -> bool:
        return scope is None or bool(await self._rounds.units_of(survey_round.id) & scope)

    # -- survey results --------------------------------------------------------------------------
    async def results(self, member: Member, argument: str, texts: Texts) -> Reply:
        words = argument.split()
        # str.isdigit would take "²" and "١٢"; ids are ASCII digits within the database's integers.
        round_words = [w for w in words if _ROUND.fullmatch(w)]
        unit_words = [w for w in words if not _ROUND.fullmatch(w)]
        if len(round_words) > 1 or len(unit_words) > 1:
            return Reply(text=texts("survey_refusal.results_usage"))
        parents = await self._directory_repository.unit_parents()
        scope = await self._round_flow.viewer_scope(member, parents)
        unit = unit_words[0] if unit_words else None
        if unit is not None:
            if unit not in parents:
                return Reply(text=texts("survey_refusal.unknown_unit", unit=unit))
            if scope is not None and unit not in scope:
                return Reply(text=texts("survey_refusal.unit_not_yours", unit=unit))
            scope = subtree({unit}, parents)
        if round_words:
            round_id = int(round_words[0])
            survey_round = await self._rounds.get(round_id) if round_id <= MAX_INTEGER else None
            if survey_round is None or (survey_round.pretest and survey_round.started_by != member.person_id
                                        and "admin" not in member.roles):
                return Reply(text=texts("survey_refusal.unknown_round", round=round_id))
            if survey_round.closed_at is None:
                return Reply(text=texts("survey_refusal.still_open", round=round_id,
                                        closes=day(last_day(survey_round.closes_at), texts.language)))
            if not await self._reaches(survey_round, scope):
                return Reply(text=texts("survey_refusal.round_not_yours", round=round_id))
        else:
            survey_round = await self._latest(scope)
            if survey_round is None:
                return Reply(text=texts("survey_refusal.no_results"))
        return Reply(card=await self._card(member, survey_round, scope, unit, texts))

    async def after_close(self, member: Member, round_id: int, texts: Texts) -> Reply:
        """The results card for the coordinator who just closed the round (their own scope)."""
        survey_round = await self._rounds.get(round_id)
        scope = await self._round_flow.viewer_scope(member, await self._directory_repository.unit_parents())
        return Reply(card=await self._card(member, survey_round, scope, None, texts))

    async def _latest(self, scope: set[str] | None) -> RoundRecord | None:
        for survey_round in await self._rounds.rounds(closed_only=True):
            if not survey_round.pretest and await self._reaches(survey_round, scope):
                return survey_round
        return None

    async def _card(self, member: Member, survey_round: RoundRecord, scope: set[str] | None, unit: str | None,
                    texts: Texts) -> dict:
        language = texts.language
        instrument = await self._instruments.get(survey_round.instrument_id, survey_round.instrument_version)
        previous = await self._previous(survey_round)
        names = await self._directory_repository.unit_names()
        parents = await self._directory_repository.unit_parents()
        now = by_key(await self._results.by_area(survey_round.id, scope))
        before = by_key(await self._results.by_area(previous.id, scope)) if previous else {}
        groups = await self._group_means(survey_round.id) if scope is None else {}
        hidden = await self._why_hidden(survey_round.id, scope, now, names, texts)
        areas = [_area_row(area.id, localized(area.title, language), now, before, groups, texts, hidden.get(area.id))
                 for area in instrument.areas]
        units, more = await self._unit_rows(survey_round, previous, instrument, scope, names, language)
        turnout = await self._results.turnout(survey_round.id, scope)
        single = unit or (next(iter(topmost(scope, parents))) if scope is not None and len(topmost(scope, parents)) == 1
                          else None)
        note = await self._unit_note(survey_round.id, single, now, names, texts) if single else None
        scope_name = unit_name(names, unit, language) if unit else texts("stats.whole_organisation") \
            if scope is None else ", ".join(sorted(unit_name(names, u, language) for u in topmost(scope, parents)))
        view = cards.ResultsView(
            round_id=survey_round.id, survey_name=instrument.name(language), scope=scope_name,
            closed_on=closed_on(survey_round), previous=(previous.id, closed_on(previous)) if previous else None,
            invited=sum(t.invited for t in turnout), answered=sum(t.answered for t in turnout),
            paper=sum(t.paper for t in turnout), areas=areas, units=units, more_units=more, note=note,
            export_url=self._export_url(member, survey_round, scope, language), pretest=survey_round.pretest)
        # The chart is drawn in a worker thread: a few tens of milliseconds of CPU.
        return await asyncio.to_thread(cards.results_card, texts, view)

    async def _group_means(self, round_id: int) -> dict[str, dict[str, Figure]]:
        """area -> staff group -> figure, for the whole organisation, where both groups have five."""
        by_area: dict[str, dict[str, Figure]] = {}
        for counts in await self._results.by_area(round_id, None, by_group=True):
            by_area.setdefault(counts.key, {})[counts.group] = figure(counts)
        return {area: groups for area, groups in by_area.items()
                if groups_shown(g.respondents for g in groups.values())}

    async def _unit_rows(self, survey_round: RoundRecord, previous: RoundRecord | None, instrument: Instrument,
                         scope: set[str] | None, names, language: str) -> tuple[list[cards.UnitRow], int]:
        everyone = [a.id for a in instrument.areas if a.audience == EVERYONE]
        per_home = await self._results.by_area(survey_round.id, scope, by_home=True)
        if len({c.home for c in per_home}) < 2:
            return [], 0  # one reported unit: its figures are the scope's own
        before = {(c.home, c.key): figure(c) for c in await self._results.by_area(previous.id, scope, by_home=True)} \
            if previous else {}
        lows = lowest(per_home, everyone, limit=10_000)
        respondents: dict[str, int] = {}
        for counts in per_home:  # the most that answered any area there
            respondents[counts.home] = max(respondents.get(counts.home, 0), counts.respondents)
        rows = [cards.UnitRow(unit_name(names, low.unit_id, language), respondents[low.unit_id],
                              localized(instrument.area(low.area_id).title, language), low.mean,
                              change(figure_of(low), before.get((low.unit_id, low.area_id))))
                for low in lows]
        return rows[:MAX_UNITS_SHOWN], max(0, len(rows) - MAX_UNITS_SHOWN)

    async def _why_hidden(self, round_id: int, scope: set[str] | None, now: dict[str, Figure], names,
                          texts: Texts) -> dict[str, str]:
        """area -> why it has no figure here: fewer than five answered in the scope, or (five or
        more did) they are counted in a larger unit's figure, named."""
        respondents = await self._results.respondents(round_id, scope)
        homes = await self._results.homes(round_id, scope)
        why = {}
        for area, count in respondents.items():
            if area in now and not now[area].hidden:
                continue
            outside = sorted({h for (_, a), h in homes.items() if a == area and h is not None
                              and (scope is not None and h not in scope)})
            if count >= SMALL_GROUP and outside:
                why[area] = texts("survey.part_of", home=unit_name(names, outside[0], texts.language))
            else:
                why[area] = texts("survey.fewer_than_five")
        return why

    async def _unit_note(self, round_id: int, unit: str, now: dict[str, Figure], names, texts: Texts) -> str | None:
        """For one unit with too few respondents: where its answers are counted instead."""
        if any(f.scored for f in now.values()):
            return None
        homes = {home for home in (await self._results.homes(round_id, [unit])).values()}
        elsewhere = sorted(h for h in homes if h is not None and h != unit)
        name = unit_name(names, unit, texts.language)
        if elsewhere:
            return texts("survey.counted_in", unit=name, home=unit_name(names, elsewhere[0], texts.language))
        return texts("survey.too_few", unit=name)  # fewer than five in the whole organisation

    def _export_url(self, member: Member, survey_round: RoundRecord, scope: set[str] | None, language: str) -> str:
        grant = ExportGrant(person_id=member.person_id or 0, units=tuple(sorted(scope)) if scope is not None else None,
                            start=survey_round.opened_at.isoformat(), end=survey_round.closes_at.isoformat(),
                            language=language, expires=int(self._clock.now().timestamp()) + LIFETIME_SECONDS,
                            round_id=survey_round.id)
        return f"{self._base_url}/exports/{self._signer.sign(grant)}/digimentor-survey-{survey_round.id}.xlsx"

    # -- the Excel export ------------------------------------------------------------------------
    async def export_tables(self, round_id: int, scope: set[str] | None, texts: Texts) -> list[tuple] | None:
        """The workbook's sheets for a signed link: areas (with staff groups for the whole
        organisation), reported units, items and turnout, all under the same rule as the card."""
        survey_round = await self._rounds.get(round_id)
        if survey_round is None or survey_round.closed_at is None:
            return None
        language, fewer = texts.language, texts("survey.fewer_than_five")
        instrument = await self._instruments.get(survey_round.instrument_id, survey_round.instrument_version)
        previous = await self._previous(survey_round)
        names = await self._directory_repository.unit_names()
        now = by_key(await self._results.by_area(round_id, scope))
        before = by_key(await self._results.by_area(previous.id, scope)) if previous else {}
        groups = await self._group_means(round_id) if scope is None else {}
        titles = {area.id: localized(area.title, language) for area in instrument.areas}
        areas = []
        for area_id, title in titles.items():
            areas.append(_export_row(title, texts("survey.group_all"), now.get(area_id) or figure(None), fewer,
                                     change(now.get(area_id), before.get(area_id))))
            for group, shown_figure in sorted(groups.get(area_id, {}).items()):
                label = texts("survey.group_supervisors" if group == SUPERVISOR else "survey.group_staff")
                areas.append(_export_row(title, label, shown_figure, fewer, None))
        homes = await self._results.homes(round_id)
        earlier = {(c.home, c.key): figure(c) for c in await self._results.by_area(previous.id, scope, by_home=True)} \
            if previous else {}
        units = []
        for counts in await self._results.by_area(round_id, scope, by_home=True):
            shown_figure = figure(counts)
            included = sorted(u for (u, a), h in homes.items() if h == counts.home and a == counts.key)
            earlier_figure = earlier.get((counts.home, counts.key))
            units.append((unit_name(names, counts.home, language), ", ".join(included), titles.get(counts.key),
                          shown_figure.respondents, shown_figure.mean, before_mean(earlier_figure),
                          change(shown_figure, earlier_figure)))
        statements = {item.id: (area.id, localized(item.text, language)) for area in instrument.areas
                      for item in area.items}
        items = []
        for counts in await self._results.by_item(round_id, scope):
            area_id, statement = statements.get(counts.key, ("", counts.key))
            if now.get(area_id) is None or now[area_id].hidden:
                continue  # an item is shown only where its area is
            items.append(_export_row(titles.get(area_id, area_id), statement, figure(counts), fewer, None))
        group_names = {STAFF: texts("survey.group_staff"), SUPERVISOR: texts("survey.group_supervisors")}
        turnout = [(unit_name(names, t.unit_id, language), group_names[t.staff_group], t.invited, t.answered,
                    t.finished, t.paper) for t in await self._results.turnout(round_id, scope)]
        shares = ["share_cant_say", *(f"share_{value}" for value in range(1, 6))]
        return [("survey_areas", ["area", "staff_group", "respondents", "mean", "change", *shares], areas),
                ("survey_units", ["unit", "includes", "area", "respondents", "mean", "previous_mean", "change"],
                 units),
                ("survey_items", ["area", "item", "answers", "mean", "change", *shares], items),
                ("survey_turnout", ["unit", "staff_group", "invited", "answered", "finished", "paper"], turnout)]

    # -- aiming support --------------------------------------------------------------------------
    async def digest_card(self, member: Member, texts: Texts) -> dict | None:
        """For a coordinator's weekly digest: the units of the last closed round in the units
        they coordinate whose lowest area is low (below the instrument's `low_below`), the lowest
        three, while the round is under a year old."""
        parents = await self._directory_repository.unit_parents()
        scope = await self._round_flow.viewer_scope(member, parents)
        survey_round = await self._latest(scope)
        if survey_round is None or survey_round.closed_at < self._clock.now() - timedelta(days=DIGEST_DAYS):
            return None
        instrument = await self._instruments.get(survey_round.instrument_id, survey_round.instrument_version)
        everyone = [a.id for a in instrument.areas if a.audience == EVERYONE]
        lows = lowest(await self._results.by_area(survey_round.id, scope, by_home=True), everyone, DIGEST_LOWS,
                      below=instrument.low_below)
        if not lows:
            return None
        names, language = await self._directory_repository.unit_names(), texts.language
        return cards.survey_digest_card(
            texts, round_id=survey_round.id, survey_name=instrument.name(language), closed_on=closed_on(survey_round),
            lows=[(unit_name(names, low.unit_id, language), localized(instrument.area(low.area_id).title, language),
                   low.mean, low.respondents) for low in lows])

    async def mentor_note(self, member: Member, texts: Texts, since: datetime, until: datetime) -> dict | None:
        """For a mentor's weekly digest, once per round (the week after it closed): a team
        session on the area their unit scored lowest in, when it is among the round's three
        lowest and low. The unit is the reported one their own unit is counted in."""
        if member.unit_id is None:
            return None
        for survey_round in await self._rounds.rounds(closed_only=True):
            if survey_round.pretest or not since <= survey_round.closed_at < until:
                continue
            instrument = await self._instruments.get(survey_round.instrument_id, survey_round.instrument_version)
            everyone = [a.id for a in instrument.areas if a.audience == EVERYONE]
            homes = await self._results.homes(survey_round.id, [member.unit_id])
            for low in lowest(await self._results.by_area(survey_round.id, None, by_home=True), everyone,
                              DIGEST_LOWS, below=instrument.low_below):
                if homes.get((member.unit_id, low.area_id)) == low.unit_id:
                    names, language = await self._directory_repository.unit_names(), texts.language
                    return cards.mentor_note_card(
                        texts, round_id=survey_round.id, survey_name=instrument.name(language),
                        unit=unit_name(names, low.unit_id, language),
                        area=localized(instrument.area(low.area_id).title, language), mean=low.mean,
                        respondents=low.respondents)
        return None


def before_mean(previous: Figure | None) -> float | None:
    return previous.mean if previous is not None and previous.scored else None


def _export_row(title: str, label: str, shown_figure: Figure, fewer: str, delta: float | None) -> tuple:
    if shown_figure.hidden:
        return (title, label, fewer, None, None, *([None] * 6))
    shares = tuple(round(share, 3) for share in shown_figure.shares) or (None,) * 6
    return (title, label, shown_figure.respondents, shown_figure.mean, delta, *shares)


def figure_of(low) -> Figure:
    return Figure(low.area_id, low.respondents, low.mean, (), False)


def _area_row(area_id: str, title: str, now: dict[str, Figure], before: dict[str, Figure],
              groups: dict[str, dict[str, Figure]], texts: Texts, hidden: str | None) -> cards.AreaRow:
    current = now.get(area_id)
    previous = before.get(area_id)
    if current is None or current.hidden:
        return cards.AreaRow(title, None, None, previous=previous.mean if previous and previous.scored else None,
                             hidden=hidden)
    labels = {STAFF: texts("survey.group_staff"), SUPERVISOR: texts("survey.group_supervisors")}
    shown_groups = [(labels[group], figure_.mean) for group, figure_ in sorted(groups.get(area_id, {}).items())]
    return cards.AreaRow(title, current.mean, current.respondents, current.shares, change(current, previous),
                         previous.mean if previous and previous.scored else None, shown_groups)

