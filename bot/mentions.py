"""Removing @mentions of the bot from channel and group-chat messages."""

from __future__ import annotations

import html
import re

_AT_TAG = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)


def strip_bot_mentions(text: str, bot_mention_texts: list[str]) -> str:
    """Drop the bot's <at>…</at> mentions; other people's mentions keep their name as text."""
    cleaned = text or ""
    for mention in bot_mention_texts:
        if mention:
            cleaned = cleaned.replace(mention, " ")
    cleaned = _AT_TAG.sub(lambda m: m.group(1), cleaned)
    cleaned = html.unescape(cleaned).replace("\u00a0", " ")
    return " ".join(cleaned.split())
