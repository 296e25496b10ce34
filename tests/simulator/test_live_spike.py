"""A spike scheduled after the history's end is published live, in time order, with ids given at publication."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simulator.world import build_world

START = datetime(2025, 3, 10, 0, 0, tzinfo=UTC)


def test_future_spike_is_published_live_in_time_order() -> None:
    world = build_world(seed=3, start=START, days=1, posts_per_day=300, live_interval=5,
                        spike="Билайн", spike_at=START + timedelta(days=1, minutes=10))
    assert world.spike is not None and world.spike.brand == "Билайн"
    end = world.end
    assert not any(p.category == "spike_outage" for p in world.visible(end))
    world.advance(end + timedelta(minutes=40))
    visible = world.visible(end + timedelta(minutes=40))
    spike = [p for p in visible if p.category == "spike_outage"]
    assert len(spike) >= 10 and all(end + timedelta(minutes=10) <= p.published for p in spike)
    times = [p.published for p in world.posts]
    assert times == sorted(times)
    assert len(visible) == sum(1 for p in world.posts if p.published <= end + timedelta(minutes=40))
    channel_ids: dict[str, list[int]] = {}
    for p in visible:
        if p.kind == "telegram" and p.published > end:
            channel_ids.setdefault(p.target, []).append(p.local_id)
    assert all(ids == sorted(ids) for ids in channel_ids.values())  # a cursor crawler misses nothing
    truth = world.truth("http://sim.local", end + timedelta(minutes=40))
    assert sum(1 for t in truth["posts"] if t["brand"] == "Билайн" and t["published"] > end.isoformat()) >= 10


def test_live_world_schedules_the_default_spike_after_the_history() -> None:
    world = build_world(seed=1, start=START, days=1, posts_per_day=60, live_interval=5)
    assert world.spike is not None and world.spike.start == world.end + timedelta(minutes=10)
    history = build_world(seed=1, start=START, days=1, posts_per_day=60)
    assert history.spike is not None and history.spike.start == history.end - timedelta(hours=4)
