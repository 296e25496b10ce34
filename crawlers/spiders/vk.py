"""VK through its official API: ``wall.get`` + ``wall.getComments`` for ``wall:<owner_id>`` targets and
``newsfeed.search`` for ``search:<query>`` targets.

VK answers errors with HTTP 200 and an ``error`` object: code 6 (too many requests per second) is retried
with back-off by :class:`crawlers.middlewares.VkRateLimitMiddleware`; code 5 (authorization failed) fails
the source with a clear message; other codes are counted and the crawl goes on.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Request, Response

from crawlers.spiders.base import MolvaSpider, describe
from crawlers.text import from_timestamp, plain_text
from molva.ingest import MentionData, ReplyData

API_VERSION = "5.199"
WALL_PAGE = 100
SEARCH_PAGE = 200
COMMENTS_PAGE = 100


def _id(obj: dict[str, Any], key: str) -> int:
    """A numeric id field (VK sends numbers; a digit string is read too); ``ValueError`` naming the field."""
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
        raise ValueError(f"{key} {value!r} is not a number")
    return int(value)


def _number(value: Any) -> int | None:
    """A count of the answer (``count``, ``current_level_count``); ``None`` when it is not a number."""
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _count(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("count")
    return int(value) if isinstance(value, int | float) else None


class VkSpider(MolvaSpider):
    name = "vk"
    kind = "vk"
    # VK allows 3 requests per second per token: one at a time, a third of a second apart (``options.rps``).
    custom_settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": 1, "RANDOMIZE_DOWNLOAD_DELAY": False}

    def __init__(self, *args: Any, token: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token = token
        self.download_delay = 1.0 / float(self.options.get("rps", 3)) + 0.02
        self.comment_counts: dict[str, int] = dict(self.state.get("comment_counts") or {})
        self.threads_requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> VkSpider:
        kwargs.setdefault("token", crawler.settings.get("MOLVA_VK_TOKEN") or "")
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, VkSpider)
        return spider

    def api(self, method: str, params: dict[str, Any], callback: Any, target: str, **meta: Any) -> Request:
        query = urlencode({**params, "access_token": self.token, "v": API_VERSION})
        return self.request(f"{self.base_url}/method/{method}?{query}", callback, target, vk=True, **meta)

    async def start(self) -> AsyncIterator[Any]:
        for target in self.targets:
            kind, _, value = target.partition(":")
            if kind == "wall" and value:
                yield self.api("wall.get", {"owner_id": value, "count": WALL_PAGE, "offset": 0, "extended": 1},
                               self.parse_wall, target, owner=value, page=1, offset=0)
            elif kind == "search" and value:
                yield self.api("newsfeed.search", {"q": value, "count": SEARCH_PAGE, "extended": 1},
                               self.parse_search, target, page=1)
            else:
                self.record_error(f"bad VK target {target!r}: expected wall:<owner_id> or search:<query>", target)

    # --- responses ------------------------------------------------------------------------------

    def payload(self, response: Response) -> dict[str, Any] | Request | None:
        """The ``response`` object of an API answer; a retry of a broken answer; ``None`` after recording
        the error."""
        target: str = response.meta["target"]
        method = response.url.split("/method/", 1)[-1].split("?", 1)[0]
        text = self.page_text(response)
        if text is None:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return self.retry_or_error(response, f"VK {method}: the answer is not JSON ({response.url})", target)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            code, message = error.get("error_code"), error.get("error_msg", "")
            if code == 5:
                self.record_error(f"VK authorization failed (error 5: {message}); set a valid token in "
                                  "MOLVA_VK_TOKEN", target, fatal=True)
                raise CloseSpider("vk_auth_failed")
            self.record_error(f"VK {method} error {code}: {message}", target)
            return None
        body = data.get("response") if isinstance(data, dict) else None
        if not isinstance(body, dict):
            self.record_error(f"VK {method}: no 'response' object in the answer ({response.url})", target)
            return None
        self.page_ok()
        return body

    def names(self, body: dict[str, Any], method: str, target: str) -> dict[int, str]:
        """Author names by owner id (people positive, communities negative); a profile or group that cannot be
        read is skipped with one error line (its posts are kept, without the name)."""
        names: dict[int, str] = {}
        for _, (key, name) in self.entries(
                body.get("profiles"), lambda p: (_id(p, "id"), f"{p.get('first_name', '')} {p.get('last_name', '')}"),
                f"VK {method}: malformed profile for {target}", target):
            names[key] = name.strip()
        for _, (key, name) in self.entries(
                body.get("groups"), lambda g: (-_id(g, "id"), str(g.get("name") or g.get("screen_name") or "")),
                f"VK {method}: malformed group for {target}", target):
            names[key] = name
        return names

    def post_item(self, post: dict[str, Any], names: dict[int, str], official_wall: str | None) -> MentionData | None:
        published = from_timestamp(post.get("date"))
        if post.get("owner_id") is None or post.get("id") is None or published is None:
            return None
        owner, post_id = _id(post, "owner_id"), _id(post, "id")
        from_id = _id(post, "from_id") if post.get("from_id") is not None else owner
        text = plain_text(post.get("text"))
        forwarded = None
        history = post.get("copy_history") or []
        if history:
            original = history[0]
            if not isinstance(original, dict):
                raise ValueError(f"copy_history holds {describe(original)}")
            forwarded = f"https://vk.com/wall{original.get('owner_id')}_{original.get('id')}"
            text = text or plain_text(original.get("text"))
        addressed = [str(owner)] if official_wall and str(from_id) != str(owner) else []
        # a community's post signed by a person (an admin, or a user whose suggested post it published): the
        # community posted it (author_id), the person's name is shown as its author
        signer = post.get("signer_id")
        author = (names.get(signer) if type(signer) is int else None) or names.get(from_id)
        return MentionData(
            kind="vk", external_id=f"{owner}_{post_id}", url=f"https://vk.com/wall{owner}_{post_id}", text=text,
            published_at=published, author=author, author_id=str(from_id),
            likes=_count(post.get("likes")), reposts=_count(post.get("reposts")),
            comments=_count(post.get("comments")), views=_count(post.get("views")),
            forwarded_from=forwarded, addressed_accounts=addressed,
        )

    def parse_wall(self, response: Response) -> Iterator[Any]:
        body = self.payload(response)
        if not isinstance(body, dict):
            if body is not None:
                yield body
            return
        target, owner, page, offset = (response.meta[k] for k in ("target", "owner", "page", "offset"))
        names = self.names(body, "wall.get", target)
        items = body.get("items") or []
        ids: list[str] = []
        for post, item in self.entries(items, lambda p: self.post_item(p, names, owner),
                                       f"VK wall.get: malformed post in {target}", target):
            ids.append(item.external_id)
            if item.external_id not in self.known_ids:
                yield item
            count = item.comments or 0
            if count and self.comment_counts.get(item.external_id) != count:
                yield self.comments_request(target, owner, _id(post, "id"), 0, count)
        items = items if isinstance(items, list) else []
        offset += len(items)
        more = bool(items) and offset < (_number(body.get("count")) or 0)
        if more and self.should_page_on(target, ids, page):
            yield self.api("wall.get", {"owner_id": owner, "count": WALL_PAGE, "offset": offset, "extended": 1},
                           self.parse_wall, target, owner=owner, page=page + 1, offset=offset)
        else:
            self.finish_target(target, "end" if not more else ("limit" if page >= self.max_pages else "known"))

    def comments_request(self, target: str, owner: str, post_id: int, offset: int, expected: int | None) -> Request:
        params = {"owner_id": owner, "post_id": post_id, "count": COMMENTS_PAGE, "offset": offset, "sort": "asc",
                  "extended": 1, "thread_items_count": 10}
        return self.api("wall.getComments", params, self.parse_comments, target, owner=owner, post_id=post_id,
                        offset=offset, expected=expected)

    def parse_comments(self, response: Response) -> Iterator[Any]:
        body = self.payload(response)
        if not isinstance(body, dict):
            if body is not None:
                yield body
            return
        target, owner, post_id, offset = (response.meta[k] for k in ("target", "owner", "post_id", "offset"))
        names = self.names(body, "wall.getComments", target)
        post_ext = f"{owner}_{post_id}"
        items = body.get("items") or []
        malformed = f"VK wall.getComments: malformed comment under {post_ext}"
        flat: list[dict[str, Any]] = []
        for comment, thread in self.entries(items, lambda c: (c.get("thread") or {}), malformed, target,
                                            objects=True):
            flat.append(comment)
            if not isinstance(thread, dict):
                self.record_error(f"VK wall.getComments: malformed thread under {post_ext}: "
                                  f"{describe(thread)}", target)
                continue
            flat.extend(reply for reply, _ in self.entries(thread.get("items"), lambda r: r, malformed, target))
        replies: list[ReplyData] = []
        for _, item in self.entries(flat, lambda c: self.comment_item(c, names, owner, post_ext), malformed, target):
            if isinstance(item, ReplyData):
                replies.append(item)
            elif isinstance(item, MentionData) and item.external_id not in self.known_ids:
                yield item
        yield from replies
        items = items if isinstance(items, list) else []
        offset += len(items)
        total = _number(body.get("current_level_count")) or _number(body.get("count")) or 0
        if items and offset < total:
            yield self.comments_request(target, owner, post_id, offset, response.meta["expected"])
        elif response.meta["expected"] is not None:  # None: a thread read for a reply found by search
            self.comment_counts[post_ext] = response.meta["expected"]
            self.state_updates["comment_counts"] = self.comment_counts

    def comment_item(self, comment: dict[str, Any], names: dict[int, str], owner: str,
                     post_ext: str) -> MentionData | ReplyData | None:
        """A comment under ``post_ext``: a mention, or the official account's reply; ``None`` when malformed."""
        published = from_timestamp(comment.get("date"))
        if comment.get("id") is None or published is None:
            return None
        comment_id = _id(comment, "id")
        from_id = str(comment.get("from_id", ""))
        ext = f"{post_ext}_{comment_id}"
        url = f"https://vk.com/wall{post_ext}?reply={comment_id}"
        if self.is_official(from_id, owner):
            parent = comment.get("reply_to_comment")
            return ReplyData(
                kind="vk", parent_external_id=f"{post_ext}_{parent}" if parent else post_ext, account=from_id,
                reply_external_id=ext, replied_at=published, text=plain_text(comment.get("text")), url=url,
            )
        return MentionData(
            kind="vk", external_id=ext, url=url, text=plain_text(comment.get("text")), published_at=published,
            author=names.get(int(from_id)) if from_id.lstrip("-").isdigit() else None, author_id=from_id,
            likes=_count(comment.get("likes")), parent_external_id=post_ext, thread_external_id=post_ext,
            addressed_accounts=[str(owner)],
        )

    def search_reply(self, post: dict[str, Any], names: dict[int, str], target: str) -> list[Any] | None:
        """A comment found by newsfeed.search (``post_type: "reply"``; ``post_id`` is the post it sits under):
        stored as a comment of that post, as wall.getComments gives it; an official account's answer is an
        official reply. Under a brand's own wall, the post's comments are read too (the thread and its
        official answers). ``None`` when malformed."""
        published = from_timestamp(post.get("date"))
        if any(post.get(k) is None for k in ("owner_id", "post_id", "id")) or published is None:
            return None
        owner, parent_id, comment_id = _id(post, "owner_id"), _id(post, "post_id"), _id(post, "id")
        post_ext = f"{owner}_{parent_id}"
        from_id = str(post.get("from_id", ""))
        url = f"https://vk.com/wall{post_ext}?reply={comment_id}"
        official_wall = str(owner) in self.official_accounts or (not self.official_accounts and owner < 0)
        external_id = f"{post_ext}_{comment_id}"
        out: list[Any] = []
        if self.is_official(from_id, str(owner)):
            answered = post.get("reply_to_comment")
            out.append(ReplyData(kind="vk", parent_external_id=f"{post_ext}_{answered}" if answered else post_ext,
                                 account=from_id, reply_external_id=f"{post_ext}_{comment_id}", replied_at=published,
                                 text=plain_text(post.get("text")), url=url))
        elif external_id not in self.known_ids:
            out.append(MentionData(
                kind="vk", external_id=external_id, url=url, text=plain_text(post.get("text")),
                published_at=published, author=names.get(int(from_id)) if from_id.lstrip("-").isdigit() else None,
                author_id=from_id, likes=_count(post.get("likes")), parent_external_id=post_ext,
                thread_external_id=post_ext, addressed_accounts=[str(owner)] if official_wall else [],
            ))
        # The thread is read when the comment is new, unless a wall crawl already follows that post's comments.
        fresh = external_id not in self.known_ids and post_ext not in self.comment_counts
        if official_wall and fresh and post_ext not in self.threads_requested:
            self.threads_requested.add(post_ext)
            out.append(self.comments_request(target, str(owner), parent_id, 0, None))
        return out

    def search_entry(self, post: dict[str, Any], names: dict[int, str], target: str) -> list[Any] | None:
        """What one newsfeed.search item gives: a comment (:meth:`search_reply`) or a post."""
        if post.get("post_type") == "reply":
            return self.search_reply(post, names, target)
        item = self.post_item(post, names, None)
        return None if item is None else [item]

    def is_official(self, from_id: str, owner: str) -> bool:
        if self.official_accounts:
            return from_id in self.official_accounts
        return from_id == str(owner) and from_id.startswith("-")

    def parse_search(self, response: Response) -> Iterator[Any]:
        body = self.payload(response)
        if not isinstance(body, dict):
            if body is not None:
                yield body
            return
        target, page = response.meta["target"], response.meta["page"]
        names = self.names(body, "newsfeed.search", target)
        ids: list[str] = []
        for _, results in self.entries(body.get("items") or [], lambda p: self.search_entry(p, names, target),
                                       f"VK newsfeed.search: malformed post for {target}", target):
            for result in results:
                if isinstance(result, MentionData):
                    ids.append(result.external_id)
                    if result.external_id in self.known_ids:
                        continue
                yield result
        next_from = body.get("next_from")
        if next_from and self.should_page_on(target, ids, page):
            query = target.partition(":")[2]
            yield self.api("newsfeed.search", {"q": query, "count": SEARCH_PAGE, "extended": 1,
                                               "start_from": next_from}, self.parse_search, target, page=page + 1)
        else:
            self.finish_target(target, "end" if not next_from else ("limit" if page >= self.max_pages else "known"))
