"""RSS 2.0 / Atom feeds with conditional GET."""

from __future__ import annotations

from molva.sources import LooseOptions, SourceKind

SOURCE = SourceKind(
    name="rss",
    title="RSS/Atom",
    spider="crawlers.spiders.rss:RssSpider",
    default_base_url="",
    options=LooseOptions,
    target_hint="a feed URL, or a path relative to base_url",
    simulator=None,  # served by simulator.server itself (built in)
)
