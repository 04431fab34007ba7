"""FAQ cards: the answer, the suggestions, and the offer to ask a digimentor."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cards.actions import execute, open_url
from cards.base import adaptive_card, heading, paragraph
from cards.helpdesk import contact

Texts = Callable[..., str]


def _fallback_note(texts: Texts, view) -> list[dict]:
    if not view.fell_back:
        return []
    language = texts(f"language_names.{view.language}")
    return [paragraph(texts("faq.fallback_language", language=language), isSubtle=True)]


def answer_card(texts: Texts, view, question_id: int | None, *, with_feedback: bool = True,
                helpdesk: dict | None = None) -> dict:
    """`question_id` None renders a preview (for the coordinator who saved it): no buttons.
    `helpdesk`: for the IT helpdesk's own entries, its contact replaces the digimentor offer."""
    body = [heading(view.title), *_fallback_note(texts, view), paragraph(view.answer)]
    actions = [open_url(link.title, link.url) for link in view.links]
    if question_id is None:
        return adaptive_card(body, actions, speak=view.title)
    if helpdesk is not None:
        facts, contact_actions = contact(texts, helpdesk)
        body += [paragraph(texts("helpdesk.still_stuck"), weight="Bolder", spacing="Medium"), *facts]
        # Two links and the helpdesk's page leave room for the two feedback buttons: six at most.
        actions = actions[:2] + contact_actions
    if with_feedback:
        body.append(paragraph(texts("faq.helpful_question"), weight="Bolder", spacing="Medium"))
        feedback = {"faq_id": view.entry_id, "question_id": question_id}
        actions += [
            execute(texts("faq.yes"), "faqHelpful", {**feedback, "helpful": True}, style="positive"),
            execute(texts("faq.no"), "faqHelpful", {**feedback, "helpful": False}),
        ]
    if helpdesk is None:
        actions.append(execute(texts("faq.ask_mentor"), "askMentor", {"question_id": question_id}))
    return adaptive_card(body, actions, speak=view.title)


def suggestions_card(texts: Texts, views: Sequence, question_id: int) -> dict:
    body = [heading(texts("faq.suggestions_title")), paragraph(texts("faq.suggestions_body"))]
    actions = [execute(view.title, "showFaq", {"faq_id": view.entry_id, "question_id": question_id})
               for view in views]
    actions.append(execute(texts("faq.ask_mentor"), "askMentor", {"question_id": question_id}, style="positive"))
    return adaptive_card(body, actions)


def no_answer_card(texts: Texts, question_id: int) -> dict:
    body = [heading(texts("faq.none_title")), paragraph(texts("faq.none_body"))]
    actions = [execute(texts("faq.ask_mentor"), "askMentor", {"question_id": question_id}, style="positive")]
    return adaptive_card(body, actions)


def feedback_thanks_card(texts: Texts, view, question_id: int, helpful: bool, *, helpdesk: dict | None = None) -> dict:
    """The answer card again, with the feedback buttons replaced by thanks."""
    card = answer_card(texts, view, question_id, with_feedback=False, helpdesk=helpdesk)
    key = "faq.thanks_helpful" if helpful else "faq.thanks_not_helpful"
    card["body"].append(paragraph(texts(key), weight="Bolder", spacing="Medium"))
    return card
