"""Downloader middlewares: honour ``Retry-After`` on 429/503, back off on VK's error 6. Spider middleware: a
callback that fails unexpectedly is one error line of its target, not a traceback."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CloseSpider
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

from molva.db import backoff_seconds

log = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


async def _sleep(seconds: float) -> None:
    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


class _Base:
    def __init__(self, crawler: Crawler, max_wait: float, retry_times: int) -> None:
        self.crawler = crawler
        self.max_wait = max_wait
        self.retry_times = retry_times

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler, crawler.settings.getfloat("MOLVA_RETRY_AFTER_MAX", 60.0),
                   crawler.settings.getint("RETRY_TIMES", 3))

    def retry(self, request: Request, reason: str) -> Request | None:
        assert self.crawler.spider is not None
        return get_retry_request(request, spider=self.crawler.spider, reason=reason,
                                 max_retry_times=self.retry_times)


class RetryAfterMiddleware(_Base):
    """On 429/503 with ``Retry-After``: wait that long (at most ``MOLVA_RETRY_AFTER_MAX``), then retry.

    Placed just before Scrapy's RetryMiddleware (which retries those codes immediately without it).
    """

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in (429, 503) or request.meta.get("dont_retry"):
            return response
        delay = retry_after_seconds(response.headers.get("Retry-After"))
        if delay is None:
            return response
        retry = self.retry(request, f"{response.status} Retry-After {delay:g}s")
        if retry is None:
            return response
        wait = min(delay, self.max_wait)
        log.info("%s answered %s: retrying %s in %.1fs", request.url, response.status, request.url, wait)
        await _sleep(wait)
        return retry


class VkRateLimitMiddleware(_Base):
    """VK answers "too many requests per second" as HTTP 200 with ``error_code`` 6: back off and retry."""

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if not request.meta.get("vk") or b'"error_code":6' not in response.body.replace(b" ", b""):
            return response
        attempt = int(request.meta.get("vk_rate_retries", 0))
        if attempt >= max(self.retry_times, 5):
            return response
        retry = request.replace(dont_filter=True)
        retry.meta["vk_rate_retries"] = attempt + 1
        await _sleep(backoff_seconds(attempt, first=0.5, longest=self.max_wait))
        return retry


class ParseErrorMiddleware:
    """A spider callback that raises (a page of a shape no reader expected): one error line for the page's
    target — ``error parsing URL: Type: message`` — counted in the crawl run, the target walked again next time;
    the traceback goes to the debug log only. The items the callback gave before are kept (the spiders read
    each entry of a page apart, :meth:`crawlers.spiders.base.MolvaSpider.entries`, so this is the last resort).
    ``CloseSpider`` and HTTP errors keep their own handling."""

    def process_spider_exception(self, response: Response, exception: Exception, spider: Any) -> list[Any] | None:
        from crawlers.spiders.base import MolvaSpider

        if not isinstance(spider, MolvaSpider) or isinstance(exception, CloseSpider | HttpError):
            return None
        meta = response.meta if response.request is not None else {}
        reason = " ".join(str(exception).split())
        message = f"error parsing {response.url}: {type(exception).__name__}" + (f": {reason[:300]}" if reason else "")
        log.debug("%s: %s", spider.source_name, message, exc_info=exception)
        spider.record_error(message, meta.get("target"))
        return []
