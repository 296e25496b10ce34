"""Mastodon-compatible public API: hashtag timelines (``max_id`` paging) and ``/statuses/:id/context``.

A status that mentions a brand's official account is addressed to it; an official account's reply in the
status context (``in_reply_to_id`` = the status) is stored as an official reply, not as a mention.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

from scrapy.http import Request, Response

from crawlers.spiders.base import MolvaSpider, describe
from crawlers.text import html_to_text, parse_datetime
from molva.ingest import MentionData, ReplyData

PAGE = 40


class MastodonSpider(MolvaSpider):
    name = "mastodon"
    kind = "mastodon"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context_requested: set[str] = set()

    def timeline(self, tag: str, max_id: str | None, page: int) -> Request:
        url = f"{self.base_url}/api/v1/timelines/tag/{quote(tag)}?limit={PAGE}"
        if max_id:
            url += f"&max_id={max_id}"
        return self.request(url, self.parse_timeline, tag, page=page)

    async def start(self) -> AsyncIterator[Any]:
        for tag in self.targets:
            yield self.timeline(tag.lstrip("#"), None, 1)

    def json_body(self, response: Response, what: str) -> Any:
        """The decoded answer; a retry :class:`Request` of a broken one; ``None`` after recording the error."""
        text = self.page_text(response)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return self.retry_or_error(response, f"Mastodon {what}: the answer is not JSON ({response.url})")

    def is_official(self, acct: str) -> bool:
        acct = acct.lower().lstrip("@")
        return acct in self.official_accounts or any(a.split("@")[0] == acct for a in self.official_accounts)

    def status_item(self, status: dict[str, Any]) -> MentionData | None:
        published = parse_datetime(status.get("created_at"))
        account = status.get("account") or {}
        if not status.get("id") or published is None or not isinstance(account, dict):
            return None
        mentions = status.get("mentions") or []
        if not isinstance(mentions, list) or not all(isinstance(m, dict) for m in mentions):
            raise ValueError(f"'mentions' is not a list of objects: {describe(mentions)}")
        text = html_to_text(str(status.get("content") or ""))
        if status.get("spoiler_text"):
            text = f"{status['spoiler_text']}\n{text}"
        return MentionData(
            kind="mastodon", external_id=str(status["id"]), url=str(status.get("url") or status.get("uri") or ""),
            text=text, published_at=published, author=account.get("display_name") or account.get("username"),
            author_id=str(account["acct"]) if account.get("acct") else None, author_followers=account.get("followers_count"),
            likes=status.get("favourites_count"), reposts=status.get("reblogs_count"),
            comments=status.get("replies_count"), language=status.get("language"),
            parent_external_id=str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None,
            addressed_accounts=[str(m.get("acct")) for m in mentions if m.get("acct")],
        )

    def timeline_item(self, status: dict[str, Any]) -> MentionData | None:
        """The mention of a timeline entry (a boost is read as the status it boosts)."""
        reblog = status.get("reblog")
        if reblog is not None and not isinstance(reblog, dict):
            raise ValueError(f"'reblog' is not an object: {describe(reblog)}")
        return self.status_item(reblog or status)

    def parse_timeline(self, response: Response) -> Iterator[Any]:
        tag, page = response.meta["target"], response.meta["page"]
        statuses = self.json_body(response, "tag timeline")
        if isinstance(statuses, Request):
            yield statuses
            return
        if not isinstance(statuses, list):
            if statuses is not None:
                self.record_error(f"Mastodon tag timeline: expected a list of statuses ({response.url})", tag)
            return
        self.page_ok()
        ids: list[str] = []
        malformed = f"Mastodon tag timeline: malformed status in #{tag}"
        for status, item in self.entries(statuses, self.timeline_item, malformed, tag):
            ids.append(item.external_id)
            if item.author_id and self.is_official(item.author_id) and item.parent_external_id:
                continue  # an official reply: collected from its parent's context
            if item.external_id not in self.known_ids:
                yield item
            wanted = item.external_id not in self.replied_ids and item.external_id not in self.context_requested
            if (item.comments or 0) > 0 and wanted:
                self.context_requested.add(item.external_id)
                url = f"{self.base_url}/api/v1/statuses/{item.external_id}/context"
                # The status travels with the request: in scale-out mode another process may fetch the
                # context before this one has committed the status, and a reply needs its parent stored.
                yield self.request(url, self.parse_context, tag, status_id=item.external_id,
                                   status=status.get("reblog") or status)
        if statuses and self.should_page_on(tag, ids, page):
            yield self.timeline(tag, ids[-1] if ids else None, page + 1)
        else:
            self.finish_target(tag, "end" if not statuses else ("limit" if page >= self.max_pages else "known"))

    def parse_context(self, response: Response) -> Iterator[MentionData | ReplyData | Request]:
        status_id = response.meta["status_id"]
        body = self.json_body(response, "status context")
        if isinstance(body, Request):
            yield body
            return
        if not isinstance(body, dict):
            if body is not None:
                self.record_error(f"Mastodon context of {status_id}: expected an object", response.meta["target"])
            return
        self.page_ok()
        parent = response.meta.get("status")
        parent_item = self.status_item(parent) if isinstance(parent, dict) else None
        if parent_item is not None and parent_item.external_id not in self.known_ids:
            yield parent_item  # a no-op when already stored (unique external id)
        for _, reply in self.entries(body.get("descendants") or [], lambda r: self.context_reply(r, status_id),
                                     f"Mastodon context of {status_id}: malformed reply", response.meta["target"]):
            if isinstance(reply, ReplyData):
                yield reply

    def context_reply(self, reply: dict[str, Any], status_id: str) -> ReplyData | bool | None:
        """An official reply to ``status_id`` in its context; ``False`` for any other status of the thread."""
        if str(reply.get("in_reply_to_id")) != status_id:
            return False
        account = reply.get("account") or {}
        if not isinstance(account, dict):
            raise ValueError(f"'account' is not an object: {describe(account)}")
        acct = str(account.get("acct") or "")
        replied = parse_datetime(reply.get("created_at"))
        if not acct or replied is None or (self.official_accounts and not self.is_official(acct)):
            return False
        return ReplyData(kind="mastodon", parent_external_id=status_id, account=acct,
                         reply_external_id=str(reply.get("id")), replied_at=replied,
                         text=html_to_text(str(reply.get("content") or "")), url=reply.get("url"))
