"""The simulated world: every post, reply and container, generated deterministically from a seed.

``build_world(seed=1)`` gives the same texts and ids for the same seed (and, with ``start``, the same
timestamps). ``World.truth(base_url)`` is the ground truth served at ``/__sim__/truth.json``.
"""

from __future__ import annotations

import random
import statistics
import threading
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator import content, vocab
from simulator.brands import SimBrand, build_brands
from simulator.model import Author, Post, Reply

# Share of user posts per kind/sub-kind (RSS items and official posts come on top).
KIND_WEIGHTS: dict[str, float] = {
    "vk_comment": 0.24, "vk_user": 0.15, "tg_channel": 0.15, "status": 0.22, "review": 0.18,
}
NOISE_SHARE = 0.08
REPOST_SHARE = 0.06
MASTODON_ID_BASE = 110_000_000_000_000_000
LIVE_SPIKE_DELAY = timedelta(minutes=10)  # live mode: the default spike starts this long after the history


@dataclass(frozen=True)
class Spike:
    brand: str  # display name
    start: datetime
    end: datetime
    posts: int = 0  # number of extra outage complaints; 0: posts_per_day * 0.35


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime) -> str:
    return utc(value).isoformat().replace("+00:00", "Z")


@dataclass
class World:
    """All content plus the containers the simulator serves, and the truth about it."""

    seed: int
    start: datetime
    end: datetime
    brands: list[SimBrand]
    spike: Spike | None
    posts: list[Post] = field(default_factory=list)  # sorted by published
    channels: dict[str, str] = field(default_factory=dict)  # channel -> title
    walls: dict[str, str] = field(default_factory=dict)  # VK owner id -> brand name
    slugs: dict[str, str] = field(default_factory=dict)  # review slug -> brand name
    qa_ids: dict[str, str] = field(default_factory=dict)  # banki.ru Q&A id -> review slug of the bank
    tags: list[str] = field(default_factory=list)  # Mastodon hashtags that cover every status
    vk_queries: list[str] = field(default_factory=list)  # newsfeed.search queries that cover user posts
    deleted: list[Post] = field(default_factory=list)  # posts deleted at the source (``delete_post``)
    vk_closed: set[str] = field(default_factory=set)  # VK owner ids whose walls answer "access denied" (error 15)
    live_interval: float = 0.0  # >0: a new post every so many seconds after ``end`` (see ``advance``)
    live_speedup: float = 60.0  # reply delays of live posts are divided by this
    _gen: Any = None
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _live_count: int = 0

    # --- time and visibility ------------------------------------------------------------------------
    def advance(self, now: datetime) -> None:
        """Live mode: publish the posts due by ``now`` (deterministic: k-th post from seed and k), and the
        posts of a spike scheduled after the history's end (``spike_at`` in the future) as their time comes."""
        if self.live_interval <= 0 or self._gen is None:
            return
        with self._lock:
            while True:
                due = self.end + timedelta(seconds=self.live_interval * (self._live_count + 1))
                spike_due = self._gen.next_pending()
                if spike_due is not None and spike_due <= now and spike_due <= due:
                    self._gen.publish_pending()  # a spike scheduled in the live period, in time order
                    continue
                if due > now:
                    return
                self._live_count += 1
                self._gen.live_post(self._live_count, due, self.live_speedup)

    def visible(self, now: datetime | None = None) -> list[Post]:
        now = self.end if now is None else now
        with self._lock:
            times = [p.published for p in self.posts]
            return self.posts[: bisect_right(times, now)]

    def delete_post(self, kind: str, external_id: str) -> Post | None:
        """Delete a post at the source, as its author would: it is no longer served (Telegram's embed shows
        "Post not found", VK's wall.getById leaves it out and wall.getComment flags a comment ``deleted``, the
        Mastodon API and review/article pages answer 404) and leaves the truth."""
        with self._lock:
            post = next((p for p in self.posts if p.kind == kind and p.external_id == external_id), None)
            if post is not None:
                self.posts.remove(post)
                self.deleted.append(post)
            return post

    def brand(self, name: str) -> SimBrand | None:
        return next((b for b in self.brands if b.name == name), None)

    # --- truth --------------------------------------------------------------------------------------
    def truth(self, base_url: str, now: datetime | None = None) -> dict[str, Any]:
        """Ground truth in the docs/architecture.md format (plus ``brands``, ``text``, ``replied_at``)."""
        now = self.end if now is None else now
        posts = []
        for p in self.visible(now):
            replied = p.answered_at(now)
            posts.append({
                "kind": p.kind, "external_id": p.external_id, "url": p.url(base_url),
                "brand": p.brand, "brands": list(p.brands), "sentiment": p.sentiment, "intent": p.intent,
                "urgent": p.urgent, "addressed": p.addressed, "answered": replied is not None,
                "reply_delay_seconds": int((replied - p.published).total_seconds()) if replied else None,
                "replied_at": iso(replied) if replied else None,
                "is_official": p.is_official,
                "duplicate_of": p.duplicate_of.external_id if p.duplicate_of is not None else None,
                "published": iso(p.published), "text": p.text,
            })
        return {"seed": self.seed, "generated_at": iso(now), "start": iso(self.start),
                "spike": self._spike_json(), "posts": posts}

    def issue_truth(self, base_url: str, now: datetime | None = None) -> dict[str, Any]:
        """The issue-4 format served at ``/_truth.json`` (rates computed over what is served)."""
        now = self.end if now is None else now
        rows: list[dict[str, Any]] = []
        delays: dict[str, list[float]] = {}
        addressed: dict[str, int] = {}
        for p in self.visible(now):
            replied = p.answered_at(now)
            target = p.brand if p.addressed else None
            if target:
                addressed[target] = addressed.get(target, 0) + 1
                if replied:
                    delays.setdefault(target, []).append((replied - p.published).total_seconds())
            rows.append({
                "url": p.url(base_url), "source": p.kind, "kind": p.kind, "external_id": p.external_id,
                "brands": list(p.brands), "sentiment": p.sentiment, "intent": p.intent, "urgent": p.urgent,
                "published": iso(p.published), "addressed_to": target,
                "reply": {"brand": p.brand, "replied_at": iso(replied)} if replied else None,
            })
        return {
            "posts": rows,
            "response_rates": {b: round(len(delays.get(b, [])) / n, 4) for b, n in sorted(addressed.items())},
            "median_response_seconds": {b: statistics.median(d) for b, d in sorted(delays.items())},
            "spike": self._spike_json(),
        }

    def _spike_json(self) -> dict[str, str] | None:
        if self.spike is None:
            return None
        return {"brand": self.spike.brand, "start": iso(self.spike.start), "end": iso(self.spike.end)}


