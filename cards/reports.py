"""The coordinator's statistics, gaps, mentors and export cards, and the mentor's hours card.

Numbers and dates are written the reader's way ("4,3" and "1.12.2026" in Finnish)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from cards.actions import execute, open_url
from cards.base import adaptive_card, heading, paragraph, subheading
from cards.charts import bar_chart
from cards.formatting import MISSING, day, month_name, number, percent

Texts = Callable[..., str]


def period_label(texts: Texts, period) -> str:
    """"marraskuu 2026", "viikko 48 (23.11.–29.11.2026)", "4. vuosineljännes 2026"."""
    language = texts.language
    local_start = period.local_start
    if period.kind == "week":
        last_day = (period.end - timedelta(days=1)).astimezone(local_start.tzinfo).date()
        return texts("periods.week", week=local_start.isocalendar().week, first=day(local_start.date(), language),
                     last=day(last_day, language))
    if period.kind == "quarter":
        return texts("periods.quarter", quarter=(local_start.month - 1) // 3 + 1, year=local_start.year)
    return month_name(local_start.date(), language)


def _delta(value: float | int | None, language: str) -> str:
    if value is None:
        return ""
    if value == 0:
        return " (±0)"
    sign = "+" if value > 0 else "−"
    return f" ({sign}{number(abs(value), language)})"


def _facts(rows: list[tuple[str, str]]) -> dict:
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in rows]}


def _minutes(texts: Texts, minutes: int) -> str:
    return texts("units.minutes", minutes=number(minutes, texts.language))


def stats_card(texts: Texts, *, scope: str, period, previous_period, figures, delta: dict,
               coverage: str | None = None, rollouts=()) -> dict:
    """`figures`: storage.stats_repository.Figures; `period`: dialogs.rules.periods.Period;
    `coverage`: the share of units with a digimentor now, as the weekly digest says it;
    `rollouts`: (title, questions, answered by the FAQ, handed) of the period's rollouts."""
    f, lang = figures, texts.language
    now_label, before_label = period_label(texts, period), period_label(texts, previous_period)

    def counted(value: int, key: str) -> str:
        return f"{number(value, lang)}{_delta(delta[key], lang)}"

    satisfaction = (
        texts("stats.fewer_than_five") if f.satisfaction_hidden
        else MISSING if f.satisfaction_mean is None
        else texts("stats.satisfaction_value", mean=number(float(f.satisfaction_mean), lang),
                   count=f.satisfaction_count) + _delta(delta["satisfaction_mean"], lang)
    )
    minutes_pair = (MISSING if value is None else number(float(value), lang)
                    for value in (f.accept_p50_minutes, f.accept_p90_minutes))
    rows = [
        (texts("stats.questions"), counted(f.questions, "questions")),
        (texts("stats.answered_by_faq"),
         f"{number(f.answered_by_faq, lang)} ({percent(f.faq_share, lang)}){_delta(delta['answered_by_faq'], lang)}"),
        (texts("stats.after_hours"), counted(f.after_hours, "after_hours")),
        (texts("stats.helpful"), f"{number(f.helpful, lang)} / {number(f.not_helpful, lang)}"),
        (texts("stats.handed"), counted(f.handed_to_mentors, "handed_to_mentors")),
        (texts("stats.accepted"),
         texts("stats.accepted_value", count=number(f.accepted, lang), share=percent(f.accepted_in_time_share, lang))
         + _delta(delta["accepted"], lang)),
        (texts("stats.time_to_accept"), texts("stats.minutes_pair", p50=next(minutes_pair), p90=next(minutes_pair))),
        (texts("stats.resolved"), counted(f.resolved, "resolved")),
        (texts("stats.cancelled"), counted(f.cancelled, "cancelled")),
        (texts("stats.escalated"), counted(f.escalated, "escalated")),
        (texts("stats.unanswered"), counted(f.unanswered, "unanswered")),
        (texts("stats.satisfaction"), satisfaction),
    ]
    if not f.satisfaction_hidden and f.satisfaction_count:
        rows.append((texts("stats.distribution"), ", ".join(
            f"{rating}: {f.satisfaction_distribution.get(rating, 0)}" for rating in range(5, 0, -1))))
    rows.append((texts("stats.mentor_minutes"),
                 _minutes(texts, f.total_mentor_minutes) + _delta(delta["total_mentor_minutes"], lang)))
    chart_rows = [
        (texts("stats.questions"), f.questions, f.questions - delta["questions"]),
        (texts("stats.answered_by_faq"), f.answered_by_faq, f.answered_by_faq - delta["answered_by_faq"]),
        (texts("stats.handed"), f.handed_to_mentors, f.handed_to_mentors - delta["handed_to_mentors"]),
        (texts("stats.resolved"), f.resolved, f.resolved - delta["resolved"]),
        (texts("stats.unanswered"), f.unanswered, f.unanswered - delta["unanswered"]),
    ]
    alt = texts("stats.chart_alt", period=now_label, previous=before_label) + " " + "; ".join(
        f"{label}: {number(now, lang)} ({number(before, lang)})" for label, now, before in chart_rows)
    body = [
        heading(texts("stats.title", scope=scope, period=now_label)),
        paragraph(texts("stats.compared", previous=before_label), isSubtle=True),
        {"type": "Image", "url": bar_chart(chart_rows, (now_label, before_label)), "altText": alt,
         "size": "Stretch"},
        _facts(rows),
    ]
    if coverage:
        body.append(subheading(texts("coverage.digest_title")))
        body.append(paragraph(coverage))
    if f.mentor_minutes:
        body.append(subheading(texts("stats.by_mentor")))
        body.append(_facts([(m.name, texts("stats.minutes_of_allowance", minutes=number(m.minutes, lang),
                                           allowance=number(m.allowance, lang)))
                            for m in f.mentor_minutes[:15]]))
    if rollouts:
        body.append(subheading(texts("stats.rollouts_title")))
        body.append(_facts([(title, texts("stats.rollout_value", questions=number(count, lang),
                                          answered=number(answered, lang), handed=number(handed, lang)))
                            for title, count, answered, handed in rollouts]))
    if f.top_topics:
        body.append(subheading(texts("stats.top_topics")))
        body.append(_facts([(topic, number(count, lang)) for topic, count in f.top_topics]))
    body += _collaboration(texts, f.sessions, f.agreements)
    return adaptive_card(body)


