"""Reading who, where and what from a Teams activity."""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.adapter import tenant_id_of
from bot.domain.mentions import strip_bot_mentions


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


def read_incoming(activity: Activity) -> Incoming:
    sender = activity.from_property
    conversation = activity.conversation
    conversation_type = (getattr(conversation, "conversation_type", None) or "personal") if conversation else "personal"
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
        props = entity.additional_properties if hasattr(entity, "additional_properties") else {}
        if entity.type != "mention":
            continue
        mentioned = (props or {}).get("mentioned") or {}
        if mentioned.get("id") == bot_id:
            texts.append((props or {}).get("text", ""))
    return texts


def conversation_reference_of(activity: Activity) -> dict:
    """Where to reach this conversation later. The triggering message's id is left out: a
    proactive message starts anew rather than replying to it, and the stored reference then
    stays the same from one message to the next."""
    reference = TurnContext.get_conversation_reference(activity).serialize()
    reference.pop("activityId", None)
    return reference
