"""Teams deep links that open a chat, for the asker and the mentor to find each other."""

from __future__ import annotations

from urllib.parse import quote


def personal_chat_url(aad_object_id: str | None) -> str:
    """Opens a 1:1 chat with the person."""
    return f"https://teams.microsoft.com/l/chat/0/0?users=8:orgid:{aad_object_id or ''}"


def group_chat_url(chat_id: str, tenant_id: str | None = None) -> str:
    """Opens a chat by its id, in the form of Graph's own `chat.webUrl`."""
    link = f"https://teams.microsoft.com/l/chat/{quote(chat_id, safe='')}/0"
    return f"{link}?tenantId={quote(tenant_id, safe='')}" if tenant_id else link
