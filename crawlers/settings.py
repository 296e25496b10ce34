"""Scrapy settings derived from Molva's :class:`~molva.settings.CrawlSettings` (read once, at the edge)."""

from __future__ import annotations

from typing import Any

from molva.settings import CrawlSettings

SPIDER_MODULES = ["crawlers.spiders"]


def scrapy_settings(
    crawl: CrawlSettings,
    *,
    db_url: str,
    catalog_path: str | None,
    vk_token: str | None = None,
    batch_size: int = 50,
    log_level: str = "WARNING",
    politeness: bool = True,
) -> dict[str, Any]:
    """The settings of one crawl process. ``politeness=False`` is for benchmarks only."""
    settings: dict[str, Any] = {
        "BOT_NAME": "molva",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "DOWNLOAD_DELAY": crawl.download_delay if politeness else 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_domain if politeness else 32,
        "CONCURRENT_REQUESTS": 32,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle and politeness,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrent_requests_per_domain),
        "RETRY_ENABLED": True,
        "RETRY_TIMES": crawl.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": log_level,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.middlewares.RetryAfterMiddleware": 560,
            "crawlers.middlewares.VkRateLimitMiddleware": 565,
        },
        "SPIDER_MIDDLEWARES": {"crawlers.middlewares.ParseErrorMiddleware": 45},  # below HttpError's 50
        "ITEM_PIPELINES": {"crawlers.cleaning.CleanTextPipeline": 100, "crawlers.pipelines.StorePipeline": 300},
        "MOLVA_DB_URL": db_url,
        "MOLVA_CATALOG_PATH": catalog_path,
        "MOLVA_VK_TOKEN": vk_token or "",
        "MOLVA_BATCH_SIZE": batch_size,
        "MOLVA_MAX_PAGES": crawl.max_pages,
        "MOLVA_DISABLE_AFTER": crawl.disable_after_failures,
        "MOLVA_RETRY_AFTER_MAX": max(crawl.download_timeout * 3, 60.0),
    }
    if crawl.redis_url:  # scale-out: see crawlers/shared.py
        settings.update({
            "SCHEDULER": "crawlers.shared.SharedScheduler",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "SCHEDULER_PERSIST": True,  # a process that closes leaves the queue to the others
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
            "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
            "REDIS_URL": crawl.redis_url,
            "MOLVA_REDIS_PREFIX": crawl.redis_key_prefix,
            "MOLVA_SHARED": True,
        })
    return settings
