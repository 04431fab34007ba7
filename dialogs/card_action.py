"""A click on a card button, whichever way it arrived (Action.Execute or its Action.Submit
fallback), with typed access to the data a forged client may have filled with anything."""

from __future__ import annotations

from dataclasses import dataclass, field


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
        value = self.data.get(key)
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        return None

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
