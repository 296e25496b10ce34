"""A small simulated world shared by the simulator tests (built once per session, fixed time axis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests_sim_helpers import START

from simulator.server import SimServer
from simulator.world import World, build_world


@pytest.fixture(scope="session")
def world() -> World:
    return build_world(seed=1, start=START, days=2, posts_per_day=300)


@pytest.fixture(scope="session")
def sim(world: World) -> Iterator[SimServer]:
    with SimServer(world, vk_rps=0) as server:
        yield server
