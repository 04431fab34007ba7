"""The unit tree: subtrees, the widening circles of an offer, and unit names in a language."""

from __future__ import annotations

from dataclasses import dataclass

Parents = dict[str, str | None]


def subtree(roots: set[str], parents: Parents) -> set[str]:
    """The units under (and including) the roots."""
    children: dict[str, list[str]] = {}
    for unit, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(unit)
    found: set[str] = set()
    stack = list(roots)
    while stack:
        unit = stack.pop()
        if unit not in found:
            found.add(unit)
            stack.extend(children.get(unit, ()))
    return found


def topmost(units: set[str], parents: Parents) -> set[str]:
    """The units of a set whose parent is outside it (a coordinator's scope, by name)."""
    return {u for u in units if parents.get(u) not in units}


def lineage(unit_id: str, parents: Parents) -> list[str]:
    """The unit and its ancestors, nearest first; a unit the tree no longer has is its own root."""
    chain: list[str] = []
    current: str | None = unit_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def ancestor(unit_id: str, parents: Parents, steps: int) -> str:
    """The unit `steps` levels up, or the root if the tree is shallower."""
    for _ in range(steps):
        unit_id = parents.get(unit_id) or unit_id
    return unit_id


def offer_tiers(unit_id: str | None, parents: Parents) -> list[frozenset[str] | None]:
    """The circles to offer in: own unit, each ancestor's subtree, then None = everyone."""
    if unit_id is None or unit_id not in parents:
        return [None]
    tiers: list[frozenset[str] | None] = [frozenset({unit_id})]
    current = parents.get(unit_id)
    seen = {unit_id}
    while current is not None and current not in seen:
        seen.add(current)
        if parents.get(current) is None:
            break  # the root's subtree is everyone: the pool tier below covers it
        tiers.append(frozenset(subtree({current}, parents)))
        current = parents.get(current)
    tiers.append(None)
    return tiers


def unit_name(names: dict[str, dict[str, str]], unit_id: str | None, language: str) -> str | None:
    """The unit's name in the language, else in Finnish, else any, else its id."""
    if unit_id is None:
        return None
    localized = names.get(unit_id) or {}
    return localized.get(language) or localized.get("fi") or next(iter(localized.values()), unit_id)


@dataclass(frozen=True)
class OfferStep:
    """One step of an offer's widening: the named mentors of `units` (None: everyone), or, with
    `helpers`, the open helpers of the request's topic anywhere in the organisation. `levels_up`:
    how far above the asker's unit the step's units start (for telling the asker where)."""

    units: frozenset[str] | None
    helpers: bool = False
    levels_up: int = 0


def offer_steps(unit_id: str | None, parents: Parents, *, open_helpers: bool) -> list[OfferStep]:
    """The steps an offer widens through: `offer_tiers`, and with `open_helpers` (the open and
    both models, a question with a topic) the helpers right after the asker's own unit's named
    mentors, or first of all when the asker has no known unit. A unit without named mentors
    skips its own step at once, so there the helpers come instead of them."""
    steps = [OfferStep(units, levels_up=index) for index, units in enumerate(offer_tiers(unit_id, parents))]
    if not open_helpers:
        return steps
    at = 1 if steps[0].units is not None else 0
    return [*steps[:at], OfferStep(None, helpers=True), *steps[at:]]
