"""The coordinator's statistics card and the mentor's hours card."""

from __future__ import annotations

from typing import Callable

from bot.domain.stats import Figures
from cards.actions import execute, open_url
from cards.base import adaptive_card, heading, paragraph, subheading
from cards.charts import bar_chart

Texts = Callable[..., str]


def _delta(value: float | int | None) -> str:
    if value is None:
        return ""
    if value == 0:
        return " (±0)"
    number = f"{value:+g}".replace("-", "−")
    return f" ({number})"


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)} %"


def _facts(rows: list[tuple[str, str]]) -> dict:
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in rows]}


def stats_card(texts: Texts, *, scope: str, period: str, previous_period: str, figures: Figures,
               delta: dict) -> dict:
    f = figures
    satisfaction = (
        texts("stats.fewer_than_five") if f.satisfaction_hidden
        else "–" if f.satisfaction_mean is None
        else texts("stats.satisfaction_value", mean=f"{f.satisfaction_mean:.1f}", count=f.satisfaction_count)
        + _delta(delta["satisfaction_mean"])
    )
    distribution = ", ".join(f"{rating}: {f.satisfaction_distribution.get(rating, 0)}" for rating in range(5, 0, -1))
    rows = [
        (texts("stats.questions"), f"{f.questions}{_delta(delta['questions'])}"),
        (texts("stats.answered_by_faq"),
         f"{f.answered_by_faq} ({_percent(f.faq_share)}){_delta(delta['answered_by_faq'])}"),
        (texts("stats.helpful"), f"{f.helpful} / {f.not_helpful}"),
        (texts("stats.handed"), f"{f.handed_to_mentors}{_delta(delta['handed_to_mentors'])}"),
        (texts("stats.accepted"),
         texts("stats.accepted_value", count=f.accepted, share=_percent(f.accepted_in_time_share))
         + _delta(delta["accepted"])),
        (texts("stats.time_to_accept"), texts(
            "stats.minutes_pair",
            p50="–" if f.accept_p50_minutes is None else f"{f.accept_p50_minutes:g}",
            p90="–" if f.accept_p90_minutes is None else f"{f.accept_p90_minutes:g}")),
        (texts("stats.resolved"), f"{f.resolved}{_delta(delta['resolved'])}"),
        (texts("stats.cancelled"), f"{f.cancelled}{_delta(delta['cancelled'])}"),
        (texts("stats.escalated"), f"{f.escalated}{_delta(delta['escalated'])}"),
        (texts("stats.unanswered"), f"{f.unanswered}{_delta(delta['unanswered'])}"),
        (texts("stats.satisfaction"), satisfaction),
    ]
    if not f.satisfaction_hidden and f.satisfaction_count:
        rows.append((texts("stats.distribution"), distribution))
    rows.append((texts("stats.mentor_minutes"), f"{f.total_mentor_minutes} min{_delta(delta['total_mentor_minutes'])}"))
    chart_rows = [
        (texts("stats.questions"), f.questions, f.questions - delta["questions"]),
        (texts("stats.answered_by_faq"), f.answered_by_faq, f.answered_by_faq - delta["answered_by_faq"]),
        (texts("stats.handed"), f.handed_to_mentors, f.handed_to_mentors - delta["handed_to_mentors"]),
        (texts("stats.resolved"), f.resolved, f.resolved - delta["resolved"]),
        (texts("stats.unanswered"), f.unanswered, f.unanswered - delta["unanswered"]),
    ]
    alt = texts("stats.chart_alt", period=period, previous=previous_period) + " " + "; ".join(
        f"{label}: {now} ({before})" for label, now, before in chart_rows)
    body = [
        heading(texts("stats.title", scope=scope, period=period)),
        paragraph(texts("stats.compared", previous=previous_period), isSubtle=True),
        {"type": "Image", "url": bar_chart(chart_rows, (period, previous_period)), "altText": alt,
         "size": "Stretch"},
        _facts(rows),
    ]
    if f.mentor_minutes:
        body.append(subheading(texts("stats.by_mentor")))
        body.append(_facts([(m.name, texts("stats.minutes_of_allowance", minutes=m.minutes, allowance=m.allowance))
                            for m in f.mentor_minutes[:15]]))
    if f.top_topics:
        body.append(subheading(texts("stats.top_topics")))
        body.append(_facts([(topic, str(count)) for topic, count in f.top_topics]))
    return adaptive_card(body)


