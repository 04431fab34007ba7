"""Reading who, where and what from a Teams activity."""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.adapter import tenant_id_of
from bot.mentions import strip_bot_mentions
from dialogs.card_action import CardAction


@dataclass(frozen=True)
class Incoming:
    aad_object_id: str
    display_name: str
    tenant_id: str | None
    conversation_id: str
    conversation_type: str
    locale: str | None
    text: str

    @property
    def is_personal(self) -> bool:
        return self.conversation_type == "personal"


def _conversation_type(activity: Activity) -> str:
    conversation = activity.conversation
    return (getattr(conversation, "conversation_type", None) or "personal") if conversation else "personal"


def read_incoming(activity: Activity) -> Incoming:
    sender = activity.from_property
    conversation = activity.conversation
    conversation_type = _conversation_type(activity)
    return Incoming(
        aad_object_id=((getattr(sender, "aad_object_id", None) or getattr(sender, "id", "")) or "").lower(),
        display_name=getattr(sender, "name", None) or "",
        tenant_id=tenant_id_of(activity),
        conversation_id=getattr(conversation, "id", "") or "",
        conversation_type=conversation_type,
        locale=activity.locale,
        text=strip_bot_mentions(activity.text or "", _bot_mention_texts(activity)),
    )


def _bot_mention_texts(activity: Activity) -> list[str]:
    bot_id = getattr(activity.recipient, "id", None)
    texts = []
    for entity in activity.entities or []:
        props = getattr(entity, "additional_properties", None)
        if getattr(entity, "type", None) != "mention" or not isinstance(props, dict):
            continue
        # A client may send anything here: only a well-formed mention of the bot counts.
        mentioned, text = props.get("mentioned"), props.get("text")
        if isinstance(mentioned, dict) and mentioned.get("id") == bot_id and isinstance(text, str):
            texts.append(text)
    return texts


def conversation_reference_of(activity: Activity) -> dict:
    """Where to reach this conversation later. The triggering message's id is left out: a
    proactive message starts anew rather than replying to it, and the stored reference then
    stays the same from one message to the next."""
    reference = TurnContext.get_conversation_reference(activity).serialize()
    reference.pop("activityId", None)
    return reference


def card_action_of(activity: Activity) -> CardAction | None:
    """Card actions arrive two ways: an `adaptiveCard/action` invoke (Action.Execute) or a
    message whose value carries a verb (the Action.Submit fallback). Both become one CardAction."""
    kind = _conversation_type(activity)
    value = activity.value
    if activity.type == ActivityTypes.invoke and activity.name == "adaptiveCard/action":
        action = value.get("action") if isinstance(value, dict) else None
        if not isinstance(action, dict):
            return CardAction("", {}, kind)
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        return CardAction(str(action.get("verb") or data.get("verb") or ""), data, kind)
    if activity.type == ActivityTypes.message and isinstance(value, dict) and "verb" in value:
        return CardAction(str(value.get("verb") or ""), value, kind)
    return None
