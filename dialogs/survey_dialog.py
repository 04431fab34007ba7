"""Answering a survey, as a declarative state machine of its own.

Why not botbuilder-dialogs: its dialogs run on a TurnContext and keep their state in
botbuilder's Storage, which would bring botbuilder below the Teams edge and put the state of a
dialog in a blob the database cannot reason about. Here the states are the respondent's areas,
in order, plus the end (their own profile); the transitions are the card's buttons; and the state
is three columns of the respondent's row in survey_responses (storage/survey_responses.py), so
that a restart, another replica or a reminder clicked a week later resumes exactly there.

    area 1 --next--> area 2 --next--> ... area n --next--> end
      ^                 |                                    |
      +------back-------+             (resume: any area, back where they were)
    any area --stop--> the same area, paused

A move starts from the area on the clicked card, not from the stored position: clicking "next"
twice on the card of area 2 lands on area 3 both times, so a double click cannot skip an area.
The revision is raised by every change; a card that shows an older revision than the stored one
is stale (dialogs/flows/survey_answering.py refuses it and shows where the respondent is now).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

NEXT, BACK, STOP = "next", "back", "stop"

# The transitions, from the index of the clicked card's area among n areas.
TRANSITIONS: dict[str, Callable[[int, int], int]] = {
    NEXT: lambda index, count: index + 1,
    BACK: lambda index, count: max(index - 1, 0),
    STOP: lambda index, count: index,
}


class NotInSequence(ValueError):
    """The area is not one this respondent answers (a forged card, or another staff group's)."""


class UnknownDirection(ValueError):
    pass


@dataclass(frozen=True)
class DialogState:
    position: int  # the index of the area shown next; len(areas) once the end was reached
    saved: frozenset[str]  # areas saved at least once
    revision: int


@dataclass(frozen=True)
class Step:
    state: DialogState
    paused: bool = False  # stopped: everything is saved and they come back later
    reached_end: bool = False


class SurveyDialog:
    def __init__(self, areas: Sequence[str]) -> None:
        self.areas = tuple(areas)

    @property
    def end(self) -> int:
        return len(self.areas)

    def index(self, area_id: str) -> int:
        try:
            return self.areas.index(area_id)
        except ValueError:
            raise NotInSequence(area_id) from None

    def current(self, state: DialogState) -> str | None:
        """The area to show, or None at the end (the profile)."""
        position = min(max(state.position, 0), self.end)
        return self.areas[position] if position < self.end else None

    def progress(self, area_id: str) -> tuple[int, int]:
        """(number, of): "area 2/5"."""
        return self.index(area_id) + 1, self.end

    def answer(self, state: DialogState, area_id: str, direction: str, *, answered: bool = True) -> Step:
        """The area's answers are saved, and the respondent moves as the button says.
        `answered`: the card had at least one answer (stopping on an empty card saves nothing)."""
        if direction not in TRANSITIONS:
            raise UnknownDirection(direction)
        index = self.index(area_id)
        position = TRANSITIONS[direction](index, self.end)
        saved = state.saved | {area_id} if answered else state.saved - {area_id}
        moved = DialogState(position, saved, state.revision + 1)
        return Step(moved, paused=direction == STOP, reached_end=position == self.end)

    def resume(self, state: DialogState, area_id: str | None = None) -> DialogState:
        """Opening the survey again: where they were, or at the area they asked for (their
        profile's "change my answers")."""
        if area_id is None:
            return state
        return DialogState(self.index(area_id), state.saved, state.revision + 1)
