"""What the flows need from the outside world, as plain interfaces. The Teams edge (bot/)
implements them: bot.messenger.TeamsMessenger and bot.graph.GraphGateway. Tests may pass their
own, but the suite runs the real ones against loopback servers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol


@dataclass(frozen=True)
class Delivery:
    """Where a proactive message landed, so that it can be updated later."""

    aad_object_id: str
    conversation_id: str
    activity_id: str


class DeliveryFailed(Exception):
    """Nothing was delivered. `unreachable`: the bot cannot reach the person at all (blocked,
    uninstalled, never installed). `status`: the channel's answer, 413 for a message refused
    as too large before sending, None when no answer came."""

    def __init__(self, reason: str, *, unreachable: bool = False, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unreachable = unreachable
        self.status = status


class Messenger(Protocol):
    """Messages to a person's 1:1 chat with the bot, outside any turn of theirs. Flows do not call
    it: they store messages in the outbox, and dialogs/flows/deliveries.py sends them."""

    async def send(self, aad_object_id: str, *, text: str | None = None, card: dict | None = None) -> Delivery:
        """One message: the text, the card, or the text above the card."""
        ...

    async def update_card(self, delivery: Delivery, card: dict) -> None: ...


class GraphProfile(NamedTuple):
    department: str | None
    office_location: str | None
    display_name: str | None
    mail: str | None


class Graph(Protocol):
    """Microsoft Graph, when configured. Every call is bounded in time and never raises: a
    failure answers None, False or an empty result, and the flow carries on without it."""

    async def user_profile(self, aad_object_id: str) -> GraphProfile | None: ...

    async def busy_ids(self, aad_object_ids: list[str]) -> set[str]: ...

    async def catalog_app_id(self, manifest_id: str) -> str | None: ...

    async def install_app_for(self, aad_object_id: str, teams_app_id: str) -> bool: ...

    async def create_group_chat(self, aad_object_ids: list[str], topic: str) -> str | None: ...

    async def create_meeting(self, *, organizer: str, subject: str, start: datetime, end: datetime,
                             attendees: list[str]) -> str | None:
        """An online (Teams) event in the organizer's calendar, the attendees (e-mail
        addresses) invited; its join URL, or None."""
        ...

    async def close(self) -> None: ...
