"""Rollout announcements: the coordinator's form, the announcement as mentors (with Acknowledge)
and staff get it, and the coordinator's delivery and acknowledgement counts per unit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from cards.actions import execute, open_url
from cards.base import adaptive_card, heading, paragraph, subheading
from cards.formatting import MISSING, day, number

Texts = Callable[..., str]


@dataclass(frozen=True)
class AnnouncementView:
    announcement_id: int
    title: str
    text: str
    links: tuple[tuple[str, str], ...]
    faq: tuple[tuple[str, str], ...]  # (title, answer) of the attached FAQ entries, in the reader's language
    starts_on: date
    ends_on: date | None


def _required(texts: Texts, element: dict, key: str) -> dict:
    return {**element, "isRequired": True, "errorMessage": texts(f"announce.required.{key}")}


def announcement_form_card(texts: Texts, *, units: list[tuple[str, str]], faq: list[tuple[str, str]],
                           form_id: str, today: date, values: dict | None = None, problems: list[str] = (),
                           recent: list[tuple[int, str, date]] = ()) -> dict:
    """`units` and `faq`: (id, name) to choose from; `values`: what was typed, when the form
    comes back with `problems` (texts); `recent`: (id, title, start) of earlier announcements."""
    values = values or {}
    body = [heading(texts("announce.form_title")), paragraph(texts("announce.form_intro"))]
    if problems:
        body.append({"type": "Container", "style": "attention", "items": [
            paragraph(texts("announce.problems_title"), weight="Bolder"),
            paragraph("\n".join(f"- {problem}" for problem in problems))]})
    body += [
        _required(texts, {"type": "Input.Text", "id": "title", "label": texts("announce.title_label"),
                          "maxLength": 120, "value": values.get("title", "")}, "title"),
        _required(texts, {"type": "Input.Text", "id": "text", "label": texts("announce.text_label"),
                          "isMultiline": True, "maxLength": 2000, "value": values.get("text", "")}, "text"),
        _required(texts, {"type": "Input.ChoiceSet", "id": "units", "label": texts("announce.units_label"),
                          "isMultiSelect": True, "style": "compact", "value": values.get("units", ""),
                          "choices": [{"title": name, "value": unit_id} for unit_id, name in units]}, "units"),
        _required(texts, {"type": "Input.Date", "id": "starts", "label": texts("announce.starts_label"),
                          "min": today.isoformat(), "value": values.get("starts", today.isoformat())}, "starts"),
        {"type": "Input.Date", "id": "ends", "label": texts("announce.ends_label"), "min": today.isoformat(),
         "value": values.get("ends", "")},
        {"type": "Input.Text", "id": "links", "label": texts("announce.links_label"), "isMultiline": True,
         "maxLength": 1000, "placeholder": texts("announce.links_placeholder"), "value": values.get("links", "")},
    ]
    if faq:
        body.append({"type": "Input.ChoiceSet", "id": "faq_entries", "label": texts("announce.faq_label"),
                     "isMultiSelect": True, "style": "compact", "value": values.get("faq_entries", ""),
                     "choices": [{"title": title, "value": entry_id} for entry_id, title in faq]})
    if recent:
        body.append(subheading(texts("announce.recent_title")))
        body.append({"type": "ActionSet", "actions": [
            execute(texts("announce.recent_item", title=title, day=day(starts, texts.language)), "showAnnouncement",
                    {"announcement_id": announcement_id}) for announcement_id, title, starts in recent[:5]]})
    return adaptive_card(body, [execute(texts("announce.send"), "sendAnnouncement", {"form_id": form_id},
                                        style="positive")])


def announcement_card(texts: Texts, view: AnnouncementView, *, for_mentor: bool, acknowledged: bool = False) -> dict:
    """The announcement itself. A mentor gets it before the staff, to be ready for questions,
    with Acknowledge; the staff card says where to ask."""
    lang = texts.language
    lead = texts("announce.for_mentors", day=day(view.starts_on, lang)) if for_mentor else texts("announce.label")
    starts = day(view.starts_on, lang)
    dates = (texts("announce.dates", starts=starts, ends=day(view.ends_on, lang)) if view.ends_on
             else texts("announce.starts", starts=starts))
    body = [paragraph(lead, isSubtle=True), heading(view.title), paragraph(view.text),
            paragraph(dates, isSubtle=True)]
    if view.links:
        body.append({"type": "ActionSet", "actions": [open_url(title, url) for title, url in view.links]})
    if view.faq:
        body.append(paragraph(texts("announce.faq_title"), weight="Bolder", spacing="Medium"))
        body.append({"type": "ActionSet", "actions": [
            {"type": "Action.ShowCard", "title": title, "card": adaptive_card([paragraph(answer)])}
            for title, answer in view.faq]})
    if not for_mentor:
        body.append(paragraph(texts("announce.ask_here"), spacing="Medium"))
        return adaptive_card(body)
    if acknowledged:
        body.append(paragraph(texts("announce.acknowledged"), weight="Bolder", spacing="Medium"))
        return adaptive_card(body)
    body.append(paragraph(texts("announce.acknowledge_hint"), spacing="Medium"))
    return adaptive_card(body, [execute(texts("announce.acknowledge"), "acknowledgeAnnouncement",
                                        {"announcement_id": view.announcement_id}, style="positive")])


@dataclass(frozen=True)
class StatusRow:
    unit: str
    mentors: int
    mentors_delivered: int
    acknowledged: int
    staff: int
    staff_delivered: int
    unreachable: int


def announcement_status_card(texts: Texts, *, title: str, starts_on: date, ends_on: date | None, staff_sent: bool,
                             rows: list[StatusRow], questions: int, not_shown: int = 0) -> dict:
    """Deliveries and acknowledgements per unit, and the questions asked during the rollout."""
    lang = texts.language
    n = lambda value: number(value, lang)  # noqa: E731
    total = StatusRow(texts("announce.total"), *(sum(getattr(r, f) for r in rows) for f in (
        "mentors", "mentors_delivered", "acknowledged", "staff", "staff_delivered", "unreachable")))
    body = [heading(texts("announce.status_title", title=title)),
            paragraph(texts("announce.status_when", starts=day(starts_on, lang),
                            ends=day(ends_on, lang) if ends_on else MISSING)),
            paragraph(texts("announce.staff_sent") if staff_sent else
                      texts("announce.staff_waiting", day=day(starts_on, lang)), isSubtle=True)]
    for row in [total, *rows]:
        staff = texts("announce.staff_value", delivered=n(row.staff_delivered), total=n(row.staff)) \
            if staff_sent else texts("announce.staff_not_yet")
        facts = [{"title": texts("announce.mentors_row"),
                  "value": texts("announce.mentors_value", delivered=n(row.mentors_delivered), total=n(row.mentors),
                                 acknowledged=n(row.acknowledged))},
                 {"title": texts("announce.staff_row"), "value": staff}]
        if row.unreachable:
            facts.append({"title": texts("announce.unreachable_row"), "value": n(row.unreachable)})
        body.append({"type": "Container", "separator": True, "items": [
            paragraph(f"**{row.unit}**"), {"type": "FactSet", "facts": facts}]})
    if not_shown:
        body.append(paragraph(texts("coverage.more_units", count=not_shown), isSubtle=True))
    body.append(paragraph(texts("announce.questions", count=n(questions)), spacing="Medium"))
    return adaptive_card(body)
