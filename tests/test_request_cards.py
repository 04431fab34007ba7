"""The hand-off cards: what a mentor, an asker and a coordinator see and can click."""

from __future__ import annotations

import json

import pytest

from cards import requests as cards
from cards.i18n import LANGUAGES, Texts, catalogue_keys
from cards.requests import RequestView
from dialogs.rules.limits import MAX_COMMENT_CHARACTERS, MAX_FAQ_PROPOSAL_CHARACTERS, MAX_MINUTES_PER_ENTRY

FI, SV, EN = Texts("fi"), Texts("sv"), Texts("en")

CHAT_URL = "https://teams.microsoft.com/l/chat/0/0?users=mentor%40example.org"
QUESTION = "Miten jaan kalenterini työkaverille Outlookissa?"

VIEW = RequestView(
    request_id=42,
    question=QUESTION,
    asker_name="Aino Asiakas",
    asker_unit="Kotihoito, Pohjoinen alue",
    asker_aad_object_id="00000000-0000-0000-0000-00000000a51c",
    language="fi",
    waiting_minutes=7,
    mentor_name="Maija Mentori",
    mentor_aad_object_id="00000000-0000-0000-0000-0000000000m1",
    topic="Outlook",
)
SV_VIEW = RequestView(
    request_id=43,
    question="Hur delar jag min skärm i Teams?",
    asker_name="Sara Svensson",
    asker_unit="Hemvården",
    asker_aad_object_id="00000000-0000-0000-0000-0000000005ve",
    language="sv",
    waiting_minutes=125,
    mentor_name="Erik Ek",
)


# -- helpers ----------------------------------------------------------------------------------


