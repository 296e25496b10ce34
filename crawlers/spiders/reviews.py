"""A banki.ru-like review site: bank review lists ``/services/responses/bank/<slug>/?page=N`` and review
pages ``/services/responses/bank/response/<id>/`` carrying the rating and the bank's official answer.

Every review is addressed to its bank; the representative's answer is stored as that bank's official reply.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Request, Response

from crawlers.spiders.base import MolvaSpider
from crawlers.text import html_to_text, parse_datetime
from molva.ingest import MentionData, ReplyData

LIST = "/services/responses/bank/{slug}/?page={page}"
REVIEW = "/services/responses/bank/response/{id}/"


def _rating(value: str | None) -> int | None:
    try:
        rating = int((value or "").strip())
    except ValueError:
        return None
    return rating if 1 <= rating <= 5 else None


class ReviewsSpider(MolvaSpider):
    name = "reviews"
    kind = "reviews"

    def list_request(self, slug: str, page: int) -> Request:
        return self.request(self.base_url + LIST.format(slug=slug, page=page), self.parse_list, slug, page=page)

    async def start(self) -> AsyncIterator[Any]:
        for slug in self.targets:
            yield self.list_request(slug.strip("/"), 1)

    def parse_list(self, response: Response) -> Iterator[Request]:
        slug, page = response.meta["target"], response.meta["page"]
        if self.cut_html(response):
            retry = self.retry_or_error(response, f"page cut short at {response.url} (no </html>)")
            if retry is not None:
                yield retry
            return
        cards = response.css("[data-id].responses__item, article.responses__item")
        if not cards and (not response.css(".responses-list")
                          or response.css(".responses-list article, .responses-list [data-id], .ui-pagination__next")):
            retry = self.changed_markup(response, '"article.responses__item[data-id]"')
            if retry is not None:
                yield retry
            return
        self.page_ok()
        fresh: list[str] = []
        for card in cards:
            review_id = card.attrib.get("data-id") or ""
            if not review_id.isdigit():
                href = card.css(".responses__item__title a::attr(href)").get() or ""
                review_id = href.rstrip("/").rpartition("/")[2]
            if not review_id.isdigit():
                self.record_error(f"review card without an id on {response.url}", slug)
                continue
            answered = bool(card.css(".responses__item__answered"))
            if review_id not in self.known_ids or (answered and review_id not in self.replied_ids):
                fresh.append(review_id)
                url = self.base_url + REVIEW.format(id=review_id)
                yield self.request(url, self.parse_review, slug, review_id=review_id)
        has_next = bool(response.css(".ui-pagination__next"))
        if has_next and (fresh or not self.was_complete(slug)) and page < self.max_pages:
            yield self.list_request(slug, page + 1)
        else:
            self.finish_target(slug, "end" if not has_next else ("limit" if page >= self.max_pages else "known"))

    def parse_review(self, response: Response) -> Iterator[MentionData | ReplyData | Request]:
        slug, review_id = response.meta["target"], response.meta["review_id"]
        if self.cut_html(response):
            retry = self.retry_or_error(response, f"malformed review page {response.url}: cut short (no </html>)")
            if retry is not None:
                yield retry
            return
        page = response.css(".response-page")
        published = parse_datetime(page.css(".response-page__date::attr(datetime)").get())
        text = html_to_text(page.css(".response-page__text").get())
        answer = page.css(".bank-answer")
        missing = (None if page else '".response-page"') or (
            None if published is not None else '".response-page__date[datetime]"') or (
            None if text else '".response-page__text"') or (
            '".bank-answer__text"' if answer and not answer.css(".bank-answer__text") else None)
        if missing or published is None:
            retry = self.retry_or_error(response, f"malformed review page {response.url}: changed markup at "
                                                  f"{response.url}: no {missing} element", slug)
            if retry is not None:
                yield retry
            return
        self.page_ok()
        bank = (page.css(".response-page__bank a::attr(href)").get() or "").rstrip("/").rpartition("/")[2] or slug
        if review_id not in self.known_ids:
            yield MentionData(
                kind="reviews", external_id=review_id, url=response.url, text=text,
                title=html_to_text(page.css(".response-page__title").get()) or None, published_at=published,
                author=html_to_text(page.css(".response-page__author-name").get()) or None,
                rating=_rating(page.css(".rating-grade::attr(data-grade)").get()
                               or page.css(".rating-grade::text").get()),
                addressed_accounts=[bank],
            )
        if answer:
            replied = parse_datetime(answer.css(".bank-answer__date::attr(datetime)").get())
            if replied is None:
                self.record_error(f"official answer without a date on {response.url}", slug)
                return
            yield ReplyData(
                kind="reviews", parent_external_id=review_id, account=bank,
                reply_external_id=answer.attrib.get("data-answer-id") or f"answer-{review_id}",
                replied_at=replied, text=html_to_text(answer.css(".bank-answer__text").get()), url=response.url,
            )
