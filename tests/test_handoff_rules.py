"""The hand-off rules in plain Python: state machine, eligibility, fairness, tiers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from cards.i18n import LANGUAGES, catalogue_keys
from dialogs.rules.duty import away_until
from dialogs.rules.help_requests import TRANSITIONS, Action, InvalidTransition, State, Transition
from dialogs.rules.mentor_choice import WorkingHours, choose_mentors, ineligibility, on_duty
from dialogs.rules.periods import week_start
from dialogs.rules.units import offer_tiers
from storage.mentor_repository import MentorCandidate
from tests.support.time import WEDNESDAY_EVENING, WEDNESDAY_MORNING

WEDNESDAY_10_HELSINKI = WEDNESDAY_MORNING
HOURS = WorkingHours.parse("08:00", "16:00")


def mentor(person_id: int, **changes) -> MentorCandidate:
    base = MentorCandidate(
        person_id=person_id, name=f"M{person_id}", unit_id="ward-3", languages=("fi",), topics=(),
        status="available", away_until=None, weekly_allowance=120, minutes_this_week=0, reachable=True,
        has_conversation=True, open_requests=0, recent_requests=0,
    )
    return replace(base, **changes)


# -- the request state machine ----------------------------------------------------------------

ALL_STATES = frozenset(State)
EXPECTED_TABLE = {
    Action.ACCEPT: Transition(frozenset({State.OFFERED, State.EXPIRED}), State.ACCEPTED, stop_timer=True),
    Action.RELEASE: Transition(frozenset({State.ACCEPTED}), State.OPEN, unassign=True),
    Action.RESOLVE: Transition(frozenset({State.ACCEPTED}), State.RESOLVED, stop_timer=True),
    Action.CANCEL: Transition(frozenset({State.OPEN, State.OFFERED, State.ACCEPTED, State.EXPIRED}), State.CANCELLED,
                              stop_timer=True),
    Action.EXPIRE: Transition(frozenset({State.OFFERED}), State.EXPIRED, stop_timer=True),
    Action.REOPEN: Transition(frozenset({State.RESOLVED}), State.OPEN, unassign=True),
}


def test_every_action_has_one_rule():
    assert set(TRANSITIONS) == set(Action)
    assert {a.value for a in Action} == {"accept", "release", "resolve", "cancel", "expire", "reopen"}


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_each_actions_sources_target_and_effects(action):
    assert TRANSITIONS[action] == EXPECTED_TABLE[action]


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [
        (State.OFFERED, Action.ACCEPT, State.ACCEPTED),
        (State.EXPIRED, Action.ACCEPT, State.ACCEPTED),  # a coordinator takes it after the last tier
        (State.ACCEPTED, Action.RESOLVE, State.RESOLVED),
        (State.ACCEPTED, Action.RELEASE, State.OPEN),
        (State.RESOLVED, Action.REOPEN, State.OPEN),
        (State.OFFERED, Action.EXPIRE, State.EXPIRED),
        (State.OPEN, Action.CANCEL, State.CANCELLED),
        (State.OFFERED, Action.CANCEL, State.CANCELLED),
        (State.ACCEPTED, Action.CANCEL, State.CANCELLED),
        (State.EXPIRED, Action.CANCEL, State.CANCELLED),
    ],
)
def test_allowed_transitions(state, action, after):
    rule = TRANSITIONS[action]
    assert state in rule.sources and rule.target == after


def test_a_cancelled_request_is_final_and_a_resolved_one_only_reopens():
    assert not any(State.CANCELLED in rule.sources for rule in TRANSITIONS.values())
    assert [a for a, rule in TRANSITIONS.items() if State.RESOLVED in rule.sources] == [Action.REOPEN]
    assert [a for a, rule in TRANSITIONS.items() if State.OPEN in rule.sources] == [Action.CANCEL]


def test_letting_go_returns_the_request_to_the_first_tier_and_ending_it_stops_the_timer():
    assert {a for a, rule in TRANSITIONS.items() if rule.unassign} == {Action.RELEASE, Action.REOPEN}
    assert {a for a, rule in TRANSITIONS.items() if rule.stop_timer} == {
        Action.ACCEPT, Action.RESOLVE, Action.CANCEL, Action.EXPIRE}
    assert all(TRANSITIONS[a].target == State.OPEN for a in (Action.RELEASE, Action.REOPEN))


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (State.ACCEPTED, "already_taken"),
        (State.RESOLVED, "already_resolved"),
        (State.CANCELLED, "cancelled"),
        (State.EXPIRED, "expired"),
        (State.OPEN, "not_offered"),
        (State.OFFERED, "not_accepted"),
    ],
)
def test_refusals_carry_the_reason_of_the_state_the_request_is_in(state, reason):
    refused = [action for action, rule in TRANSITIONS.items() if state not in rule.sources]
    assert refused, state
    for action in refused:
        refusal = InvalidTransition(action, state)
        assert refusal.reason == reason
        assert (refusal.action, refusal.state) == (action, state)
        assert str(refusal) == f"cannot {action.value} a request that is {state.value}"


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
        (State.EXPIRED, Action.RESOLVE, "expired"),
    ],
)
def test_refused_transitions_carry_a_reason(state, action, reason):
    assert state not in TRANSITIONS[action].sources
    assert InvalidTransition(action, state).reason == reason


def test_every_refusal_reason_is_told_in_every_language():
    reasons = {InvalidTransition(Action.ACCEPT, state).reason for state in ALL_STATES}
    for language in LANGUAGES:
        keys = catalogue_keys(language)
        assert {f"request_refusal.{reason}" for reason in reasons} <= keys, language


# -- who gets an offer ------------------------------------------------------------------------


def test_working_hours_are_helsinki_weekdays():
    assert HOURS.contains(WEDNESDAY_10_HELSINKI)
    assert HOURS.contains(datetime(2026, 11, 25, 6, 0, tzinfo=UTC))  # 08:00 Helsinki: open
    assert not HOURS.contains(datetime(2026, 11, 25, 5, 59, tzinfo=UTC))  # 07:59
    assert HOURS.contains(datetime(2026, 11, 25, 13, 59, tzinfo=UTC))  # 15:59
    assert not HOURS.contains(datetime(2026, 11, 25, 14, 0, tzinfo=UTC))  # 16:00: closed
    assert not HOURS.contains(datetime(2026, 11, 25, 14, 30, tzinfo=UTC))  # 16:30 Helsinki
    assert not HOURS.contains(WEDNESDAY_EVENING)
    assert not HOURS.contains(datetime(2026, 11, 28, 8, 0, tzinfo=UTC))  # Saturday
    assert not HOURS.contains(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))  # Sunday
    assert HOURS.contains(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # Monday
    assert HOURS.contains(datetime(2026, 7, 1, 5, 30, tzinfo=UTC))  # 08:30 summer time
    assert not HOURS.contains(datetime(2026, 7, 1, 13, 30, tzinfo=UTC))  # 16:30 summer time
    around_the_clock = WorkingHours.parse("00:00", "24:00")
    assert around_the_clock.contains(datetime(2026, 11, 25, 21, 59, tzinfo=UTC))  # 23:59 Helsinki
    assert not around_the_clock.contains(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))  # still not on Saturday


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": "away"}, "away"),
        ({"status": "away", "away_until": WEDNESDAY_10_HELSINKI + timedelta(hours=1)}, "away"),
        ({"busy": True}, "busy"),
        ({"minutes_this_week": 120}, "allowance_used"),  # exactly at the limit: used up
        ({"minutes_this_week": 150}, "allowance_used"),
        ({"weekly_allowance": 0}, "allowance_used"),
        ({"languages": ("sv",)}, "language"),
        ({"reachable": False}, "unreachable"),
        ({"has_conversation": False}, "unreachable"),
    ],
    ids=["away", "away-for-an-hour", "busy", "allowance-at-limit", "allowance-over", "no-allowance", "language",
         "unreachable", "no-conversation"],
)
def test_ineligible_mentors(changes, reason):
    assert ineligibility(mentor(1, **changes), language="fi", now=WEDNESDAY_10_HELSINKI, hours=HOURS) == reason
    chosen = choose_mentors([mentor(1, **changes)], tier_units=None, language="fi", topic=None,
                            now=WEDNESDAY_10_HELSINKI, hours=HOURS, exclude=set())
    assert chosen == []


@pytest.mark.parametrize(
    "changes",
    [{}, {"minutes_this_week": 119}, {"languages": ("sv", "fi")}, {"status": "available", "away_until": None}],
    ids=["plain", "a-minute-left", "speaks-it-second", "available"],
)
def test_eligible_mentors(changes):
    assert ineligibility(mentor(1, **changes), language="fi", now=WEDNESDAY_10_HELSINKI, hours=HOURS) is None


def test_away_ends_when_its_time_has_passed():
    back = mentor(1, status="away", away_until=WEDNESDAY_10_HELSINKI - timedelta(minutes=1))
    assert ineligibility(back, language="fi", now=WEDNESDAY_10_HELSINKI, hours=HOURS) is None
    just_back = mentor(1, status="away", away_until=WEDNESDAY_10_HELSINKI)
    assert on_duty(just_back, WEDNESDAY_10_HELSINKI)
    assert not on_duty(just_back, WEDNESDAY_10_HELSINKI - timedelta(seconds=1))
    assert not on_duty(mentor(1, status="away"), WEDNESDAY_10_HELSINKI + timedelta(days=365))
    assert on_duty(mentor(1), WEDNESDAY_10_HELSINKI)


@pytest.mark.parametrize(
    "moment",
    [WEDNESDAY_EVENING, datetime(2026, 11, 25, 17, 0, tzinfo=UTC), datetime(2026, 11, 28, 8, 0, tzinfo=UTC),
     datetime(2026, 11, 29, 10, 0, tzinfo=UTC)],
    ids=["evening", "night", "saturday-morning", "sunday-noon"],
)
def test_outside_working_hours_nobody_is_eligible(moment):
    assert ineligibility(mentor(1), language="fi", now=moment, hours=HOURS) == "outside_hours"
    assert choose_mentors([mentor(i) for i in range(1, 4)], tier_units=None, language="fi", topic=None,
                          now=moment, hours=HOURS, exclude=set()) == []


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


def test_a_topic_match_comes_first_even_when_busier():
    candidates = [mentor(1), mentor(2, topics=("outlook", "teams"), open_requests=3, recent_requests=9,
                                        minutes_this_week=110)]
    chosen = choose_mentors(candidates, tier_units=None, language="fi", topic="teams", now=WEDNESDAY_10_HELSINKI,
                            hours=HOURS, exclude=set(), group_size=2)
    assert [c.person_id for c in chosen] == [2, 1]
    no_topic = choose_mentors(candidates, tier_units=None, language="fi", topic=None, now=WEDNESDAY_10_HELSINKI,
                              hours=HOURS, exclude=set(), group_size=2)
    assert [c.person_id for c in no_topic] == [1, 2]


def test_least_loaded_is_open_work_then_recent_work_then_allowance_used():
    candidates = [
        mentor(1, open_requests=1),
        mentor(2, recent_requests=2),
        mentor(3, recent_requests=1),
        mentor(4, recent_requests=1, minutes_this_week=60),
        mentor(5, recent_requests=1, minutes_this_week=60, weekly_allowance=240),  # a quarter used, not half
    ]
    chosen = choose_mentors(candidates, tier_units=None, language="fi", topic=None, now=WEDNESDAY_10_HELSINKI,
                            hours=HOURS, exclude=set(), group_size=5)
    assert [c.person_id for c in chosen] == [3, 5, 4, 2, 1]


def test_only_eligible_mentors_of_the_tier_are_chosen_and_never_more_than_the_group():
    candidates = [mentor(1), mentor(2, status="away"), mentor(3, unit_id="hr"), mentor(4, languages=("sv",)),
                  mentor(5, busy=True), mentor(6), mentor(7), mentor(8)]
    in_ward = choose_mentors(candidates, tier_units=frozenset({"ward-3"}), language="fi", topic=None,
                             now=WEDNESDAY_10_HELSINKI, hours=HOURS, exclude=set(), group_size=3)
    assert [c.person_id for c in in_ward] == [1, 6, 7]
    everyone = choose_mentors(candidates, tier_units=None, language="fi", topic=None, now=WEDNESDAY_10_HELSINKI,
                              hours=HOURS, exclude={1, 6, 7}, group_size=3)
    assert [c.person_id for c in everyone] == [3, 8]
    swedish = choose_mentors(candidates, tier_units=None, language="sv", topic=None, now=WEDNESDAY_10_HELSINKI,
                             hours=HOURS, exclude=set())
    assert [c.person_id for c in swedish] == [4]


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
    assert offer_tiers("ward-3", parents) == [frozenset({"ward-3"}), frozenset({"sote", "ward-3", "ward-5"}), None]
    assert offer_tiers("hr", parents) == [frozenset({"hr"}), None]
    assert offer_tiers(None, parents) == [None]


def test_the_week_starts_on_monday_in_helsinki():
    sunday_late_utc = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # Monday 00:30 in Helsinki
    assert week_start(sunday_late_utc).date().isoformat() == "2026-11-30"
    assert week_start(sunday_late_utc - timedelta(hours=1)).date().isoformat() == "2026-11-23"
    assert week_start(WEDNESDAY_10_HELSINKI).date().isoformat() == "2026-11-23"
    assert week_start(WEDNESDAY_10_HELSINKI) == datetime(2026, 11, 22, 22, 0, tzinfo=UTC)


def test_the_week_starts_at_local_midnight_across_summer_time():
    # Clocks go forward on Sunday 29 March 2026: the next Monday starts at 00:00 +03:00.
    assert week_start(datetime(2026, 3, 29, 20, 59, tzinfo=UTC)) == datetime(2026, 3, 22, 22, 0, tzinfo=UTC)
    assert week_start(datetime(2026, 3, 29, 21, 0, tzinfo=UTC)) == datetime(2026, 3, 29, 21, 0, tzinfo=UTC)
    # ... and back on Sunday 25 October: the next Monday starts at 00:00 +02:00.
    assert week_start(datetime(2026, 10, 25, 21, 59, tzinfo=UTC)) == datetime(2026, 10, 18, 21, 0, tzinfo=UTC)
    assert week_start(datetime(2026, 10, 25, 22, 0, tzinfo=UTC)) == datetime(2026, 10, 25, 22, 0, tzinfo=UTC)


def test_away_until_a_clock_time_in_helsinki():
    assert away_until("", WEDNESDAY_10_HELSINKI) is None
    until = away_until("klo 14.30", WEDNESDAY_10_HELSINKI)
    assert until.astimezone(UTC) == datetime(2026, 11, 25, 12, 30, tzinfo=UTC)
    tomorrow = away_until("9", WEDNESDAY_10_HELSINKI)  # 09:00 has passed today: tomorrow morning
    assert tomorrow.astimezone(UTC) == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert away_until("25:00", WEDNESDAY_10_HELSINKI) is None
