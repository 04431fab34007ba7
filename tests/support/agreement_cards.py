"""The peer-mentoring agreement cards, rendered with realistic data for
tests/test_card_validation.py, which parses every card the bot can send."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from cards import agreements, reports
from cards.i18n import Texts
from dialogs.flows.agreements import LIMITS
from dialogs.rules.limits import MAX_COMMENT_CHARACTERS
from dialogs.rules.periods import parse_period
from dialogs.rules.stats import changes
from storage.collaboration_stats import AgreementFigures
from storage.stats_repository import Figures
from tests.support.time import WEDNESDAY_MORNING

Add = Callable[[Callable, str, dict], None]
# The most the form allows: five goals of 300 characters.
LONG_GOALS = tuple(f"{n}. " + "Osaan käyttää pivot-taulukoita raportoinnissa ja päivitän ne itse. " * 4
                   for n in range(1, 6))
VIEW = agreements.AgreementView(
    agreement_id=12, topic="Excelin pivot-taulukot", mentor_name="Pekka Korhonen", mentee="Maija Virtanen",
    starts=date(2026, 11, 25), ends=date(2026, 12, 23), planned_meetings=4, minutes_per_meeting=45, state="active",
    goals=("Osaan tehdä pivot-taulukon", "Päivitän raportin itse"), meetings_logged=2, minutes_logged=75)


def render_agreement_cards(add: Add) -> None:
    fi, sv, en = Texts("fi"), Texts("sv"), Texts("en")
    for texts in (fi, sv, en):
        lang = texts.language
        add(agreements.agreement_form_card, lang, agreements.agreement_form_card(
            texts, form="0" * 32, limits=LIMITS, today=date(2026, 11, 25)))
        add(agreements.proposal_card, lang, agreements.proposal_card(texts, replace(VIEW, state="proposed")))
        add(agreements.agreement_card, f"{lang}/the mentor, running", agreements.agreement_card(
            texts, VIEW, mentor=True, notice=texts("agreements.reminder", number=2, id=12, topic=VIEW.topic,
                                                   day="9.12.2026")))
        add(agreements.closing_card, lang, agreements.closing_card(texts, replace(VIEW, state="closed"),
                                                                   comment_limit=MAX_COMMENT_CHARACTERS))
        add(agreements.evaluation_thanks_card, lang, agreements.evaluation_thanks_card(
            texts, VIEW, {1: "yes", 2: "partly"}, 4))
        add(agreements.my_agreements_card, f"{lang}/none", agreements.my_agreements_card(texts, []))
    team = replace(VIEW, mentee="Kotihoito, Pohjoinen alue", team=True, goals=LONG_GOALS)
    add(agreements.proposal_card, "fi/a team, five long goals", agreements.proposal_card(
        fi, replace(team, state="proposed")))
    add(agreements.agreement_card, "fi/the mentee, running", agreements.agreement_card(fi, VIEW, mentor=False))
    add(agreements.agreement_card, "sv/the mentor, proposed", agreements.agreement_card(
        sv, replace(VIEW, state="proposed"), mentor=True))
    add(agreements.agreement_card, "en/declined", agreements.agreement_card(en, replace(VIEW, state="declined"),
                                                                             mentor=True))
    add(agreements.closing_card, "fi/five long goals", agreements.closing_card(
        fi, replace(team, state="closed"), comment_limit=MAX_COMMENT_CHARACTERS))
    states = ("proposed", "active", "closed", "declined", "withdrawn")
    rows = [(replace(VIEW, agreement_id=n, state=states[n % 5], topic=f"Aihe {n}: " + "Teams-kokoukset " * 5),
             n % 2 == 0, n % 3 == 0) for n in range(10)]
    add(agreements.my_agreements_card, "fi/10 agreements", agreements.my_agreements_card(fi, rows))
    october = parse_period("2026-10", WEDNESDAY_MORNING)
    figures = Figures(questions=40, agreements=AgreementFigures(
        active=6, started=3, declined=1, closed=2, meetings=14, minutes=630, goals={"yes": 7, "partly": 3, "no": 1},
        rating_count=4, rating_mean=None, rating_hidden=True))
    add(reports.stats_card, "fi/with agreements", reports.stats_card(
        fi, scope="Sote", period=october, previous_period=october.previous(), figures=figures,
        delta=changes(figures, Figures())))
