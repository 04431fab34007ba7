"""What a flow gives back to the person who wrote or clicked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Reply:
    """Said in this order: a notice (such as "personal data was removed"), a short text, and a
    card. After a card click the card replaces the clicked one."""

    card: dict | None = None
    text: str | None = None
    notice: str | None = None

    def with_notice(self, notice: str | None) -> "Reply":
        return replace(self, notice=notice) if notice else self


def refused(texts: Callable[..., str], reason: str) -> Reply:
    """A card action that was refused; `reason` is a locale key under card_refusal."""
    return Reply(text=texts(f"card_refusal.{reason}"))
