"""Teams-shaped activities as the Bot Connector posts them."""

from __future__ import annotations

import itertools
import uuid

TENANT = "00000000-0000-0000-0000-00000000d1f1"
BOT_ID = "28:digimentor-bot"
_counter = itertools.count(1)


def _base(kind: str, *, service_url: str, user: str, name: str, conversation_id: str | None,
          conversation_type: str, locale: str, tenant: str) -> dict:
    conversation_id = conversation_id or f"a:personal-{user}"
    return {
        "type": kind,
        "id": f"act-{next(_counter)}-{uuid.uuid4().hex[:6]}",
        "timestamp": "2026-11-23T10:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": f"29:{user}", "name": name, "aadObjectId": user},
        "conversation": {"id": conversation_id, "conversationType": conversation_type, "tenantId": tenant},
        "recipient": {"id": BOT_ID, "name": "Digimentor"},
        "locale": locale,
        "channelData": {"tenant": {"id": tenant}},
    }


def message(text: str, *, service_url: str, user: str = "00000000-0000-0000-0000-0000000000a1",
            name: str = "Maija Virtanen", conversation_id: str | None = None, conversation_type: str = "personal",
            locale: str = "fi-FI", tenant: str = TENANT, mention_bot: bool = False) -> dict:
    activity = _base("message", service_url=service_url, user=user, name=name, conversation_id=conversation_id,
                     conversation_type=conversation_type, locale=locale, tenant=tenant)
    activity["text"] = text
    if mention_bot:
        mention = "<at>Digimentor</at>"
        activity["text"] = f"{mention} {text}"
        activity["entities"] = [{"type": "mention", "text": mention,
                                 "mentioned": {"id": BOT_ID, "name": "Digimentor"}}]
    return activity


def installation(*, service_url: str, user: str = "00000000-0000-0000-0000-0000000000a1",
                 name: str = "Maija Virtanen", locale: str = "fi-FI", conversation_id: str | None = None,
                 tenant: str = TENANT) -> dict:
    activity = _base("installationUpdate", service_url=service_url, user=user, name=name,
                     conversation_id=conversation_id, conversation_type="personal", locale=locale, tenant=tenant)
    activity["action"] = "add"
    return activity


def members_added(*, service_url: str, user: str = "00000000-0000-0000-0000-0000000000a1",
                  name: str = "Maija Virtanen", locale: str = "fi-FI") -> dict:
    activity = _base("conversationUpdate", service_url=service_url, user=user, name=name, conversation_id=None,
                     conversation_type="personal", locale=locale, tenant=TENANT)
    activity["membersAdded"] = [{"id": BOT_ID}]
    return activity


def card_click(verb: str, data: dict, *, service_url: str, user: str = "00000000-0000-0000-0000-0000000000a1",
               name: str = "Maija Virtanen", locale: str = "fi-FI", conversation_id: str | None = None) -> dict:
    """An Action.Execute click: the adaptiveCard/action invoke."""
    activity = _base("invoke", service_url=service_url, user=user, name=name, conversation_id=conversation_id,
                     conversation_type="personal", locale=locale, tenant=TENANT)
    activity["name"] = "adaptiveCard/action"
    activity["value"] = {"action": {"type": "Action.Execute", "verb": verb, "data": {"verb": verb, **data}},
                         "trigger": "manual"}
    activity["replyToId"] = "card-activity-1"
    return activity


def card_submit(value: dict, *, service_url: str, user: str = "00000000-0000-0000-0000-0000000000a1",
                name: str = "Maija Virtanen", locale: str = "fi-FI", reply_to_id: str = "card-activity-1") -> dict:
    """The Action.Submit fallback: a message whose value carries the verb."""
    activity = _base("message", service_url=service_url, user=user, name=name, conversation_id=None,
                     conversation_type="personal", locale=locale, tenant=TENANT)
    activity["value"] = value
    activity["replyToId"] = reply_to_id
    return activity
