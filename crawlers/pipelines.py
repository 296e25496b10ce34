"""The one item pipeline: store mentions, their catalog brands and official replies; commit in small batches.

No classification happens here: brand mentions are stored with ``sentiment = NULL`` for ``molva classify``.
When the spider closes (finished, interrupted by SIGTERM, or failed) the crawl run is finished with the
spider's error count, and the source's incremental state and health are updated.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy.orm import Session

from crawlers.spiders.base import MolvaSpider
from molva.catalog import Catalog, load_catalog
from molva.db import make_sessionmaker
from molva.ingest import Ingestor, MentionData, ReplyData, finish_run, set_state
from molva.models import CrawlRun, Source

log = logging.getLogger(__name__)

COMMIT_SECONDS = 2.0


class StorePipeline:
    def __init__(self, crawler: Crawler, db_url: str, catalog_path: str | None, batch_size: int,
                 disable_after: int) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.catalog_path = catalog_path
        self.batch_size = max(1, batch_size)
        self.disable_after = disable_after
        self.session: Session | None = None
        self.ingestor: Ingestor | None = None
        self.pending = 0
        self.last_commit = time.monotonic()
        self.item_errors: list[str] = []
        self.finished = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        pipeline = cls(crawler, settings["MOLVA_DB_URL"], settings.get("MOLVA_CATALOG_PATH"),
                       settings.getint("MOLVA_BATCH_SIZE", 50), settings.getint("MOLVA_DISABLE_AFTER", 5))
        crawler.signals.connect(pipeline.spider_error, signal=signals.spider_error)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    @property
    def spider(self) -> MolvaSpider:
        spider = self.crawler.spider
        assert isinstance(spider, MolvaSpider), "Molva's pipeline only serves Molva spiders"
        return spider

    def open_spider(self) -> None:
        spider = self.spider
        catalog: Catalog = load_catalog(Path(self.catalog_path) if self.catalog_path else None)
        self.session = make_sessionmaker(self.db_url)()
        source = self.session.get(Source, spider.source_id)
        run = self.session.get(CrawlRun, spider.run_id)
        if source is None or run is None:
            raise RuntimeError(f"source {spider.source_name!r} or its crawl run is missing from the database")
        # Until this crawl ends well, its targets count as incomplete (a killed crawl resumes in full).
        targets = dict((source.state or {}).get("targets") or {})
        for target in spider.targets:
            targets[target] = {**(targets.get(target) or {}), "complete": False}
        set_state(source, {"targets": targets})
        self.session.commit()
        self.ingestor = Ingestor(self.session, catalog, source, run)

    def process_item(self, item: Any) -> Any:
        assert self.session is not None and self.ingestor is not None
        try:
            with self.session.begin_nested():
                if isinstance(item, MentionData):
                    self.ingestor.store_mention(item)
                elif isinstance(item, ReplyData):
                    self.ingestor.store_reply(item)
                else:
                    raise DropItem(f"not a Molva item: {type(item).__name__}")
        except DropItem:
            raise
        except Exception as exc:  # a bad item must not lose the others
            message = f"could not store {getattr(item, 'external_id', None) or getattr(item, 'reply_external_id', '?')}: {exc}"
            self.item_errors.append(message)
            log.error("%s: %s", self.spider.source_name, message)
            raise DropItem(message) from exc
        self.pending += 1
        if self.pending >= self.batch_size or time.monotonic() - self.last_commit > COMMIT_SECONDS:
            self.commit()
        return item

    def commit(self) -> None:
        if self.session is not None:
            self.session.commit()
        self.pending = 0
        self.last_commit = time.monotonic()

    def spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        message = f"error parsing {getattr(response, 'url', '?')}: {failure.getErrorMessage()}"
        self.item_errors.append(message)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.finished or self.session is None or self.ingestor is None:
            return
        self.finished = True
        molva_spider = self.spider
        session, ingestor = self.session, self.ingestor
        try:
            self.commit()
            source, run = ingestor.source, ingestor.run
            assert run is not None
            if molva_spider.state_updates:
                set_state(source, molva_spider.state_updates)
            errors = molva_spider.errors + self.item_errors
            message = errors[0] if errors else None
            if molva_spider.fatal:
                message = molva_spider.fatal
            if len(errors) > 1 and message:
                message = f"{message} (+{len(errors) - 1} more)"
            stats: dict[str, Any] = {**ingestor.counts, "pages": molva_spider.pages_ok, "close_reason": reason}
            run.items_seen = ingestor.counts["new"] + ingestor.counts["known"] + ingestor.counts["duplicate_url"]
            run.items_new = ingestor.counts["new"]
            status = finish_run(session, source, run, errors=len(errors), error_message=message,
                                fatal=molva_spider.fatal is not None, pages_ok=molva_spider.pages_ok,
                                interval=molva_spider.interval, disable_after=self.disable_after, stats=stats)
            if reason not in ("finished", "vk_auth_failed") and status == "ok":
                run.status = "partial"
                run.error_message = f"stopped before the end ({reason})"
            session.commit()
        finally:
            session.close()
