"""Team-session cards: the booking form, the offer with the booker's slots, the confirmation,
the mentor's working card, the Teams meeting, the reminder and the participants' feedback.

A session is a help request of kind "session": accepting and declining use the request verbs
(`acceptRequest` with the input `slot`, `declineRequest`), cancelling `cancelRequest`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cards.actions import execute, open_url
from cards.base import adaptive_card, bullet_list, heading, paragraph, subheading
from cards.formatting import clock_time, day
from cards.requests import RATINGS

Texts = Callable[..., str]
HELSINKI_FORMAT = "%Y-%m-%d %H:%M"  # the slot as the contract writes it, Helsinki time
DURATION_CHOICES = ("30", "45", "60", "90", "120")


@dataclass(frozen=True)
class SessionView:
    """What the cards show of one team session (texts already masked of personal data)."""

    request_id: int
    topic: str
    unit: str
    booker_name: str
    booker_aad_object_id: str
    headcount: int
    duration_minutes: int
    slots: tuple[datetime, ...]  # Europe/Helsinki
    note: str | None = None
    chosen: datetime | None = None  # Europe/Helsinki
    mentor_name: str | None = None
    mentor_aad_object_id: str | None = None
    meeting_url: str | None = None
    participants_named: int = 0


def when(texts: Texts, moment: datetime) -> str:
    """"keskiviikko 2.12.2026 klo 10.00": a Helsinki time as its reader writes it."""
    return texts("sessions.when", day=texts(f"weekdays.{moment.weekday()}"), date=day(moment.date(), texts.language),
                 time=clock_time(moment, texts.language))


def _ref(view: SessionView) -> dict:
    return {"request_id": view.request_id}


def _facts(texts: Texts, view: SessionView, *, slot: bool = True) -> dict:
    rows = [(texts("sessions.fact_topic"), view.topic), (texts("sessions.fact_unit"), view.unit),
            (texts("sessions.fact_booker"), view.booker_name),
            (texts("sessions.fact_headcount"), str(view.headcount)),
            (texts("sessions.fact_duration"), texts("units.minutes", minutes=view.duration_minutes))]
    if slot and view.chosen is not None:
        rows.insert(0, (texts("sessions.fact_when"), when(texts, view.chosen)))
    if view.mentor_name:
        rows.append((texts("sessions.fact_mentor"), view.mentor_name))
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in rows]}


def _note(texts: Texts, view: SessionView) -> list[dict]:
    if not view.note:
        return []
    return [subheading(texts("sessions.note_label")),
            {"type": "Container", "style": "emphasis", "items": [paragraph(view.note)]}]


def booking_form_card(texts: Texts, *, form: str, units: Sequence[tuple[str, str]], unit: str | None,
                      limits: dict, examples: Sequence[datetime]) -> dict:
    """`units`: (id, name) the booker may choose from (their own first); `form`: the form's key,
    so that a second click of the same form books once; `examples`: times in the coming days,
    written in the form the field expects."""
    body = [
        heading(texts("sessions.form_title")),
        paragraph(texts("sessions.form_intro")),
        {"type": "Input.ChoiceSet", "id": "unit", "label": texts("sessions.unit_label"), "style": "compact",
         "value": unit or (units[0][0] if units else ""), "isRequired": True,
         "errorMessage": texts("sessions.unit_error"),
         "choices": [{"title": name, "value": unit_id} for unit_id, name in units]},
        {"type": "Input.Text", "id": "topic", "label": texts("sessions.topic_label"),
         "placeholder": texts("sessions.topic_placeholder"), "maxLength": limits["topic"], "isRequired": True,
         "errorMessage": texts("sessions.topic_error")},
        {"type": "Input.Text", "id": "slots", "label": texts("sessions.slots_label"),
         "placeholder": "; ".join(f"{moment:%Y-%m-%d %H:%M}" for moment in examples), "isMultiline": True,
         "maxLength": 200,
         "isRequired": True, "errorMessage": texts("sessions.slots_error")},
        {"type": "Input.Number", "id": "headcount", "label": texts("sessions.headcount_label"), "min": 1,
         "max": limits["headcount"], "isRequired": True, "errorMessage": texts("sessions.headcount_error")},
        {"type": "Input.ChoiceSet", "id": "duration", "label": texts("sessions.duration_label"), "style": "compact",
         "value": str(limits["duration"]),
         "choices": [{"title": texts("units.minutes", minutes=m), "value": m} for m in DURATION_CHOICES]},
        {"type": "Input.Text", "id": "participants", "label": texts("sessions.participants_label"),
         "placeholder": texts("sessions.participants_placeholder"), "isMultiline": True, "maxLength": 4000},
        {"type": "Input.Text", "id": "note", "label": texts("sessions.note_label"),
         "placeholder": texts("sessions.note_placeholder"), "isMultiline": True, "maxLength": limits["note"]},
    ]
    return adaptive_card(body, [execute(texts("sessions.book"), "bookSession", {"form": form}, style="positive")])


def booked_card(texts: Texts, view: SessionView) -> dict:
    """The booker's card while digitutors are being asked."""
    body = [heading(texts("sessions.booked_title")), paragraph(texts("sessions.booked_body")),
            _facts(texts, view), subheading(texts("sessions.slots_title")),
            bullet_list([when(texts, slot) for slot in view.slots]), *_note(texts, view)]
    return adaptive_card(body, [execute(texts("sessions.cancel"), "cancelRequest", _ref(view))])


