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
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from twisted.internet.task import LoopingCall

from crawlers.spiders.base import MolvaSpider
from molva.catalog import Catalog, load_catalog
from molva.db import make_sessionmaker
from molva.ingest import Ingestor, MentionData, ReplyData, finish_run, set_state
from molva.models import CrawlRun, Source
from molva.redaction import redact_all, redact_optional

log = logging.getLogger(__name__)

COMMIT_SECONDS = 2.0
ERROR_SAMPLES = 20  # error messages kept in CrawlRun.stats
RACE_RETRIES = 3


def merge_state(session: Session, source: Source, run: CrawlRun, updates: dict[str, Any]) -> None:
    """Merge a spider's state updates into the source's *current* state (re-read under a row lock: with
    several crawl processes each one closes with what it saw).

    Per target, the last word wins, except that "complete" never overwrites an error of a run that ran at the
    same time (another process failed on that target: the next crawl must walk it again).
    """
    session.refresh(source, with_for_update=True)
    concurrent = set(session.scalars(
        select(CrawlRun.id).where(CrawlRun.source_id == source.id, CrawlRun.id != run.id,
                                  or_(CrawlRun.status == "running", CrawlRun.finished_at >= run.started_at))
    ))
    state = dict(source.state or {})
    for key, value in updates.items():
        stored = state.get(key)
        if key == "targets" and isinstance(value, dict):
            targets = dict(stored) if isinstance(stored, dict) else {}
            for target, mine in value.items():
                previous = targets.get(target)
                old: dict[str, Any] = previous if isinstance(previous, dict) else {}
                if mine.get("complete") and old.get("complete") is False and old.get("run") in concurrent:
                    continue
                targets[target] = {**old, **mine}
            state[key] = targets
        elif isinstance(value, dict) and isinstance(stored, dict):
            state[key] = {**stored, **value}
        else:
            state[key] = value
    set_state(source, state)


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
        self.buffer: list[MentionData | ReplyData] = []
        self.last_commit = time.monotonic()
        self.timer: LoopingCall | None = None
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
        self.ingestor = Ingestor(self.session, catalog, source, run)
        self.session.commit()  # no transaction stays open between batches
        self.timer = LoopingCall(self.flush_if_due)
        self.timer.start(COMMIT_SECONDS, now=False)

    def process_item(self, item: Any) -> Any:
        """Queue the item; a full batch (or one older than ``COMMIT_SECONDS``) is written in one transaction.

        Transactions stay short: on SQLite a transaction holds the write lock from its start, and all the
        spiders of a crawl share one thread (and other processes may write too).
        """
        if not isinstance(item, MentionData | ReplyData):
            raise DropItem(f"not a Molva item: {type(item).__name__}")
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size or time.monotonic() - self.last_commit > COMMIT_SECONDS:
            self.flush()
        return item

    def flush(self) -> None:
        """Store the queued items and commit; a bad item is an error of the run and does not lose the others."""
        if self.session is None or self.ingestor is None:
            return
        items, self.buffer = self.buffer, []
        mentions = [item for item in items if isinstance(item, MentionData)]
        replies = [item for item in items if isinstance(item, ReplyData)]  # after the mentions they answer
        try:
            with self.session.begin_nested():
                self.ingestor.store_many(mentions)  # one batch; a bad item or a race: one by one instead
            one_by_one: list[MentionData | ReplyData] = list(replies)
        except Exception:
            one_by_one = [*mentions, *replies]
        for item in one_by_one:
            try:
                self.store_with_retries(item)
            except Exception as exc:  # a bad item must not lose the others
                name = getattr(item, "external_id", None) or getattr(item, "reply_external_id", "?")
                message = f"could not store {name}: {exc}"
                self.item_errors.append(message)
                log.error("%s: %s", self.spider.source_name, message)
        self.session.commit()
        self.last_commit = time.monotonic()

    def store_with_retries(self, item: MentionData | ReplyData) -> None:
        for attempt in range(RACE_RETRIES + 1):
            try:
                self.store(item)
                return
            except (IntegrityError, OperationalError):
                # Another crawl process (scale-out) stored the same row first, or two deadlocked: the savepoint
                # is rolled back; storing again finds the row and is a no-op.
                if attempt == RACE_RETRIES:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def store(self, item: MentionData | ReplyData) -> None:
        assert self.session is not None and self.ingestor is not None
        with self.session.begin_nested():
            if isinstance(item, MentionData):
                self.ingestor.store_mention(item)
            else:
                self.ingestor.store_reply(item)

    def flush_if_due(self) -> None:
        if self.buffer and time.monotonic() - self.last_commit > COMMIT_SECONDS:
            self.flush()

    def spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        message = f"error parsing {getattr(response, 'url', '?')}: {failure.getErrorMessage()}"
        self.item_errors.append(message)
        target = (getattr(response, "meta", None) or {}).get("target")
        if isinstance(spider, MolvaSpider) and target:
            spider.mark_incomplete(target)  # the page's items may be lost: walk the target again next time
        log.error("%s: %s", getattr(spider, "source_name", spider.name), message)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.finished or self.session is None or self.ingestor is None:
            return
        self.finished = True
        molva_spider = self.spider
        session, ingestor = self.session, self.ingestor
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        try:
            self.flush()
            source, run = ingestor.source, ingestor.run
            assert run is not None
            if molva_spider.state_updates:
                merge_state(session, source, run, molva_spider.state_updates)
            errors = redact_all(molva_spider.errors + self.item_errors)  # URLs carry tokens (VK access_token)
            message = errors[0] if errors else None
            if molva_spider.fatal:
                message = redact_optional(molva_spider.fatal)
            if len(errors) > 1 and message:
                message = f"{message} (+{len(errors) - 1} more)"
            stats: dict[str, Any] = {**ingestor.counts, "pages": molva_spider.pages_ok, "close_reason": reason,
                                     "error_samples": [e[:500] for e in errors[:ERROR_SAMPLES]]}
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
