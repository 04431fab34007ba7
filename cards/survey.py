"""The respondent's survey cards: the invitation and reminders, one card per area with its
progress ("area 2/5") and the scale stated, the "saved, continue later" card, and their own
profile at the end, where low areas link to FAQ answers and to a digimentor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from cards.actions import execute
from cards.base import adaptive_card, heading, paragraph, subheading
from cards.formatting import day, number

Texts = Callable[..., str]
# FAQ answers shown inside the profile, in characters, the lowest areas' first: with up to twelve
# areas and three answers each, more would pass Teams' 28 KB card limit.
FAQ_BUDGET = 9_000


@dataclass(frozen=True)
class AreaPage:
    """One area as the respondent answers it."""

    round_id: int
    survey_name: str
    area_id: str
    title: str
    number: int  # 1-based
    of: int
    items: Sequence[tuple[str, str]]  # (item id, statement)
    labels: Sequence[tuple[int, str]]  # (value, label): 1-5, then 0 "can't say"
    values: dict[str, int]  # saved (or just entered) answers
    revision: int
    closes_on: date


@dataclass(frozen=True)
class ProfileArea:
    area_id: str
    title: str
    mean: float | None  # None: only "can't say", or not answered
    answered: int
    items: int
    low: bool = False
    faq: Sequence[tuple[str, str]] = ()  # (title, answer) of matching FAQ entries
    bookable: bool = False
    booked: bool = False


@dataclass(frozen=True)
class Profile:
    round_id: int
    survey_name: str
    areas: Sequence[ProfileArea] = field(default_factory=list)
    open: bool = True
    closes_on: date | None = None
    first_area: str | None = None
    low_below: float = 3.0


def _open_button(texts: Texts, round_id: int, title_key: str, **data: object) -> dict:
    return execute(texts(title_key), "openSurvey", {"round_id": round_id, **data}, style="positive")


def invitation_card(texts: Texts, *, round_id: int, survey_name: str, intro: str, areas: int, minutes: int,
                    closes_on: date, supervisor_areas: int = 0, pretest: bool = False, reminder: int = 0) -> dict:
    """`reminder`: 0 for the invitation, 1 or 2 for a reminder."""
    lang = texts.language
    title = texts("survey.reminder_title", name=survey_name) if reminder else survey_name
    body = [heading(title)]
    if pretest:
        body.append(paragraph(texts("survey.pretest_note"), weight="Bolder"))
    if intro and not reminder:
        body.append(paragraph(intro))
    body.append(paragraph(texts("survey.reminder_body" if reminder else "survey.invitation_body",
                                areas=areas, minutes=minutes, closes=day(closes_on, lang))))
    if supervisor_areas:
        body.append(paragraph(texts("survey.supervisor_note", count=supervisor_areas)))
    body.append(paragraph(texts("survey.privacy_note"), isSubtle=True))
    return adaptive_card(body, [_open_button(texts, round_id, "survey.continue" if reminder else "survey.start")])


def scale_note(texts: Texts, labels: Sequence[tuple[int, str]]) -> str:
    named = dict(labels)
    return texts("survey.scale", low=named[1], high=named[5], cant_say=named[0])


def area_card(texts: Texts, page: AreaPage, *, problem: str | None = None) -> dict:
    lang = texts.language
    body = [
        paragraph(texts("survey.progress", name=page.survey_name, number=page.number, of=page.of), isSubtle=True),
        heading(page.title),
        paragraph(scale_note(texts, page.labels)),
    ]
    if problem:
        body.append(paragraph(problem, color="Attention", weight="Bolder"))
    choices = [{"title": f"{value} – {label}" if value else label, "value": str(value)}
               for value, label in page.labels]
    for item_id, statement in page.items:
        saved = page.values.get(item_id)
        choice = {"type": "Input.ChoiceSet", "id": item_id, "label": statement, "style": "compact",
                  "placeholder": texts("survey.choose"), "choices": choices}
        if saved is not None:
            choice["value"] = str(saved)
        body.append(choice)
    body.append(paragraph(texts("survey.saved_until", closes=day(page.closes_on, lang)), isSubtle=True,
                          spacing="Medium"))
    data = {"round_id": page.round_id, "area": page.area_id, "revision": page.revision}
    last = page.number == page.of
    actions = [execute(texts("survey.finish" if last else "survey.next"), "answerSurvey",
                       {**data, "direction": "next"}, style="positive")]
    if page.number > 1:
        actions.append(execute(texts("survey.back"), "answerSurvey", {**data, "direction": "back"}))
    actions.append(execute(texts("survey.stop"), "answerSurvey", {**data, "direction": "stop"}))
    return adaptive_card(body, actions)


def paused_card(texts: Texts, *, round_id: int, survey_name: str, saved: int, of: int, closes_on: date) -> dict:
    body = [heading(survey_name),
            paragraph(texts("survey.paused", saved=saved, of=of, closes=day(closes_on, texts.language)))]
    return adaptive_card(body, [_open_button(texts, round_id, "survey.continue")])


def _area_block(texts: Texts, profile: Profile, area: ProfileArea, faq: Sequence[tuple[str, str]]) -> list[dict]:
    lang = texts.language
    if area.mean is None:
        value = texts("survey.profile_no_mean")
    else:
        value = texts("survey.profile_mean", mean=number(area.mean, lang), answered=area.answered, items=area.items)
    block = [subheading(area.title), paragraph(value, spacing="None")]
    if not area.low:
        return block
    block.append(paragraph(texts("survey.profile_low", below=number(profile.low_below, lang)), spacing="Small"))
    actions = [{"type": "Action.ShowCard", "title": title,
                "card": {"type": "AdaptiveCard", "body": [paragraph(answer)]}} for title, answer in faq]
    if area.booked:
        block.append(paragraph(texts("survey.profile_booked"), isSubtle=True))
    elif area.bookable and profile.open:
        actions.append(execute(texts("survey.book_mentor"), "bookSurveyMentor",
                               {"round_id": profile.round_id, "area": area.area_id}))
    if actions:
        block.append({"type": "ActionSet", "actions": actions})
    return block


def profile_card(texts: Texts, profile: Profile) -> dict:
    """The respondent's own results, area by area: seen by them alone."""
    lang = texts.language
    body = [heading(texts("survey.profile_title", name=profile.survey_name)),
            paragraph(texts("survey.profile_intro"), isSubtle=True)]
    shown_faq, budget = {}, FAQ_BUDGET
    for area in sorted((a for a in profile.areas if a.low), key=lambda a: a.mean):
        shown_faq[area.area_id] = []
        for title, answer in area.faq:
            if len(answer) <= budget:
                shown_faq[area.area_id].append((title, answer))
                budget -= len(answer)
    for area in profile.areas:
        body += _area_block(texts, profile, area, shown_faq.get(area.area_id, ()))
    actions = []
    if profile.open and profile.closes_on and profile.first_area:
        body.append(paragraph(texts("survey.profile_change", closes=day(profile.closes_on, lang)), isSubtle=True,
                              spacing="Medium"))
        actions.append(execute(texts("survey.change_answers"), "openSurvey",
                               {"round_id": profile.round_id, "area": profile.first_area}))
    return adaptive_card(body, actions)


def open_surveys_card(texts: Texts, rounds: Sequence[tuple[int, str, date, int, int]]) -> dict:
    """The open rounds someone was invited to: (round id, name, last day, areas saved, areas)."""
    lang = texts.language
    body = [heading(texts("survey.open_title"))]
    actions = []
    for round_id, name, closes_on, saved, of in rounds:
        body.append(paragraph(texts("survey.open_line", name=name, saved=saved, of=of, closes=day(closes_on, lang))))
        actions.append(execute(texts("survey.open_button", name=name), "openSurvey", {"round_id": round_id},
                               style="positive"))
    return adaptive_card(body, actions)
