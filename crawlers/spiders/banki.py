"""banki.ru page readers (no requests here): the "Вопрос — ответ" service and the reviews service.

**Q&A** ``/services/questions-answers/?id=<qa_id>&p=<page>`` (15 questions a page, newest first; the page
declares ``windows-1251``). Each question is a ``table.qaBlock``: ``tr.question`` (text in the second cell's
first ``div``, ``a[href*=questionId]`` "постоянный адрес", the author's profile link, "(city)" and the date
``dd.mm.yyyy hh:mm`` in Moscow time inside ``div.widget__info``) and, when the bank's expert answered,
``tr.answer`` (text and ``nobr`` signature; the page shows no date for the answer). Paging is declared in
``div[data-module="ui.pagination"][data-options]``: ``currentPageNumber; itemsPerPage; totalItems;
getParamName: p``. The bank is the ``/banks/bank/<slug>/`` link of the page header.

**Reviews** ``/services/responses/bank/<slug>/?page=N`` (25 a page, newest first): the list is embedded as
JSON in a ``data-module-options`` attribute (``{"responses": {"data": [...], "hasMorePages": ...}}``;
each review has ``id``, ``title``, ``text`` (HTML), ``grade`` (1-5 or null), ``dateCreate`` (Moscow time,
``YYYY-MM-DD hh:mm:ss``) and the bank's answer ``agentAnswerText``), next to a JSON-LD block; older pages
render ``article.responses__item[data-id]`` cards whose review pages carry the text and the answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from parsel import Selector, SelectorList

from crawlers.text import MALFORMED_ENTRY, MSK, html_to_text, parse_datetime, parse_ru_datetime, selector_text

QA_LIST = "/services/questions-answers/?id={qa_id}&p={page}"
QA_PERMALINK = "/services/questions-answers/?questionId={id}"
REVIEWS_LIST = "/services/responses/bank/{slug}/?page={page}"
REVIEW_PAGE = "/services/responses/bank/response/{id}/"

_CITY = re.compile(r"\(([^()]{1,80})\)")
_BANK_HREF = re.compile(r"/banks/bank/([^/?#]+)/?")
_ANSWER_DATE_KEYS = ("agentAnswerDate", "agentAnswerDateCreate", "answerDate", "dateAnswer", "agentAnswerCreated")
_AUTHOR_KEYS = ("userName", "authorName", "userLogin", "login", "author")


def qa_external_id(question_id: str) -> str:
    """Questions and reviews are numbered separately on banki.ru: the question ids get a prefix."""
    return f"qa-{question_id}"


@dataclass
class Question:
    id: str
    text: str
    published: datetime
    author: str | None = None
    author_id: str | None = None
    city: str | None = None
    answer: str | None = None  # the bank's official answer
    answer_author: str | None = None


@dataclass
class QaPage:
    questions: list[Question]
    bank: str | None  # banki.ru bank slug
    page: int
    next_page: int | None
    malformed: int = 0  # question blocks that could not be read
    total: int | None = None  # questions of the bank, as the paging declares


def is_qa_page(selector: Selector, url: str = "") -> bool:
    return "/questions-answers" in url or bool(selector.css("table.qaBlock, tr.question"))


def _pagination(selector: Selector) -> dict[str, str]:
    options = selector.css('[data-module="ui.pagination"]::attr(data-options)').get() or ""
    values: dict[str, str] = {}
    for part in options.split(";"):
        key, sep, value = part.partition(":")
        if sep:
            values[key.strip()] = value.strip()
    return values


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def bank_slug(selector: Selector) -> str | None:
    for href in selector.css(".b-info-link-banks a::attr(href), a[href*='/banks/bank/']::attr(href)").getall():
        match = _BANK_HREF.search(href)
        if match:
            return match.group(1)
    return None


def _question(block: Selector) -> Question | None:
    row = block.css("tr.question")
    if not row:
        return None
    cells = row.xpath("./td")
    body = cells[1] if len(cells) > 1 else cells[0] if cells else None
    if body is None:
        return None
    link = row.css("a[href*='questionId=']::attr(href)").get() or ""
    question_id = (parse_qs(urlsplit(link).query).get("questionId") or [""])[0]
    text_div = body.xpath("./div[1]")
    text = selector_text(text_div) if text_div else ""
    published = None
    author = author_id = city = None
    for info in row.css("div.widget__info"):
        if info.css("a[href*='questionId=']"):
            continue
        raw = " ".join(info.css("::text").getall())
        published = published or parse_ru_datetime(raw)
        profile = info.css("a[href*='UID=']")
        if profile:
            author = selector_text(profile) or None
            author_id = (parse_qs(urlsplit(profile.attrib.get("href", "")).query).get("UID") or [""])[0] or None
            tail = " ".join(profile.xpath("./following-sibling::text()").getall())
            found = _CITY.search(tail)
            city = found.group(1).strip() if found else None
    if not question_id.isdigit() or published is None or not text:
        return None
    question = Question(id=question_id, text=text, published=published, author=author, author_id=author_id,
                        city=city)
    answer = block.css("tr.answer")
    if answer:
        answer_cells = answer.xpath("./td")
        answer_body = answer_cells[-1] if answer_cells else answer
        answer_div = answer_body.xpath("./div[1]")
        question.answer = selector_text(answer_div if answer_div else answer_body) or None
        question.answer_author = selector_text(answer.css("div.widget__info nobr, div.widget__info")) or None
    return question


def parse_qa_page(selector: Selector) -> QaPage:
    """The questions of one Q&A page, its bank and the next page number (``None`` on the last page)."""
    questions: list[Question] = []
    malformed = 0
    blocks = selector.css("table.qaBlock")
    if not blocks:  # the rows without their table (a cut-down copy of the page)
        blocks = SelectorList([parent for row in selector.css("tr.question") for parent in row.xpath("..")])
    for block in blocks:
        try:
            question = _question(block)
        except MALFORMED_ENTRY:
            question = None
        if question is None:
            malformed += 1
        else:
            questions.append(question)
    paging = _pagination(selector)
    page = _int(paging.get("currentPageNumber")) or 1
    per_page = _int(paging.get("itemsPerPage")) or 15
    total = _int(paging.get("totalItems"))
    more = total is not None and page * per_page < total
    return QaPage(questions, bank_slug(selector), page, page + 1 if more and questions else None, malformed, total)


# --- reviews ----------------------------------------------------------------------------------------

@dataclass
class Review:
    id: str
    text: str
    published: datetime
    title: str | None = None
    rating: int | None = None
    author: str | None = None
    answer: str | None = None
    answered_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReviewsPage:
    reviews: list[Review]
    has_more: bool
    malformed: int = 0


def _responses_payload(selector: Selector) -> dict[str, Any] | None:
    for raw in selector.css("[data-module-options]::attr(data-module-options)").getall():
        try:
            options = json.loads(raw)
        except ValueError:
            continue
        responses = options.get("responses") if isinstance(options, dict) else None
        if isinstance(responses, dict) and isinstance(responses.get("data"), list):
            return responses
    return None


def has_reviews_payload(selector: Selector) -> bool:
    return _responses_payload(selector) is not None


def _rating(value: Any) -> int | None:
    rating = _int(value)
    return rating if rating is not None and 1 <= rating <= 5 else None


def _jsonld_authors(selector: Selector) -> list[str | None]:
    for raw in selector.css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        reviews = data.get("review") if isinstance(data, dict) else None
        if isinstance(reviews, list):
            authors: list[str | None] = []
            for review in reviews:
                author = review.get("author") if isinstance(review, dict) else None
                if isinstance(author, dict):
                    author = author.get("name")
                authors.append(str(author) if author else None)
            return authors
    return []


def _review(item: dict[str, Any], author_hint: str | None) -> Review | None:
    review_id = str(item.get("id") or "")
    published = parse_datetime(str(item.get("dateCreate") or item.get("date") or ""), naive_tz=MSK)
    text = html_to_text(str(item.get("text") or ""))
    if not review_id.isdigit() or published is None or not text:
        return None
    author = next((item[k] for k in _AUTHOR_KEYS if isinstance(item.get(k), str) and item[k]), None)
    user = item.get("user")
    if author is None and isinstance(user, dict):
        author = user.get("name") or user.get("login")
    answer = html_to_text(str(item.get("agentAnswerText") or "")) or None
    answered_at = None
    if answer:
        for key in _ANSWER_DATE_KEYS:
            answered_at = parse_datetime(str(item.get(key) or ""), naive_tz=MSK)
            if answered_at is not None:
                break
    return Review(id=review_id, text=text, published=published, title=html_to_text(str(item.get("title") or "")) or None,
                  rating=_rating(item.get("grade")), author=str(author or author_hint or "") or None, answer=answer,
                  answered_at=answered_at, extra={"agent": item.get("agentName")})


def parse_reviews_payload(selector: Selector) -> ReviewsPage | None:
    """The reviews embedded in a list page as JSON; ``None`` when the page has no such payload."""
    payload = _responses_payload(selector)
    if payload is None:
        return None
    authors = _jsonld_authors(selector)
    reviews: list[Review] = []
    malformed = 0
    for index, item in enumerate(payload.get("data") or []):
        hint = authors[index] if index < len(authors) else None
        try:
            review = _review(item, hint) if isinstance(item, dict) else None
        except MALFORMED_ENTRY:
            review = None
        if review is None:
            malformed += 1
        else:
            reviews.append(review)
    return ReviewsPage(reviews, bool(payload.get("hasMorePages")), malformed)


def _ld_objects(selector: Selector) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for raw in selector.css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                found.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
    return found


def read_review_page(selector: Selector, review_id: str) -> Review | None:
    """A review page of another layout than the classic ``.response-page`` (generated class names): its
    JSON-LD ``Review`` when there is one, else the page's ``h1``, its ``reviewBody`` or first
    ``markdown-inside`` block and the first ``dd.mm.yyyy hh:mm`` date. ``None`` when nothing fits."""
    for item in _ld_objects(selector):
        if item.get("@type") != "Review":
            continue
        text = html_to_text(str(item.get("reviewBody") or item.get("description") or ""))
        published = parse_datetime(str(item.get("datePublished") or ""), naive_tz=MSK)
        author = item.get("author")
        if isinstance(author, dict):
            author = author.get("name")
        rating = item.get("reviewRating")
        if text and published is not None:
            return Review(id=review_id, text=text, published=published,
                          title=html_to_text(str(item.get("name") or "")) or None,
                          rating=_rating(rating.get("ratingValue") if isinstance(rating, dict) else rating),
                          author=str(author) if author else None)
    body = selector.css('[itemprop="reviewBody"]') or selector.css('[class*="markdown-inside"]')
    text = selector_text(body)
    date_text = " ".join(selector.css('[itemprop="datePublished"]::attr(content), time::attr(datetime)').getall())
    published = parse_datetime(date_text.split(" ")[0]) if date_text else None
    if published is None:
        main = selector.css("main, article, body")
        published = parse_ru_datetime(" ".join(main[0].css("::text").getall()) if main else "")
    grade = selector.css("[data-test-grade]::attr(data-test-grade), [data-grade]::attr(data-grade)").get()
    if not text or published is None:
        return None
    return Review(id=review_id, text=text, published=published, title=selector_text(selector.css("h1")) or None,
                  rating=_rating(grade))