def hours_card(texts: Texts, *, week: tuple[int, int], month: tuple[int, int], weekly_allowance: int,
               month_allowance: int) -> dict:
    """week/month: (minutes on requests, other logged minutes)."""
    week_total, month_total = sum(week), sum(month)
    rows = [
        (texts("hours.this_week"), texts("hours.value", minutes=week_total, allowance=weekly_allowance)),
        (texts("hours.on_requests"), f"{week[0]} min"),
        (texts("hours.other"), f"{week[1]} min"),
        (texts("hours.this_month"), texts("hours.value", minutes=month_total, allowance=month_allowance)),
    ]
    chart = bar_chart(
        [(texts("hours.this_week"), week_total, weekly_allowance), (texts("hours.this_month"), month_total,
                                                                     month_allowance)],
        (texts("hours.used"), texts("hours.allowance")),
    )
    alt = texts("hours.chart_alt", week=week_total, weekly=weekly_allowance, month=month_total,
                monthly=month_allowance)
    return adaptive_card([heading(texts("hours.title")),
                          {"type": "Image", "url": chart, "altText": alt, "size": "Stretch"},
                          _facts(rows)])


def gaps_card(texts: Texts, groups, days: int) -> dict:  # noqa: ANN001 - GapGroup list
    """The most frequent questions the FAQ did not answer, each with a button to draft an entry."""
    body = [heading(texts("gaps.title", days=days))]
    if not groups:
        body.append(paragraph(texts("gaps.none")))
        return adaptive_card(body)
    body.append(paragraph(texts("gaps.intro"), isSubtle=True))
    for group in groups:
        body.append({
            "type": "Container",
            "separator": True,
            "items": [
                paragraph(texts("request.quoted", question=group.representative), weight="Bolder"),
                paragraph(texts("gaps.counts", total=group.size, unanswered=group.unanswered,
                                not_helpful=group.not_helpful), isSubtle=True),
                {"type": "ActionSet", "actions": [
                    execute(texts("gaps.draft"), "draftFaq", {"question_id": group.question_ids[0]})]},
            ],
        })
    return adaptive_card(body)


def mentors_card(texts: Texts, mentors, unit_names: dict[str, str], *, available_now,  # noqa: ANN001
                 not_shown: int = 0) -> dict:
    """The coordinator's view of the mentors in scope, with the changes they may make."""
    body = [heading(texts("mentors.title"))]
    if not mentors:
        body.append(paragraph(texts("mentors.none")))
    for mentor in mentors:
        status = texts("mentors.available") if available_now(mentor) else texts("mentors.away")
        body.append({"type": "Container", "separator": True, "items": [
            paragraph(f"**{mentor.name}** – {unit_names.get(mentor.unit_id, mentor.unit_id or '')}"),
            _facts([
                (texts("mentors.status"), status),
                (texts("mentors.this_week"), texts("stats.minutes_of_allowance", minutes=mentor.minutes_this_week,
                                                   allowance=mentor.weekly_allowance)),
                (texts("mentors.open"), str(mentor.open_requests)),
            ]),
            {"type": "Input.Number", "id": f"allowance_{mentor.person_id}", "label": texts("mentors.allowance_label"),
             "value": mentor.weekly_allowance, "min": 0, "max": 2400},
            {"type": "ActionSet", "actions": [
                execute(texts("mentors.save_allowance"), "setAllowance", {"person_id": mentor.person_id}),
                execute(texts("mentors.remove"), "removeMentor", {"person_id": mentor.person_id}),
            ]},
        ]})
    if not_shown:
        body.append(paragraph(texts("mentors.more", count=not_shown), isSubtle=True))
    body.append({"type": "Input.Text", "id": "new_mentor", "label": texts("mentors.add_label"),
                 "placeholder": texts("mentors.add_placeholder"), "maxLength": 320, "separator": True})
    return adaptive_card(body, [execute(texts("mentors.add"), "addMentor", {}, style="positive")])


def export_card(texts: Texts, *, period: str, links: dict[str, str], minutes: int) -> dict:
    body = [heading(texts("export.title", period=period)), paragraph(texts("export.body", minutes=minutes))]
    return adaptive_card(body, [open_url(texts("export.xlsx"), links["xlsx"]),
                                open_url(texts("export.csv"), links["csv"])])
