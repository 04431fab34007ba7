"""The coordinator's survey cards: the form that starts a round (or a pre-test), the confirmation,
and `survey status` while rounds are open."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from cards.actions import execute
from cards.base import adaptive_card, heading, paragraph, subheading
from cards.formatting import day, number, percent

Texts = Callable[..., str]


def survey_form_card(texts: Texts, *, instruments: Sequence[tuple[str, str]], instrument: str, units: str,
                     your_units: Sequence[tuple[str, str]], closes: str, pretest: bool = False,
                     problem: str | None = None) -> dict:
    """`instruments`: (key, label) of the instruments a round may use; `your_units`: (id, name)."""
    body = [heading(texts("survey.form_title")), paragraph(texts("survey.form_intro"))]
    if problem:
        body.append(paragraph(problem, color="Attention", weight="Bolder"))
    if len(instruments) > 1:
        body.append({"type": "Input.ChoiceSet", "id": "instrument", "label": texts("survey.form_instrument"),
                     "style": "compact", "value": instrument,
                     "choices": [{"title": label, "value": key} for key, label in instruments]})
    else:
        body.append(paragraph(texts("survey.form_instrument_one", instrument=instruments[0][1]), isSubtle=True))
    body.append({"type": "Input.Text", "id": "units", "label": texts("survey.form_units"), "value": units,
                 "placeholder": "ward-3, ward-5", "maxLength": 4000})
    if your_units:
        body.append(paragraph(texts("survey.form_your_units", units=", ".join(
            f"{unit_id} ({name})" for unit_id, name in your_units[:20])), isSubtle=True, spacing="Small"))
    body.append({"type": "Input.Date", "id": "closes", "label": texts("survey.form_closes"), "value": closes})
    body.append({"type": "Input.Toggle", "id": "pretest", "title": texts("survey.form_pretest"),
                 "value": "true" if pretest else "false", "valueOn": "true", "valueOff": "false"})
    body.append(paragraph(texts("survey.form_note"), isSubtle=True))
    return adaptive_card(body, [execute(texts("survey.form_start"), "startSurvey", {}, style="positive")])


def round_started_card(texts: Texts, *, round_id: int, survey_name: str, invited: int, supervisors: int,
                       units: Sequence[str], closes_on: date, pretest: bool) -> dict:
    lang = texts.language
    if pretest:
        lines = [texts("survey.pretest_started", round=round_id, closes=day(closes_on, lang))]
    else:
        lines = [texts("survey.started", round=round_id, invited=number(invited, lang),
                       units=", ".join(units[:10]) + ("…" if len(units) > 10 else ""), closes=day(closes_on, lang))]
        if supervisors:
            lines.append(texts("survey.started_supervisors", count=number(supervisors, lang)))
        lines.append(texts("survey.started_reminders"))
    body = [heading(survey_name), *(paragraph(line) for line in lines)]
    return adaptive_card(body, [execute(texts("survey.close_now"), "closeSurvey", {"round_id": round_id})])


@dataclass(frozen=True)
class RoundStatus:
    round_id: int
    survey_name: str
    pretest: bool
    closes_on: date
    reminders_sent: int
    invited: int
    answered: int
    finished: int
    paper: int
    units: Sequence[tuple[str, int, int]]  # (name, invited, answered), the lowest share first
    more_units: int = 0
    may_close: bool = False


def _share(answered: int, invited: int) -> float | None:
    return min(answered / invited, 1.0) if invited else None


def status_card(texts: Texts, rounds: Sequence[RoundStatus]) -> dict:
    lang = texts.language
    body = [heading(texts("survey.status_title"))]
    if not rounds:
        body.append(paragraph(texts("survey.status_none")))
        return adaptive_card(body)
    actions = []
    for status in rounds[:5]:
        title = texts("survey.status_round", round=status.round_id, name=status.survey_name)
        if status.pretest:
            title += f" ({texts('survey.pretest')})"
        body.append(subheading(title))
        body.append(paragraph(texts("survey.status_line", closes=day(status.closes_on, lang),
                                    answered=number(status.answered, lang), invited=number(status.invited, lang),
                                    share=percent(_share(status.answered, status.invited), lang),
                                    finished=number(status.finished, lang), reminders=status.reminders_sent),
                              spacing="None"))
        if status.paper:
            body.append(paragraph(texts("survey.status_paper", count=number(status.paper, lang)), spacing="None"))
        body.append({"type": "FactSet", "facts": [
            {"title": name, "value": texts("survey.status_unit", answered=number(answered, lang),
                                           invited=number(invited, lang),
                                           share=percent(_share(answered, invited), lang))}
            for name, invited, answered in status.units]})
        if status.more_units:
            body.append(paragraph(texts("survey.status_more", count=status.more_units), isSubtle=True))
        if status.may_close:
            actions.append(execute(texts("survey.close_round", round=status.round_id), "closeSurvey",
                                   {"round_id": status.round_id}))
    body.append(paragraph(texts("survey.status_note"), isSubtle=True, spacing="Medium"))
    return adaptive_card(body, actions[:5])