def default_spike(brands: Sequence[SimBrand], end: datetime) -> Spike | None:
    """One telecom brand (the first by id), starting 4 h before ``end``, lasting 2 h."""
    telecom = [b for b in brands if b.domain == "telecom"] or list(brands)
    if not telecom:
        return None
    brand = sorted(telecom, key=lambda b: b.id)[0]
    start = end - timedelta(hours=4)
    return Spike(brand=brand.name, start=start, end=start + timedelta(hours=2))


def build_world(
    seed: int = 1,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
    days: float = 7,
    posts_per_day: int = 300,
    spike: Spike | str | bool | None = True,
    spike_at: datetime | None = None,
    catalog: Any = None,
    live_interval: float = 0.0,
    live_speedup: float = 60.0,
) -> World:
    """Generate the world.

    The time axis is ``[start, end]``: give ``start`` (then ``end = start + days``), or ``end``/``now``
    (then ``start = end - days``); by default it ends now (seconds truncated). ``spike``: ``True`` for the
    default (a telecom brand, 4 h before the end, 2 h long), a brand name/alias (with ``spike_at`` as
    its start, default 4 h before the end — or, live, 10 minutes after it), a :class:`Spike`, or
    ``False``/``None`` for no spike.
    ``catalog``: a ``molva.catalog.Catalog``; default the shipped catalog.
    """
    if catalog is None:
        from molva.catalog import load_catalog

        catalog = load_catalog()
    if start is not None:
        start = utc(start)
        end = start + timedelta(days=days)
    else:
        end = utc(end or now or datetime.now(UTC)).replace(microsecond=0)
        start = end - timedelta(days=days)
    brands = build_brands(catalog, seed)
    world = World(seed=seed, start=start, end=end, brands=brands, spike=None,
                  live_interval=live_interval, live_speedup=live_speedup)
    if spike_at is None and live_interval > 0 and spike is not None and spike is not False \
            and not isinstance(spike, Spike):
        spike_at = end + LIVE_SPIKE_DELAY  # live (the demo): the outage happens while it runs
    world.spike = _resolve_spike(spike, spike_at, brands, catalog, end)
    from simulator.generator import Generator

    gen = Generator(world, random.Random(f"{seed}:world"), posts_per_day)
    gen.generate()
    world._gen = gen
    return world


def _resolve_spike(spike: Spike | str | bool | None, spike_at: datetime | None,
                   brands: Sequence[SimBrand], catalog: Any, end: datetime) -> Spike | None:
    if spike is None or spike is False:
        return None
    if isinstance(spike, Spike):
        return spike
    default = default_spike(brands, end)
    if default is None:
        return None
    name = default.brand
    if isinstance(spike, str):
        found = catalog.get(spike) if hasattr(catalog, "get") else None
        if found is None:
            raise ValueError(f"unknown spike brand {spike!r}: not in the catalog")
        name = found.name
    begin = utc(spike_at) if spike_at is not None else default.start
    return Spike(brand=name, start=begin, end=begin + timedelta(hours=2))


def make_authors(rng: random.Random, count: int = 600) -> list[Author]:
    authors = []
    for i in range(count):
        first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
        if first.endswith(("а", "я")) and not last.endswith("а") and first not in ("Никита",):
            last += "а"
        elif not first.endswith(("а", "я")) and last.endswith("ова"):
            last = last[:-1]
        nick = f"{rng.choice(vocab.NICK_PARTS)}{rng.choice(('', '_', '.'))}{rng.randint(1, 999)}"
        authors.append(Author(id=100_000 + i * 37 + rng.randint(0, 36), name=f"{first} {last}",
                              username=nick.replace(".", "_"), city=rng.choice(vocab.CITIES)[0],
                              followers=int(rng.paretovariate(1.2) * 20)))
    return authors


def official_author(brand: SimBrand, kind: str) -> Author:
    username = (brand.account(kind) or brand.tag).lstrip("@").split("@")[0]
    return Author(id=abs(hash_id(brand.id)), name=brand.name, username=username, city="", followers=50_000)


def hash_id(text: str) -> int:
    value = 0
    for ch in text:
        value = (value * 131 + ord(ch)) % 1_000_000_007
    return value


def mastodon_id(world: World, published: datetime, seq: int) -> int:
    ms = int((published - world.start).total_seconds() * 1000)
    return MASTODON_ID_BASE + (ms << 16) + (seq & 0xFFFF)


__all__ = ["Post", "Reply", "Spike", "World", "build_world", "iso", "utc", "content"]
