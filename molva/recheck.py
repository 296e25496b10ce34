"""Is a stored post still there? One checker per source kind, for :func:`molva.privacy.recheck_deleted`.

A checker gets the mentions of one configured source (all of one kind) and answers, per mention id,
``True`` (the source positively says the post is gone: erase it), ``False`` (it is there) or ``None``
(unknown: an HTTP error, a timeout, an API error, an answer we cannot read). Only ``True`` erases anything.

- **mastodon**: the status API (``/api/v1/statuses/<id>``) answers 404/410.
- **reviews**, **rss**: the post's own page answers 404/410.
- **telegram**: the public embed of the message (``<base>/<channel>/<id>?embed=1``) answers HTTP 200 with
  the "Post not found" widget (``tgme_widget_message_error``), *and* the channel's web preview
  (``<base>/s/<channel>``) still shows that channel (a renamed, private or deleted channel makes every old
  address "not found": its posts are kept, as unknown).
- **vk** (needs an access token: ``MOLVA_VK_TOKEN`` or the source's ``options.token``): ``wall.getById`` in
  batches of 100 returns only the posts that still exist (a missing post, or one flagged ``is_deleted`` /
  ``deleted``, is gone); a comment is gone when its post is gone, or when ``wall.getComment`` returns no item
  or an item flagged ``deleted``. Every API error deletes nothing: 5 (token expired or invalid) and 9 (flood
  control) stop the VK checks of this run, 6 (too many requests per second) is retried with back-off, access
  errors (15, 18, 30) and the rest leave those posts unknown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import httpx

from molva.db import backoff_seconds
from molva.models import Mention
from molva.redaction import redact

log = logging.getLogger(__name__)

Verdicts = dict[int, bool | None]


@dataclass(frozen=True)
class SourceAccess:
    """How to ask one configured source: its effective base URL and, for VK, a token and a request rate."""

    base_url: str = ""
    token: str = ""
    rps: float = 3.0


Checker = Callable[[httpx.Client, Sequence[Mention], SourceAccess | None, Callable[[float], None]], Verdicts]


# --- pages and REST: mastodon, reviews, rss --------------------------------------------------------------

def page_deleted(client: httpx.Client, mention: Mention, base_url: str) -> bool | None:
    """True when the source says the post is gone (404/410), False when it is there, None when unknown."""
    if mention.kind == "mastodon":
        status_id = mention.external_id.rsplit("/", 1)[-1]
        if not status_id.isdigit() or not base_url:
            return None
        url = f"{base_url}/api/v1/statuses/{status_id}"
    elif mention.kind in ("reviews", "rss"):
        url = mention.url
    else:
        return None
    try:
        response = client.get(url)
    except httpx.HTTPError:
        return None
    if response.status_code in (404, 410):
        return True
    return False if response.status_code < 400 else None


def check_pages(client: httpx.Client, mentions: Sequence[Mention], access: SourceAccess | None,
                sleep: Callable[[float], None]) -> Verdicts:
    if access is None and any(m.kind == "mastodon" for m in mentions):
        return {}  # the status API of an instance no longer configured: not asked
    base = access.base_url if access else ""
    return {m.id: page_deleted(client, m, base) for m in mentions}


# --- Telegram ------------------------------------------------------------------------------------------

class _TelegramEmbed(HTMLParser):
    """Reads a t.me page: the ``data-post`` of its message widgets, the text of its error widgets, and whether
    it shows a channel (``tgme_channel_info*``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.posts: set[str] = set()
        self.errors: list[str] = []
        self.channel_info = False
        self._error_depth = 0  # > 0 inside an error widget
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = (values.get("class") or "").split()
        self._depth += 1
        if "tgme_widget_message" in classes and values.get("data-post"):
            self.posts.add(str(values["data-post"]).lower())
        if any(c.startswith("tgme_channel_info") for c in classes):
            self.channel_info = True
        if "tgme_widget_message_error" in classes and not self._error_depth:
            self._error_depth = self._depth
            self.errors.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._error_depth and self._depth == self._error_depth:
            self._error_depth = 0
        self._depth = max(0, self._depth - 1)

    def handle_data(self, data: str) -> None:
        if self._error_depth:
            self.errors[-1] += data


def _read_page(client: httpx.Client, url: str) -> _TelegramEmbed | None:
    try:
        response = client.get(url)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    page = _TelegramEmbed()
    try:
        page.feed(response.text)
        page.close()
    except Exception:  # unreadable markup: unknown
        return None
    return page


def telegram_embed_verdict(page: _TelegramEmbed | None, post: str) -> bool | None:
    """From the embed page of ``channel/id``: True for the "Post not found" widget, False when the message is
    shown, None otherwise (another error such as a private channel, or a changed page)."""
    if page is None:
        return None
    if post.lower() in page.posts:
        return False
    if any("not found" in " ".join(text.split()).lower() for text in page.errors):
        return True
    return None


def check_telegram(client: httpx.Client, mentions: Sequence[Mention], access: SourceAccess | None,
                   sleep: Callable[[float], None]) -> Verdicts:
    verdicts: Verdicts = {}
    channel_alive: dict[str, bool] = {}
    for mention in mentions:
        channel, _, message_id = mention.external_id.rpartition("/")
        if not channel or not message_id.isdigit():
            verdicts[mention.id] = None
            continue
        base = (access.base_url if access and access.base_url else mention.url.rsplit("/", 2)[0]).rstrip("/")
        verdict = telegram_embed_verdict(_read_page(client, f"{base}/{channel}/{message_id}?embed=1&mode=tme"),
                                         mention.external_id)
        if verdict:
            key = channel.lower()
            if key not in channel_alive:
                page = _read_page(client, f"{base}/s/{channel}")
                channel_alive[key] = page is not None and page.channel_info
                if not channel_alive[key]:
                    log.warning("re-check: Telegram channel %r does not answer as a channel; its posts are kept",
                                channel)
            verdict = True if channel_alive[key] else None
        verdicts[mention.id] = verdict
    return verdicts


# --- VK -------------------------------------------------------------------------------------------------

VK_API_VERSION = "5.199"
VK_BATCH = 100
VK_RETRIES = 3  # error 6 (too many requests per second): tries before this run gives up on VK


class _VkStop(Exception):
    """Stop the VK checks of this run (token refused, flood control, too many rate-limit errors)."""


class _VkApi:
    def __init__(self, client: httpx.Client, access: SourceAccess, sleep: Callable[[float], None]) -> None:
        self.client, self.access, self.sleep = client, access, sleep
        self.delay = 1.0 / access.rps if access.rps > 0 else 0.0
        self.calls = 0

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any] | list[Any] | None:
        """The ``response`` of one API call; ``None`` for an error that leaves these posts unknown."""
        for attempt in range(VK_RETRIES):
            if self.calls and self.delay:
                self.sleep(self.delay)  # the per-token rate VK allows (``options.rps``)
            self.calls += 1
            try:
                answer = self.client.get(f"{self.access.base_url.rstrip('/')}/method/{method}",
                                         params={**params, "access_token": self.access.token, "v": VK_API_VERSION})
                data = answer.json() if answer.status_code == 200 else None
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("re-check: VK %s failed: %s", method, redact(str(exc)))
                return None
            if not isinstance(data, dict):
                log.warning("re-check: VK %s answered HTTP %d without a JSON object", method, answer.status_code)
                return None
            error = data.get("error")
            if isinstance(error, dict):
                code, message = error.get("error_code"), redact(str(error.get("error_msg", "")))
                if code == 6 and attempt + 1 < VK_RETRIES:
                    self.sleep(backoff_seconds(attempt, first=max(self.delay, 1.0), longest=60.0))
                    continue
                if code in (5, 6, 9):
                    raise _VkStop(f"VK {method} error {code}: {message}")
                log.warning("re-check: VK %s error %s: %s (nothing erased for these posts)", method, code, message)
                return None
            body = data.get("response")
            return body if isinstance(body, dict | list) else None
        return None


