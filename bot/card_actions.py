"""Card actions arrive two ways: an `adaptiveCard/action` invoke (Action.Execute) or a message
whose value carries a verb (the Action.Submit fallback). Both become one CardAction."""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.schema import Activity, ActivityTypes


@dataclass(frozen=True)
class CardAction:
    verb: str
    data: dict
    via_invoke: bool
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


def card_action_of(activity: Activity) -> CardAction | None:
    conversation = activity.conversation
    kind = (getattr(conversation, "conversation_type", None) or "personal") if conversation else "personal"
    value = activity.value
    if activity.type == ActivityTypes.invoke and activity.name == "adaptiveCard/action":
        action = value.get("action") if isinstance(value, dict) else None
        if not isinstance(action, dict):
            return CardAction("", {}, True, kind)
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        return CardAction(str(action.get("verb") or data.get("verb") or ""), data, True, kind)
    if activity.type == ActivityTypes.message and isinstance(value, dict) and "verb" in value:
        return CardAction(str(value.get("verb") or ""), value, False, kind)
    return None
