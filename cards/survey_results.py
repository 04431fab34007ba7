"""Survey results for coordinators and supervisors: a closed round's areas with mean,
distribution, respondents and change from the previous round, a chart with the same figures as
alt text, the units that scored lowest, and the Excel download; the digest's lowest areas and
the note to mentors of those units. Cells of fewer than five read "fewer than 5"."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from cards.actions import open_url
from cards.base import adaptive_card, heading, paragraph, subheading
from cards.charts import scale_chart
from cards.formatting import MISSING, day, number, percent

Texts = Callable[..., str]
# Teams refuses cards over 28 KB: a card that would pass this leaves out distributions and groups.
CARD_BUDGET = 26 * 1024
# The chart draws the areas that have a figure, at most this many (each row costs about 2.4 KB).
CHART_ROWS = 6
CHART_LABEL = 48


@dataclass(frozen=True)
class AreaRow:
    title: str
    mean: float | None  # None: hidden (fewer than five) or only "can't say"
    respondents: int | None  # None: fewer than five
    shares: tuple[float, ...] = ()  # "can't say", 1-5
    change: float | None = None
    previous: float | None = None
    groups: Sequence[tuple[str, float | None]] = ()  # staff group label, its mean
    hidden: str | None = None  # why no figure is shown: fewer than five, or part of a larger unit


@dataclass(frozen=True)
class UnitRow:
    name: str
    respondents: int
    lowest_area: str
    lowest_mean: float
    change: float | None = None


@dataclass(frozen=True)
class ResultsView:
    round_id: int
    survey_name: str
    scope: str
    closed_on: date
    previous: tuple[int, date] | None  # the previous round of the instrument: (id, closed on)
    invited: int
    answered: int
    paper: int
    areas: Sequence[AreaRow]
    units: Sequence[UnitRow] = field(default_factory=list)
    more_units: int = 0
    note: str | None = None
    export_url: str | None = None
    pretest: bool = False


def _signed(value: float | None, language: str) -> str:
    if value is None:
        return ""
    if round(value, 1) == 0:
        return " (±0)"
    return f" ({'+' if value > 0 else '−'}{number(abs(value), language)})"


def _distribution(texts: Texts, shares: tuple[float, ...]) -> str:
    lang = texts.language
    parts = [f"{value}: {percent(shares[value], lang)}" for value in range(1, 6)]
    parts.append(f"{texts('survey.cant_say_short')}: {percent(shares[0], lang)}")
    return " · ".join(parts)


def results_card(texts: Texts, view: ResultsView) -> dict:
    """With many long area names the card may pass CARD_BUDGET: then it keeps the means and
    respondents and leaves the chart, the distributions and staff groups to the Excel file."""
    card = _results_card(texts, view, detailed=True)
    if len(json.dumps(card).encode()) > CARD_BUDGET:
        card = _results_card(texts, view, detailed=False)
    return card


def _label(title: str) -> str:
    return title if len(title) <= CHART_LABEL else title[:CHART_LABEL - 1].rstrip() + "…"


def _results_card(texts: Texts, view: ResultsView, *, detailed: bool) -> dict:
    lang = texts.language
    fewer = texts("survey.fewer_than_five")
    title = texts("survey.results_title", name=view.survey_name, round=view.round_id)
    compared = texts("survey.results_compared", round=view.previous[0], closed=day(view.previous[1], lang)) \
        if view.previous else texts("survey.results_first")
    # Paper forms may come from people the chat invitation did not reach: at most 100 %.
    share = min(view.answered / view.invited, 1.0) if view.invited else None
    turnout = texts("survey.results_turnout", answered=number(view.answered, lang), invited=number(view.invited, lang),
                    share=percent(share, lang))
    if view.paper:
        turnout += " " + texts("survey.results_paper", count=number(view.paper, lang))
    body = [heading(title),
            paragraph(texts("survey.results_scope", scope=view.scope, closed=day(view.closed_on, lang),
                            compared=compared), isSubtle=True),
            paragraph(turnout)]
    if view.pretest:
        body.append(paragraph(texts("survey.pretest_results"), isSubtle=True))
    if view.note:
        body.append(paragraph(view.note, weight="Bolder"))

    def shown(value: float | None) -> str:
        return MISSING if value is None else number(value, lang)

    rows = [(_label(area.title), area.mean, area.previous) for area in view.areas
            if area.mean is not None or area.previous is not None][:CHART_ROWS]
    if rows and detailed:
        legend = (texts("survey.round_label", round=view.round_id),
                  texts("survey.round_label", round=view.previous[0]) if view.previous else texts("survey.no_previous"))
        alt = texts("survey.chart_alt", round=view.round_id) + " " + "; ".join(
            f"{label}: {shown(now)}" + (f" ({shown(before)})" if view.previous else "") for label, now, before in rows)
        body.append({"type": "Image", "url": scale_chart(rows, legend, 5.0, shown), "altText": alt,
                     "size": "Stretch"})
    for area in view.areas:
        body.append(subheading(area.title))
        if area.respondents is None:
            body.append(paragraph(area.hidden or fewer, spacing="None"))
            continue
        mean = shown(area.mean) if area.mean is not None else texts("survey.only_cant_say")
        body.append(paragraph(texts("survey.results_area", mean=mean + _signed(area.change, lang),
                                    respondents=number(area.respondents, lang)), spacing="None"))
        if area.shares and detailed:
            body.append(paragraph(_distribution(texts, area.shares), isSubtle=True, spacing="None"))
        if area.groups and detailed:
            body.append(paragraph(" · ".join(f"{label} {shown(mean)}" for label, mean in area.groups),
                                  isSubtle=True, spacing="None"))
    if view.units:
        body.append(subheading(texts("survey.results_units")))
        body.append({"type": "FactSet", "facts": [
            {"title": texts("survey.results_unit_name", name=unit.name, respondents=number(unit.respondents, lang)),
             "value": texts("survey.results_unit_lowest", area=unit.lowest_area,
                            mean=number(unit.lowest_mean, lang) + _signed(unit.change, lang))}
            for unit in view.units]})
        if view.more_units:
            body.append(paragraph(texts("survey.results_more_units", count=view.more_units), isSubtle=True))
    body.append(paragraph(texts("survey.results_privacy"), isSubtle=True, spacing="Medium"))
    actions = [open_url(texts("survey.results_download"), view.export_url)] if view.export_url else []
    return adaptive_card(body, actions)


def survey_digest_card(texts: Texts, *, round_id: int, survey_name: str, closed_on: date,
                       lows: Sequence[tuple[str, str, float, int]]) -> dict:
    """lows: (unit, area, mean, respondents), the lowest first."""
    lang = texts.language
    body = [heading(texts("survey.digest_title", name=survey_name)),
            paragraph(texts("survey.digest_intro", round=round_id, closed=day(closed_on, lang))),
            {"type": "FactSet", "facts": [
                {"title": unit, "value": texts("survey.digest_low", area=area, mean=number(mean, lang),
                                               respondents=number(respondents, lang))}
                for unit, area, mean, respondents in lows]},
            paragraph(texts("survey.digest_hint"), isSubtle=True)]
    return adaptive_card(body)


def mentor_note_card(texts: Texts, *, round_id: int, survey_name: str, unit: str, area: str, mean: float,
                     respondents: int) -> dict:
    lang = texts.language
    body = [heading(texts("survey.note_title", area=area)),
            paragraph(texts("survey.note_body", name=survey_name, round=round_id, unit=unit, area=area,
                            mean=number(mean, lang), respondents=number(respondents, lang))),
            paragraph(texts("survey.note_hint"), isSubtle=True)]
    return adaptive_card(body)