def _mean(texts: Texts, mean: float | None, count: int, hidden: bool) -> str:
    if hidden:
        return texts("stats.fewer_than_five")
    if mean is None:
        return MISSING
    return texts("stats.satisfaction_value", mean=number(float(mean), texts.language), count=count)


def _collaboration(texts: Texts, sessions, agreements) -> list[dict]:
    """Team sessions and peer-mentoring agreements, when the period has any."""
    lang, body = texts.language, []
    if sessions.booked or sessions.held or sessions.minutes or sessions.feedback_count:
        body.append(subheading(texts("stats.sessions_title")))
        body.append(_facts([
            (texts("stats.sessions_booked"), number(sessions.booked, lang)),
            (texts("stats.sessions_held"), number(sessions.held, lang)),
            (texts("stats.sessions_participants"), number(sessions.participants, lang)),
            (texts("stats.sessions_minutes"), _minutes(texts, sessions.minutes)),
            (texts("stats.sessions_feedback"), _mean(texts, sessions.feedback_mean, sessions.feedback_count,
                                                     sessions.feedback_hidden)),
        ]))
    a = agreements
    if a.active or a.started or a.closed or a.declined or a.meetings or a.goals_answered:
        goals = texts("stats.goals_value", yes=number(a.goals.get("yes", 0), lang),
                      partly=number(a.goals.get("partly", 0), lang), no=number(a.goals.get("no", 0), lang))
        body.append(subheading(texts("stats.agreements_title")))
        body.append(_facts([
            (texts("stats.agreements_active"), number(a.active, lang)),
            (texts("stats.agreements_started"), number(a.started, lang)),
            (texts("stats.agreements_closed"), number(a.closed, lang)),
            (texts("stats.agreements_declined"), number(a.declined, lang)),
            (texts("stats.agreements_meetings"), texts("stats.meetings_value", count=number(a.meetings, lang),
                                                       minutes=_minutes(texts, a.minutes))),
            (texts("stats.agreements_goals"), goals if a.goals_answered else MISSING),
            (texts("stats.agreements_rating"), _mean(texts, a.rating_mean, a.rating_count, a.rating_hidden)),
        ]))
    return body


def hours_card(texts: Texts, *, week: tuple[int, ...], month: tuple[int, ...], weekly_allowance: int,
               month_allowance: int) -> dict:
    """week/month: (minutes on questions, on team sessions, on agreements' meetings, other
    logged minutes); sessions and agreements are shown when there are any."""
    lang = texts.language
    week_total, month_total = sum(week), sum(month)
    rows = [
        (texts("hours.this_week"), texts("hours.value", minutes=number(week_total, lang),
                                         allowance=number(weekly_allowance, lang))),
        (texts("hours.on_requests"), _minutes(texts, week[0])),
        *[(texts(key), _minutes(texts, minutes)) for key, minutes in (("hours.on_sessions", week[1]),
                                                                      ("hours.on_agreements", week[2])) if minutes],
        (texts("hours.other"), _minutes(texts, week[3])),
        (texts("hours.this_month"), texts("hours.value", minutes=number(month_total, lang),
                                          allowance=number(month_allowance, lang))),
    ]
    chart = bar_chart(
        [(texts("hours.this_week"), week_total, weekly_allowance),
         (texts("hours.this_month"), month_total, month_allowance)],
        (texts("hours.used"), texts("hours.allowance")),
    )
    alt = texts("hours.chart_alt", week=number(week_total, lang), weekly=number(weekly_allowance, lang),
                month=number(month_total, lang), monthly=number(month_allowance, lang))
    return adaptive_card([heading(texts("hours.title")),
                          {"type": "Image", "url": chart, "altText": alt, "size": "Stretch"},
                          _facts(rows)])


