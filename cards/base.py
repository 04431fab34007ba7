"""Shared Adaptive Card building blocks. Teams renders schema 1.5 at most."""

from __future__ import annotations

CARD_VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def adaptive_card(body: list[dict], actions: list[dict] | None = None, *, speak: str | None = None) -> dict:
    card: dict = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": CARD_VERSION, "body": body}
    if actions:
        card["actions"] = actions
    if speak:
        card["speak"] = speak
    return card


def heading(text: str) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, "size": "Large", "weight": "Bolder", "style": "heading"}


def paragraph(text: str, **extra: object) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def bullet_list(items: list[str]) -> dict:
    return paragraph("\n".join(f"- {item}" for item in items))


def subheading(text: str) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, "weight": "Bolder", "spacing": "Medium"}
