"""banki.ru: the reviews service ("Отзывы", ``/services/responses/``) and the Q&A service ("Вопрос — ответ",
``/services/questions-answers/``), with the bank's official answers.

Targets: a bank slug (``sberbank``) reads its review list ``/services/responses/bank/<slug>/?page=N``;
``qa:<id>`` reads the bank's Q&A ``/services/questions-answers/?id=<id>&p=N``. Every review and question is
addressed to its bank; the bank's answer is stored as that bank's official reply (account: the bank slug).
The page readers are in :mod:`crawlers.spiders.banki`; each callback recognises the page it got (Q&A,
review list with its JSON, older card list, review page), so a page served at an unexpected address is
still read right. Pages are decoded by their declared charset (``windows-1251``).

A Q&A answer carries no date on the page: its time is when the crawl first saw it (an upper bound; the
question's own time when that is later). Likewise a review answer without a date in the list JSON. Such a time
is stored as known (``replied_at_known``) only when the post was stored unanswered by an earlier crawl (the
answer came between two crawls); an answer already there at first sight counts as answered, not in answer times.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from parsel import Selector
from scrapy.http import Request, Response

from crawlers.spiders.banki import (
    QA_LIST,
    QA_PERMALINK,
    REVIEW_PAGE,
    REVIEWS_LIST,
    bank_slug,
    has_reviews_payload,
    is_qa_page,
    parse_qa_page,
    parse_reviews_payload,
    qa_external_id,
    read_review_page,
)
from crawlers.spiders.base import MolvaSpider
from crawlers.text import html_to_text, parse_datetime, parse_ru_datetime, selector_text
from molva.ingest import MentionData, ReplyData

LIST = REVIEWS_LIST
REVIEW = REVIEW_PAGE


def _rating(value: str | None) -> int | None:
    try:
        rating = int((value or "").strip())
    except ValueError:
        return None
    return rating if 1 <= rating <= 5 else None


class ReviewsSpider(MolvaSpider):
    name = "reviews"
    kind = "reviews"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.started_at = datetime.now(UTC)

    # --- requests -------------------------------------------------------------------------------

    def list_request(self, slug: str, page: int) -> Request:
        return self.request(self.base_url + LIST.format(slug=slug, page=page), self.parse_list, slug, page=page)

    def qa_request(self, target: str, page: int) -> Request:
        qa_id = target.partition(":")[2]
        return self.request(self.base_url + QA_LIST.format(qa_id=qa_id, page=page), self.parse_list, target,
                            page=page)

    async def start(self) -> AsyncIterator[Any]:
        for target in self.targets:
            target = target.strip().strip("/")
            kind, sep, value = target.partition(":")
            if sep and kind in ("qa", "questions"):
                if value.isdigit():
                    yield self.qa_request(f"qa:{value}", 1)
                else:
                    self.record_error(f"bad banki.ru target {target!r}: expected qa:<numeric id>", target)
            else:
                yield self.list_request(target, 1)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        yield from self.parse_list(response)

    # --- pages ----------------------------------------------------------------------------------

    def _meta(self, response: Response) -> tuple[str, int]:
        meta = getattr(response, "meta", None) if response.request is not None else None
        meta = meta or {}
        return str(meta.get("target") or ""), int(meta.get("page") or 1)

    def parse_list(self, response: Response) -> Iterator[Any]:
        """A list page: Q&A questions, the JSON review list, or the older card list (each recognised)."""
        target, page = self._meta(response)
        if self.cut_html(response):
            retry = self.retry_or_error(response, f"page cut short at {response.url} (no </html>)")
            if retry is not None:
                yield retry
            return
        selector = self.page_selector(response)
        if selector is None:
            return  # not readable in any charset: an error, not garbage
        if is_qa_page(selector, response.url):
            yield from self.parse_questions(response, selector, target, page)
        elif has_reviews_payload(selector):
            yield from self.parse_reviews_json(response, selector, target, page)
        elif selector.css(".response-page") or "/responses/bank/response/" in response.url:
            yield from self.parse_review(response)
        else:
            yield from self.parse_cards(response, selector, target, page)

    def parse_questions(self, response: Response, selector: Selector, target: str, page: int) -> Iterator[Any]:
        parsed = parse_qa_page(selector)
        empty = parsed.total is not None and (parsed.page - 1) * 15 >= parsed.total  # declared: no questions here
        if not parsed.questions and not empty:
            retry = self.changed_markup(response, '"tr.question" with a "questionId" link and a date')
            if retry is not None:
                yield retry
            return
        self.page_ok()
        if parsed.malformed:
            self.record_error(f"{parsed.malformed} malformed question(s) on {response.url}", target or None)
        bank = parsed.bank or target
        seen_at = self.observed_at(response)
        fresh: list[str] = []
        ids: list[str] = []
        for question in parsed.questions:
            external_id = qa_external_id(question.id)
            ids.append(external_id)
            new = external_id not in self.known_ids
            if new:
                fresh.append(external_id)
                yield MentionData(
                    kind=self.kind, external_id=external_id,
                    url=self.site_url(response) + QA_PERMALINK.format(id=question.id), text=question.text,
                    published_at=question.published, author=question.author, author_id=question.author_id,
                    addressed_accounts=[bank] if bank else [],
                )
            if question.answer and external_id not in self.replied_ids:
                if not new:
                    fresh.append(external_id)
                yield ReplyData(
                    kind=self.kind, parent_external_id=external_id, account=bank,
                    reply_external_id=f"{external_id}/answer", replied_at=max(seen_at, question.published),
                    text=question.answer, url=self.site_url(response) + QA_PERMALINK.format(id=question.id),
                    replied_at_known=not new,
                )
        qa_id = target.partition(":")[2] if target.startswith("qa:") else qa_id_of(response.url)
        if parsed.next_page and qa_id and self.page_on(target, fresh, parsed.page):
            url = self.site_url(response) + QA_LIST.format(qa_id=qa_id, page=parsed.next_page)
            yield self.request(url, self.parse_list, target, page=parsed.next_page)
        elif target:
            reason = "end" if not parsed.next_page else ("limit" if page >= self.max_pages else "known")
            self.finish_target(target, reason)

    def page_on(self, target: str, fresh: list[str], page: int) -> bool:
        """Read the next page? Not past ``max_pages``; else while a page brings anything new (a post, or an
        answer to a known one), and always the first ``options.recheck_pages`` pages (answers come late)."""
        if page >= self.max_pages:
            return False
        recheck = int(self.options.get("recheck_pages") or 1)
        return bool(fresh) or not self.was_complete(target) or page < recheck

    def observed_at(self, response: Response) -> datetime:
        """When the page was served: its ``Date`` header (the site's clock), else the crawl's start."""
        header = response.headers.get("Date") if response.headers else None
        served = parse_datetime(header.decode("latin-1")) if header else None
        return served or self.started_at

    def site_url(self, response: Response) -> str:
        if self.base_url:
            return self.base_url
        parts = response.url.split("/", 3)
        return "/".join(parts[:3])

    def parse_reviews_json(self, response: Response, selector: Selector, target: str, page: int) -> Iterator[Any]:
        parsed = parse_reviews_payload(selector)
        assert parsed is not None
        self.page_ok()
        if parsed.malformed:
            self.record_error(f"{parsed.malformed} malformed review(s) in the list {response.url}", target or None)
        bank = target or bank_from_url(response.url)
        fresh: list[str] = []
        for review in parsed.reviews:
            new = review.id not in self.known_ids
            url = self.site_url(response) + REVIEW.format(id=review.id)
            if new:
                fresh.append(review.id)
                yield MentionData(
                    kind=self.kind, external_id=review.id, url=url, text=review.text, title=review.title,
                    published_at=review.published, author=review.author, rating=review.rating,
                    addressed_accounts=[bank] if bank else [],
                )
            if review.answer and review.id not in self.replied_ids:
                if not new:
                    fresh.append(review.id)
                replied = review.answered_at or max(self.observed_at(response), review.published)
                yield ReplyData(kind=self.kind, parent_external_id=review.id, account=bank,
                                reply_external_id=f"answer-{review.id}", replied_at=replied, text=review.answer,
                                url=url, replied_at_known=review.answered_at is not None or not new)
        if parsed.has_more and parsed.reviews and self.page_on(target, fresh, page):
            yield self.list_request(target, page + 1)
        elif target:
            reason = "end" if not parsed.has_more else ("limit" if page >= self.max_pages else "known")
            self.finish_target(target, reason)

    def parse_cards(self, response: Response, selector: Selector, target: str, page: int) -> Iterator[Request]:
        """The older server-rendered list: ``article.responses__item[data-id]`` cards; each new (or newly
        answered) review is read from its own page."""
        slug = target
        cards = selector.css("[data-id].responses__item, article.responses__item")
        if not cards and (not selector.css(".responses-list")
                          or selector.css(".responses-list article, .responses-list [data-id], .ui-pagination__next")):
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
                self.record_error(f"review card without an id on {response.url}", slug or None)
                continue
            answered = bool(card.css(".responses__item__answered"))
            if review_id not in self.known_ids or (answered and review_id not in self.replied_ids):
                fresh.append(review_id)
                url = self.site_url(response) + REVIEW.format(id=review_id)
                yield self.request(url, self.parse_review, slug, review_id=review_id)
        has_next = bool(selector.css(".ui-pagination__next"))
        if has_next and (fresh or not self.was_complete(slug)) and page < self.max_pages:
            yield self.list_request(slug, page + 1)
        elif slug:
            self.finish_target(slug, "end" if not has_next else ("limit" if page >= self.max_pages else "known"))

    def parse_review(self, response: Response) -> Iterator[MentionData | ReplyData | Request]:
        meta = response.meta if response.request is not None else {}
        slug = str(meta.get("target") or "")
        review_id = str(meta.get("review_id") or response.url.rstrip("/").rpartition("/")[2])
        if self.cut_html(response):
            retry = self.retry_or_error(response, f"malformed review page {response.url}: cut short (no </html>)")
            if retry is not None:
                yield retry
            return
        selector = self.page_selector(response)
        if selector is None:
            return
        page = selector.css(".response-page")
        if not page and review_id.isdigit():
            other = read_review_page(selector, review_id)  # a newer layout (generated class names)
            if other is not None:
                self.page_ok()
                if review_id not in self.known_ids:
                    yield MentionData(kind=self.kind, external_id=review_id, url=response.url, text=other.text,
                                      title=other.title, published_at=other.published, author=other.author,
                                      rating=other.rating, addressed_accounts=[slug or bank_slug(selector) or ""])
                return
        published = parse_datetime(page.css(".response-page__date::attr(datetime)").get()) or parse_ru_datetime(
            " ".join(page.css(".response-page__date ::text").getall()))
        text = selector_text(page.css(".response-page__text"))
        answer = page.css(".bank-answer")
        missing = (None if page else '".response-page"') or (
            None if published is not None else '".response-page__date[datetime]"') or (
            None if text else '".response-page__text"') or (
            '".bank-answer__text"' if answer and not answer.css(".bank-answer__text") else None)
        if missing or published is None:
            retry = self.retry_or_error(response, f"malformed review page {response.url}: changed markup at "
                                                  f"{response.url}: no {missing} element", slug or None)
            if retry is not None:
                yield retry
            return
        self.page_ok()
        bank = (page.css(".response-page__bank a::attr(href)").get() or "").rstrip("/").rpartition("/")[2] or slug
        if review_id not in self.known_ids:
            yield MentionData(
                kind=self.kind, external_id=review_id, url=response.url, text=text,
                title=selector_text(page.css(".response-page__title")) or None, published_at=published,
                author=selector_text(page.css(".response-page__author-name")) or None,
                rating=_rating(page.css(".rating-grade::attr(data-grade)").get()
                               or page.css(".rating-grade::text").get()),
                addressed_accounts=[bank],
            )
        if answer:
            replied = parse_datetime(answer.css(".bank-answer__date::attr(datetime)").get())
            if replied is None:
                self.record_error(f"official answer without a date on {response.url}", slug or None)
                return
            yield ReplyData(
                kind=self.kind, parent_external_id=review_id, account=bank,
                reply_external_id=answer.attrib.get("data-answer-id") or f"answer-{review_id}",
                replied_at=replied, text=html_to_text(answer.css(".bank-answer__text").get()), url=response.url,
            )


def qa_id_of(url: str) -> str:
    """The bank's Q&A id in a ``/services/questions-answers/?id=<id>`` URL ("" when there is none)."""
    value = (parse_qs(urlsplit(url).query).get("id") or [""])[0]
    return value if value.isdigit() else ""


def bank_from_url(url: str) -> str:
    """``.../services/responses/bank/<slug>/...`` -> ``<slug>`` ("" when the URL has none)."""
    parts = [p for p in url.split("?", 1)[0].split("/") if p]
    if "bank" in parts:
        index = parts.index("bank")
        if index + 1 < len(parts) and parts[index + 1] != "response":
            return parts[index + 1]
    return ""
