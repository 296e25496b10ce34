"""RSS 2.0 and Atom feeds (parsed by feedparser) with conditional GET: ``If-None-Match`` / ``If-Modified-Since``
from the ETag and Last-Modified stored in ``Source.state["feeds"]``.
"""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from scrapy.http import Request, Response

from crawlers.spiders.base import MolvaSpider
from crawlers.text import MALFORMED_ENTRY, html_to_text
from molva.escaping import response_excerpt
from molva.ingest import MentionData


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


class RssSpider(MolvaSpider):
    name = "rss"
    kind = "rss"

    def feed_url(self, target: str) -> str:
        return urljoin(self.base_url + "/", target) if self.base_url else target

    async def start(self) -> AsyncIterator[Any]:
        feeds = self.state.get("feeds") or {}
        for target in self.targets:
            url = self.feed_url(target)
            cached = feeds.get(url) or {}
            headers = {}
            if cached.get("etag"):
                headers["If-None-Match"] = cached["etag"]
            if cached.get("modified"):
                headers["If-Modified-Since"] = cached["modified"]
            yield Request(url, callback=self.parse_feed, errback=self.errback, headers=headers,
                          meta={"target": target, "handle_httpstatus_list": [304]})

    @staticmethod
    def entry_item(entry: Any, feed_url: str, parsed: Any) -> MentionData | None:
        """An entry's mention; ``None`` without an id or a date."""
        link = urljoin(feed_url, entry.get("link") or "")
        external_id = entry.get("id") or entry.get("guid") or entry.get("link")
        published = _entry_time(entry)
        if not external_id or published is None:
            return None
        content = entry.get("content") or []
        body = content[0].get("value") if content else entry.get("summary") or entry.get("description")
        return MentionData(
            kind="rss", external_id=str(external_id)[:200], url=link or str(external_id),
            text=html_to_text(body), title=html_to_text(entry.get("title")) or None, published_at=published,
            author=html_to_text(entry.get("author")) or None, language=(parsed.get("feed") or {}).get("language"),
        )

    def parse_feed(self, response: Response) -> Iterator[MentionData | Request]:
        target = response.meta["target"]
        if response.status == 304:
            self.page_ok()
            self.finish_target(target, "known")
            return
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        headers = {"content-location": response.url}
        if content_type:
            headers["content-type"] = content_type
        # blank lines before "<?xml" (seen in real feeds) hide the declared encoding from feedparser
        parsed = feedparser.parse(response.body.lstrip(b" \t\r\n"), response_headers=headers)
        entries = parsed.get("entries") or []
        if parsed.get("bozo") and isinstance(parsed.get("bozo_exception"), feedparser.ThingsNobodyCaresAboutButMe):
            parsed["bozo"] = False  # a content type or declared charset that disagrees: the feed itself is fine
        if parsed.get("bozo"):  # broken XML (a cut body?): fetch it again before reading what it has
            retry = self.retry_request(response, f"malformed feed {response.url}: {parsed.get('bozo_exception')}")
            if retry is not None:
                yield retry
                return
        if parsed.get("bozo") and not entries:
            self.record_error(f"malformed feed {response.url}: {parsed.get('bozo_exception')}", target)
            return
        if not entries and not parsed.get("version"):  # an empty answer, an HTML page: no feed at all
            what = response_excerpt(response.body) if response.body.strip() else "пустой ответ"
            retry = self.retry_or_error(response, f"не RSS/Atom: {response.url} ({content_type or 'без Content-Type'}: "
                                                  f"{what})", target)
            if retry is not None:
                yield retry
            return
        self.page_ok()
        broken = bool(parsed.get("bozo"))
        for entry in entries:
            try:
                item = self.entry_item(entry, response.url, parsed)
            except MALFORMED_ENTRY:
                item = None
            if item is None:
                broken = True  # one line for the feed below
            elif item.external_id not in self.known_ids:
                yield item
        if broken:
            self.record_error(f"feed {response.url} is partly malformed (some entries skipped)", target)
            return  # keep the old ETag so that the next crawl fetches the whole feed again
        feeds = self.state_updates.setdefault("feeds", dict(self.state.get("feeds") or {}))
        etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        feeds[self.feed_url(target)] = {
            "etag": etag.decode("latin-1") if etag else None,
            "modified": modified.decode("latin-1") if modified else None,
        }
        self.finish_target(target, "end")
