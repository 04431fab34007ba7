"""State-changing card buttons: Action.Execute (Universal Actions) with an Action.Submit
fallback that carries the same verb and data (docs/design.md, "Card actions")."""

from __future__ import annotations


def execute(title: str, verb: str, data: dict, *, style: str | None = None) -> dict:
    payload = {"verb": verb, **data}
    action = {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": payload,
        "fallback": {"type": "Action.Submit", "title": title, "data": payload},
    }
    if style:
        action["style"] = style
        action["fallback"]["style"] = style
    return action


def open_url(title: str, url: str) -> dict:
    return {"type": "Action.OpenUrl", "title": title, "url": url}
