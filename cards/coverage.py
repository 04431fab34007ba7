"""Coverage cards: the coordinator's view of which units have a digimentor, and the alert when a
unit loses its last one. Whether a unit is covered is said in words, never by colour alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cards.actions import execute
from cards.base import adaptive_card, heading, paragraph, subheading
from cards.formatting import MISSING, day, number, percent

Texts = Callable[..., str]
MAX_NAMES = 3  # mentors named per unit; the count says how many there are


@dataclass(frozen=True)
class UnitLine:
    """One unit as the coverage card shows it."""

    name: str
    mentor_names: tuple[str, ...]
    on_duty_this_week: bool
    covered_since: datetime | None
    duration: tuple[int, str] | None  # (count, "days" | "weeks" | "months")


def summary_text(texts: Texts, covered: int, counted: int, share: float | None, goal: int,
                 short_of_goal: int) -> str:
    """"7 / 9 yksikössä on digimentori (78 %). Tavoite 100 %: puuttuu 2 yksikköä.\""""
    lang = texts.language
    text = texts("coverage.summary", covered=number(covered, lang), counted=number(counted, lang),
                 share=percent(share, lang), goal=goal)
    return f"{text} " + (texts("coverage.goal_met") if short_of_goal == 0
                         else texts("coverage.goal_short", missing=number(short_of_goal, lang)))


def _since(texts: Texts, line: UnitLine) -> str:
    if line.covered_since is None or line.duration is None:
        return MISSING
    count, unit = line.duration
    return texts("coverage.since", day=day(line.covered_since, texts.language),
                 duration=texts(f"coverage.durations.{unit}", count=count))


def coverage_card(texts: Texts, *, scope: str, summary: str, lines: list[UnitLine], not_shown: int = 0) -> dict:
    body = [heading(texts("coverage.title", scope=scope)), paragraph(summary)]
    if not lines:
        body.append(paragraph(texts("coverage.no_units")))
    for line in lines:
        if line.mentor_names:
            named = ", ".join(line.mentor_names[:MAX_NAMES])
            extra = len(line.mentor_names) - MAX_NAMES
            mentors = named + (f" {texts('coverage.and_more', count=extra)}" if extra > 0 else "")
        else:
            mentors = texts("coverage.no_mentor")
        body.append({"type": "Container", "separator": True, "items": [
            paragraph(f"**{line.name}**"),
            {"type": "FactSet", "facts": [
                {"title": texts("coverage.mentors"), "value": mentors},
                {"title": texts("coverage.on_duty"),
                 "value": MISSING if not line.mentor_names
                 else texts("coverage.yes" if line.on_duty_this_week else "coverage.no")},
                {"title": texts("coverage.has_had"), "value": _since(texts, line)},
            ]},
        ]})
    if not_shown:
        body.append(paragraph(texts("coverage.more_units", count=not_shown), isSubtle=True))
    body.append(paragraph(texts("coverage.hint"), isSubtle=True, spacing="Medium"))
    return adaptive_card(body)


def coverage_alert_card(texts: Texts, *, unit: str, since: datetime,
                        candidates: list[tuple[str, str, datetime]]) -> dict:
    """`candidates`: (aad object id, name, last helped) of the unit's people who helped others
    most recently; each gets a button that makes them a digimentor (verb addMentor)."""
    lang = texts.language
    body = [heading(texts("coverage.alert_title", unit=unit)),
            paragraph(texts("coverage.alert_body", unit=unit, day=day(since, lang)))]
    actions = []
    if candidates:
        body.append(subheading(texts("coverage.candidates_title")))
        body.append(paragraph(texts("coverage.candidates_intro"), isSubtle=True))
        body.append({"type": "FactSet", "facts": [
            {"title": name, "value": texts("coverage.last_helped", day=day(last, lang))}
            for _, name, last in candidates]})
        actions = [execute(texts("coverage.make_mentor", name=name), "addMentor", {"new_mentor": aad})
                   for aad, name, _ in candidates]
    else:
        body.append(paragraph(texts("coverage.no_candidates")))
    body.append(paragraph(texts("coverage.alert_hint"), isSubtle=True, spacing="Medium"))
    return adaptive_card(body, actions)
