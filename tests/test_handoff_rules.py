"""The hand-off rules in plain Python: state machine, eligibility, fairness, tiers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from bot.domain.help_requests import Action, InvalidTransition, State, next_state
from bot.domain.mentor_choice import MentorCandidate, WorkingHours, choose_mentors, ineligibility, unit_tiers, week_start

WEDNESDAY_10_HELSINKI = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
HOURS = WorkingHours.parse("08:00", "16:00")


def mentor(person_id: int, **changes) -> MentorCandidate:
    base = MentorCandidate(
        person_id=person_id, name=f"M{person_id}", unit_id="ward-3", languages=("fi",), topics=(),
        status="available", away_until=None, weekly_allowance=120, minutes_this_week=0, reachable=True,
        has_conversation=True, open_requests=0, recent_requests=0,
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [
        (State.OPEN, Action.OFFER, State.OFFERED),
        (State.OFFERED, Action.OFFER, State.OFFERED),
        (State.OFFERED, Action.ACCEPT, State.ACCEPTED),
        (State.EXPIRED, Action.ACCEPT, State.ACCEPTED),
        (State.ACCEPTED, Action.RESOLVE, State.RESOLVED),
        (State.ACCEPTED, Action.RELEASE, State.OPEN),
        (State.RESOLVED, Action.REOPEN, State.OPEN),
        (State.OFFERED, Action.EXPIRE, State.EXPIRED),
        (State.ACCEPTED, Action.CANCEL, State.CANCELLED),
    ],
)
def test_allowed_transitions(state, action, after):
    assert next_state(state, action) == after


@pytest.mark.parametrize(
    ("state", "action", "reason"),
    [
        (State.ACCEPTED, Action.ACCEPT, "already_taken"),
        (State.RESOLVED, Action.RESOLVE, "already_resolved"),
        (State.CANCELLED, Action.ACCEPT, "cancelled"),
        (State.RESOLVED, Action.CANCEL, "already_resolved"),
        (State.OFFERED, Action.RESOLVE, "not_accepted"),
        (State.OPEN, Action.RELEASE, "not_offered"),
        (State.CANCELLED, Action.REOPEN, "cancelled"),
    ],
)
def test_refused_transitions_carry_a_reason(state, action, reason):
    with pytest.raises(InvalidTransition) as refused:
        next_state(state, action)
    assert refused.value.reason == reason


def test_working_hours_are_helsinki_weekdays():
    assert HOURS.contains(WEDNESDAY_10_HELSINKI)
    assert not HOURS.contains(datetime(2026, 11, 25, 14, 30, tzinfo=timezone.utc))  # 16:30 Helsinki
    assert not HOURS.contains(datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc))  # Saturday
    assert HOURS.contains(datetime(2026, 7, 1, 5, 30, tzinfo=timezone.utc))  # 08:30 summer time


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": "away"}, "away"),
        ({"status": "away", "away_until": WEDNESDAY_10_HELSINKI + timedelta(hours=1)}, "away"),
        ({"minutes_this_week": 120}, "allowance_used"),
        ({"languages": ("sv",)}, "language"),
        ({"reachable": False}, "unreachable"),
        ({"has_conversation": False}, "unreachable"),
    ],
)
def test_ineligible_mentors(changes, reason):
    assert ineligibility(mentor(1, **changes), language="fi", now=WEDNESDAY_10_HELSINKI, hours=HOURS) == reason


def test_away_ends_when_its_time_has_passed():
    back = mentor(1, status="away", away_until=WEDNESDAY_10_HELSINKI - timedelta(minutes=1))
    assert ineligibility(back, language="fi", now=WEDNESDAY_10_HELSINKI, hours=HOURS) is None


def test_outside_working_hours_nobody_is_eligible():
    evening = datetime(2026, 11, 25, 17, 0, tzinfo=timezone.utc)
    assert ineligibility(mentor(1), language="fi", now=evening, hours=HOURS) == "outside_hours"


def test_choice_prefers_topic_then_the_least_loaded_and_skips_the_asker():
    candidates = [
        mentor(1, open_requests=2),
        mentor(2, topics=("teams",), open_requests=1),
        mentor(3, recent_requests=5),
        mentor(4),
        mentor(5, minutes_this_week=100),
        mentor(6, unit_id="hr"),
    ]
    chosen = choose_mentors(candidates, tier_units=frozenset({"ward-3"}), language="fi", topic="teams",
                            now=WEDNESDAY_10_HELSINKI, hours=HOURS, exclude={4}, group_size=3)
    assert [c.person_id for c in chosen] == [2, 5, 3]


def test_fair_spread_over_many_requests():
    """Offering repeatedly, with each accepted request counted, spreads the work evenly."""
    candidates = {i: mentor(i) for i in range(1, 5)}
    load = {i: 0 for i in candidates}
    for _ in range(40):
        [first] = choose_mentors(list(candidates.values()), tier_units=None, language="fi", topic=None,
                                 now=WEDNESDAY_10_HELSINKI, hours=HOURS, exclude=set(), group_size=1)
        load[first.person_id] += 1
        candidates[first.person_id] = replace(first, recent_requests=first.recent_requests + 1)
    assert set(load.values()) == {10}


def test_tiers_widen_from_the_unit_up_to_everyone():
    parents = {"hva": None, "sote": "hva", "ward-3": "sote", "ward-5": "sote", "hr": "hva"}
    assert unit_tiers("ward-3", parents) == [frozenset({"ward-3"}), frozenset({"sote", "ward-3", "ward-5"}), None]
    assert unit_tiers("hr", parents) == [frozenset({"hr"}), None]
    assert unit_tiers(None, parents) == [None]


def test_the_week_starts_on_monday_in_helsinki():
    sunday_late_utc = datetime(2026, 11, 29, 22, 30, tzinfo=timezone.utc)  # Monday 00:30 in Helsinki
    assert week_start(sunday_late_utc).date().isoformat() == "2026-11-30"
    assert week_start(sunday_late_utc - timedelta(hours=1)).date().isoformat() == "2026-11-23"
    assert week_start(WEDNESDAY_10_HELSINKI).date().isoformat() == "2026-11-23"


def test_away_until_a_clock_time_in_helsinki():
    from bot.domain.duty import away_until

    assert away_until("", WEDNESDAY_10_HELSINKI) is None
    until = away_until("klo 14.30", WEDNESDAY_10_HELSINKI)
    assert until.astimezone(timezone.utc) == datetime(2026, 11, 25, 12, 30, tzinfo=timezone.utc)
    tomorrow = away_until("9", WEDNESDAY_10_HELSINKI)  # 09:00 has passed today: tomorrow morning
    assert tomorrow.astimezone(timezone.utc) == datetime(2026, 11, 26, 7, 0, tzinfo=timezone.utc)
    assert away_until("25:00", WEDNESDAY_10_HELSINKI) is None
