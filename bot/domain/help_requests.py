"""The help-request state machine.

    open --offer--> offered --accept--> accepted --resolve--> resolved --reopen--> open
                    offered --offer--> offered            (widened to the next tier)
                    offered --expire--> expired --accept--> accepted  (a coordinator takes it)
                                        accepted --release--> open
    open | offered | accepted | expired --cancel--> cancelled

Every transition is stored as an event with its time and actor. The storage layer applies a
transition with a conditional update ("... WHERE state IN (allowed from-states)"), so that the
database, not a Python process, decides which of two concurrent clicks wins.
"""

from __future__ import annotations

from enum import Enum


class State(str, Enum):
    OPEN = "open"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Action(str, Enum):
    OFFER = "offer"
    ACCEPT = "accept"
    DECLINE = "decline"
    RELEASE = "release"
    RESOLVE = "resolve"
    CANCEL = "cancel"
    EXPIRE = "expire"
    REOPEN = "reopen"


TRANSITIONS: dict[Action, tuple[frozenset[State], State]] = {
    Action.OFFER: (frozenset({State.OPEN, State.OFFERED}), State.OFFERED),
    Action.ACCEPT: (frozenset({State.OFFERED, State.EXPIRED}), State.ACCEPTED),
    # A decline leaves the request offered to the others; it is only an event.
    Action.DECLINE: (frozenset({State.OFFERED}), State.OFFERED),
    Action.RELEASE: (frozenset({State.ACCEPTED}), State.OPEN),
    Action.RESOLVE: (frozenset({State.ACCEPTED}), State.RESOLVED),
    Action.CANCEL: (frozenset({State.OPEN, State.OFFERED, State.ACCEPTED, State.EXPIRED}), State.CANCELLED),
    Action.EXPIRE: (frozenset({State.OFFERED}), State.EXPIRED),
    Action.REOPEN: (frozenset({State.RESOLVED}), State.OPEN),
}

# Why a transition is refused, by the state the request is in; locale keys under
# request_refusal.
_REFUSAL_BY_STATE = {
    State.ACCEPTED: "already_taken",
    State.RESOLVED: "already_resolved",
    State.CANCELLED: "cancelled",
    State.EXPIRED: "expired",
    State.OPEN: "not_offered",
    State.OFFERED: "not_accepted",
}

OPEN_STATES = frozenset({State.OPEN, State.OFFERED, State.ACCEPTED, State.EXPIRED})


class InvalidTransition(Exception):
    def __init__(self, action: Action, state: State) -> None:
        super().__init__(f"cannot {action.value} a request that is {state.value}")
        self.action = action
        self.state = state

    @property
    def reason(self) -> str:
        return _REFUSAL_BY_STATE.get(self.state, "invalid")


def allowed_from(action: Action) -> frozenset[State]:
    return TRANSITIONS[action][0]


def target_of(action: Action) -> State:
    return TRANSITIONS[action][1]


def next_state(state: State | str, action: Action) -> State:
    """The state after `action`, or InvalidTransition with the reason."""
    current = State(state)
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise InvalidTransition(action, current)
    return target
