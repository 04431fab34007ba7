"""Hand-off cards: a question offered to digimentors, accepted, resolved and rated.

Pure functions that build Adaptive Card 1.5 dicts. Every text comes from the locale files
through `texts(key, **params)`; the caller passes the texts of the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cards.actions import execute, open_url
from cards.base import adaptive_card, heading, paragraph, subheading

Texts = Callable[..., str]

MINUTE_CHOICES = ("5", "15", "30", "60")
RATINGS = ("5", "4", "3", "2", "1")  # best first, each with a text label
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class RequestView:
    """What the cards show of one request (the question is already masked of personal data)."""

    request_id: int
    question: str
    asker_name: str
    asker_unit: str | None
    asker_aad_object_id: str
    language: str
    waiting_minutes: int
    mentor_name: str | None = None
    mentor_aad_object_id: str | None = None
    topic: str | None = None


# -- pieces ---------------------------------------------------------------------------------


def _ref(view: RequestView) -> dict:
    return {"request_id": view.request_id}


def _mentor(texts: Texts, view: RequestView) -> str:
    return view.mentor_name or texts("request.mentor_unknown")


def _duration(texts: Texts, minutes: int) -> str:
    if minutes < 1:
        return texts("request.duration.under_minute")
    if minutes < 60:
        return texts("request.duration.minutes", minutes=minutes)
    return texts("request.duration.hours", hours=minutes // 60, minutes=minutes % 60)


def _question(texts: Texts, view: RequestView, label_key: str = "request.question_label") -> list[dict]:
    """The question under a bold label, quoted, on a shaded background."""
    return [
        subheading(texts(label_key)),
        {
            "type": "Container",
            "style": "emphasis",
            "items": [paragraph(texts("request.quoted", question=view.question))],
        },
    ]


def _facts(texts: Texts, view: RequestView, *, waiting: bool) -> dict:
    facts = [
        (texts("request.fact_asker"), view.asker_name),
        (texts("request.fact_unit"), view.asker_unit or texts("request.unit_unknown")),
        (texts("request.fact_language"), texts(f"language_names.{view.language}")),
    ]
    if waiting:
        facts.append((texts("request.fact_waiting"), _duration(texts, view.waiting_minutes)))
    if view.topic:
        facts.append((texts("request.fact_topic"), view.topic))
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in facts]}


def _cancel(texts: Texts, view: RequestView) -> dict:
    return execute(texts("request.cancel"), "cancelRequest", _ref(view))


def _accept(texts: Texts, view: RequestView) -> dict:
    return execute(texts("request.accept"), "acceptRequest", _ref(view), style="positive")


# -- mentor cards ---------------------------------------------------------------------------


def offer_card(texts: Texts, view: RequestView) -> dict:
    body = [heading(texts("request.offer_title")), *_question(texts, view), _facts(texts, view, waiting=True)]
    actions = [_accept(texts, view), execute(texts("request.decline"), "declineRequest", _ref(view))]
    return adaptive_card(body, actions)


def taken_card(texts: Texts, view: RequestView) -> dict:
    body = [
        heading(texts("request.taken_title")),
        paragraph(texts("request.taken_body", mentor=_mentor(texts, view))),
        *_question(texts, view),
    ]
    return adaptive_card(body)


def working_card(texts: Texts, view: RequestView, chat_url: str, *, minutes_limit: int, answer_limit: int,
                 faq_choices: Sequence[tuple[str, str]] = ()) -> dict:
    """`faq_choices`: (entry id, title) of FAQ answers the mentor may name as the one that helped."""
    body = [
        heading(texts("request.working_title")),
        paragraph(texts("request.working_body")),
        *_question(texts, view),
        _facts(texts, view, waiting=False),
        subheading(texts("request.resolve_title")),
        {
            "type": "Input.ChoiceSet",
            "id": "minutes",
            "label": texts("request.minutes_label"),
            "style": "compact",
            "placeholder": texts("request.minutes_placeholder"),
            "choices": [{"title": texts(f"request.minutes_choices.{value}"), "value": value}
                        for value in MINUTE_CHOICES],
        },
        {
            "type": "Input.Number",
            "id": "minutes_other",
            "label": texts("request.minutes_other_label"),
            "placeholder": texts("request.minutes_other_placeholder"),
            "min": 1,
            "max": minutes_limit,
        },
        *([{
            "type": "Input.ChoiceSet",
            "id": "faq_entry",
            "label": texts("request.faq_entry_label"),
            "style": "compact",
            "placeholder": texts("request.faq_entry_placeholder"),
            "choices": [{"title": title, "value": entry_id} for entry_id, title in faq_choices],
        }] if faq_choices else []),
        {
            "type": "Input.Toggle",
            "id": "propose_faq",
            "title": texts("request.propose_faq"),
            "value": "false",
            "valueOn": "true",
            "valueOff": "false",
            "wrap": True,
        },
        {
            "type": "Input.Text",
            "id": "faq_answer",
            "label": texts("request.faq_answer_label"),
            "placeholder": texts("request.faq_answer_placeholder"),
            "isMultiline": True,
            "maxLength": answer_limit,
        },
    ]
    actions = []
    if chat_url:
        actions.append(open_url(texts("request.open_chat", name=view.asker_name), chat_url))
    actions += [
        execute(texts("request.resolve"), "resolveRequest", _ref(view), style="positive"),
        execute(texts("request.release"), "releaseRequest", _ref(view)),
    ]
    return adaptive_card(body, actions)


def resolved_mentor_card(texts: Texts, view: RequestView, minutes: int) -> dict:
    body = [
        heading(texts("request.resolved_title")),
        paragraph(texts("request.resolved_body", minutes=minutes)),
        *_question(texts, view),
    ]
    return adaptive_card(body)


def cancelled_offer_card(texts: Texts, view: RequestView) -> dict:
    body = [
        heading(texts("request.cancelled_title")),
        paragraph(texts("request.cancelled_offer_body")),
        *_question(texts, view),
    ]
    return adaptive_card(body)


def coordinator_alert_card(texts: Texts, view: RequestView) -> dict:
    body = [
        heading(texts("request.coordinator_title")),
        paragraph(texts("request.coordinator_body")),
        *_question(texts, view),
        _facts(texts, view, waiting=True),
    ]
    return adaptive_card(body, [_accept(texts, view)])


# -- asker cards ----------------------------------------------------------------------------


def asker_waiting_card(texts: Texts, view: RequestView) -> dict:
    body = [
        heading(texts("request.asker_waiting_title")),
        paragraph(texts("request.asker_waiting_body")),
        *_question(texts, view, "request.your_question"),
    ]
    return adaptive_card(body, [_cancel(texts, view)])


def asker_assigned_card(texts: Texts, view: RequestView, chat_url: str) -> dict:
    mentor = _mentor(texts, view)
    body = [
        heading(texts("request.asker_assigned_title", mentor=mentor)),
        paragraph(texts("request.asker_assigned_body")),
        *_question(texts, view, "request.your_question"),
    ]
    actions = [open_url(texts("request.open_chat", name=mentor), chat_url)] if chat_url else []
    actions.append(_cancel(texts, view))
    return adaptive_card(body, actions)


def asker_widened_text(texts: Texts, tier: int, unit_name: str | None) -> str:
    """Tier 1: asked the wider unit; tier 2 (or later): asked the whole organisation."""
    if tier >= 2:
        return texts("request.widened_all")
    if unit_name:
        return texts("request.widened_unit", unit=unit_name)
    return texts("request.widened_unit_unnamed")


def asker_unanswered_card(texts: Texts, view: RequestView,
                          suggestions: Sequence[tuple[int, str, int]]) -> dict:
    body = [
        heading(texts("request.unanswered_title")),
        paragraph(texts("request.unanswered_body")),
        *_question(texts, view, "request.your_question"),
    ]
    shown = list(suggestions)[:MAX_SUGGESTIONS]
    if shown:
        body.append(paragraph(texts("request.unanswered_suggestions"), spacing="Medium"))
    actions = [execute(title, "showFaq", {"faq_id": entry_id, "question_id": question_id})
               for entry_id, title, question_id in shown]
    actions.append(_cancel(texts, view))
    return adaptive_card(body, actions)


def feedback_card(texts: Texts, view: RequestView, *, comment_limit: int) -> dict:
    body = [
        heading(texts("request.feedback_title")),
        paragraph(texts("request.feedback_body", mentor=_mentor(texts, view))),
        *_question(texts, view, "request.your_question"),
        {
            "type": "Input.ChoiceSet",
            "id": "rating",
            "label": texts("request.rating_label"),
            "style": "expanded",
            "wrap": True,
            "choices": [{"title": texts(f"request.ratings.{value}"), "value": value} for value in RATINGS],
        },
        {
            "type": "Input.Text",
            "id": "comment",
            "label": texts("request.comment_label"),
            "placeholder": texts("request.comment_placeholder"),
            "isMultiline": True,
            "maxLength": comment_limit,
        },
        {
            # Optional: what the impact report's "helpdesk contacts avoided" is counted from.
            "type": "Input.ChoiceSet",
            "id": "helpdesk",
            "label": texts("request.helpdesk_question"),
            "style": "expanded",
            "wrap": True,
            "choices": [{"title": texts("request.helpdesk_yes"), "value": "yes"},
                        {"title": texts("request.helpdesk_no"), "value": "no"}],
        },
    ]
    actions = [
        execute(texts("request.send_feedback"), "rateHelp", _ref(view), style="positive"),
        execute(texts("request.reopen"), "reopenRequest", _ref(view)),
    ]
    return adaptive_card(body, actions)


def feedback_thanks_card(texts: Texts, view: RequestView, rating: int) -> dict:
    key = str(rating)
    label = texts(f"request.ratings.{key}") if key in RATINGS else key
    body = [
        heading(texts("request.thanks_title")),
        paragraph(texts("request.thanks_rating", rating=label)),
        *_question(texts, view, "request.your_question"),
    ]
    return adaptive_card(body)


def cancelled_card(texts: Texts, view: RequestView) -> dict:
    body = [
        heading(texts("request.cancelled_title")),
        paragraph(texts("request.cancelled_body")),
        *_question(texts, view, "request.your_question"),
    ]
    return adaptive_card(body)


def my_requests_card(texts: Texts, accepted: Sequence[RequestView], offered: Sequence[RequestView]) -> dict:
    """A mentor's open work: what they accepted (open the working card) and what waits for them."""
    body = [heading(texts("my_requests.title"))]
    if not accepted and not offered:
        body.append(paragraph(texts("my_requests.none")))
        return adaptive_card(body)
    for title_key, views, actions in (
        ("my_requests.accepted", accepted,
         lambda v: [execute(texts("my_requests.open"), "openRequest", _ref(v), style="positive")]),
        ("my_requests.offered", offered,
         lambda v: [_accept(texts, v), execute(texts("request.decline"), "declineRequest", _ref(v))]),
    ):
        if not views:
            continue
        body.append(subheading(texts(title_key)))
        for view in views:
            body.append({"type": "Container", "separator": True, "items": [
                paragraph(texts("request.quoted", question=view.question)),
                paragraph(texts("my_requests.asker", asker=view.asker_name,
                                waiting=_duration(texts, view.waiting_minutes)), isSubtle=True),
                {"type": "ActionSet", "actions": actions(view)},
            ]})
    return adaptive_card(body)
