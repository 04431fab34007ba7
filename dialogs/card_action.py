"""A click on a card button, whichever way it arrived (Action.Execute or its Action.Submit
fallback), with typed access to the data a forged client may have filled with anything."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_INTEGER = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")


@dataclass(frozen=True)
class CardAction:
    verb: str
    data: dict = field(default_factory=dict)
    # personal | channel | groupChat: in a shared conversation, private details go elsewhere.
    conversation_type: str = "personal"

    @property
    def shared_conversation(self) -> bool:
        return self.conversation_type != "personal"

    def integer(self, key: str) -> int | None:
        """A whole number an id or a count can be (0 to 2**31 - 1, the database's INTEGER), or
        None: "²", "١٢" and 5,000-digit strings are not ids, whatever str.isdigit says."""
        value = self.data.get(key)
        if isinstance(value, bool):
            return None
        if isinstance(value, str):
            value = value.strip()
            if not _DIGITS.fullmatch(value):
                return None
            value = int(value)
        return value if isinstance(value, int) and 0 <= value <= MAX_INTEGER else None

    def text(self, key: str, max_length: int = 200) -> str | None:
        value = self.data.get(key)
        return value[:max_length] if isinstance(value, str) and value else None

    def flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return None
