"""The survey's pure rules: the answering dialog's moves, a round's calendar, the small-group
rule that no subtraction can get around, and what counts mean."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time

import pytest

from dialogs.commands import Command, parse_command
from dialogs.rules.periods import HELSINKI
from dialogs.rules.survey_privacy import groups_shown, homes_in_area, reporting_homes
from dialogs.rules.survey_results import change, figure, lowest
from dialogs.rules.survey_rounds import (
    BadDate,
    closing_moment,
    due_reminder,
    last_day,
    parse_closing_date,
    parse_unit_list,
    reminder_times,
)
from dialogs.survey_dialog import BACK, NEXT, STOP, DialogState, NotInSequence, SurveyDialog, UnknownDirection
from storage.survey_results import Counts
from tests.support.time import WEDNESDAY_MORNING

AREAS = ("a", "b", "c", "d", "e")
START = DialogState(0, frozenset(), 0)


def test_next_and_back_move_from_the_clicked_area_and_the_end_is_the_profile():
    dialog = SurveyDialog(AREAS)
    step = dialog.answer(START, "a", NEXT)
    assert (dialog.current(step.state), step.state.saved, step.state.revision) == ("b", {"a"}, 1)
    step = dialog.answer(step.state, "b", BACK)
    assert dialog.current(step.state) == "a" and step.state.saved == {"a", "b"}
    assert dialog.current(dialog.answer(START, "a", BACK).state) == "a"  # nothing before the first
    last = dialog.answer(step.state, "e", NEXT)
    assert last.reached_end and dialog.current(last.state) is None
    assert dialog.progress("b") == (2, 5)


def test_a_double_click_lands_where_one_click_does():
    dialog = SurveyDialog(AREAS)
    once = dialog.answer(START, "b", NEXT).state
    twice = dialog.answer(once, "b", NEXT).state
    assert dialog.current(once) == dialog.current(twice) == "c"


def test_stop_stays_on_the_area_and_resume_goes_where_asked():
    dialog = SurveyDialog(AREAS)
    paused = dialog.answer(START, "c", STOP)
    assert paused.paused and dialog.current(paused.state) == "c"
    assert dialog.resume(paused.state) == paused.state
    assert dialog.current(dialog.resume(paused.state, "a")) == "a"


def test_an_area_outside_the_sequence_or_an_unknown_direction_is_refused():
    dialog = SurveyDialog(AREAS)
    with pytest.raises(NotInSequence):
        dialog.answer(START, "supervisors-only", NEXT)
    with pytest.raises(UnknownDirection):
        dialog.answer(START, "a", "sideways")


def test_the_closing_date_is_today_at_the_earliest_and_120_days_ahead_at_the_latest():
    now = WEDNESDAY_MORNING  # Wednesday 25 Nov 2026
    assert parse_closing_date("2026-11-25", now) == date(2026, 11, 25)
    assert parse_closing_date("2027-03-25", now) == date(2027, 3, 25)  # 120 days ahead
    for text, reason in (("25.11.2026", "bad_date"), ("2026-02-30", "bad_date"), ("", "bad_date"),
                         ("2026-11-24", "date_past"), ("2027-03-26", "date_far")):
        with pytest.raises(BadDate) as refused:
            parse_closing_date(text, now)
        assert refused.value.reason == reason, text
    closes = closing_moment(date(2026, 12, 9))
    assert closes.astimezone(HELSINKI).isoformat() == "2026-12-10T00:00:00+02:00"
    assert last_day(closes) == date(2026, 12, 9)


def test_reminders_come_in_the_middle_and_on_the_last_working_morning_never_on_the_first_day():
    opened = WEDNESDAY_MORNING

    def local(d: date) -> list[str]:
        return [t.astimezone(HELSINKI).strftime("%a %d.%m. %H:%M") for t in
                reminder_times(opened, closing_moment(d), time(8, 0))]

    assert local(date(2026, 11, 25)) == []  # a one-day round
    assert local(date(2026, 11, 26)) == ["Thu 26.11. 08:00"]
    assert local(date(2026, 12, 9)) == ["Wed 02.12. 08:00", "Wed 09.12. 08:00"]
    assert local(date(2026, 12, 12)) == ["Fri 04.12. 08:00", "Fri 11.12. 08:00"]  # Saturday's round: Friday


def test_only_the_latest_due_reminder_goes_and_each_once():
    times = (datetime(2026, 12, 2, 6, tzinfo=UTC), datetime(2026, 12, 9, 6, tzinfo=UTC))
    assert due_reminder(times, 0, datetime(2026, 12, 1, tzinfo=UTC)) is None
    assert due_reminder(times, 0, datetime(2026, 12, 3, tzinfo=UTC)) == 1
    assert due_reminder(times, 1, datetime(2026, 12, 3, tzinfo=UTC)) is None
    assert due_reminder(times, 0, datetime(2026, 12, 9, 7, tzinfo=UTC)) == 2  # after a pause: not two at once
    assert due_reminder(times, 2, datetime(2026, 12, 9, 7, tzinfo=UTC)) is None


def test_unit_lists_are_read_leniently():
    assert parse_unit_list(" ward-3, ward-5;hr  ward-3 ") == ["ward-3", "ward-5", "hr"]
    assert parse_unit_list(None) == parse_unit_list("") == []


PARENTS = {"hva": None, "sote": "hva", "ward-3": "sote", "ward-5": "sote", "hr": "hva", "ward-7": "sote"}


def test_a_unit_of_five_is_reported_on_its_own_and_a_smaller_one_in_the_unit_above_it():
    assert homes_in_area({"ward-3": 5, "ward-5": 7, "hr": 5}, PARENTS) == {"ward-3": "ward-3", "ward-5": "ward-5",
                                                                           "hr": "hr"}
    assert homes_in_area({"ward-3": 2, "ward-7": 3, "ward-5": 7}, PARENTS) == {
        "ward-3": "sote", "ward-7": "sote", "ward-5": "ward-5"}


def test_a_leftover_under_five_takes_in_the_smallest_reported_unit_beside_it():
    # Four in ward-3 beside six in ward-5: sote minus ward-5 would be ward-3's four.
    assert homes_in_area({"ward-3": 4, "ward-5": 6, "hr": 9}, PARENTS) == {
        "ward-3": "sote", "ward-5": "sote", "hr": "hr"}
    assert homes_in_area({"ward-3": 4}, PARENTS) == {"ward-3": None}  # the whole organisation has four


@pytest.mark.parametrize("counts", [
    {"ward-3": 4, "ward-5": 6, "hr": 5}, {"ward-3": 1, "ward-5": 5, "ward-7": 5, "hr": 2, "sote": 1},
    {"ward-3": 3, "ward-7": 3, "ward-5": 30, "hr": 4, "hva": 1}, {"ward-3": 6, "ward-5": 6, "hr": 6, "sote": 2},
])
def test_no_figure_any_scope_shows_can_be_subtracted_from_another_to_leave_fewer_than_five(counts):
    homes = homes_in_area(counts, PARENTS)
    cells: dict[str, int] = {}
    for unit, home in homes.items():
        cells[home] = cells.get(home, 0) + counts[unit]
    assert None not in cells and all(size >= 5 for size in cells.values())  # nobody is lost here
    # Every scope shows the sum of the cells whose home lies in it; so does every difference.
    scopes = [{u for u in PARENTS if u == root or _under(u, root)} for root in PARENTS]
    sums = [sum(size for home, size in cells.items() if home in scope) for scope in scopes]
    for one, other in itertools.combinations(sums, 2):
        assert abs(one - other) == 0 or abs(one - other) >= 5


def _under(unit: str, root: str) -> bool:
    while unit is not None:
        unit = PARENTS.get(unit)
        if unit == root:
            return True
    return False


def test_homes_are_found_per_area():
    homes = reporting_homes({("ward-3", "ethics"): 5, ("ward-3", "ict"): 2, ("ward-5", "ict"): 9}, PARENTS)
    assert homes == {("ward-3", "ethics"): "ward-3", ("ward-3", "ict"): "sote", ("ward-5", "ict"): "sote"}


def test_staff_groups_are_told_apart_only_when_every_group_has_five():
    assert groups_shown([20, 5]) and not groups_shown([20, 4]) and not groups_shown([20, 0])


def test_a_figure_has_a_mean_of_the_scale_without_cant_say_and_shares_of_all_answers():
    shown = figure(Counts("ethics", 5, (2, 0, 3, 3, 2, 0)))
    assert shown.mean == pytest.approx(23 / 8, abs=0.005) and shown.shares[0] == 0.2 and not shown.hidden
    hidden = figure(Counts("ethics", 4, (0, 0, 4, 4, 4, 4)))
    assert hidden.hidden and hidden.mean is None and hidden.shares == ()
    assert figure(Counts("ethics", 6, (6, 0, 0, 0, 0, 0))).mean is None  # only "can't say"
    assert change(shown, figure(Counts("ethics", 8, (0, 0, 8, 0, 0, 0)))) == pytest.approx(0.88)
    assert change(shown, hidden) is None


def test_the_lowest_are_one_area_per_unit_of_everyones_areas():
    per_home = [Counts("ethics", 6, (0, 3, 3, 0, 0, 0), home="ward-5"), Counts("ict", 6, (0, 0, 6, 0, 0, 0),
                                                                              home="ward-5"),
                Counts("ethics", 5, (0, 0, 0, 5, 0, 0), home="hr"), Counts("leading", 5, (0, 5, 0, 0, 0, 0),
                                                                          home="hr")]
    assert [(low.unit_id, low.area_id, low.mean) for low in lowest(per_home, ["ethics", "ict"])] == [
        ("ward-5", "ethics", 1.5), ("hr", "ethics", 3.0)]


@pytest.mark.parametrize(("text", "expected", "roles"), [
    ("survey", Command("survey", "", None), ("coordinator",)),
    ("kartoitus", Command("survey", "", "fi"), ("coordinator",)),
    ("kartläggning", Command("survey", "", "sv"), ("coordinator",)),
    ("kartoitus tila", Command("survey", "tila", "fi"), ("coordinator", "supervisor")),
    ("kartläggning status", Command("survey", "status", "sv"), ("coordinator", "supervisor")),
    ("survey results 3 ward-3", Command("survey", "results 3 ward-3", None), ("coordinator", "supervisor")),
    ("survey tulokset", Command("survey", "tulokset", "fi"), ("coordinator", "supervisor")),
])
def test_survey_commands_in_three_languages(text, expected, roles):
    command = parse_command(text)
    assert command == expected and command.required_roles == roles


@pytest.mark.parametrize("text", ["survey of the results of teams usage", "kartoitus miten vastaan",
                                  "survey results of the webropol form please"])
def test_a_question_that_starts_with_a_survey_word_is_a_question(text):
    assert parse_command(text) is None
