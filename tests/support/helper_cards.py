"""The cards of "anyone who knows helps" (the coordinator's mentors card with its helpers, a
helper's weekly thanks, the help card in the open model), rendered for
tests/test_card_validation.py, which parses every card the bot can send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from cards import help as help_cards
from cards import reports
from cards.i18n import Texts
from dialogs.rules.limits import MAX_WEEKLY_MINUTES
from storage.helper_repository import HelperRecord
from tests.support.time import WEDNESDAY_MORNING

Add = Callable[[Callable, str, dict], None]
UNIT_NAMES = {"ward-3": "Osasto 3", "kotihoito": "Kotihoito, Pohjoinen alue"}
HELPERS = [HelperRecord(person_id=300 + index, name=name, unit_id=unit, topics=topics,
                        since=WEDNESDAY_MORNING - timedelta(days=7 * index), people_helped=index * 3)
           for index, (name, unit, topics) in enumerate([
               ("Maija Virtanen", "ward-3", ("excel",)), ("Erik Lindström", "kotihoito", ("excel", "teams", "outlook")),
               ("Tiina Lehtonen", None, ("remote-appointments", "webropol", "potilastietojärjestelmä"))])]


def render_helper_cards(add: Add, mentors: list) -> None:
    """`mentors`: MentorCandidates to list above the helpers."""
    for texts in (Texts("fi"), Texts("sv"), Texts("en")):
        language = texts.language
        variants = (("3 helpers", mentors[:2], HELPERS, 0), ("no helpers", [], [], 0),
                    ("3 of 40 helpers", mentors, HELPERS, 37))
        for variant, shown, helpers, not_shown in variants:
            add(reports.mentors_card, f"{language}/open model, {variant}", reports.mentors_card(
                texts, shown, UNIT_NAMES, available_now=lambda mentor: mentor.status == "available",
                allowance_limit=MAX_WEEKLY_MINUTES, helpers=helpers, helpers_not_shown=not_shown,
                helper_allowance=60))
        add(reports.helper_thanks_card, f"{language}/helped 4", reports.helper_thanks_card(
            texts, helped=4, topics=("excel", "teams")))
        add(reports.helper_thanks_card, f"{language}/nobody", reports.helper_thanks_card(
            texts, helped=0, topics=("excel",)))
        add(help_cards.help_card, f"{language}/open model, employee", help_cards.help_card(
            texts, lambda role: role == "employee", open_helpers=True))
        add(help_cards.help_card, f"{language}/open model, helper", help_cards.help_card(
            texts, lambda role: role in ("employee", "helper"), open_helpers=True))
