"""Peer-mentoring agreement cards: the mentor's form, the mentee's acceptance, the agreement with
its progress (and the meeting log), the closing questions per goal, and `my agreements`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from cards.actions import execute
from cards.base import adaptive_card, bullet_list, heading, paragraph, subheading
from cards.formatting import day
from cards.requests import RATINGS

Texts = Callable[..., str]
ANSWERS = ("yes", "partly", "no")


@dataclass(frozen=True)
class AgreementView:
    agreement_id: int
    topic: str
    mentor_name: str
    mentee: str  # the person's name, or the team's unit name
    starts: date
    ends: date
    planned_meetings: int
    minutes_per_meeting: int
    state: str  # proposed | active | declined | withdrawn | closed
    goals: tuple[str, ...]
    meetings_logged: int = 0
    minutes_logged: int = 0
    team: bool = False
    ended: date | None = None  # the day a closed agreement ended, early or at its end date


def _ref(view: AgreementView) -> dict:
    return {"agreement_id": view.agreement_id}


def _facts(texts: Texts, view: AgreementView) -> dict:
    lang = texts.language
    rows = [
        (texts("agreements.fact_topic"), view.topic),
        (texts("agreements.fact_mentor"), view.mentor_name),
        (texts("agreements.fact_team" if view.team else "agreements.fact_mentee"), view.mentee),
        (texts("agreements.fact_period"), texts("agreements.period", starts=day(view.starts, lang),
                                                 ends=day(view.ends, lang))),
        (texts("agreements.fact_plan"), texts("agreements.plan", meetings=view.planned_meetings,
                                               minutes=view.minutes_per_meeting)),
        (texts("agreements.fact_state"), texts(f"agreements.states.{view.state}")),
    ]
    if view.state in ("active", "closed"):
        rows.append((texts("agreements.fact_progress"), texts("agreements.progress", logged=view.meetings_logged,
                                                               planned=view.planned_meetings,
                                                               minutes=view.minutes_logged)))
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in rows]}


def _goals(texts: Texts, view: AgreementView) -> list[dict]:
    return [subheading(texts("agreements.goals_title")),
            paragraph("\n".join(f"{n}. {goal}" for n, goal in enumerate(view.goals, start=1)))]


def agreement_form_card(texts: Texts, *, form: str, limits: dict, today: date) -> dict:
    body = [
        heading(texts("agreements.form_title")),
        paragraph(texts("agreements.form_intro")),
        {"type": "Input.Text", "id": "mentee", "label": texts("agreements.mentee_label"),
         "placeholder": texts("agreements.mentee_placeholder"), "maxLength": 320, "isRequired": True,
         "errorMessage": texts("agreements.mentee_error")},
        {"type": "Input.Text", "id": "topic", "label": texts("agreements.topic_label"),
         "placeholder": texts("agreements.topic_placeholder"), "maxLength": limits["topic"], "isRequired": True,
         "errorMessage": texts("agreements.topic_error")},
        {"type": "Input.Text", "id": "goals", "label": texts("agreements.goals_label", limit=limits["goals"]),
         "placeholder": texts("agreements.goals_placeholder"), "isMultiline": True, "maxLength": 1600,
         "isRequired": True, "errorMessage": texts("agreements.goals_error")},
        {"type": "Input.Date", "id": "starts", "label": texts("agreements.starts_label"), "value": today.isoformat(),
         "isRequired": True, "errorMessage": texts("agreements.date_error")},
        {"type": "Input.Date", "id": "ends", "label": texts("agreements.ends_label"), "isRequired": True,
         "errorMessage": texts("agreements.date_error")},
        {"type": "Input.Number", "id": "meetings", "label": texts("agreements.meetings_label"), "min": 1,
         "max": limits["meetings"], "value": 4, "isRequired": True, "errorMessage": texts("agreements.number_error")},
        {"type": "Input.Number", "id": "minutes", "label": texts("agreements.minutes_label"),
         "min": limits["min_minutes"], "max": limits["max_minutes"], "value": 45, "isRequired": True,
         "errorMessage": texts("agreements.number_error")},
    ]
    return adaptive_card(body, [execute(texts("agreements.create"), "createAgreement", {"form": form},
                                        style="positive")])


def proposal_card(texts: Texts, view: AgreementView) -> dict:
    """To the mentee (or the team's supervisor): accepting records the commitment and starts it."""
    body = [heading(texts("agreements.proposal_title", mentor=view.mentor_name)),
            paragraph(texts("agreements.proposal_team_body" if view.team else "agreements.proposal_body")),
            _facts(texts, view), *_goals(texts, view)]
    return adaptive_card(body, [execute(texts("agreements.accept"), "acceptAgreement", _ref(view), style="positive"),
                                execute(texts("agreements.decline"), "declineAgreement", _ref(view))])


def agreement_card(texts: Texts, view: AgreementView, *, mentor: bool, notice: str | None = None,
                   minutes_limit: int = 480, note_limit: int = 500) -> dict:
    """The agreement as one side sees it. Its mentor logs a meeting here; either side may close
    it early."""
    body = [heading(texts("agreements.title", topic=view.topic))]
    if notice:
        body.append({"type": "Container", "style": "attention", "items": [paragraph(notice)]})
    body += [_facts(texts, view), *_goals(texts, view)]
    actions = []
    if view.state == "active" and mentor:
        body += [subheading(texts("agreements.log_title")),
                 {"type": "Input.Number", "id": "minutes", "label": texts("agreements.log_minutes_label"), "min": 1,
                  "max": minutes_limit, "value": view.minutes_per_meeting},
                 {"type": "Input.Text", "id": "note", "label": texts("agreements.log_note_label"),
                  "placeholder": texts("agreements.log_note_placeholder"), "maxLength": note_limit},
                 paragraph(texts("agreements.log_hint", id=view.agreement_id), isSubtle=True)]
        actions.append(execute(texts("agreements.log"), "logAgreementMeeting", _ref(view), style="positive"))
    if view.state == "active":
        actions.append(execute(texts("agreements.close"), "closeAgreement", _ref(view)))
    if view.state == "proposed" and mentor:
        actions.append(execute(texts("agreements.withdraw"), "closeAgreement", _ref(view)))
    return adaptive_card(body, actions)


def closing_card(texts: Texts, view: AgreementView, *, comment_limit: int) -> dict:
    """At the close, each side answers per goal (reached / partly / not) and rates it 1-5."""
    body = [heading(texts("agreements.closing_title", topic=view.topic)), paragraph(texts("agreements.closing_body")),
            _facts(texts, view)]
    for number, goal in enumerate(view.goals, start=1):
        body.append({"type": "Input.ChoiceSet", "id": f"goal_{number}", "label": f"{number}. {goal}",
                     "style": "expanded", "wrap": True, "isRequired": True,
                     "errorMessage": texts("agreements.answer_error"),
                     "choices": [{"title": texts(f"agreements.answers.{a}"), "value": a} for a in ANSWERS]})
    body += [{"type": "Input.ChoiceSet", "id": "rating", "label": texts("agreements.rating_label"),
              "style": "expanded", "wrap": True, "isRequired": True, "errorMessage": texts("agreements.rating_error"),
              "choices": [{"title": texts(f"request.ratings.{value}"), "value": value} for value in RATINGS]},
             {"type": "Input.Text", "id": "comment", "label": texts("request.comment_label"),
              "placeholder": texts("request.comment_placeholder"), "isMultiline": True, "maxLength": comment_limit}]
    return adaptive_card(body, [execute(texts("agreements.send_evaluation"), "evaluateAgreement", _ref(view),
                                        style="positive")])


def my_agreements_card(texts: Texts, views: Sequence[tuple[AgreementView, bool, bool]]) -> dict:
    """`views`: (agreement, whether the reader is its mentor, whether they still owe an answer:
    the acceptance of a proposal, or the evaluation of a closed agreement)."""
    body = [heading(texts("agreements.mine_title"))]
    if not views:
        body.append(paragraph(texts("agreements.mine_none")))
    for view, mentor, pending in views:
        other = view.mentee if mentor else view.mentor_name
        if view.state == "proposed" and not mentor:
            actions = [execute(texts("agreements.accept"), "acceptAgreement", _ref(view), style="positive"),
                       execute(texts("agreements.decline"), "declineAgreement", _ref(view))]
        elif view.state == "closed" and pending:
            actions = [execute(texts("agreements.evaluate"), "openAgreement", _ref(view), style="positive")]
        else:
            actions = [execute(texts("agreements.open"), "openAgreement", _ref(view))]
        body.append({"type": "Container", "separator": True, "items": [
            paragraph(f"**#{view.agreement_id} {view.topic}** – {other}"),
            paragraph(_summary(texts, view), isSubtle=True),
            {"type": "ActionSet", "actions": actions},
        ]})
    return adaptive_card(body)


def _summary(texts: Texts, view: AgreementView) -> str:
    """A running agreement says when it ends; a closed one when it ended; one that never
    started only that it did not."""
    state = texts(f"agreements.states.{view.state}")
    if view.state in ("declined", "withdrawn"):
        return state
    if view.state == "closed":
        return texts("agreements.summary_closed", state=state, logged=view.meetings_logged,
                     planned=view.planned_meetings, ended=day(view.ended or view.ends, texts.language))
    return texts("agreements.summary", state=state, logged=view.meetings_logged, planned=view.planned_meetings,
                 ends=day(view.ends, texts.language))


def evaluation_thanks_card(texts: Texts, view: AgreementView, answers: dict[int, str], rating: int) -> dict:
    body = [heading(texts("agreements.thanks_title")), paragraph(texts("agreements.thanks_body", rating=rating)),
            bullet_list([f"{goal}: {texts(f'agreements.answers.{answers[n]}')}"
                         for n, goal in enumerate(view.goals, start=1) if n in answers])]
    return adaptive_card(body)
