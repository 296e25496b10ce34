"""The generated world: determinism, realistic mix, and a truth that agrees with itself."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from tests_sim_helpers import START

from molva.catalog import load_catalog
from simulator.world import World, build_world


def test_same_seed_same_content_and_ids(world: World) -> None:
    again = build_world(seed=1, start=START, days=2, posts_per_day=300)
    a, b = world.truth("http://h"), again.truth("http://h")
    assert a == b
    other = build_world(seed=2, start=START, days=2, posts_per_day=300).truth("http://h")
    assert [p["text"] for p in other["posts"]] != [p["text"] for p in a["posts"]]


def test_texts_and_ids_do_not_depend_on_the_end_time() -> None:
    one = build_world(seed=3, now=START + timedelta(days=1), days=1, posts_per_day=60)
    two = build_world(seed=3, now=START + timedelta(days=5, hours=7), days=1, posts_per_day=60)
    assert [(p.external_id, p.text) for p in one.posts] == [(p.external_id, p.text) for p in two.posts]


def test_mix_of_kinds_brands_sentiments_and_urgency(world: World) -> None:
    posts = world.truth("http://h")["posts"]
    assert 750 < len(posts) < 1100
    kinds = Counter(p["kind"] for p in posts)
    assert set(kinds) == {"telegram", "vk", "rss", "reviews", "mastodon"}
    names = {b.name for b in load_catalog().brands}
    brands = Counter(p["brand"] for p in posts)
    assert set(brands) - {None} <= names and len(brands) > 20 and brands[None] > 10
    assert {"negative", "neutral", "positive"} == {p["sentiment"] for p in posts}
    assert {"problem", "question", "idea", "thanks", "other"} == {p["intent"] for p in posts}
    urgent = sum(p["urgent"] for p in posts) / len(posts)
    assert 0.08 < urgent < 0.2
    assert any(p["duplicate_of"] for p in posts if p["kind"] == "telegram")
    assert any(p["duplicate_of"] for p in posts if p["kind"] == "vk")
    assert len({(p["kind"], p["external_id"]) for p in posts}) == len(posts)


def test_truth_brand_is_found_by_the_catalog(world: World) -> None:
    catalog = load_catalog()
    # Brands' own posts name the brand by their account, not always in the text.
    posts = [p for p in world.truth("http://h")["posts"] if p["brand"] and not p["is_official"]]
    found = sum(p["brand"] in {m.brand for m in catalog.match(p["text"])} for p in posts)
    assert found / len(posts) > 0.97


def test_answered_posts_have_a_reply_within_the_axis(world: World) -> None:
    posts = world.truth("http://h")["posts"]
    addressed = [p for p in posts if p["addressed"]]
    answered = [p for p in addressed if p["answered"]]
    assert addressed and 0.2 < len(answered) / len(addressed) < 0.9
    assert all(p["reply_delay_seconds"] > 0 for p in answered)
    assert not any(p["answered"] for p in posts if not p["addressed"])
    assert all(p["kind"] in ("vk", "reviews", "mastodon") for p in addressed)


def test_brands_answer_at_different_rates(world: World) -> None:
    rates = world.issue_truth("http://h")["response_rates"]
    big = {b: r for b, r in rates.items() if r is not None}
    assert max(big.values()) - min(big.values()) > 0.5


def test_spike_concentrates_negative_posts(world: World) -> None:
    spike = world.spike
    assert spike is not None
    brand = world.brand(spike.brand)
    assert brand is not None and brand.domain == "telecom"
    inside = [p for p in world.posts if spike.start <= p.published <= spike.end and p.brand == spike.brand]
    assert sum(p.sentiment == "negative" for p in inside) > 50
    assert world.end - spike.end == timedelta(hours=2)


def test_spike_can_be_placed_and_disabled() -> None:
    at = START + timedelta(hours=10)
    w = build_world(seed=1, start=START, days=1, posts_per_day=50, spike="Сбер", spike_at=at)
    assert w.spike is not None and w.spike.brand == "Сбербанк" and w.spike.start == at
    assert build_world(seed=1, start=START, days=1, posts_per_day=50, spike=False).spike is None


def test_live_mode_publishes_new_posts_deterministically(world: World) -> None:
    w = build_world(seed=4, start=START, days=1, posts_per_day=50, live_interval=5)
    before = len(w.visible(w.end))
    w.advance(w.end + timedelta(seconds=60))
    now = w.end + timedelta(seconds=60)
    assert len(w.visible(now)) - before >= 10
    w2 = build_world(seed=4, start=START, days=1, posts_per_day=50, live_interval=5)
    w2.advance(now)
    assert [p.text for p in w.visible(now)] == [p.text for p in w2.visible(now)]