def session_offer_card(texts: Texts, view: SessionView) -> dict:
    """A mentor picks one of the booker's slots and accepts; the first to accept wins."""
    body = [heading(texts("sessions.offer_title")), paragraph(texts("sessions.offer_body")),
            _facts(texts, view), *_note(texts, view),
            {"type": "Input.ChoiceSet", "id": "slot", "label": texts("sessions.slot_label"), "style": "expanded",
             "isRequired": True, "errorMessage": texts("sessions.slot_error"), "wrap": True,
             "value": view.slots[0].strftime(HELSINKI_FORMAT) if len(view.slots) == 1 else "",
             "choices": [{"title": when(texts, slot), "value": slot.strftime(HELSINKI_FORMAT)}
                         for slot in view.slots]}]
    return adaptive_card(body, [execute(texts("sessions.accept"), "acceptRequest", _ref(view), style="positive"),
                                execute(texts("request.decline"), "declineRequest", _ref(view))])


def confirmed_card(texts: Texts, view: SessionView, *, chat_url: str, meeting: str, reminded: bool) -> dict:
    """The booker's confirmation. `meeting`: "coming" (Graph creates the Teams meeting),
    "manual" (no Graph: the details to invite people with), "failed". `reminded`: a reminder
    will come (not when the working day before has already begun)."""
    after = texts(f"sessions.meeting_{meeting}")
    if reminded:
        after += " " + texts("sessions.reminder_promise")
    body = [heading(texts("sessions.confirmed_title", mentor=view.mentor_name or "")),
            paragraph(texts("sessions.confirmed_body", when=when(texts, view.chosen))),
            _facts(texts, view), paragraph(after, spacing="Medium")]
    actions = [open_url(texts("request.open_chat", name=view.mentor_name or ""), chat_url)] if chat_url else []
    actions.append(execute(texts("sessions.cancel"), "cancelRequest", _ref(view)))
    return adaptive_card(body, actions)