def gaps_card(texts: Texts, groups, days: int, variants=()) -> dict:
    """The most frequent questions the FAQ did not answer, each with a button to draft an entry;
    first, askers' own words waiting to become variants of the entries they found.
    `variants`: (variant id, the words, the entry's title)."""
    body = [heading(texts("gaps.title", days=days))]
    if variants:
        body.append(subheading(texts("gaps.variants_title")))
        body.append(paragraph(texts("gaps.variants_intro"), isSubtle=True))
        for variant_id, words, title in variants:
            body.append({"type": "Container", "separator": True, "items": [
                paragraph(texts("gaps.variant", question=words, title=title)),
                {"type": "ActionSet", "actions": [
                    execute(texts("gaps.approve"), "approveVariant", {"variant_id": variant_id}, style="positive"),
                    execute(texts("gaps.reject"), "rejectVariant", {"variant_id": variant_id}),
                ]},
            ]})
    if not groups:
        body.append(paragraph(texts("gaps.none")))
        return adaptive_card(body)
    body.append(subheading(texts("gaps.unanswered_title")))
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


def mentors_card(texts: Texts, mentors, unit_names: dict[str, str], *, available_now,
                 allowance_limit: int, not_shown: int = 0, helpers=(), helpers_not_shown: int = 0,
                 helper_allowance: int | None = None) -> dict:
    """The coordinator's view of the mentors in scope, with the changes they may make; in the
    open and both models (`helper_allowance` given) also the open helpers, who may be removed.
    `helpers`: storage.helper_repository.HelperRecord."""
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
             "value": mentor.weekly_allowance, "min": 0, "max": allowance_limit},
            {"type": "ActionSet", "actions": [
                execute(texts("mentors.save_allowance"), "setAllowance", {"person_id": mentor.person_id}),
                execute(texts("mentors.remove"), "removeMentor", {"person_id": mentor.person_id}),
            ]},
        ]})
    if not_shown:
        body.append(paragraph(texts("mentors.more", count=not_shown), isSubtle=True))
    if helper_allowance is not None:
        body += _helpers(texts, helpers, unit_names, helpers_not_shown, helper_allowance)
    body.append({"type": "Input.Text", "id": "new_mentor", "label": texts("mentors.add_label"),
                 "placeholder": texts("mentors.add_placeholder"), "maxLength": 320, "separator": True})
    return adaptive_card(body, [execute(texts("mentors.add"), "addMentor", {}, style="positive")])


def _helpers(texts: Texts, helpers, unit_names: dict[str, str], not_shown: int, allowance: int) -> list[dict]:
    body = [subheading(texts("helpers.title")),
            paragraph(texts("helpers.intro", allowance=allowance), isSubtle=True)]
    if not helpers:
        body.append(paragraph(texts("helpers.none")))
    for helper in helpers:
        body.append({"type": "Container", "separator": True, "items": [
            paragraph(f"**{helper.name}** – {unit_names.get(helper.unit_id, helper.unit_id or '')}"),
            paragraph(texts("helpers.line", topics=", ".join(helper.topics), helped=helper.people_helped),
                      isSubtle=True),
            {"type": "ActionSet", "actions": [
                execute(texts("helpers.remove"), "removeHelper", {"person_id": helper.person_id})]},
        ]})
    if not_shown:
        body.append(paragraph(texts("mentors.more", count=not_shown), isSubtle=True))
    return body


def helper_thanks_card(texts: Texts, *, helped: int, topics: tuple[str, ...]) -> dict:
    """The weekly digest of an open helper: thanks, with the people they helped last week."""
    body = [heading(texts("helpers.thanks_title")),
            paragraph(texts("helpers.thanks_body", count=helped) if helped else texts("helpers.thanks_none")),
            paragraph(texts("helpers.thanks_topics", topics=", ".join(topics)), isSubtle=True)]
    return adaptive_card(body)


def export_card(texts: Texts, *, period, links: dict[str, str], minutes: int) -> dict:
    body = [heading(texts("export.title", period=period_label(texts, period))),
            paragraph(texts("export.body", minutes=minutes))]
    return adaptive_card(body, [open_url(texts("export.xlsx"), links["xlsx"]),
                                open_url(texts("export.csv"), links["csv"])])
