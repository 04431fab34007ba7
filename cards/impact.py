"""The coordinator's impact card: what the FAQ and the digimentors achieved in a period, against
the one before, with a chart (alt text carries the same figures), the assumption behind the time
saved printed on the card, and the Excel download."""

from __future__ import annotations

from collections.abc import Callable

from cards.actions import open_url
from cards.base import adaptive_card, heading, paragraph
from cards.charts import bar_chart
from cards.formatting import MISSING, number, percent
from cards.reports import period_label

Texts = Callable[..., str]


def _delta(value, texts: Texts, *, points: bool = False) -> str:
    """" (+3)", " (−0,5)", or for a share the change in percentage points: " (+4 %-yks.)"."""
    if value is None:
        return ""
    if value == 0 or (points and round(abs(value) * 100) == 0):
        return " (±0)"
    sign = "+" if value > 0 else "−"
    shown = texts("impact.points", value=round(abs(value) * 100)) if points else number(abs(value), texts.language)
    return f" ({sign}{shown})"


def assumption_text(texts: Texts, assumptions) -> str:
    """"Arvio: 5 min jokaisesta UKK:n vastauksesta ja 15 min ...": whole minutes without decimals."""
    def minutes(value: float) -> str:
        return number(int(value) if float(value).is_integer() else float(value), texts.language)

    return texts("impact.assumption", faq=minutes(assumptions.minutes_per_faq_answer),
                 helpdesk=minutes(assumptions.minutes_per_helpdesk_contact))


def impact_card(texts: Texts, *, scope: str, period, previous_period, current, previous, delta: dict,
                assumptions, excel_url: str | None) -> dict:
    """`current`, `previous`: dialogs.rules.impact.Impact; `assumptions`: its Assumptions."""
    c, lang = current, texts.language
    now_label, before_label = period_label(texts, period), period_label(texts, previous_period)

    def count(value: int, key: str) -> str:
        return f"{number(value, lang)}{_delta(delta[key], texts)}"

    satisfaction = (texts("stats.fewer_than_five") if c.satisfaction_hidden else MISSING
                    if c.satisfaction_mean is None else
                    texts("stats.satisfaction_value", mean=number(float(c.satisfaction_mean), lang),
                          count=c.satisfaction_count) + _delta(delta["satisfaction_mean"], texts))
    helpdesk = (texts("stats.fewer_than_five") if c.helpdesk_hidden else MISSING if c.helpdesk_share is None else
                texts("impact.helpdesk_value", yes=percent(c.helpdesk_share, lang),
                      count=number(c.helpdesk_answers, lang)) + _delta(delta["helpdesk_share"], texts, points=True))
    hours = texts("impact.hours_value", hours=number(float(c.mentor_hours), lang),
                  allowance=number(float(c.allowance_hours), lang), share=percent(c.allowance_share, lang)) \
        + _delta(delta["mentor_hours"], texts)
    saved = texts("impact.hours", hours=number(float(c.hours_saved), lang)) + _delta(delta["hours_saved"], texts)
    coverage = MISSING if c.coverage is None or not c.coverage.counted else texts(
        "impact.coverage_value", covered=number(c.coverage.covered, lang), counted=number(c.coverage.counted, lang),
        share=percent(c.coverage.share, lang), goal=c.coverage.goal) + _delta(delta["coverage"], texts, points=True)
    rows = [
        (texts("impact.faq_answers"), count(c.faq_answers, "faq_answers")),
        (texts("impact.mentor_helped"), count(c.mentor_helped, "mentor_helped")),
        (texts("impact.people_reached"), count(c.people_reached, "people_reached")),
        (texts("impact.sessions_held"), texts("impact.sessions_value", count=count(c.sessions_held, "sessions_held"),
                                              participants=number(c.session_participants, lang))),
        (texts("impact.mentor_hours"), hours),
        (texts("stats.satisfaction"), satisfaction),
        (texts("impact.helpdesk_share"), helpdesk),
        (texts("impact.sent_to_helpdesk"), count(c.sent_to_helpdesk, "sent_to_helpdesk")),
        (texts("impact.referred_by_helpdesk"), count(c.referred_by_helpdesk, "referred_by_helpdesk")),
        (texts("impact.time_saved"), saved),
        (texts("impact.coverage"), coverage),
    ]
    chart_rows = [(texts("impact.faq_answers"), c.faq_answers, previous.faq_answers),
                  (texts("impact.mentor_helped"), c.mentor_helped, previous.mentor_helped),
                  (texts("impact.people_reached"), c.people_reached, previous.people_reached),
                  (texts("impact.chart_hours_saved"), round(c.hours_saved), round(previous.hours_saved))]
    alt = texts("stats.chart_alt", period=now_label, previous=before_label) + " " + "; ".join(
        f"{label}: {number(now, lang)} ({number(before, lang)})" for label, now, before in chart_rows)
    assumption = assumption_text(texts, assumptions)
    if c.helpdesk_hidden:
        assumption += " " + texts("impact.saving_without_helpdesk")
    body = [heading(texts("impact.title", scope=scope, period=now_label)),
            paragraph(texts("stats.compared", previous=before_label), isSubtle=True),
            {"type": "Image", "url": bar_chart(chart_rows, (now_label, before_label)), "altText": alt,
             "size": "Stretch"},
            {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in rows]},
            paragraph(assumption, isSubtle=True, spacing="Medium"),
            paragraph(texts("impact.explained"), isSubtle=True)]
    actions = [open_url(texts("impact.excel"), excel_url)] if excel_url else []
    return adaptive_card(body, actions)
