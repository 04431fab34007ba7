"""What a service gives back to the person who wrote or clicked."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    """A card (replacing the clicked one, after a card action) and/or a short text."""

    card: dict | None = None
    text: str | None = None
