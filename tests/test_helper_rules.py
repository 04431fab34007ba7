"""The pure rules of "anyone who knows helps": where the helpers come in an offer's widening,
which topics an offer of help names, and when "voin auttaa ..." is an offer at all."""

from __future__ import annotations

import pytest

from dialogs.commands import parse_command
from dialogs.rules.topics import topics_named
from dialogs.rules.units import OfferStep, offer_steps, offer_tiers

PARENTS = {"hva": None, "sote": "hva", "ward-3": "sote", "ward-5": "sote", "hr": "hva"}
TOPICS = {"excel", "teams", "outlook", "onedrive", "remote-appointments"}


def test_without_helpers_the_steps_are_the_tiers():
    steps = offer_steps("ward-3", PARENTS, open_helpers=False)
    assert [s.units for s in steps] == offer_tiers("ward-3", PARENTS)
    assert not any(s.helpers for s in steps)


def test_helpers_come_right_after_the_askers_own_unit():
    steps = offer_steps("ward-3", PARENTS, open_helpers=True)
    assert steps == [OfferStep(frozenset({"ward-3"})), OfferStep(None, helpers=True),
                     OfferStep(frozenset({"sote", "ward-3", "ward-5"}), levels_up=1), OfferStep(None, levels_up=2)]


def test_an_asker_without_a_known_unit_gets_the_helpers_first():
    assert offer_steps(None, PARENTS, open_helpers=True) == [OfferStep(None, helpers=True), OfferStep(None)]
    assert offer_steps("nowhere", PARENTS, open_helpers=True)[0].helpers


@pytest.mark.parametrize(("text", "found", "other"), [
    ("excelissä", ["excel"], []),
    ("excelissä ja teamsissa", ["excel", "teams"], []),
    ("Excel, Teams och Outlook.", ["excel", "teams", "outlook"], []),
    ("etävastaanotoissa", [], ["etävastaanotoissa"]),
    ("remote-appointments", ["remote-appointments"], []),
    ("kutomisessa", [], ["kutomisessa"]),
    ("ex", [], ["ex"]),
])
def test_topics_named_in_inflected_text(text, found, other):
    assert topics_named(text, TOPICS) == (found, other)


@pytest.mark.parametrize("text", ["voin auttaa excelissä", "I can help with excel and teams",
                                  "jag kan hjälpa med excel", "voin auttaa", "voin auttaa excelin pivot-taulukoissa",
                                  "Voin auttaa kutomisessa."])
def test_offers_of_help(text):
    assert parse_command(text, topics=TOPICS).name == "help with"


@pytest.mark.parametrize("text", ["voin auttaa kollegaa mutta miten kiinnitän ylimmän rivin excelissä",
                                  "voin auttaa excelissä?", "voin auttaa muita mutta en osaa itse jakaa näyttöä"])
def test_a_sentence_that_merely_starts_like_an_offer_is_a_question(text):
    assert parse_command(text, topics=TOPICS) is None


@pytest.mark.parametrize("text", ["stop helping", "lopetan auttamisen", "slutar hjälpa", "Stop helping!"])
def test_stop_helping(text):
    assert parse_command(text).name == "stop helping"
