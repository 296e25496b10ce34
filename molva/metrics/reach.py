"""Who and where: top authors and places (channels, communities, sites) per brand, with their reach.

A *place* is where a post was published, read from its link: a Telegram channel (``t.me/<channel>``), a VK
community or page (``vk.com/<community>`` or ``vk.com/wall-<id>``), otherwise the site (``banki.ru``). Its
``prefix`` is the start of the links of its posts, which the explorer filters by. Counts are the same brand
mentions as :func:`molva.metrics.brand_stats` (the filters, official accounts excluded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from molva.metrics.filters import MetricsFilter
from molva.models import BrandMention, Mention, Source

# Hosts whose first path segment names the channel or community (not the whole site).
_SEGMENT_HOSTS = {"t.me", "telegram.me", "vk.com", "m.vk.com", "vk.ru", "dzen.ru", "zen.yandex.ru", "youtube.com",
                  "www.youtube.com", "ok.ru", "twitter.com", "x.com", "www.instagram.com", "instagram.com"}
_VK_WALL = re.compile(r"^wall(-?\d+)_\d+")


@dataclass(frozen=True)
class Place:
    name: str  # "t.me/sberbank", "vk.com/club123", "banki.ru"
    prefix: str  # links of its posts start with this


@dataclass(frozen=True)
class ReachRow:
    """One author or place of one brand: mentions, negative share, and reach."""

    brand: str
    key: str  # the author's name, or the place's name
    kind: str  # source kind (vk, telegram, rss, ...) of its latest mention
    mentions: int
    negative: int
    classified: int
    followers: int | None  # the largest follower count seen (authors)
    views: int  # views summed over its posts (each post once)
    prefix: str | None = None  # places: the link prefix the explorer filters by

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.classified if self.classified else None


def place_of(url: str | None) -> Place | None:
    """The channel, community or site of a post link (``None`` for a link without a host)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if not host or parts.scheme.lower() not in ("http", "https"):
        return None
    bare = host[4:] if host.startswith("www.") and host not in _SEGMENT_HOSTS else host
    base = f"{parts.scheme.lower()}://{parts.netloc}"
    segment = parts.path.strip("/").split("/", 1)[0]
    if host in _SEGMENT_HOSTS and segment:
        wall = _VK_WALL.match(segment)
        if wall:  # vk.com/wall-123_45: the community is -123
            return Place(f"{bare}/wall{wall.group(1)}", f"{base}/wall{wall.group(1)}_")
        if segment.startswith("s") and host.endswith("t.me") and "/" in parts.path.strip("/"):
            rest = parts.path.strip("/").split("/")
            if rest[0] == "s" and len(rest) > 1:  # t.me/s/<channel>/<id>
                return Place(f"{bare}/{rest[1]}", f"{base}/s/{rest[1]}/")
        return Place(f"{bare}/{segment}", f"{base}/{segment}/")
    return Place(bare, base + "/")


def _rows(session: Session, filters: MetricsFilter) -> list[Any]:
    query: Any = (
        select(BrandMention.brand, BrandMention.sentiment, Mention.id, Mention.author, Mention.author_followers,
               Mention.views, Mention.url, Source.kind)
        .join(Mention, Mention.id == BrandMention.mention_id)
        .join(Source, Source.id == Mention.source_id)
    )
    return list(session.execute(filters.apply(query)))


def _aggregate(rows: list[Any], key_of: Any, limit: int) -> list[ReachRow]:
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    for brand, sentiment, mention_id, author, followers, views, url, kind in rows:
        found = key_of(author, url)
        if found is None:
            continue
        key, prefix = found
        item = acc.setdefault((brand, key), {"kind": kind, "mentions": 0, "negative": 0, "classified": 0,
                                             "followers": None, "views": {}, "prefix": prefix})
        item["mentions"] += 1
        item["kind"] = kind
        if sentiment is not None:
            item["classified"] += 1
            item["negative"] += sentiment == "negative"
        if followers is not None:
            item["followers"] = max(item["followers"] or 0, int(followers))
        if views is not None:
            item["views"][mention_id] = int(views)
    result = [
        ReachRow(brand, key, v["kind"], v["mentions"], v["negative"], v["classified"], v["followers"],
                 sum(v["views"].values()), v["prefix"])
        for (brand, key), v in acc.items()
    ]
    result.sort(key=lambda r: (r.brand, -r.mentions, -(r.followers or 0), -r.views, r.key))
    out: list[ReachRow] = []
    count: dict[str, int] = {}
    for row in result:
        count[row.brand] = count.get(row.brand, 0) + 1
        if count[row.brand] <= limit:
            out.append(row)
    return out


def top_authors(session: Session, filters: MetricsFilter = MetricsFilter(), limit: int = 10) -> list[ReachRow]:
    """Per brand, the authors with the most mentions (then the most followers), at most ``limit`` each."""
    return _aggregate(_rows(session, filters), lambda author, _url: (author, None) if author else None, limit)


def top_places(session: Session, filters: MetricsFilter = MetricsFilter(), limit: int = 10) -> list[ReachRow]:
    """Per brand, the channels, communities and sites with the most mentions, at most ``limit`` each."""

    def key(_author: str | None, url: str | None) -> tuple[str, str] | None:
        place = place_of(url)
        return (place.name, place.prefix) if place else None

    return _aggregate(_rows(session, filters), key, limit)
