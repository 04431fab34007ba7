"""What a closed round's counts mean: an area's mean and distribution, the change from the
previous round, and the reported units that scored lowest (for aiming support)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dialogs.rules.survey_privacy import shown
from storage.survey_results import Counts


@dataclass(frozen=True)
class Figure:
    """One area (or item) of one scope. `hidden`: fewer than five respondents, so no mean and no
    distribution are shown (`respondents` is then 0 or more, never shown either)."""

    key: str
    respondents: int
    mean: float | None
    shares: tuple[float, ...]  # of all answers: "can't say", then 1-5
    hidden: bool

    @property
    def scored(self) -> bool:
        return not self.hidden and self.mean is not None


def figure(counts: Counts | None, key: str | None = None) -> Figure:
    if counts is None or not shown(counts.respondents):
        return Figure(key or (counts.key if counts else ""), counts.respondents if counts else 0, None, (), True)
    answers = counts.answers
    total, scored = sum(answers), sum(answers[1:])
    mean = sum(value * n for value, n in enumerate(answers) if value) / scored if scored else None
    shares = tuple(n / total for n in answers) if total else ()
    return Figure(counts.key, counts.respondents, round(mean, 2) if mean is not None else None, shares, False)


def change(now: Figure | None, before: Figure | None) -> float | None:
    """Only between two shown means."""
    if now is None or before is None or not now.scored or not before.scored:
        return None
    return round(now.mean - before.mean, 2)


def by_key(counts: Iterable[Counts]) -> dict[str, Figure]:
    return {c.key: figure(c) for c in counts}


@dataclass(frozen=True)
class Low:
    unit_id: str
    area_id: str
    mean: float
    respondents: int


def lowest(per_home: Sequence[Counts], areas: Sequence[str], limit: int = 3, below: float | None = None) -> list[Low]:
    """The reported units and areas that scored lowest, one area per unit (its lowest), from
    the areas given (everyone's areas: a team session is for the whole unit); with `below`, only
    those whose mean is under it (the instrument's "low")."""
    best: dict[str, Low] = {}
    for counts in per_home:
        if counts.key not in areas or counts.home is None:
            continue
        shown_figure = figure(counts)
        if not shown_figure.scored or (below is not None and shown_figure.mean >= below):
            continue
        found = Low(counts.home, counts.key, shown_figure.mean, counts.respondents)
        current = best.get(counts.home)
        if current is None or (found.mean, areas.index(found.area_id)) < (current.mean, areas.index(current.area_id)):
            best[counts.home] = found
    return sorted(best.values(), key=lambda low: (low.mean, low.unit_id))[:limit]
