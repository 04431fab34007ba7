"""The cards of the mentor network (coverage, announcements, the IT helpdesk, impact), rendered
with realistic data for tests/test_card_validation.py, which parses every card the bot can send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from cards import announcements, coverage, faq, helpdesk, impact, reports
from cards.i18n import Texts
from dialogs.flows.faq_library import EntryView
from dialogs.rules.coverage import CoverageSummary
from dialogs.rules.impact import Assumptions
from dialogs.rules.impact import changes as impact_changes
from dialogs.rules.impact import impact as impact_of
from dialogs.rules.periods import parse_period
from dialogs.rules.stats import changes
from storage.faq_repository import FaqLink
from storage.impact_repository import ImpactFigures
from storage.stats_repository import Figures
from tests.support.time import WEDNESDAY_MORNING

Add = Callable[[Callable, str, dict], None]
UNITS = ["Osasto 3", "Kotihoito, Pohjoinen alue", "Sosiaali- ja terveyspalvelut", "Ensiapu ja päivystys",
         "Hammashoitola, Keskusta", "Lastenneuvola"]


def _coverage_lines(count: int) -> list[coverage.UnitLine]:
    lines = []
    for index in range(count):
        names = ("Pekka Korhonen", "Ville Heikkinen", "Aino Mäkinen", "Sari Lehto")[:index % 5]
        since = WEDNESDAY_MORNING - timedelta(days=3 + 11 * index) if names else None
        lines.append(coverage.UnitLine(f"{UNITS[index % len(UNITS)]} {index + 1}", names, index % 3 != 1, since,
                                       (index + 1, ("days", "weeks", "months")[index % 3]) if names else None))
    return lines


def render_network_cards(add: Add) -> None:
    fi, sv, en = Texts("fi"), Texts("sv"), Texts("en")
    for texts in (fi, sv, en):
        summary = coverage.summary_text(texts, 7, 9, 7 / 9, 100, 2)
        add(coverage.coverage_card, f"{texts.language}/9 units",
            coverage.coverage_card(texts, scope=UNITS[2], summary=summary, lines=_coverage_lines(9)))
    # The most the card lists (dialogs.flows.coverage.MAX_LISTED), and the note of the rest.
    add(coverage.coverage_card, "fi/40 of 200 units", coverage.coverage_card(
        fi, scope=fi("stats.whole_organisation"), summary=coverage.summary_text(fi, 150, 200, 0.75, 100, 50),
        lines=_coverage_lines(40), not_shown=160))
    add(coverage.coverage_card, "fi/none", coverage.coverage_card(fi, scope=UNITS[0], summary="", lines=[]))
    candidates = [("00000000-0000-0000-0000-0000000000b2", "Ville Heikkinen", WEDNESDAY_MORNING - timedelta(days=2)),
                  ("00000000-0000-0000-0000-0000000000b1", "Pekka Korhonen", WEDNESDAY_MORNING - timedelta(days=9)),
                  ("00000000-0000-0000-0000-0000000000a1", "Maija Virtanen", WEDNESDAY_MORNING - timedelta(days=40))]
    for texts in (fi, sv, en):
        add(coverage.coverage_alert_card, f"{texts.language}/3 candidates",
            coverage.coverage_alert_card(texts, unit=UNITS[1], since=WEDNESDAY_MORNING, candidates=candidates))
    add(coverage.coverage_alert_card, "fi/no candidates",
        coverage.coverage_alert_card(fi, unit=UNITS[0], since=WEDNESDAY_MORNING, candidates=[]))
    week = parse_period("week", WEDNESDAY_MORNING).previous()
    figures = Figures(questions=42, answered_by_faq=30, handed_to_mentors=12, resolved=10)
    add(reports.stats_card, "fi/weekly digest with coverage", reports.stats_card(
        fi, scope=UNITS[2], period=week, previous_period=week.previous(), figures=figures,
        delta=changes(figures, Figures()), coverage=coverage.summary_text(fi, 7, 9, 7 / 9, 100, 2)))

    contact = {"name": {"fi": "Hyvinvointialueen IT-tuki", "sv": "Välfärdsområdets IT-support",
                        "en": "The county's IT helpdesk"},
               "phone": "+358 9 123 4567", "url": "https://tuki.example.fi/palvelupyynto",
               "hours": {"fi": "ma–pe 7.30–16.00", "sv": "mån–fre 7.30–16.00", "en": "Mon–Fri 7.30–16.00"}}
    phone_only = {"name": {"fi": "IT-tuki"}, "phone": "09 123 4567", "url": None, "hours": None}
    entry = EntryView("password-reset", "fi", "Unohdin salasanani tai se vanheni. Miten vaihdan sen itse?",
                      "1. Valitse **Unohdin salasanani**.\n2. Vahvista henkilöllisyytesi.\n3. Kirjoita uusi salasana.",
                      (FaqLink("Salasanan vaihto", "https://salasana.example.fi"),
                       FaqLink("Ohjevideo", "https://video.example.fi"), FaqLink("Intra", "https://intra.example.fi")),
                      helpdesk=True)
    for texts in (fi, sv, en):
        for reason in ("locked_account", "broken_device", "error_code", "entry"):
            add(helpdesk.helpdesk_card, f"{texts.language}/{reason}",
                helpdesk.helpdesk_card(texts, contact, reason, 314, [entry] if reason == "entry" else []))
    add(helpdesk.helpdesk_card, "fi/phone only, three suggestions",
        helpdesk.helpdesk_card(fi, phone_only, "locked_account", 314, [entry, entry, entry]))
    add(faq.answer_card, "fi/helpdesk entry with three links", faq.answer_card(fi, entry, 314, helpdesk=contact))
    add(faq.feedback_thanks_card, "fi/helpdesk entry", faq.feedback_thanks_card(fi, entry, 314, True,
                                                                                 helpdesk=contact))

    # Announcements: the form at its largest (dialogs.flows.announcements MAX_*_CHOICES), the
    # announcement with three links and three long FAQ answers, and the status of 40 units.
    many_units = [(f"unit-{n}", f"{UNITS[n % len(UNITS)]}, alue {n // len(UNITS) + 1}") for n in range(120)]
    long_answer = "\n".join(f"{n}. Valitse **Asetukset** ja sitten **Tili**; tarkista, että tiedot ovat oikein."
                             for n in range(1, 13))
    many_faq = [(f"entry-{n}", f"Miten teen asian numero {n} uudessa järjestelmässä?") for n in range(100)]
    recent = [(n, f"Uusi ajanvarausjärjestelmä {n}", date(2026, 11, 20 + n)) for n in range(5)]
    for texts in (fi, sv, en):
        add(announcements.announcement_form_card, f"{texts.language}/largest",
            announcements.announcement_form_card(texts, units=many_units, faq=many_faq, form_id="f" * 32,
                                                 today=date(2026, 11, 25), recent=recent))
    problems = [fi("announce.problems.title_missing"), fi("announce.problems.link_bad", line="ohje intra.fi"),
                fi("announce.problems.unit_not_yours", unit="hr")]
    add(announcements.announcement_form_card, "fi/with problems and values", announcements.announcement_form_card(
        fi, units=many_units[:8], faq=[], form_id="f1", today=date(2026, 11, 25), problems=problems,
        values={"text": "x" * 2000, "units": "unit-1,unit-2", "starts": "2026-11-26", "links": "ohje intra.fi"}))
    view = announcements.AnnouncementView(
        7, "Uusi ajanvarausjärjestelmä otetaan käyttöön", "Otamme käyttöön uuden ajanvarauksen. " * 50,
        (("Ohjevideo", "https://intra.example.fi/video"), ("Käyttöohje", "https://intra.example.fi/ohje"),
         ("Koulutukset", "https://intra.example.fi/koulutus")),
        tuple((f"Miten varaan ajan {n}?", long_answer) for n in range(3)), date(2026, 11, 26), date(2026, 12, 18))
    for texts in (fi, sv, en):
        add(announcements.announcement_card, f"{texts.language}/mentor",
            announcements.announcement_card(texts, view, for_mentor=True))
        add(announcements.announcement_card, f"{texts.language}/staff",
            announcements.announcement_card(texts, view, for_mentor=False))
    plain = announcements.AnnouncementView(8, "Teams-puhelut", "Siirrymme Teams-puheluihin.", (), (),
                                           date(2026, 12, 1), None)
    add(announcements.announcement_card, "fi/acknowledged, no links or answers, no end",
        announcements.announcement_card(fi, plain, for_mentor=True, acknowledged=True))
    rows = [announcements.StatusRow(f"{UNITS[n % len(UNITS)]} {n}", 2, 2, n % 3, 40 + n, 38 + n, n % 4)
            for n in range(40)]
    for texts in (fi, sv, en):
        add(announcements.announcement_status_card, f"{texts.language}/40 units, sent",
            announcements.announcement_status_card(texts, title=view.title, starts_on=view.starts_on,
                                                   ends_on=view.ends_on, staff_sent=True, rows=rows, questions=312,
                                                   not_shown=12))
    add(announcements.announcement_status_card, "fi/waiting for the start", announcements.announcement_status_card(
        fi, title=view.title, starts_on=view.starts_on, ends_on=None, staff_sent=False, rows=rows[:2], questions=0))

    # Impact: a busy month against a quieter one, a small unit with its protected figures, nothing.
    month = parse_period("month", WEDNESDAY_MORNING)
    assumptions = Assumptions(5, 15)
    busy = ImpactFigures(412, 96, 301, 2_280, 9_600, 80, 356, 70, 41, 23, 9)
    quiet = ImpactFigures(350, 80, 270, 1_900, 9_600, 66, 290, 51, 30, 19, 4)
    small = ImpactFigures(12, 3, 9, 95, 514, 3, 13, 2, 1, 1, 0)
    cases = [("whole organisation", busy, quiet, True, CoverageSummary(150, 200, 100), CoverageSummary(140, 200, 100)),
             ("small unit, protected", small, ImpactFigures(), False, CoverageSummary(1, 1, 100), None),
             ("nothing yet", ImpactFigures(), ImpactFigures(), False, None, None)]
    for texts in (fi, sv, en):
        for variant, now, before, whole, coverage_now, coverage_before in cases:
            current = impact_of(now, assumptions, coverage_now, whole_organisation=whole)
            previous = impact_of(before, assumptions, coverage_before, whole_organisation=whole)
            add(impact.impact_card, f"{texts.language}/{variant}", impact.impact_card(
                texts, scope=UNITS[2], period=month, previous_period=month.previous(), current=current,
                previous=previous, delta=impact_changes(current, previous), assumptions=assumptions,
                excel_url="https://bot.example.fi/exports/abc.def/digimentor-impact-2026-11.xlsx"))
