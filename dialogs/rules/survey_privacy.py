"""The "fewer than 5" rule for survey results, made so that no report can be subtracted from
another to reveal a smaller group.

Hiding each cell under five is not enough on its own: a unit's figure minus the figures of the
units shown inside it is the figure of the hidden ones, and two looks at a round a day apart
give away whoever answered in between. So:

- results exist only once a round has closed (storage/survey_rounds.py writes them then);
- every unit's respondents are counted in exactly one reported figure, per area: the unit's own
  when at least five answered there, else the nearest unit above it that gathers five with the
  small units under it (`reporting_homes`). When what is left over at a unit is still under
  five, its smallest reported subunit is taken in as well, so that nobody's answers are lost
  and the leftover cannot be worked out by subtracting the subunits from the unit. Only when the
  whole organisation has fewer than five is an area reported nowhere. These homes are fixed when
  the round closes;
- every figure anyone sees, for any scope, is a sum of whole reported figures: each of five or
  more people, and any difference of two such sums is again a sum of them;
- staff groups are told apart only for the whole organisation, and only when both have five:
  within the whole, the two groups are one partition that nothing else overlaps.
"""

from __future__ import annotations

from collections.abc import Iterable

from dialogs.rules.stats import SMALL_GROUP
from dialogs.rules.units import Parents, lineage


def homes_in_area(respondents: dict[str, int], parents: Parents) -> dict[str, str | None]:
    """unit -> the unit whose reported figure counts that unit's respondents (in one area)."""
    chains = {unit: lineage(unit, parents) for unit in respondents}
    depth: dict[str, int] = {}
    for chain in chains.values():
        for index, unit in enumerate(chain):
            depth[unit] = len(chain) - index - 1
    pooled = {unit: 0 for unit in depth}
    for unit, count in respondents.items():
        pooled[unit] += count
    reported: set[str] = set()
    reported_under: dict[str, list[str]] = {}
    # Deepest first, so that every unit has gathered all that its small subunits pass up.
    for unit in sorted(depth, key=lambda u: (-depth[u], u)):
        under = reported_under.get(unit, [])
        # A leftover of one to four beside reported subunits would be their difference from
        # the unit's figure: the smallest of them joins it until it is five.
        while 0 < pooled[unit] < SMALL_GROUP and under:
            smallest = min(under, key=lambda u: (pooled[u], u))
            under.remove(smallest)
            reported.discard(smallest)
            pooled[unit] += pooled[smallest]
        parent = parents.get(unit) if parents.get(unit) in pooled else None
        if pooled[unit] >= SMALL_GROUP:
            reported.add(unit)
            if parent is not None:
                reported_under.setdefault(parent, []).append(unit)
        elif parent is not None:
            pooled[parent] += pooled[unit]
    return {unit: next((u for u in chain if u in reported), None) for unit, chain in chains.items()}


def reporting_homes(respondents: dict[tuple[str, str], int], parents: Parents) -> dict[tuple[str, str], str | None]:
    """(unit, area) -> the unit whose reported figure counts them, or None: counted nowhere."""
    by_area: dict[str, dict[str, int]] = {}
    for (unit, area), count in respondents.items():
        by_area.setdefault(area, {})[unit] = count
    homes: dict[tuple[str, str], str | None] = {}
    for area, counts in by_area.items():
        homes.update({(unit, area): home for unit, home in homes_in_area(counts, parents).items()})
    return homes


def shown(respondents: int) -> bool:
    return respondents >= SMALL_GROUP


def groups_shown(counts: Iterable[int]) -> bool:
    """Staff groups side by side: every group with answers has five, or none is shown."""
    present = [count for count in counts if count]
    return len(present) > 1 and all(count >= SMALL_GROUP for count in present)
