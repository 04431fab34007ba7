"""The coordinator's form for adding or editing one language of an FAQ entry."""

from __future__ import annotations

from collections.abc import Callable

from cards.actions import execute
from cards.base import adaptive_card, heading, paragraph

Texts = Callable[..., str]


def faq_form_card(texts: Texts, *, entry_id: str = "", topic: str = "", language: str = "fi", question: str = "",
                  variants: list[str] | None = None, answer: str = "", editing: bool = False) -> dict:
    intro = (texts("faq_admin.form_edit", id=entry_id, language=texts(f"language_names.{language}"))
             if editing else texts("faq_admin.form_new"))
    body = [
        heading(texts("faq_admin.form_title")),
        paragraph(intro),
        {"type": "Input.Text", "id": "faq_id", "label": texts("faq_admin.id_label"), "value": entry_id,
         "maxLength": 100, "isRequired": True, "regex": "^[a-z0-9][a-z0-9._-]{0,99}$",
         "errorMessage": texts("faq_admin.id_error")},
        {"type": "Input.Text", "id": "topic", "label": texts("faq_admin.topic_label"), "value": topic,
         "maxLength": 50},
        {"type": "Input.ChoiceSet", "id": "language", "label": texts("faq_admin.language_label"),
         "value": language, "choices": [{"title": texts(f"language_names.{code}"), "value": code}
                                        for code in ("fi", "sv", "en")]},
        {"type": "Input.Text", "id": "question", "label": texts("faq_admin.question_label"), "value": question,
         "maxLength": 500, "isRequired": True, "errorMessage": texts("faq_admin.required")},
        {"type": "Input.Text", "id": "variants", "label": texts("faq_admin.variants_label"),
         "value": ", ".join(variants or []), "maxLength": 1000},
        {"type": "Input.Text", "id": "answer", "label": texts("faq_admin.answer_label"), "value": answer,
         "isMultiline": True, "maxLength": 6000, "isRequired": True, "errorMessage": texts("faq_admin.required")},
    ]
    return adaptive_card(body, [execute(texts("faq_admin.save"), "saveFaq", {}, style="positive")])
