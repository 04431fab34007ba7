"""Every Adaptive Card the bot can send, parsed by Microsoft's Adaptive Cards JavaScript library.

Each builder in cards/ is rendered with realistic data (mostly Finnish, some Swedish and English;
the FAQ answer card for every shipped FAQ entry in every language), the cards are dumped to one
JSON file, and tests/js/validate_cards.mjs parses them with the npm package `adaptivecards`
(pinned in tests/js/package-lock.json, installed here with `npm ci` when missing) at target
version 1.5, the most Teams renders. A card passes with no parse event, no validation event and
no property unknown to the library, declares version 1.5, and stays under 28 KB.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

import cards
from cards import faq, faq_admin, reports, requests, survey, survey_admin, survey_results, welcome
from cards import help as help_cards
from cards.i18n import Texts
from cards.requests import RequestView
from dialogs.flows.faq_library import EntryView
from dialogs.rules.faq_file import parse_faq_file
from dialogs.rules.gap_groups import GapGroup
from dialogs.rules.limits import (
    MAX_COMMENT_CHARACTERS,
    MAX_FAQ_PROPOSAL_CHARACTERS,
    MAX_MINUTES_PER_ENTRY,
    MAX_WEEKLY_MINUTES,
)
from dialogs.rules.periods import parse_period
from dialogs.rules.stats import changes, protect_small_groups
from storage.faq_repository import FaqLink
from storage.mentor_repository import MentorCandidate
from storage.stats_repository import Figures, MentorMinutes
from tests.support.agreement_cards import render_agreement_cards
from tests.support.helper_cards import render_helper_cards
from tests.support.network_cards import render_network_cards
from tests.support.session_cards import render_session_cards
from tests.support.time import WEDNESDAY_MORNING

ROOT = Path(__file__).resolve().parent.parent
JS_DIR = ROOT / "tests" / "js"
VALIDATOR = JS_DIR / "validate_cards.mjs"
SEED_FAQ = ROOT / "storage" / "seed" / "faq.yaml"
MAX_CARD_BYTES = 28 * 1024
CHAT_URL = "https://teams.microsoft.com/l/chat/0/0?users=8:orgid:00000000-0000-0000-0000-0000000000b1"


# -- realistic data ---------------------------------------------------------------------------

ASKER = "00000000-0000-0000-0000-0000000000a1"
MENTOR = "00000000-0000-0000-0000-0000000000b1"


def request_view(language: str, **overrides) -> RequestView:
    base = {
        "fi": dict(question="Miten saan Teams-kokouksen tallenteen jaettua koko tiimille? Tallenne näkyy vain "
                            "minulle, ja asiakkaan [henkilötunnus] näkyy otsikossa.",
                   asker_name="Maija Virtanen", asker_unit="Osasto 3"),
        "sv": dict(question="Hur delar jag min skärm i ett Teams-möte när jag har två bildskärmar?",
                   asker_name="Sara Svensson", asker_unit="Hemvården, Västra området"),
        "en": dict(question="How do I book a remote appointment so that the client gets the link by text message?",
                   asker_name="Alex Smith", asker_unit="Health and social services"),
    }[language]
    values = dict(request_id=1042, asker_aad_object_id=ASKER, language=language, waiting_minutes=7,
                  mentor_name="Pekka Korhonen", mentor_aad_object_id=MENTOR, topic="teams", **base)
    values.update(overrides)
    return RequestView(**values)


def seed_views() -> list[EntryView]:
    views = []
    for entry in parse_faq_file(SEED_FAQ.read_text(encoding="utf-8"), SEED_FAQ.name):
        for language, text in entry.texts.items():
            views.append(EntryView(entry.id, language, text.question, text.answer, tuple(entry.links)))
    return views


SEED = seed_views()
LONGEST = max(SEED, key=lambda view: len(json.dumps(view.answer)))
LINKS = (
    FaqLink(title="Tallenna kokous Teamsissa", url="https://support.microsoft.com/fi-fi/office/record-a-meeting"),
    FaqLink(title="Organisaation Teams-ohjeet", url="https://intra.example.fi/ohjeet/teams"),
)


def faq_view(language: str = "fi", **overrides) -> EntryView:
    view = next(v for v in SEED if v.entry_id == "teams-record-meeting" and v.language == language)
    return dataclasses.replace(view, **overrides)


MENTORS = tuple(MentorMinutes(name=f"{first} {last}", unit_id=f"unit-{index % 4}", minutes=minutes, allowance=520)
                for index, (first, last, minutes) in enumerate([
                    ("Pekka", "Korhonen", 515), ("Aino", "Mäkinen", 380), ("Sari", "Nieminen", 122),
                    ("Juha", "Heikkinen", 95), ("Liisa", "Järvinen", 610), ("Erik", "Lindström", 45),
                    ("Hanna", "Koskinen", 240), ("Mikko", "Laine", 0), ("Tiina", "Lehtonen", 75),
                    ("Ville", "Hämäläinen", 300), ("Anna", "Salminen", 15), ("Kalle", "Heinonen", 90),
                    ("Riikka", "Ahonen", 150), ("Jussi", "Räsänen", 60), ("Maria", "Åberg", 200),
                    ("Oskari", "Turunen", 30)]))  # 16: the card shows 15
BUSY = Figures(questions=412, answered_by_faq=297, helpful=188, not_helpful=31, handed_to_mentors=96, accepted=88,
               accepted_in_time=71, accept_p50_minutes=4.5, accept_p90_minutes=17.0, resolved=81, cancelled=6,
               escalated=9, unanswered=19, satisfaction_count=54, satisfaction_mean=4.4,
               satisfaction_distribution={5: 31, 4: 15, 3: 5, 2: 2, 1: 1}, mentor_minutes=MENTORS,
               top_topics=(("teams", 140), ("outlook", 96), ("onedrive", 51), ("mfa", 38), ("webropol", 12)))
QUIETER = Figures(questions=350, answered_by_faq=240, helpful=150, not_helpful=40, handed_to_mentors=101,
                  accepted=90, accepted_in_time=60, accept_p50_minutes=6.0, accept_p90_minutes=25.5, resolved=80,
                  cancelled=8, escalated=14, unanswered=25, satisfaction_count=40, satisfaction_mean=4.1,
                  satisfaction_distribution={5: 20, 4: 12, 3: 5, 2: 2, 1: 1}, mentor_minutes=MENTORS[:10])
SMALL_UNIT = Figures(questions=12, answered_by_faq=8, helpful=5, handed_to_mentors=4, accepted=4, accepted_in_time=4,
                     accept_p50_minutes=3.0, accept_p90_minutes=8.0, resolved=4, satisfaction_count=3,
                     satisfaction_mean=4.7, satisfaction_distribution={5: 2, 4: 1}, mentor_minutes=MENTORS[:2],
                     top_topics=(("teams", 7),))
CANDIDATES = [MentorCandidate(person_id=200 + index, name=name, unit_id=unit, languages=("fi", "sv"),
                              topics=("teams", "outlook"), status=status, away_until=None, weekly_allowance=120,
                              minutes_this_week=minutes, reachable=True, has_conversation=True,
                              open_requests=index % 3, recent_requests=index)
              for index, (name, unit, status, minutes) in enumerate([
                  ("Pekka Korhonen", "ward-3", "available", 95), ("Aino Mäkinen", "ward-3", "away", 130),
                  ("Sari Nieminen", "kotihoito", "available", 20), ("Erik Lindström", "kotihoito", "available", 0),
                  ("Liisa Järvinen", "sote", "away", 45), ("Mikko Laine", None, "available", 60),
                  ("Tiina Lehtonen", "ward-3", "available", 110), ("Maria Åberg", "kotihoito", "away", 5)])]
STATS = [  # (variant, current, previous, whole organisation)
    ("whole organisation", BUSY, QUIETER, True),
    ("small unit, satisfaction hidden", SMALL_UNIT, Figures(), False),
    ("no data", Figures(), Figures(), False),
]
GAPS = [GapGroup(question_ids=tuple(range(900 + 10 * index, 900 + 10 * index + size)), representative=text,
                 unanswered=size - size // 3, not_helpful=size // 3)
        for index, (size, text) in enumerate([
            (9, "Miten saan Webropol-kyselyn tulokset Exceliin niin, että avoimet vastaukset tulevat mukaan?"),
            (7, "Etävastaanoton linkki ei aukea asiakkaan puhelimessa, mitä teen?"),
            (6, "Miten lisään jaetun postilaatikon Outlookiin puhelimella?"),
            (5, "Hur får jag Teams att visa undertexter på svenska?"),
            (4, "Tulostin ei löydä uutta kannettavaa, kenelle soitan?"),
            (4, "Miten siirrän vanhat tiedostot H-asemalta OneDriveen turvallisesti?"),
            (3, "Voiko Teams-kokouksen tallenteen jakaa ulkopuoliselle kumppanille?"),
            (3, "Miten vaihdan Authenticator-sovelluksen uuteen puhelimeen?"),
            (2, "PowerPointin esittäjänäkymä näkyy väärällä näytöllä"),
            (2, "Miten teen Excelissä pudotusvalikon?"),
        ])]


OCTOBER = parse_period("2025-10", WEDNESDAY_MORNING)
WORKING_LIMITS = {"minutes_limit": MAX_MINUTES_PER_ENTRY, "answer_limit": MAX_FAQ_PROPOSAL_CHARACTERS}


# -- every card -------------------------------------------------------------------------------

Rendered = list[tuple[str, str, dict]]  # (builder, variant, card)


def _roles(*roles: str) -> Callable[[str], bool]:
    return lambda role: role in roles


def render_all() -> Rendered:
    out: Rendered = []

    def add(builder: Callable, variant: str, card: dict) -> None:
        out.append((f"{builder.__module__}.{builder.__name__}", variant, card))

    fi, sv, en = Texts("fi"), Texts("sv"), Texts("en")
    by_language = {"fi": fi, "sv": sv, "en": en}

    for language, texts in by_language.items():
        add(welcome.welcome_card, language, welcome.welcome_card(texts, texts.list("welcome.examples")))
    for roles in ((), ("mentor",), ("mentor", "coordinator"), ("supervisor",), ("supervisor", "coordinator")):
        add(help_cards.help_card, f"fi/{'+'.join(roles) or 'employee'}", help_cards.help_card(fi, _roles(*roles)))
    for language in ("sv", "en"):
        add(help_cards.help_card, f"{language}/all roles",
            help_cards.help_card(by_language[language], _roles("mentor", "coordinator")))

    # The answer card for every shipped FAQ entry in every language, as a confident answer.
    for view in SEED:
        add(faq.answer_card, f"{view.language}/{view.entry_id}", faq.answer_card(by_language[view.language], view, 311))
    add(faq.answer_card, "fi/two links", faq.answer_card(fi, faq_view(links=LINKS), 311))
    add(faq.answer_card, "sv asker/finnish fallback", faq.answer_card(sv, faq_view("fi", fell_back=True), 311))
    add(faq.answer_card, "fi/preview after saving", faq.answer_card(fi, faq_view(), None))
    add(faq.answer_card, "en/without feedback", faq.answer_card(en, faq_view("en"), 311, with_feedback=False))
    suggestions = [v for v in SEED if v.language == "fi"][:3]
    add(faq.suggestions_card, "fi", faq.suggestions_card(fi, suggestions, 312))
    add(faq.suggestions_card, "sv", faq.suggestions_card(sv, [v for v in SEED if v.language == "sv"][3:6], 312))
    add(faq.no_answer_card, "fi", faq.no_answer_card(fi, 313))
    add(faq.no_answer_card, "en", faq.no_answer_card(en, 313))
    add(faq.feedback_thanks_card, "fi/helpful", faq.feedback_thanks_card(fi, faq_view(), 311, True))
    add(faq.feedback_thanks_card, "fi/not helpful", faq.feedback_thanks_card(fi, faq_view(), 311, False))
    add(faq.feedback_thanks_card, "sv/helpful", faq.feedback_thanks_card(sv, faq_view("sv"), 311, True))

    add(faq_admin.faq_form_card, "fi/new", faq_admin.faq_form_card(fi))
    add(faq_admin.faq_form_card, "fi/new with id", faq_admin.faq_form_card(fi, entry_id="teams-tausta"))
    add(faq_admin.faq_form_card, f"fi/editing {LONGEST.entry_id}", faq_admin.faq_form_card(
        fi, entry_id=LONGEST.entry_id, topic="outlook", language=LONGEST.language, question=LONGEST.title,
        variants=["kalenterin jakaminen", "oikeus nähdä toisen kalenteri"], answer=LONGEST.answer, editing=True))
    add(faq_admin.faq_form_card, "sv/mentor's proposal", faq_admin.faq_form_card(
        sv, entry_id="q-1042", language="sv", question=request_view("sv").question,
        answer="1. Välj **Dela** i mötet.\n2. Välj den bildskärm du vill dela."))

    fi_view, sv_view, en_view = request_view("fi"), request_view("sv"), request_view("en")
    waiting_long = request_view("fi", waiting_minutes=135, topic=None, asker_unit=None)
    no_mentor = request_view("fi", mentor_name=None, mentor_aad_object_id=None)
    for view, variant in ((fi_view, "fi"), (sv_view, "sv"), (en_view, "en"), (waiting_long, "fi/2 h, no unit")):
        add(requests.offer_card, variant, requests.offer_card(by_language[view.language], view))
        add(requests.coordinator_alert_card, variant, requests.coordinator_alert_card(by_language[view.language], view))
    for view, variant in ((fi_view, "fi"), (sv_view, "sv"), (no_mentor, "fi/mentor unknown")):
        texts = by_language[view.language]
        add(requests.taken_card, variant, requests.taken_card(texts, view))
        add(requests.asker_assigned_card, variant, requests.asker_assigned_card(texts, view, CHAT_URL))
        add(requests.feedback_card, variant, requests.feedback_card(texts, view, comment_limit=MAX_COMMENT_CHARACTERS))
    add(requests.asker_assigned_card, "fi/no chat link", requests.asker_assigned_card(fi, fi_view, ""))
    for view, variant in ((fi_view, "fi"), (sv_view, "sv")):
        texts = by_language[view.language]
        add(requests.working_card, variant, requests.working_card(texts, view, CHAT_URL, **WORKING_LIMITS))
        add(requests.resolved_mentor_card, variant, requests.resolved_mentor_card(texts, view, 25))
        add(requests.cancelled_offer_card, variant, requests.cancelled_offer_card(texts, view))
        add(requests.asker_waiting_card, variant, requests.asker_waiting_card(texts, view))
        add(requests.cancelled_card, variant, requests.cancelled_card(texts, view))
        for rating in (5, 1):
            add(requests.feedback_thanks_card, f"{variant}/{rating}",
                requests.feedback_thanks_card(texts, view, rating))
    add(requests.working_card, "fi/no chat link", requests.working_card(fi, fi_view, "", **WORKING_LIMITS))
    add(requests.working_card, "fi/with FAQ choices", requests.working_card(
        fi, fi_view, CHAT_URL, faq_choices=[(v.entry_id, v.title) for v in suggestions], **WORKING_LIMITS))
    add(requests.asker_waiting_card, "en", requests.asker_waiting_card(en, en_view))
    shown = [(v.entry_id, v.title, 1042) for v in suggestions]
    add(requests.asker_unanswered_card, "fi/3 suggestions", requests.asker_unanswered_card(fi, fi_view, shown))
    add(requests.asker_unanswered_card, "fi/none", requests.asker_unanswered_card(fi, fi_view, []))
    add(requests.asker_unanswered_card, "en/1 suggestion", requests.asker_unanswered_card(en, en_view, shown[:1]))
    many = [request_view("fi", request_id=1042 + i, waiting_minutes=5 + 40 * i) for i in range(5)]
    add(requests.my_requests_card, "fi/2 accepted, 3 offered", requests.my_requests_card(fi, many[:2], many[2:]))
    add(requests.my_requests_card, "fi/nothing", requests.my_requests_card(fi, [], []))
    add(requests.my_requests_card, "sv/1 offered", requests.my_requests_card(sv, [], [sv_view]))

    # Coordinator and mentor reports.
    for language, texts in by_language.items():
        for variant, current, previous, whole in STATS:
            shown_figures = protect_small_groups(current, whole_organisation=whole)
            delta = changes(current, previous)
            if shown_figures.satisfaction_hidden:
                delta["satisfaction_mean"] = None
            add(reports.stats_card, f"{language}/{variant}", reports.stats_card(
                texts, scope=texts("stats.whole_organisation") if whole else "Sosiaali- ja terveyspalvelut",
                period=OCTOBER, previous_period=OCTOBER.previous(), figures=shown_figures, delta=delta))
    add(reports.hours_card, "fi", reports.hours_card(fi, week=(95, 0, 0, 30), month=(410, 0, 0, 75),
                                                     weekly_allowance=120, month_allowance=520))
    add(reports.hours_card, "sv/nothing yet", reports.hours_card(sv, week=(0, 0, 0, 0), month=(0, 0, 0, 0),
                                                                 weekly_allowance=120, month_allowance=520))
    add(reports.hours_card, "en/over the allowance", reports.hours_card(
        en, week=(150, 60, 45, 45), month=(600, 120, 90, 90), weekly_allowance=120, month_allowance=520))
    add(reports.gaps_card, "fi/10 groups", reports.gaps_card(fi, GAPS, 30))
    add(reports.gaps_card, "fi/none", reports.gaps_card(fi, [], 30))
    add(reports.gaps_card, "sv/2 groups", reports.gaps_card(sv, GAPS[:2], 30))
    pending = [(700 + i, group.representative, suggestions[i % 3].title) for i, group in enumerate(GAPS[:8])]
    add(reports.gaps_card, "fi/8 variants and 10 groups", reports.gaps_card(fi, GAPS, 30, pending))
    add(reports.gaps_card, "en/variants only", reports.gaps_card(en, [], 30, pending[:2]))
    unit_names = {"ward-3": "Osasto 3", "kotihoito": "Kotihoito, Pohjoinen alue",
                  "sote": "Sosiaali- ja terveyspalvelut"}
    available = lambda mentor: mentor.status == "available"  # noqa: E731
    def mentors(texts: Texts, candidates: list, not_shown: int = 0) -> dict:
        return reports.mentors_card(texts, candidates, unit_names, available_now=available, not_shown=not_shown,
                                    allowance_limit=MAX_WEEKLY_MINUTES)

    add(reports.mentors_card, "fi/8 mentors", mentors(fi, CANDIDATES))
    add(reports.mentors_card, "fi/none", mentors(fi, []))
    add(reports.mentors_card, "sv/2 mentors", mentors(sv, CANDIDATES[:2]))
    add(reports.mentors_card, "fi/8 of 30 mentors", mentors(fi, CANDIDATES, not_shown=22))
    links = {"xlsx": "https://bot.example.fi/exports/abc.def/digimentor-2026-10.xlsx",
             "csv": "https://bot.example.fi/exports/abc.def/digimentor-2026-10.csv"}
    add(reports.export_card, "fi", reports.export_card(fi, period=OCTOBER, links=links, minutes=15))
    add(reports.export_card, "en", reports.export_card(en, period=parse_period("quarter", WEDNESDAY_MORNING),
                                                                  links=links, minutes=15))
    render_network_cards(add)
    render_session_cards(add)
    render_helper_cards(add, CANDIDATES)
    render_agreement_cards(add)
    out += render_survey(by_language)
    return out


SURVEY_NAMES = {"fi": "Digiosaamisen kartoitus", "sv": "Kartläggning av digital kompetens",
                "en": "Digital competence survey"}


def render_survey(by_language: dict[str, Texts]) -> Rendered:
    """The survey's cards, from the shipped instrument: every area's card in every language."""
    from dialogs.flows.survey_instruments import shipped_instrument

    out: Rendered = []

    def add(builder: Callable, variant: str, card: dict) -> None:
        out.append((f"{builder.__module__}.{builder.__name__}", variant, card))

    instrument, closes = shipped_instrument(), date(2026, 12, 9)
    longest_faq = [(view.title, view.answer) for view in sorted(SEED, key=lambda v: -len(v.answer))[:3]]
    for language, texts in by_language.items():
        name = SURVEY_NAMES[language]
        add(survey.invitation_card, language, survey.invitation_card(
            texts, round_id=3, survey_name=name, intro=instrument.intro(language), areas=5, minutes=10,
            closes_on=closes))
        add(survey.invitation_card, f"{language}/supervisor, reminder 2", survey.invitation_card(
            texts, round_id=3, survey_name=name, intro="", areas=5, minutes=10, closes_on=closes,
            supervisor_areas=3, reminder=2))
        labels = [(value, instrument.scale_label(value, language)) for value in (1, 2, 3, 4, 5, 0)]
        areas = instrument.sequence(supervisor=True)
        for number, area in enumerate(areas, start=1):
            page = survey.AreaPage(round_id=3, survey_name=name, area_id=area.id, title=area.title[language],
                                   number=number, of=len(areas), items=[(i.id, i.text[language]) for i in area.items],
                                   labels=labels, values={area.items[0].id: 4, area.items[1].id: 0}, revision=7,
                                   closes_on=closes)
            add(survey.area_card, f"{language}/{area.id}", survey.area_card(
                texts, page, problem=texts("survey_refusal.answer_all") if number == 2 else None))
        add(survey.paused_card, language, survey.paused_card(texts, round_id=3, survey_name=name, saved=2, of=5,
                                                             closes_on=closes))
        every_area_low = survey.Profile(round_id=3, survey_name=name, closes_on=closes, first_area=areas[0].id,
                                        areas=[survey.ProfileArea(a.id, a.title[language], 1.4, 6, 6, low=True,
                                                                  faq=longest_faq, bookable=True,
                                                                  booked=a.id == "ethics") for a in areas])
        add(survey.profile_card, f"{language}/every area low, the longest FAQ answers", survey.profile_card(
            texts, every_area_low))
        add(survey.profile_card, f"{language}/closed, nothing low", survey.profile_card(texts, survey.Profile(
            round_id=3, survey_name=name, open=False, areas=[survey.ProfileArea(
                a.id, a.title[language], 4.2 if a.audience == "everyone" else None, 4, 4) for a in areas])))
        add(survey.open_surveys_card, language, survey.open_surveys_card(texts, [(3, name, closes, 2, 5),
                                                                                 (4, name, closes, 0, 8)]))
        add(survey_admin.survey_form_card, language, survey_admin.survey_form_card(
            texts, instruments=[("digital-competence:1", f"{name} (1)")], instrument="digital-competence:1",
            units="sote", your_units=[("sote", "Sosiaali- ja terveyspalvelut")], closes="2026-12-09"))
        add(survey_admin.round_started_card, language, survey_admin.round_started_card(
            texts, round_id=3, survey_name=name, invited=1240, supervisors=61, units=["Sote", "Kotihoito"],
            closes_on=closes, pretest=False))
        statuses = [survey_admin.RoundStatus(round_id=3 + i, survey_name=name, pretest=i == 1, closes_on=closes,
                                             reminders_sent=1, invited=1240, answered=512, finished=430, paper=12,
                                             units=[(f"Yksikkö {n}", 40, n) for n in range(12)], more_units=288,
                                             may_close=True) for i in range(5)]
        add(survey_admin.status_card, f"{language}/5 rounds, 300 units each", survey_admin.status_card(
            texts, statuses))
        area_rows = [survey_results.AreaRow(a.title[language], 3.42 - 0.3 * i, 212, (0.05, 0.1, 0.15, 0.3, 0.3, 0.1),
                                            change=0.21 - 0.1 * i, previous=3.2,
                                            groups=[(texts("survey.group_staff"), 3.4),
                                                    (texts("survey.group_supervisors"), 3.1)])
                     if a.audience == "everyone" else survey_results.AreaRow(
                         a.title[language], None, None, hidden=texts("survey.fewer_than_five"))
                     for i, a in enumerate(areas)]
        units = [survey_results.UnitRow(f"Kotihoito, alue {n}", 12 + n, areas[n % 5].title[language], 2.1 + n / 10,
                                        change=-0.2) for n in range(10)]
        add(survey_results.results_card, f"{language}/whole organisation", survey_results.results_card(
            texts, survey_results.ResultsView(
                round_id=4, survey_name=name, scope=texts("stats.whole_organisation"), closed_on=closes,
                previous=(2, date(2026, 3, 31)), invited=1240, answered=812, paper=40, areas=area_rows, units=units,
                more_units=290, export_url="https://bot.example.fi/exports/abc.def/digimentor-survey-4.xlsx")))
        add(survey_results.results_card, f"{language}/one small unit, first round", survey_results.results_card(
            texts, survey_results.ResultsView(
                round_id=1, survey_name=name, scope="Osasto 3", closed_on=closes, previous=None, invited=4, answered=4,
                paper=0, areas=[survey_results.AreaRow(a.title[language], None, None) for a in areas],
                note=texts("survey.counted_in", unit="Osasto 3", home="Sote"), pretest=True)))
        twelve = [dataclasses.replace(area_rows[i % 5], title=f"{i + 1}. " + "Pitkä osa-alueen nimi " * 5)
                  for i in range(12)]
        add(survey_results.results_card, f"{language}/twelve long areas", survey_results.results_card(
            texts, survey_results.ResultsView(
                round_id=4, survey_name=name, scope="Sote", closed_on=closes, previous=(2, closes), invited=1240,
                answered=812, paper=40, areas=twelve, units=units, more_units=290,
                export_url="https://bot.example.fi/exports/abc.def/digimentor-survey-4.xlsx")))
        add(survey_results.survey_digest_card, language, survey_results.survey_digest_card(
            texts, round_id=4, survey_name=name, closed_on=closes,
            lows=[("Kotihoito", areas[3].title[language], 2.4, 31), ("Osasto 5", areas[4].title[language], 2.6, 12)]))
        add(survey_results.mentor_note_card, language, survey_results.mentor_note_card(
            texts, round_id=4, survey_name=name, unit="Kotihoito", area=areas[3].title[language], mean=2.4,
            respondents=31))
    return out


CARDS = render_all()


def card_builders() -> set[str]:
    """Every public `*_card` function defined in cards/ (base.adaptive_card is a building block)."""
    found = set()
    for module_info in pkgutil.iter_modules(cards.__path__):
        module = importlib.import_module(f"cards.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.endswith("_card") and not name.startswith("_") and function.__module__ == module.__name__:
                found.add(f"{module.__name__}.{name}")
    return found - {"cards.base.adaptive_card"}


# A card the library must complain about, so that a validator that checks nothing cannot pass.
CANARY = {
    "type": "AdaptiveCard", "version": "1.5",
    "body": [
        {"type": "TextBlock", "text": "x", "isSubtel": True},                       # a typo
        {"type": "Input.Text", "id": "q", "label": "Q", "isRequired": True},       # no errorMessage
        {"type": "Carousel", "pages": []},                                          # 1.6
    ],
    "actions": [{"type": "Action.Submit", "title": "t", "role": "Button"}],      # role is 1.6
}


# -- running the library ----------------------------------------------------------------------


def _install_library() -> None:
    if (JS_DIR / "node_modules" / "adaptivecards").is_dir():
        return
    if shutil.which("npm") is None:
        pytest.fail("npm is needed to install the adaptivecards library (Node.js 20 or later)")
    result = subprocess.run(["npm", "ci", "--prefix", str(JS_DIR), "--no-audit", "--no-fund"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"npm ci in tests/js failed:\n{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    if shutil.which("node") is None:
        pytest.fail("Node.js 20 or later is needed to run tests/js/validate_cards.mjs")
    _install_library()
    entries = [{"name": f"{builder}[{variant}]", "card": card} for builder, variant, card in CARDS]
    entries.append({"name": "canary", "card": CANARY})
    path = tmp_path_factory.mktemp("cards") / "cards.json"
    path.write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
    result = subprocess.run(["node", str(VALIDATOR), str(path)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    parsed = json.loads(result.stdout)
    assert parsed["library"]["name"] == "adaptivecards" and parsed["targetVersion"] == "1.5"
    parsed["by_name"] = {entry["name"]: entry for entry in parsed["cards"]}
    return parsed


def _problems(entry: dict) -> list[str]:
    return ([f"parse: {event['event']}: {event['message']}" for event in entry["parseEvents"]]
            + [f"validation: {event['event']}"
               + (f" ({event['source']} id={event['id']})" if event.get("id") else "")
               + f": {event['message']}" for event in entry["validationEvents"]]
            + [f"unknown property {item['path']}: {item['message']}" for item in entry["unknownProperties"]])


# -- tests ------------------------------------------------------------------------------------


def test_every_card_builder_is_rendered():
    assert {builder for builder, _, _ in CARDS} == card_builders()


def test_the_validator_reports_what_is_wrong_with_a_bad_card(report):
    canary = report["by_name"]["canary"]
    assert {event["event"] for event in canary["parseEvents"]} >= {"UnknownElementType", "UnsupportedProperty"}
    assert "RequiredInputsShouldHaveErrorMessage" in {event["event"] for event in canary["validationEvents"]}
    assert [item["path"] for item in canary["unknownProperties"]] == ["$.body[0].isSubtel"]


BUILDERS = sorted({builder for builder, _, _ in CARDS})


@pytest.mark.parametrize("builder", BUILDERS)
def test_the_library_parses_the_cards_without_errors_or_warnings(report, builder):
    failures = defaultdict(list)
    rendered = [(variant, card) for name, variant, card in CARDS if name == builder]
    for variant, card in rendered:
        entry = report["by_name"][f"{builder}[{variant}]"]
        if entry["version"] != "1.5" or card.get("version") != "1.5":
            failures[variant].append(f"version {card.get('version')!r} (library read {entry['version']!r})")
        failures[variant] += _problems(entry)
    failed = {variant: problems for variant, problems in failures.items() if problems}
    if failed:
        pytest.fail(f"{builder}: {len(failed)} of {len(rendered)} renders fail:\n" + "\n".join(
            f"  [{variant}] {problem}" for variant, problems in failed.items() for problem in problems),
            pytrace=False)


@pytest.mark.parametrize("builder", BUILDERS)
def test_the_cards_stay_under_28_kb(builder):
    sizes = {variant: len(json.dumps(card).encode()) for name, variant, card in CARDS if name == builder}
    too_big = {variant: size for variant, size in sizes.items() if size >= MAX_CARD_BYTES}
    assert not too_big, f"{builder}: {too_big} bytes (limit {MAX_CARD_BYTES})"

