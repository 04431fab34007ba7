"""A small client for the Microsoft 365 Agents Playground's HTTP and websocket API
(docs/playground.md): act as Teams users, and read what the bot sent from the log websocket.

The playground has no endpoint that lists messages. Everything the bot sends arrives on
`/_ws/log/stream` as a log frame; the driver keeps every frame in order, and callers wait for
the first bot send after a mark taken *before* they acted.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

PLAYGROUND = "Microsoft 365 Agents Playground"
BOT_SIDE = "User Application"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"

TENANT = "00000000-0000-0000-0000-00000000d1f1"
BOT = {"id": "28:00000000-0000-0000-0000-0000000000d0", "name": "Digimentor"}


@dataclass(frozen=True)
class User:
    id: str
    name: str
    aad_object_id: str

    def account(self) -> dict:
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}


MAIJA = User("29:maija-virtanen", "Maija Virtanen", "00000000-0000-0000-0000-0000000000a1")
PEKKA = User("29:pekka-korhonen", "Pekka Korhonen", "00000000-0000-0000-0000-0000000000b1")
MAIJA_CHAT = "a:digimentor-personal-maija-virtanen"


@dataclass
class BotSend:
    """One connector call the bot made that carried an activity (a send or an update)."""

    conversation_id: str
    message_id: str
    activity: dict
    status: int | None

    @property
    def text(self) -> str:
        return self.activity.get("text") or ""

    @property
    def cards(self) -> list[dict]:
        return [a.get("content") or {} for a in self.activity.get("attachments") or []
                if a.get("contentType") == ADAPTIVE_CARD]

    @property
    def card(self) -> dict:
        cards = self.cards
        assert len(cards) == 1, f"expected one adaptive card, got {len(cards)}: {self.describe()}"
        return cards[0]

    def verbs(self) -> list[str]:
        return [a.get("verb", "") for card in self.cards for a in card.get("actions") or []
                if a.get("type") == "Action.Execute"]

    def dump(self) -> str:
        return json.dumps(self.activity, ensure_ascii=False)

    def describe(self) -> str:
        what = []
        if self.text:
            what.append(f"text={self.text[:80]!r}")
        for card in self.cards:
            first = next((b.get("text") for b in card.get("body") or [] if b.get("type") == "TextBlock"), "")
            what.append(f"card[{first[:60]!r}, verbs={[a.get('verb') for a in card.get('actions') or []]}]")
        return (f"{self.activity.get('type')} to {self.conversation_id} id={self.message_id} "
                f"(HTTP {self.status}): {', '.join(what) or '-'}")


@dataclass
class LogFrame:
    raw: dict

    @property
    def log(self) -> dict:
        return self.raw.get("log") or {}

    @property
    def from_bot(self) -> bool:
        return self.log.get("from") == BOT_SIDE and self.log.get("to") == PLAYGROUND

    @property
    def to_bot(self) -> bool:
        return self.log.get("from") == PLAYGROUND and self.log.get("to") == BOT_SIDE

    def bot_send(self) -> BotSend | None:
        """The activity the bot sent in this frame, if it is a bot→playground activity call."""
        if not self.from_bot:
            return None
        body = (self.log.get("request") or {}).get("body") or {}
        if not isinstance(body, dict) or body.get("type") != "message":
            return None
        response = self.log.get("response") or {}
        response_body = response.get("body") if isinstance(response.get("body"), dict) else {}
        return BotSend(
            conversation_id=self.log.get("conversationId") or (body.get("conversation") or {}).get("id", ""),
            message_id=str(self.log.get("messageId") or response_body.get("id") or ""),
            activity=body,
            status=response.get("statusCode"),
        )

    def delivery(self) -> tuple[str, int | None] | None:
        """(activity type, the bot's HTTP status) if this frame is a playground→bot delivery;
        it is logged after the bot has answered."""
        if not self.to_bot:
            return None
        return self.log.get("activityName") or "", (self.log.get("response") or {}).get("statusCode")

    def describe(self) -> str:
        send = self.bot_send()
        if send is not None:
            return "bot→ " + send.describe()
        log = self.log
        status = (log.get("response") or {}).get("statusCode")
        return (f"{log.get('from', '?')} → {log.get('to', '?')}: {log.get('activityName') or log.get('type')} "
                f"{log.get('conversationId', '')} {str(log.get('displayText') or '')[:80]!r}"
                + (f" (HTTP {status})" if status is not None else ""))


class PlaygroundError(AssertionError):
    pass


@dataclass
class Playground:
    """Drives a running playground at `base_url` (e.g. http://localhost:56150)."""

    base_url: str
    http: aiohttp.ClientSession
    frames: list[LogFrame] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _pump: asyncio.Task | None = None
    _ws_error: BaseException | None = None

    @property
    def service_url(self) -> str:
        """The Bot Connector URL the playground itself puts in activities."""
        return f"{self.base_url}/_connector"

    # -- lifecycle --------------------------------------------------------------------------
    async def ping(self) -> bool:
        try:
            async with self.http.get(f"{self.base_url}/_debug/ping", timeout=aiohttp.ClientTimeout(total=2)) as r:
                return r.status == 200 and (await r.text()).strip() == "pong"
        except (TimeoutError, aiohttp.ClientError, OSError):
            return False

    async def connect_log(self) -> None:
        """Opens the log websocket. Do this before acting: frames sent while no client is
        connected go to the first client that connects, and are then gone."""
        connected = asyncio.get_running_loop().create_future()
        ws_url = self.base_url.replace("http://", "ws://", 1) + "/_ws/log/stream"

        async def pump() -> None:
            try:
                async with self.http.ws_connect(ws_url, heartbeat=20) as ws:
                    connected.set_result(None)
                    async for message in ws:
                        if message.type != aiohttp.WSMsgType.TEXT:
                            continue
                        try:
                            frame = json.loads(message.data)
                        except ValueError:
                            continue
                        async with self._changed:
                            self.frames.append(LogFrame(frame))
                            self._changed.notify_all()
            except Exception as error:  # noqa: BLE001 - reported to the waiters
                self._ws_error = error
                if not connected.done():
                    connected.set_exception(error)
            finally:
                async with self._changed:
                    self._changed.notify_all()

        self._pump = asyncio.create_task(pump())
        await asyncio.wait_for(connected, 10)

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
            self._pump = None

    # -- reading what the bot sent ------------------------------------------------------------
    def mark(self) -> int:
        return len(self.frames)

    def sends(self, since: int = 0, conversation_id: str | None = None) -> list[BotSend]:
        found = []
        for frame in self.frames[since:]:
            send = frame.bot_send()
            if send is not None and (conversation_id is None or send.conversation_id == conversation_id):
                found.append(send)
        return found

    async def wait_for_send(self, *, since: int, conversation_id: str, what: str,
                            match: Callable[[BotSend], bool] = lambda send: True,
                            timeout: float = 15.0) -> BotSend:
        """The first bot send to `conversation_id` after `since` that `match`es."""

        def found() -> BotSend | None:
            return next((s for s in self.sends(since, conversation_id) if match(s)), None)

        async def wait() -> BotSend:
            async with self._changed:
                while True:
                    send = found()
                    if send is not None:
                        return send
                    if self._pump is None or self._pump.done():
                        raise PlaygroundError(f"the log websocket closed ({self._ws_error!r}) while waiting "
                                              f"for {what}\n{self.report(since)}")
                    await self._changed.wait()

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise PlaygroundError(f"no {what} in {conversation_id} within {timeout:.0f} s.\n"
                                  f"{self.report(since)}") from None

    async def wait_for_deliveries(self, *, since: int, conversation_id: str, activity_types: list[str],
                                  timeout: float = 15.0) -> None:
        """Until the playground has delivered each of `activity_types` to the bot in that
        conversation and the bot has answered (the log frame comes after the answer)."""

        def done() -> bool:
            seen = [frame.delivery()[0] for frame in self.frames[since:]
                    if frame.delivery() is not None and frame.log.get("conversationId") == conversation_id]
            return all(kind in seen for kind in activity_types)

        async def wait() -> None:
            async with self._changed:
                while not done():
                    if self._pump is None or self._pump.done():
                        raise PlaygroundError(f"the log websocket closed ({self._ws_error!r})\n{self.report(since)}")
                    await self._changed.wait()

        try:
            await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise PlaygroundError(f"{activity_types} not all delivered to the bot in {conversation_id} within "
                                  f"{timeout:.0f} s.\n{self.report(since)}") from None

    def failures(self, since: int = 0) -> list[str]:
        """Deliveries the bot answered with an error, and sends the playground refused."""
        failed = []
        for frame in self.frames[since:]:
            send, delivery = frame.bot_send(), frame.delivery()
            if send is not None and not (send.status and 200 <= send.status < 300):
                failed.append(frame.describe())
            if delivery is not None and not (delivery[1] and 200 <= delivery[1] < 300):
                failed.append(frame.describe())
            if frame.log.get("type") == "text" and frame.log.get("level") in ("warning", "error"):
                failed.append(frame.describe())
        return failed

    def report(self, since: int = 0) -> str:
        frames = self.frames[since:]
        if not frames:
            return "The log websocket received nothing since the action."
        lines = [f"The log websocket received {len(frames)} frame(s) since the action:"]
        lines += [f"  - {frame.describe()}" for frame in frames[-40:]]
        return "\n".join(lines)

    # -- acting -------------------------------------------------------------------------------
    async def _call(self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200,)) -> Any:
        async with self.http.request(method, f"{self.base_url}{path}", json=body,
                                     timeout=aiohttp.ClientTimeout(total=30)) as response:
            text = await response.text()
            if response.status not in expect:
                raise PlaygroundError(f"{method} {path} answered {response.status}: {text[:2000]}")
            if not text:
                return None
            try:
                return json.loads(text)
            except ValueError:
                return text

    async def test_config(self) -> dict:
        return await self._call("GET", "/_internal/v1/testConfig")

    async def install(self, conversation_id: str) -> None:
        """The app is installed in a configured chat: installationUpdate + conversationUpdate."""
        await self._call("POST", f"/_debug/conversation/{conversation_id}/installation", {})

    async def say(self, conversation_id: str, text: str) -> dict:
        """A message typed by the current user (Maija)."""
        return await self._call("POST", f"/_conversation/v1/conversations/{conversation_id}/messages",
                                {"from": {"id": MAIJA.id}, "text": text, "textFormat": "plain"})

    async def click(self, user: User, conversation_id: str, card_message_id: str, action: dict,
                    inputs: dict | None = None) -> dict:
        """An Action.Execute click on a card, as the web UI sends it; answers the bot's invoke
        response `{"type", "value"}`."""
        value = {"action": {"type": "Action.Execute", "title": action.get("title", ""),
                            "verb": action["verb"], "data": {**(action.get("data") or {}), **(inputs or {})}}}
        return await self._call("POST", "/_conversation/v1/invoke", {
            "name": "adaptiveCard/action", "value": value, "from": {"id": user.id},
            "conversation": {"id": conversation_id}, "replyToId": card_message_id,
        })

    async def create_personal_chat(self, user: User) -> str:
        """The user's 1:1 chat with the bot (created on first use, then the same id)."""
        created = await self._call("POST", "/_connector/v3/conversations",
                                   {"isGroup": False, "members": [{"id": user.id}]}, expect=(200, 201))
        return created["id"]

    async def custom_activity(self, activity: dict) -> None:
        await self._call("POST", "/_internal/v1/customActivities", activity)

    def activity_as(self, user: User, conversation_id: str, kind: str, *, at: datetime, **fields: Any) -> dict:
        """A raw activity from `user` in their 1:1 chat, for custom activities, stamped `at`
        (the bot's clock, so that no activity carries today's date)."""
        return {
            "type": kind,
            "id": str(uuid.uuid4()),
            "timestamp": at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": user.account(),
            "recipient": dict(BOT),
            "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}},
            "locale": "en-US",  # what the playground reports for everyone
            **fields,
        }
