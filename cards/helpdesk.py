"""The IT helpdesk's cards: for a fault (a locked account, a broken device, an error code) the
asker is told how to reach the helpdesk instead of being offered a digimentor; the helpdesk's own
FAQ entries carry the same contact under their answer. `helpdesk` is the organisation file's
block as stored: {name: {lang: text}, phone, url, hours: {lang: text}}."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cards.actions import execute, open_url
from cards.base import adaptive_card, heading, paragraph

Texts = Callable[..., str]


def _localized(value: dict | None, language: str) -> str | None:
    if not value:
        return None
    return value.get(language) or value.get("fi") or next(iter(value.values()))


def contact_name(texts: Texts, helpdesk: dict) -> str:
    return _localized(helpdesk.get("name"), texts.language) or texts("helpdesk.default_name")


def contact(texts: Texts, helpdesk: dict) -> tuple[list[dict], list[dict]]:
    """The helpdesk's name, phone and hours as facts, and its web page as a button."""
    facts = [{"title": texts("helpdesk.name"), "value": contact_name(texts, helpdesk)}]
    if helpdesk.get("phone"):
        facts.append({"title": texts("helpdesk.phone"), "value": helpdesk["phone"]})
    hours = _localized(helpdesk.get("hours"), texts.language)
    if hours:
        facts.append({"title": texts("helpdesk.hours"), "value": hours})
    actions = [open_url(texts("helpdesk.open_page"), helpdesk["url"])] if helpdesk.get("url") else []
    return [{"type": "FactSet", "facts": facts}], actions


def helpdesk_card(texts: Texts, helpdesk: dict, reason: str, question_id: int, suggestions: Sequence = ()) -> dict:
    """A fault for the helpdesk. `reason`: locked_account, broken_device, error_code or entry;
    `suggestions`: the helpdesk's FAQ entries the question may be about (EntryViews). A
    digimentor stays one click away, for a question that was know-how after all."""
    name = contact_name(texts, helpdesk)
    body = [heading(texts("helpdesk.title", name=name)), paragraph(texts(f"helpdesk.reasons.{reason}", name=name))]
    facts, actions = contact(texts, helpdesk)
    body += facts
    if suggestions:
        body.append(paragraph(texts("helpdesk.suggestions"), spacing="Medium"))
        actions += [execute(view.title, "showFaq", {"faq_id": view.entry_id, "question_id": question_id})
                    for view in suggestions[:3]]
    body.append(paragraph(texts("helpdesk.not_a_fault"), isSubtle=True, spacing="Medium"))
    actions.append(execute(texts("helpdesk.ask_mentor_anyway"), "askMentor", {"question_id": question_id}))
    return adaptive_card(body, actions)