def _vk_items(body: dict[str, Any] | list[Any] | None) -> list[dict[str, Any]] | None:
    """The items of a ``wall.getById`` / ``wall.getComment`` answer (an object with ``items``, or the bare
    list older API versions return)."""
    if isinstance(body, dict):
        body = body.get("items")
    if not isinstance(body, list):
        return None
    return [item for item in body if isinstance(item, dict)]


def _deleted_flag(item: dict[str, Any]) -> bool:
    return bool(item.get("is_deleted") or item.get("deleted"))


def check_vk(client: httpx.Client, mentions: Sequence[Mention], access: SourceAccess | None,
             sleep: Callable[[float], None]) -> Verdicts:
    if access is None or not access.token or not access.base_url:
        return {}  # no token: VK cannot be asked
    api = _VkApi(client, access, sleep)
    posts: dict[str, list[int]] = {}  # "owner_post" -> ids of the mentions that are that post
    comments: list[tuple[int, str, str, str]] = []  # (mention id, "owner_post", owner, comment id)
    verdicts: Verdicts = {}
    for mention in mentions:
        parts = mention.external_id.split("_")
        if len(parts) not in (2, 3) or not parts[0].lstrip("-").isdigit() or not all(p.isdigit() for p in parts[1:]):
            verdicts[mention.id] = None
            continue
        post = f"{parts[0]}_{parts[1]}"
        if len(parts) == 2:
            posts.setdefault(post, []).append(mention.id)
        else:
            posts.setdefault(post, [])
            comments.append((mention.id, post, parts[0], parts[2]))
    try:
        gone_posts = _vk_posts(api, list(posts), verdicts, posts)
        for mention_id, post, owner, comment_id in comments:
            if post in gone_posts:
                verdicts[mention_id] = True  # the post is gone with its comments
                continue
            items = _vk_items(api.call("wall.getComment", {"owner_id": owner, "comment_id": comment_id}))
            if items is None:
                verdicts[mention_id] = None
                continue
            mine = [c for c in items if str(c.get("id")) == comment_id]
            if not items or any(_deleted_flag(c) for c in mine):
                verdicts[mention_id] = True
            else:
                verdicts[mention_id] = False if mine else None
    except _VkStop as stop:
        log.warning("re-check: %s; the other VK posts are kept until the next run", stop)
    return verdicts


def _vk_posts(api: _VkApi, keys: list[str], verdicts: Verdicts, mention_ids: dict[str, list[int]]) -> set[str]:
    """Ask ``wall.getById`` about these posts (batches of 100); fill the verdicts of their mentions and
    return the posts that are positively gone."""
    gone: set[str] = set()
    for start in range(0, len(keys), VK_BATCH):
        batch = keys[start:start + VK_BATCH]
        items = _vk_items(api.call("wall.getById", {"posts": ",".join(batch)}))
        if items is None:
            continue  # unknown: these posts stay
        present = {f"{item.get('owner_id')}_{item.get('id')}": item for item in items}
        for key in batch:
            item = present.get(key)
            is_gone = item is None or _deleted_flag(item)
            if is_gone:
                gone.add(key)
            for mention_id in mention_ids[key]:
                verdicts[mention_id] = is_gone
    return gone


# Kinds whose deletion at the source is observable, with their checker.
CHECKERS: dict[str, Checker] = {
    "mastodon": check_pages,
    "reviews": check_pages,
    "rss": check_pages,
    "telegram": check_telegram,
    "vk": check_vk,
}


def real_sleep(seconds: float) -> None:
    time.sleep(seconds)
