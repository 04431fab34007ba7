"""The mentor network's pure rules, tested directly: coverage, the IT helpdesk routing, the
announcement form and the impact figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dialogs.rules.announcements import Draft, dedupe_key, open_rollout, read_form, staff_due_at, window
from dialogs.rules.coverage import CoverageSummary, duration, on_duty_this_week, summarise
from dialogs.rules.helpdesk import (
    ANSWER_WITH_HELPDESK,
    HELPDESK,
    Referral,
    fault_kind,
    parse_referral,
    route,
    split_named,
)
from storage.coverage_repository import UnitCoverageRecord, UnitMentor
from tests.support.time import WEDNESDAY_MORNING

NOW = WEDNESDAY_MORNING  # Wednesday 25 Nov 2026; the week ends on Monday 30 Nov at 00:00 in Helsinki


@pytest.mark.parametrize(("status", "away_until", "on_duty"), [
    ("available", None, True),
    ("away", None, False),  # until further notice
    ("away", NOW + timedelta(hours=3), True),  # back today
    ("away", NOW + timedelta(days=4, hours=13), True),  # Sunday evening
    ("away", NOW + timedelta(days=5), False),  # Monday: next week
])
def test_on_duty_this_week(status, away_until, on_duty):
    assert on_duty_this_week(UnitMentor(1, "Pekka", status, away_until), NOW) is on_duty


@pytest.mark.parametrize(("days", "reads"), [(0, (0, "days")), (13, (13, "days")), (14, (2, "weeks")),
                                             (60, (8, "weeks")), (61, (2, "months")), (400, (13, "months"))])
def test_how_long_a_unit_has_had_a_mentor_reads_naturally(days, reads):
    assert duration(NOW - timedelta(days=days, hours=1), NOW) == reads


def test_the_share_and_the_goal():
    mentor = UnitMentor(1, "Pekka", "available", None)
    units = [UnitCoverageRecord("a", 3, (mentor,), NOW), UnitCoverageRecord("b", 1, (), None),
             UnitCoverageRecord("c", 2, (mentor,), NOW)]
    summary = summarise(units, goal=100)
    assert (summary.covered, summary.counted, summary.short_of_goal, summary.meets_goal) == (2, 3, 1, False)
    assert summary.share == pytest.approx(2 / 3)
    assert summarise(units, goal=60).meets_goal and summarise(units, goal=60).short_of_goal == 0
    # 67 % of 3 units is 2.01 units: a third one is needed.
    assert CoverageSummary(2, 3, 67).short_of_goal == 1
    assert CoverageSummary(0, 0, 100).share is None and CoverageSummary(0, 0, 100).meets_goal


# -- the IT helpdesk ------------------------------------------------------------------------------



@pytest.mark.parametrize(("question", "kind"), [
    ("tunnukseni on lukittu", "locked_account"),
    ("Tunnus lukkiutui liian monesta väärästä yrityksestä", "locked_account"),
    ("kontot är låst", "locked_account"),
    ("I'm locked out of my account", "locked_account"),
    ("työpuhelimen näyttö hajosi", "broken_device"),
    ("läppäri ei käynnisty", "broken_device"),
    ("jobbtelefonen laddar inte", "broken_device"),
    ("my laptop won't turn on", "broken_device"),
    ("Outlook antaa virhekoodin 0x800CCC0E", "error_code"),
    ("kirjautuessa tulee AADSTS50076", "error_code"),
    ("Teams näyttää virheen caa20003", "error_code"),
    ("error 500 when I open the intranet", "error_code"),
    # Know-how: the words are there, but not a fault.
    ("miten lukitsen näytön kun lähden tauolle", None),
    ("how do I lock my screen", None),
    ("miten vaihdan salasanan", None),
    ("miten jaan näytön teamsissa", None),
    ("tulostin ei tulosta kaksipuoleisesti", None),
    ("", None),
])
def test_what_reads_as_a_fault(question, kind):
    assert fault_kind(question) == kind


@pytest.mark.parametrize(("answered", "entry", "suggested", "fault", "known", "shown", "reason"), [
    (True, False, False, "error_code", True, None, None),  # a confident answer wins
    (True, True, False, None, True, ANSWER_WITH_HELPDESK, "entry"),
    (True, True, False, None, False, None, None),  # no contact to give
    (False, False, False, "locked_account", True, HELPDESK, "locked_account"),
    (False, False, True, None, True, HELPDESK, "entry"),
    (False, False, False, "locked_account", False, None, None),
    (False, False, False, None, True, None, None),
])
def test_routing_beside_the_faq_matching(answered, entry, suggested, fault, known, shown, reason):
    routing = route(answered=answered, answered_by_helpdesk_entry=entry, suggested_helpdesk_entry=suggested,
                    fault=fault, helpdesk_known=known)
    assert (routing.shown, routing.reason) == (shown, reason)


def test_a_referral_names_someone_by_e_mail_or_by_name():
    assert parse_referral("@Maija.Virtanen@example.fi: miten jaan kalenterin") == Referral(
        "maija.virtanen@example.fi", None, "miten jaan kalenterin", True)
    assert parse_referral("maija@example.fi miten") == Referral("maija@example.fi", None, "miten", True)
    assert parse_referral("@Maija Virtanen miten") == Referral(None, "Maija Virtanen miten", None, True)
    assert parse_referral("Maija Virtanen miten") == Referral(None, "Maija Virtanen miten", None, False)
    assert parse_referral("  ") is None
    names = ["Maija", "Maija Virtanen", "Pekka Korhonen"]
    assert split_named("maija virtanen, miten jaan", names) == ("maija virtanen", "miten jaan")
    assert split_named("Maija Virtanen", names) == ("maija virtanen", "")
    assert split_named("Maijaliisa kysyy", names) is None  # a name must end where a word ends


# -- the announcement form ----------------------------------------------------------------------


TODAY = date(2026, 11, 25)
GOOD = {"title": " Uusi  ajanvaraus ", "text": "Rivi 1\nRivi 2", "units": "ward-3, ward-5", "starts": "2026-11-26",
        "links": "Ohjevideo – https://intra.example.fi/video\n\nhttps://intra.example.fi/ohje",
        "faq_entries": "password-reset", "form_id": "abc"}


def form(**change):
    return read_form({**GOOD, **change}, today=TODAY, units_allowed={"ward-3", "ward-5", "sote"},
                     units_known={"ward-3", "ward-5", "sote", "hr"}, faq_known={"password-reset"})


def test_a_good_form_reads_whole():
    draft = form()
    assert draft == Draft("Uusi ajanvaraus", "Rivi 1\nRivi 2",
                          (("Ohjevideo", "https://intra.example.fi/video"),
                           ("intra.example.fi", "https://intra.example.fi/ohje")),
                          ("password-reset",), ("ward-3", "ward-5"), date(2026, 11, 26), None, "abc")
    assert form(ends="2026-12-18").ends_on == date(2026, 12, 18)
    assert form(starts="2026-11-25").starts_on == TODAY  # today is fine


def test_every_problem_of_a_bad_form_is_listed_at_once():
    problems = [key for key, _ in form(title="", units="hr,nowhere", starts="huomenna", links="www.example.fi")]
    assert problems == ["title_missing", "unit_not_yours", "unit_unknown", "starts_bad", "link_bad"]


def test_the_moments_an_announcement_lives_by():
    # Working hours begin at 08:00 in Helsinki (06:00 UTC in winter).
    assert staff_due_at(date(2026, 11, 26), "08:00") == datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    assert window(date(2026, 11, 26), date(2026, 12, 18)) == (datetime(2026, 11, 25, 22, 0, tzinfo=UTC),
                                                             datetime(2026, 12, 18, 22, 0, tzinfo=UTC))
    assert window(date(2026, 11, 26), None)[1] == datetime(2026, 12, 23, 22, 0, tzinfo=UTC)  # four weeks


def test_a_question_is_tagged_with_the_latest_started_rollout_open_at_that_moment():
    thursday, friday, monday = (datetime(2026, 11, d, 22, 0, tzinfo=UTC) for d in (25, 26, 29))
    windows = [(7, thursday, monday), (8, friday, monday + timedelta(days=7)), (9, monday, monday)]
    assert open_rollout(windows, thursday - timedelta(seconds=1)) is None  # not yet open
    assert open_rollout(windows, thursday) == 7
    assert open_rollout(windows, friday + timedelta(hours=1)) == 8  # both open: the later started
    assert open_rollout(windows, monday) == 8  # 7 ended at the first moment of Monday; 9 is empty
    assert open_rollout([], friday) is None


def test_the_same_form_sent_twice_is_one_announcement():
    draft = form()
    assert dedupe_key("kaisa", draft) == dedupe_key("kaisa", form(text="muutettu"))  # the form's own id
    assert dedupe_key("kaisa", draft) != dedupe_key("kaisa", form(form_id="other"))
    assert dedupe_key("kaisa", draft) != dedupe_key("pekka", draft)
    without = form(form_id="")
    assert dedupe_key("kaisa", without) == dedupe_key("kaisa", form(form_id=""))
    assert dedupe_key("kaisa", without) != dedupe_key("kaisa", form(form_id="", text="muutettu"))


# -- impact ---------------------------------------------------------------------------------------


def test_the_saving_rests_on_the_assumptions_and_small_groups_stay_hidden():
    from dialogs.rules.impact import Assumptions, changes, impact
    from storage.impact_repository import ImpactFigures

    assumptions = Assumptions(minutes_per_faq_answer=5, minutes_per_helpdesk_contact=15)
    figures = ImpactFigures(faq_answers=24, mentor_helped=6, people_reached=20, mentor_minutes=150,
                            allowance_minutes=600, satisfaction_count=4, satisfaction_sum=18, helpdesk_answers=4,
                            helpdesk_avoided=3)
    whole = impact(figures, assumptions, None, whole_organisation=True)
    assert (whole.hours_saved, whole.helpdesk_share, whole.satisfaction_mean) == (2.8, 0.75, 4.5)  # (120 + 45) / 60
    assert (whole.mentor_hours, whole.allowance_hours, whole.allowance_share) == (2.5, 10.0, 0.25)
    unit = impact(figures, assumptions, None, whole_organisation=False)
    assert (unit.satisfaction_hidden, unit.helpdesk_hidden) == (True, True)
    assert (unit.satisfaction_mean, unit.helpdesk_share, unit.hours_saved) == (None, None, 2.0)  # FAQ part only
    # A change must not reveal a protected figure either.
    before = impact(ImpactFigures(faq_answers=10), assumptions, None, whole_organisation=False)
    delta = changes(unit, before)
    assert delta["faq_answers"] == 14 and delta["hours_saved"] is None and delta["satisfaction_mean"] is None
    five = impact(ImpactFigures(satisfaction_count=5, satisfaction_sum=20, helpdesk_answers=5, helpdesk_avoided=1),
                  assumptions, None, whole_organisation=False)
    assert (five.satisfaction_mean, five.helpdesk_share) == (4.0, 0.2)