def walk(node):
    """Every dict in the card, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def strings(card) -> list[str]:
    """Every string a user could see (keys such as 'type' and 'id' are not user text)."""
    seen = []
    for node in walk(card):
        for key in ("text", "title", "value", "label", "placeholder"):
            if isinstance(node.get(key), str):
                seen.append(node[key])
    return seen


def visible(card) -> str:
    return "\n".join(strings(card))


def inputs(card) -> dict[str, dict]:
    return {node["id"]: node for node in walk(card.get("body", [])) if str(node.get("type", "")).startswith("Input.")}


def executes(card) -> dict[str, dict]:
    return {action["data"]["verb"]: action for action in card.get("actions", []) if action["type"] == "Action.Execute"}


def assert_sound(card: dict) -> None:
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    assert len(json.dumps(card).encode("utf-8")) < 28_000
    body = card["body"]
    assert body[0]["type"] == "TextBlock" and body[0]["weight"] == "Bolder"
    for node in walk(card):
        if node.get("type") == "TextBlock":
            assert node["wrap"] is True, node
        if node.get("type") in ("Input.Text", "Input.Number", "Input.ChoiceSet"):
            assert node.get("label"), node
    text = visible(card)
    assert "request." not in text and "language_names." not in text, text
    assert "{" not in text, text
    for action in card.get("actions", []):
        assert action.get("title"), action
        if action["type"] == "Action.Execute":
            fallback = action["fallback"]
            assert fallback["type"] == "Action.Submit"
            assert fallback["data"] == action["data"]
            assert fallback["data"]["verb"] == action["verb"]


def assert_verbs(card: dict, expected: dict[str, dict]) -> None:
    assert {verb: action["data"] for verb, action in executes(card).items()} == {
        verb: {"verb": verb, **data} for verb, data in expected.items()
    }


def open_urls(card: dict) -> list[dict]:
    return [action for action in card.get("actions", []) if action["type"] == "Action.OpenUrl"]


def facts_of(card: dict) -> dict[str, str]:
    return {fact["title"]: fact["value"] for node in walk(card) if node.get("type") == "FactSet"
            for fact in node["facts"]}


def working_card(texts: Texts, view: RequestView, chat_url: str = CHAT_URL) -> dict:
    """The working card with the limits the product uses."""
    return cards.working_card(texts, view, chat_url, minutes_limit=MAX_MINUTES_PER_ENTRY,
                              answer_limit=MAX_FAQ_PROPOSAL_CHARACTERS)


def feedback_card(texts: Texts, view: RequestView) -> dict:
    return cards.feedback_card(texts, view, comment_limit=MAX_COMMENT_CHARACTERS)


# -- mentor cards -----------------------------------------------------------------------------


def test_offer_card_shows_the_question_and_who_asks_and_offers_accept_and_decline():
    card = cards.offer_card(FI, VIEW)
    assert_sound(card)
    text = visible(card)
    assert card["body"][0]["text"] == FI("request.offer_title")
    assert QUESTION in text
    assert facts_of(card) == {
        FI("request.fact_asker"): "Aino Asiakas",
        FI("request.fact_unit"): "Kotihoito, Pohjoinen alue",
        FI("request.fact_language"): FI("language_names.fi"),
        FI("request.fact_waiting"): FI("request.duration.minutes", minutes=7),
        FI("request.fact_topic"): "Outlook",
    }
    assert_verbs(card, {"acceptRequest": {"request_id": 42}, "declineRequest": {"request_id": 42}})
    assert executes(card)["acceptRequest"]["title"] == FI("request.accept")
    assert executes(card)["declineRequest"]["title"] == FI("request.decline")


def test_offer_card_in_swedish_names_the_language_and_long_waits_in_hours():
    card = cards.offer_card(SV, SV_VIEW)
    assert_sound(card)
    facts = facts_of(card)
    assert facts[SV("request.fact_language")] == SV("language_names.sv")
    assert facts[SV("request.fact_waiting")] == SV("request.duration.hours", hours=2, minutes=5)
    assert SV("request.fact_topic") not in facts
    assert "Hur delar jag min skärm i Teams?" in visible(card)
    assert_verbs(card, {"acceptRequest": {"request_id": 43}, "declineRequest": {"request_id": 43}})


def test_offer_card_without_a_unit_says_so():
    view = RequestView(request_id=1, question="Tulostin ei tulosta", asker_name="Pekka", asker_unit=None,
                       asker_aad_object_id="x", language="en", waiting_minutes=0)
    card = cards.offer_card(EN, view)
    assert_sound(card)
    facts = facts_of(card)
    assert facts[EN("request.fact_unit")] == EN("request.unit_unknown")
    assert facts[EN("request.fact_language")] == EN("language_names.en")
    assert facts[EN("request.fact_waiting")] == EN("request.duration.under_minute")


def test_taken_card_names_the_colleague_and_has_no_buttons():
    card = cards.taken_card(FI, VIEW)
    assert_sound(card)
    assert FI("request.taken_body", mentor="Maija Mentori") in strings(card)
    assert QUESTION in visible(card)
    assert "actions" not in card


def test_working_card_has_chat_link_time_inputs_and_resolve_and_release():
    card = working_card(FI, VIEW)
    assert_sound(card)
    text = visible(card)
    assert QUESTION in text and "Aino Asiakas" in text and "Kotihoito, Pohjoinen alue" in text
    [chat] = open_urls(card)
    assert chat == {"type": "Action.OpenUrl", "title": FI("request.open_chat", name="Aino Asiakas"), "url": CHAT_URL}

    fields = inputs(card)
    assert set(fields) == {"minutes", "minutes_other", "propose_faq", "faq_answer"}
    assert fields["minutes"]["type"] == "Input.ChoiceSet"
    assert fields["minutes"]["style"] == "compact"
    assert [choice["value"] for choice in fields["minutes"]["choices"]] == ["5", "15", "30", "60"]
    assert all(choice["title"] for choice in fields["minutes"]["choices"])
    assert fields["minutes_other"]["type"] == "Input.Number"
    assert (fields["minutes_other"]["min"], fields["minutes_other"]["max"]) == (1, MAX_MINUTES_PER_ENTRY)
    assert fields["minutes_other"]["placeholder"]
    toggle = fields["propose_faq"]
    assert toggle["type"] == "Input.Toggle" and toggle["title"] == FI("request.propose_faq")
    assert (toggle["valueOn"], toggle["valueOff"]) == ("true", "false")
    answer = fields["faq_answer"]
    assert answer["type"] == "Input.Text" and answer["isMultiline"] is True
    assert answer["maxLength"] == MAX_FAQ_PROPOSAL_CHARACTERS

    assert_verbs(card, {"resolveRequest": {"request_id": 42}, "releaseRequest": {"request_id": 42}})
    resolve = executes(card)["resolveRequest"]
    assert resolve["title"] == FI("request.resolve") and resolve["style"] == "positive"
    assert executes(card)["releaseRequest"]["title"] == FI("request.release")


def test_working_card_inputs_carry_the_limits_they_are_given():
    card = cards.working_card(FI, VIEW, CHAT_URL, minutes_limit=90, answer_limit=300)
    fields = inputs(card)
    assert fields["minutes_other"]["max"] == 90
    assert fields["faq_answer"]["maxLength"] == 300


def test_working_card_without_a_chat_link_has_no_open_button():
    card = working_card(FI, VIEW, chat_url="")
    assert_sound(card)
    assert open_urls(card) == []
    assert set(executes(card)) == {"resolveRequest", "releaseRequest"}


def test_working_card_in_english():
    card = working_card(EN, SV_VIEW)
    assert_sound(card)
    assert open_urls(card)[0]["title"] == EN("request.open_chat", name="Sara Svensson")
    assert [choice["title"] for choice in inputs(card)["minutes"]["choices"]][-1] == EN("request.minutes_choices.60")


def test_resolved_mentor_card_confirms_the_logged_minutes():
    card = cards.resolved_mentor_card(FI, VIEW, 15)
    assert_sound(card)
    assert FI("request.resolved_body", minutes=15) in strings(card)
    assert QUESTION in visible(card)
    assert "actions" not in card


def test_cancelled_offer_card_thanks_the_mentor():
    card = cards.cancelled_offer_card(FI, VIEW)
    assert_sound(card)
    assert FI("request.cancelled_offer_body") in strings(card)
    assert "actions" not in card


def test_coordinator_alert_card_lets_the_coordinator_take_it():
    card = cards.coordinator_alert_card(FI, VIEW)
    assert_sound(card)
    assert FI("request.coordinator_body") in strings(card)
    text = visible(card)
    assert QUESTION in text and "Aino Asiakas" in text and "Kotihoito, Pohjoinen alue" in text
    assert facts_of(card)[FI("request.fact_waiting")] == FI("request.duration.minutes", minutes=7)
    assert_verbs(card, {"acceptRequest": {"request_id": 42}})


# -- asker cards ------------------------------------------------------------------------------


def test_asker_waiting_card_can_be_cancelled():
    card = cards.asker_waiting_card(FI, VIEW)
    assert_sound(card)
    assert FI("request.asker_waiting_body") in strings(card)
    assert QUESTION in visible(card)
    assert_verbs(card, {"cancelRequest": {"request_id": 42}})
    assert executes(card)["cancelRequest"]["title"] == FI("request.cancel")


def test_asker_assigned_card_names_the_mentor_and_opens_the_chat():
    card = cards.asker_assigned_card(FI, VIEW, CHAT_URL)
    assert_sound(card)
    assert card["body"][0]["text"] == FI("request.asker_assigned_title", mentor="Maija Mentori")
    [chat] = open_urls(card)
    assert chat["title"] == FI("request.open_chat", name="Maija Mentori") and chat["url"] == CHAT_URL
    assert_verbs(card, {"cancelRequest": {"request_id": 42}})


def test_asker_assigned_card_in_swedish():
    card = cards.asker_assigned_card(SV, SV_VIEW, CHAT_URL)
    assert_sound(card)
    assert card["body"][0]["text"] == SV("request.asker_assigned_title", mentor="Erik Ek")
    assert open_urls(card)[0]["title"] == SV("request.open_chat", name="Erik Ek")
    assert_verbs(card, {"cancelRequest": {"request_id": 43}})


@pytest.mark.parametrize("language", LANGUAGES)
def test_widened_text_names_the_wider_unit_then_the_whole_organisation(language):
    texts = Texts(language)
    first = cards.asker_widened_text(texts, 1, "Sosiaali- ja terveyspalvelut")
    assert first == texts("request.widened_unit", unit="Sosiaali- ja terveyspalvelut")
    assert "Sosiaali- ja terveyspalvelut" in first
    unnamed = cards.asker_widened_text(texts, 1, None)
    assert unnamed == texts("request.widened_unit_unnamed")
    assert "None" not in unnamed and "{" not in unnamed and "request." not in unnamed
    second = cards.asker_widened_text(texts, 2, "Sosiaali- ja terveyspalvelut")
    assert second == cards.asker_widened_text(texts, 3, None) == texts("request.widened_all")
    assert "Sosiaali" not in second and "request." not in second
    assert len({first, unnamed, second}) == 3


def test_unanswered_card_is_honest_and_offers_up_to_three_faq_answers():
    suggestions = [(11, "Kalenterin jakaminen", 900), (12, "Kokouskutsun lähettäminen", 900),
                   (13, "Jaetut postilaatikot", 900), (14, "Neljäs ohje", 900)]
    card = cards.asker_unanswered_card(FI, VIEW, suggestions)
    assert_sound(card)
    assert FI("request.unanswered_body") in strings(card)
    assert FI("request.unanswered_suggestions") in strings(card)
    faq_buttons = [action for action in card["actions"] if action["verb"] == "showFaq"]
    assert [button["title"] for button in faq_buttons] == [
        "Kalenterin jakaminen", "Kokouskutsun lähettäminen", "Jaetut postilaatikot"]
    assert faq_buttons[0]["data"] == {"verb": "showFaq", "faq_id": 11, "question_id": 900}
    assert card["actions"][-1]["data"] == {"verb": "cancelRequest", "request_id": 42}


def test_unanswered_card_without_suggestions_in_english():
    card = cards.asker_unanswered_card(EN, VIEW, [])
    assert_sound(card)
    assert_verbs(card, {"cancelRequest": {"request_id": 42}})
    assert EN("request.unanswered_body") in strings(card)
    assert EN("request.unanswered_suggestions") not in visible(card)


def test_feedback_card_asks_for_a_rating_with_words_not_only_numbers():
    card = feedback_card(FI, VIEW)
    assert_sound(card)
    assert FI("request.feedback_body", mentor="Maija Mentori") in strings(card)
    fields = inputs(card)
    assert set(fields) == {"rating", "comment", "helpdesk"}
    rating = fields["rating"]
    assert rating["type"] == "Input.ChoiceSet" and rating["style"] == "expanded"
    assert sorted(choice["value"] for choice in rating["choices"]) == ["1", "2", "3", "4", "5"]
    titles = {choice["value"]: choice["title"] for choice in rating["choices"]}
    assert titles == {value: FI(f"request.ratings.{value}") for value in ("1", "2", "3", "4", "5")}
    assert all(len(title) > 4 for title in titles.values())  # a word, not just the digit
    assert list(titles) == ["5", "4", "3", "2", "1"]  # the best first
    comment = fields["comment"]
    assert comment["isMultiline"] is True and comment["maxLength"] == MAX_COMMENT_CHARACTERS
    assert not comment.get("isRequired")
    # The optional question the impact report's "helpdesk contacts avoided" is counted from.
    helpdesk = fields["helpdesk"]
    assert helpdesk["label"] == FI("request.helpdesk_question") and not helpdesk.get("isRequired")
    assert [(c["value"], c["title"]) for c in helpdesk["choices"]] == [("yes", FI("request.helpdesk_yes")),
                                                                       ("no", FI("request.helpdesk_no"))]
    assert inputs(cards.feedback_card(FI, VIEW, comment_limit=200))["comment"]["maxLength"] == 200
    assert_verbs(card, {"rateHelp": {"request_id": 42}, "reopenRequest": {"request_id": 42}})
    assert executes(card)["reopenRequest"]["title"] == FI("request.reopen")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_feedback_card_in_swedish_and_english(language):
    texts = Texts(language)
    card = feedback_card(texts, SV_VIEW)
    assert_sound(card)
    assert texts("request.feedback_body", mentor="Erik Ek") in strings(card)
    assert_verbs(card, {"rateHelp": {"request_id": 43}, "reopenRequest": {"request_id": 43}})


def test_feedback_thanks_card_shows_the_rating_in_words():
    card = cards.feedback_thanks_card(FI, VIEW, 4)
    assert_sound(card)
    assert card["body"][0]["text"] == FI("request.thanks_title")
    assert FI("request.thanks_rating", rating=FI("request.ratings.4")) in strings(card)
    assert "actions" not in card


def test_cancelled_card_for_the_asker():
    card = cards.cancelled_card(FI, VIEW)
    assert_sound(card)
    assert FI("request.cancelled_body") in strings(card)
    assert "actions" not in card


# -- every card, every language ---------------------------------------------------------------

BUILDERS = {
    "offer": lambda t, v: cards.offer_card(t, v),
    "taken": lambda t, v: cards.taken_card(t, v),
    "working": lambda t, v: working_card(t, v),
    "resolved": lambda t, v: cards.resolved_mentor_card(t, v, 30),
    "waiting": lambda t, v: cards.asker_waiting_card(t, v),
    "assigned": lambda t, v: cards.asker_assigned_card(t, v, CHAT_URL),
    "unanswered": lambda t, v: cards.asker_unanswered_card(t, v, [(1, "Ohje", 2)]),
    "coordinator": lambda t, v: cards.coordinator_alert_card(t, v),
    "feedback": lambda t, v: feedback_card(t, v),
    "thanks": lambda t, v: cards.feedback_thanks_card(t, v, 5),
    "cancelled": lambda t, v: cards.cancelled_card(t, v),
    "cancelled_offer": lambda t, v: cards.cancelled_offer_card(t, v),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_card_renders_soundly_in_every_language(name, language):
    card = BUILDERS[name](Texts(language), VIEW)
    assert_sound(card)
    assert QUESTION in visible(card)
    for action in executes(card).values():
        if action["verb"] != "showFaq":
            assert action["data"]["request_id"] == 42


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_cards_stay_small_with_a_long_question(name):
    view = RequestView(request_id=7, question="ä" * 4000, asker_name="A" * 200, asker_unit="U" * 200,
                       asker_aad_object_id="x", language="sv", waiting_minutes=5000, mentor_name="M" * 200,
                       topic="T" * 200)
    card = BUILDERS[name](Texts("fi"), view)
    assert len(json.dumps(card).encode("utf-8")) < 28_000


def test_locale_files_have_the_same_keys():
    finnish = catalogue_keys("fi")
    assert any(key.startswith("request.") for key in finnish)
    for language in LANGUAGES:
        assert catalogue_keys(language) == finnish, language


def test_request_texts_are_translated_not_copied():
    same_everywhere = ("request.quoted", "request.duration.", "request.minutes_choices.")
    keys = [key for key in catalogue_keys("fi")
            if key.startswith("request.") and not key.startswith(same_everywhere)]
    copied = [key for key in keys if Texts("fi")(key) == Texts("sv")(key) == Texts("en")(key)
              and not Texts("fi")(key).startswith("{")]
    assert copied == []
