"""The activity handler through botbuilder's TestAdapter (no HTTP), on a real database."""

from __future__ import annotations

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from bot.handler import DigimentorBot
from cards.i18n import Texts
from dialogs.router import Router
from dialogs.wiring import FlowOptions, Flows

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FI, SV = Texts("fi"), Texts("sv")


@pytest.fixture
def bot(database, clock) -> DigimentorBot:
    # Hand-offs are exercised over HTTP; these turns never reach the messenger.
    flows = Flows.build(database, clock, messenger=None, options=FlowOptions())
    return DigimentorBot(flows, Router(flows))


def _adapter(bot: DigimentorBot, locale: str = "fi-FI") -> TestAdapter:
    template = Activity(
        channel_id="msteams",
        service_url="https://test.invalid",
        conversation=ConversationAccount(id="a:conv", conversation_type="personal"),
        from_property=ChannelAccount(id="29:user", name="Maija", aad_object_id="00000000-0000-0000-0000-0000000000a1"),
        recipient=ChannelAccount(id="28:bot", name="Digimentor"),
        locale=locale,
    )
    return TestAdapter(bot.on_turn, template_or_conversation=template)


async def _turn(adapter: TestAdapter, activity) -> list[Activity]:
    """Runs one turn and returns what the bot sent during it."""
    adapter.activity_buffer.clear()
    await adapter.receive_activity(activity)
    return list(adapter.activity_buffer)


async def test_help_alias_gets_the_help_card(bot):
    [reply] = await _turn(_adapter(bot), "apua")
    card = reply.attachments[0].content
    assert card["body"][0]["text"] == FI("help.title")
    assert card["version"] == "1.5"


async def test_a_question_the_faq_cannot_answer_offers_a_digimentor(bot):
    [reply] = await _turn(_adapter(bot), "mikä on elämän tarkoitus")
    card = reply.attachments[0].content
    assert card["body"][0]["text"] == FI("faq.none_title")
    [button] = card["actions"]
    assert (button["verb"], button["title"]) == ("askMentor", FI("faq.ask_mentor"))
    assert button["fallback"]["data"]["verb"] == "askMentor"


async def test_a_swedish_question_gets_swedish_text(bot):
    [reply] = await _turn(_adapter(bot, locale="fi-FI"), "var hittar jag lönespecifikationen")
    assert reply.attachments[0].content["body"][0]["text"] == SV("faq.none_title")


async def test_installation_update_welcomes_once(bot):
    adapter = _adapter(bot)
    install = Activity(type=ActivityTypes.installation_update, action="add", id="install-1")
    [welcome] = await _turn(adapter, install)
    assert welcome.attachments[0].content["body"][0]["text"] == FI("welcome.title")
    again = Activity(type=ActivityTypes.installation_update, action="add", id="install-1")
    assert await _turn(adapter, again) == []
