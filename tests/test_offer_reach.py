"""Installing the app for mentors the bot has no chat with yet (OfferRounds.reach).

A mentor who never opened the app cannot be sent an offer card until Graph installs it for them.
The install is asked for once per person in a process, but only once it has succeeded: if Graph
was down or throttled, the next offer round asks again, rather than leaving that mentor
unreachable until the bot restarts."""

from __future__ import annotations

import asyncio

from dialogs.flows.offer_rounds import OfferRounds

CATALOG_ID = "a1b2c3d4-0000-4000-8000-000000000001"
MENTOR = "00000000-0000-0000-0002-000000000001"


class FlakyGraph:
    """Graph whose install answers come from `outcomes`, one per call (then success)."""

    def __init__(self, outcomes: list[bool]) -> None:
        self.outcomes = list(outcomes)
        self.installs: list[str] = []
        self.release = asyncio.Event()

    async def install_app_for(self, aad_object_id: str, teams_app_id: str) -> bool:
        assert teams_app_id == CATALOG_ID
        await self.release.wait()
        self.installs.append(aad_object_id)
        return self.outcomes.pop(0) if self.outcomes else True


def rounds(graph: FlakyGraph) -> OfferRounds:
    return OfferRounds(None, None, None, graph=graph, teams_app_id=CATALOG_ID)  # type: ignore[arg-type]


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_failed_install_is_asked_for_again_at_the_next_round_and_a_done_one_never():
    graph = FlakyGraph([False])
    offers = rounds(graph)
    graph.release.set()

    offers.reach([MENTOR])
    await settle()
    assert graph.installs == [MENTOR]  # Graph failed this time

    offers.reach([MENTOR])
    await settle()
    assert graph.installs == [MENTOR, MENTOR]  # asked again, and now installed

    offers.reach([MENTOR])
    await settle()
    assert graph.installs == [MENTOR, MENTOR]  # installed: never asked again


async def test_an_install_in_flight_is_not_asked_for_twice():
    graph = FlakyGraph([])
    offers = rounds(graph)

    offers.reach([MENTOR])
    offers.reach([MENTOR])  # a second round while the first install is still waiting on Graph
    await settle()
    graph.release.set()
    await settle()
    assert graph.installs == [MENTOR]
