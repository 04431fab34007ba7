"""The card a user sees when the app is installed."""

from __future__ import annotations

from collections.abc import Callable

from cards.base import adaptive_card, bullet_list, heading, paragraph, subheading


def welcome_card(texts: Callable[..., str], examples: list[str]) -> dict:
    return adaptive_card(
        [
            heading(texts("welcome.title")),
            paragraph(texts("welcome.body")),
            subheading(texts("welcome.examples_title")),
            bullet_list(examples),
            paragraph(texts("help.privacy"), isSubtle=True, spacing="Medium"),
            paragraph(texts("welcome.help_hint"), isSubtle=True),
        ],
        speak=texts("welcome.title"),
    )
