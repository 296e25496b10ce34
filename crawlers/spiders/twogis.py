"""2GIS reviews of a company's branches through the public reviews API the 2GIS site itself uses:
``GET /2.0/branches/<branch_id>/reviews?limit=50&key=<key>&locale=ru_RU&sort_by=date_created`` (or
``/3.0/orgs/<org_id>/reviews`` for ``org:<id>`` targets), newest first, paged by ``meta.next_link``.

Each review has ``id``, ``text``, ``rating``, ``date_created`` (ISO 8601 with the city's offset), ``user.name``
and, when the company answered, ``official_answer`` (``text``, ``date_created``). A review is addressed to
its branch (the account is the branch id, listed under ``official_accounts.twogis`` in the catalog); the
company's answer is stored as its official reply. The API key (``options.key``) is the one the 2GIS site
sends; field names follow the responses seen in public code, not a documented contract: anything missing is
an error of the crawl, never a crash.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import Response

from crawlers.spiders.base import MolvaSpider
from crawlers.text import parse_datetime, plain_text
from molva.ingest import MentionData, ReplyData

PAGE = 50


def _with_key(url: str, key: str) -> str:
    """``url`` with the API key (a ``next_link`` may come without it)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if key and not query.get("key"):
        query["key"] = key
    return urlunsplit(parts._replace(query=urlencode(query)))


class TwoGisSpider(MolvaSpider):
    name = "twogis"
    kind = "twogis"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key = str(self.options.get("key") or "")
        self.started_at = datetime.now(UTC)

    def first_url(self, target: str) -> str | None:
        kind, sep, value = target.partition(":")
        if not sep:
            kind, value = "branch", target
        if not value.isdigit() or kind not in ("branch", "branches", "org"):
            return None
        path = f"/3.0/orgs/{value}/reviews" if kind == "org" else f"/2.0/branches/{value}/reviews"
        query = {"limit": PAGE, "key": self.key, "locale": "ru_RU", "sort_by": "date_created"}
        return f"{self.base_url}{path}?{urlencode(query)}"

    async def start(self) -> AsyncIterator[Any]:
        for target in self.targets:
            url = self.first_url(target.strip())
            if url is None:
                self.record_error(f"bad 2GIS target {target!r}: expected a branch id or org:<id>", target)
                continue
            yield self.request(url, self.parse_reviews, target, page=1)

    def parse_reviews(self, response: Response) -> Iterator[Any]:
        meta = response.meta if response.request is not None else {}
        target, page = str(meta.get("target") or ""), int(meta.get("page") or 1)
        text = self.page_text(response)
        if text is None:
            return
        try:
            body = json.loads(text)
        except ValueError:
            retry = self.retry_or_error(response, f"2GIS reviews: the answer is not JSON ({response.url})", target)
            if retry is not None:
                yield retry
            return
        reviews = body.get("reviews") if isinstance(body, dict) else None
        if not isinstance(reviews, list):
            self.record_error(f"2GIS reviews: no 'reviews' list in the answer ({response.url})", target or None)
            return
        self.page_ok()
        branch = target.partition(":")[2] if ":" in target else target
        ids: list[str] = []
        for _, items in self.entries(reviews, lambda r: list(self.review_items(r, branch, response)) or None,
                                     f"2GIS reviews: malformed review in {response.url}", target or None):
            ids.append(items[0].external_id)
            for item in items:
                if isinstance(item, MentionData) and item.external_id in self.known_ids:
                    continue
                if isinstance(item, ReplyData) and item.parent_external_id in self.replied_ids:
                    continue
                yield item
        next_link = ((body.get("meta") or {}).get("next_link") or "") if isinstance(body.get("meta"), dict) else ""
        if next_link and target and self.should_page_on(target, ids, page):
            yield self.request(_with_key(str(next_link), self.key), self.parse_reviews, target, page=page + 1)
        elif target:
            self.finish_target(target, "end" if not next_link else ("limit" if page >= self.max_pages else "known"))

    def review_items(self, review: dict[str, Any], branch: str, response: Response) -> Iterator[Any]:
        review_id = str(review.get("id") or "")
        published = parse_datetime(str(review.get("date_created") or ""))
        text = plain_text(str(review.get("text") or ""))
        if not review_id or published is None:
            return
        obj = review.get("object") if isinstance(review.get("object"), dict) else {}
        branch = str((obj or {}).get("id") or branch)
        user = review.get("user") if isinstance(review.get("user"), dict) else {}
        rating = review.get("rating")
        own_url = str(review.get("url") or "")  # a review 2GIS shows from a partner site (Flamp) links there
        url = own_url if own_url.startswith(("https://", "http://")) else (
            f"https://2gis.ru/reviews/{branch}/review/{review_id}" if branch else response.url)
        yield MentionData(
            kind=self.kind, external_id=review_id, url=url, text=text, published_at=published,
            author=(user or {}).get("name") or None, author_id=str((user or {}).get("id") or "") or None,
            rating=rating if isinstance(rating, int) and 1 <= rating <= 5 else None,
            likes=review.get("likes_count") if isinstance(review.get("likes_count"), int) else None,
            comments=review.get("comments_count") if isinstance(review.get("comments_count"), int) else None,
            addressed_accounts=[branch] if branch else [],
        )
        answer = review.get("official_answer")
        if isinstance(answer, dict) and (answer.get("text") or "").strip():
            replied = parse_datetime(str(answer.get("date_created") or answer.get("date_edited") or ""))
            yield ReplyData(
                kind=self.kind, parent_external_id=review_id, account=branch,
                reply_external_id=str(answer.get("id") or f"{review_id}/answer"),
                replied_at=replied or max(self.started_at, published), text=plain_text(str(answer["text"])), url=url,
                replied_at_known=replied is not None,
            )
