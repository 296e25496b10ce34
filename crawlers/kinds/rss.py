"""RSS 2.0 / Atom feeds with conditional GET."""

from __future__ import annotations

from urllib.parse import urlsplit

from molva.sources import LooseOptions, SourceKind


def check_target(target: str, base_url: str) -> str | None:
    """A feed URL (http/https), or a path that base_url makes one."""
    scheme = urlsplit(target).scheme.lower()
    if scheme in ("http", "https"):
        return None if urlsplit(target).netloc else "a URL without a host"
    if scheme or target.startswith("//"):
        return "expected an http:// or https:// feed URL"
    if not base_url:
        return f"{target!r} is a path: give base_url, or the feed's full URL"
    return None


SOURCE = SourceKind(
    name="rss",
    title="RSS/Atom",
    spider="crawlers.spiders.rss:RssSpider",
    default_base_url="",
    options=LooseOptions,
    target_hint="a feed URL, or a path relative to base_url",
    check_target=check_target,
    simulator=None,  # served by simulator.server itself (built in)
)
