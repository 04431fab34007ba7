"""The help-request state machine.

    open --offer--> offered --accept--> accepted --resolve--> resolved --reopen--> open
                    offered --offer--> offered            (widened to the next tier)
                    offered --expire--> expired --accept--> accepted  (a coordinator takes it)
                                        accepted --release--> open
    open | offered | accepted | expired --cancel--> cancelled

Offering and widening (open/offered --> offered) are done by the offer rounds through storage's own
conditional updates; the actions below are what people and timers do. Every transition is stored
as an event with its time and actor. Storage applies a transition
with a conditional update ("... WHERE state IN (allowed from-states)"), so that the database,
not a Python process, decides which of two concurrent clicks wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from storage.models import RequestState as State


class Action(str, Enum):
    ACCEPT = "accept"
    RELEASE = "release"
    RESOLVE = "resolve"
    CANCEL = "cancel"
    EXPIRE = "expire"
    REOPEN = "reopen"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[State]
    target: State
    unassign: bool = False  # the mentor lets go: back to the first tier
    stop_timer: bool = False  # no escalation after this


TRANSITIONS: dict[Action, Transition] = {
    Action.ACCEPT: Transition(frozenset({State.OFFERED, State.EXPIRED}), State.ACCEPTED, stop_timer=True),
    Action.RELEASE: Transition(frozenset({State.ACCEPTED}), State.OPEN, unassign=True),
    Action.RESOLVE: Transition(frozenset({State.ACCEPTED}), State.RESOLVED, stop_timer=True),
    Action.CANCEL: Transition(frozenset({State.OPEN, State.OFFERED, State.ACCEPTED, State.EXPIRED}), State.CANCELLED,
                              stop_timer=True),
    Action.EXPIRE: Transition(frozenset({State.OFFERED}), State.EXPIRED, stop_timer=True),
    Action.REOPEN: Transition(frozenset({State.RESOLVED}), State.OPEN, unassign=True),
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


class InvalidTransition(Exception):
    def __init__(self, action: Action, state: State) -> None:
        super().__init__(f"cannot {action.value} a request that is {state.value}")
        self.action = action
        self.state = state

    @property
    def reason(self) -> str:
        return _REFUSAL_BY_STATE.get(self.state, "invalid")
