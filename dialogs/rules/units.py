"""The unit tree: subtrees, the widening circles of an offer, and unit names in a language."""

from __future__ import annotations

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