def session_working_card(texts: Texts, view: SessionView, *, chat_url: str, minutes_limit: int,
                         participants_limit: int) -> dict:
    """The accepting mentor's card: the session's details, and afterwards the minutes and the
    participant count."""
    body = [heading(texts("sessions.working_title")), _facts(texts, view), *_note(texts, view)]
    if view.meeting_url:
        body.append(paragraph(texts("sessions.meeting_ready_body")))
    body += [subheading(texts("sessions.resolve_title")),
             {"type": "Input.Number", "id": "minutes", "label": texts("sessions.minutes_label"), "min": 1,
              "max": minutes_limit, "value": view.duration_minutes},
             {"type": "Input.Number", "id": "participants", "label": texts("sessions.participants_count_label"),
              "min": 0, "max": participants_limit, "value": view.headcount}]
    actions = [open_url(texts("sessions.join"), view.meeting_url)] if view.meeting_url else []
    if chat_url:
        actions.append(open_url(texts("request.open_chat", name=view.booker_name), chat_url))
    actions += [execute(texts("sessions.resolve"), "resolveSession", _ref(view), style="positive"),
                execute(texts("request.release"), "releaseRequest", _ref(view))]
    return adaptive_card(body, actions)


def meeting_card(texts: Texts, view: SessionView) -> dict:
    body = [heading(texts("sessions.meeting_ready_title")),
            paragraph(texts("sessions.meeting_ready_when", when=when(texts, view.chosen))), _facts(texts, view)]
    return adaptive_card(body, [open_url(texts("sessions.join"), view.meeting_url)] if view.meeting_url else None)


def reminder_card(texts: Texts, view: SessionView) -> dict:
    body = [heading(texts("sessions.reminder_title")),
            paragraph(texts("sessions.reminder_body", when=when(texts, view.chosen))), _facts(texts, view),
            *_note(texts, view)]
    return adaptive_card(body, [open_url(texts("sessions.join"), view.meeting_url)] if view.meeting_url else None)


def resolved_card(texts: Texts, view: SessionView, *, minutes: int, participants: int, asked: int,
                  unreached: int) -> dict:
    """`asked`: named participants the feedback question went to; `unreached`: named ones who
    have never opened the bot, whom no card can reach."""
    body = [heading(texts("sessions.resolved_title")),
            paragraph(texts("sessions.resolved_body", minutes=minutes, participants=participants)),
            _facts(texts, view)]
    if asked:
        body.append(paragraph(texts("sessions.resolved_feedback", count=asked)))
    if unreached:
        body.append(paragraph(texts("sessions.resolved_unreached", count=unreached)))
    return adaptive_card(body)


def session_feedback_card(texts: Texts, view: SessionView, *, comment_limit: int) -> dict:
    """One question to a participant the booker named: how useful was it, 1-5, and a comment."""
    body = [heading(texts("sessions.feedback_title")),
            paragraph(texts("sessions.feedback_body", topic=view.topic, mentor=view.mentor_name or "")),
            {"type": "Input.ChoiceSet", "id": "rating", "label": texts("sessions.rating_label"), "style": "expanded",
             "wrap": True, "isRequired": True, "errorMessage": texts("sessions.rating_error"),
             "choices": [{"title": texts(f"request.ratings.{value}"), "value": value} for value in RATINGS]},
            {"type": "Input.Text", "id": "comment", "label": texts("request.comment_label"),
             "placeholder": texts("request.comment_placeholder"), "isMultiline": True, "maxLength": comment_limit}]
    return adaptive_card(body, [execute(texts("request.send_feedback"), "rateSession", _ref(view),
                                        style="positive")])


def session_unanswered_card(texts: Texts, view: SessionView) -> dict:
    """Nobody could take the session in any circle: a coordinator was told and may take it."""
    body = [heading(texts("sessions.unanswered_title")), paragraph(texts("sessions.unanswered_body")),
            _facts(texts, view)]
    return adaptive_card(body, [execute(texts("sessions.cancel"), "cancelRequest", _ref(view))])


def session_cancelled_card(texts: Texts, view: SessionView) -> dict:
    body = [heading(texts("sessions.cancelled_title")), paragraph(texts("sessions.cancelled_body")),
            _facts(texts, view)]
    return adaptive_card(body)
