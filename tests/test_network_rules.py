"""The mentor network's pure rules, tested directly: coverage, the IT helpdesk routing, the
announcement form and the impact figures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialogs.rules.coverage import CoverageSummary, duration, on_duty_this_week, summarise
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
