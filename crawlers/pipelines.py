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
from sqlalchemy.orm import Session, sessionmaker
from twisted.internet.task import LoopingCall

from crawlers.spiders.base import MolvaSpider
from molva.catalog import Catalog, load_catalog
from molva.db import (
    LOST_CONNECTION_RETRIES,
    backoff_seconds,
    connection_lost,
    make_sessionmaker,
    retry_lost_connection,
)
from molva.errors import sample_errors
from molva.ingest import Ingestor, MentionData, ReplyData, finish_run, set_state
from molva.models import CrawlRun, Source
from molva.redaction import redact_all, redact_optional

log = logging.getLogger(__name__)

COMMIT_SECONDS = 2.0
ERROR_SAMPLES = 20  # error messages kept in CrawlRun.stats (every shape of error first: molva.errors)
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
        self.factory: sessionmaker[Session] | None = None
        self.catalog: Catalog | None = None
        self.ingestor: Ingestor | None = None
        self.fetched = 0  # items handed to the pipeline
        self.unstored = 0  # items given up on (bad item, or the database stayed unreachable)
        self.reconnects = 0
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
        self.catalog = catalog
        self.factory = make_sessionmaker(self.db_url)
        retry_lost_connection(self.open_run, f"{spider.source_name}: opening the run")
        self.timer = LoopingCall(self.flush_if_due)
        self.timer.start(COMMIT_SECONDS, now=False)

    def open_run(self) -> None:
        """Mark the targets incomplete until this crawl ends well, and make the ingestor (one transaction)."""
        assert self.factory is not None and self.catalog is not None
        self.discard_session()
        spider, catalog = self.spider, self.catalog
        self.session = self.factory()
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

    def process_item(self, item: Any) -> Any:
        """Queue the item; a full batch (or one older than ``COMMIT_SECONDS``) is written in one transaction.

        Transactions stay short: on SQLite a transaction holds the write lock from its start, and all the
        spiders of a crawl share one thread (and other processes may write too).
        """
        if not isinstance(item, MentionData | ReplyData):
            raise DropItem(f"not a Molva item: {type(item).__name__}")
        self.buffer.append(item)
        self.fetched += 1
        if len(self.buffer) >= self.batch_size or time.monotonic() - self.last_commit > COMMIT_SECONDS:
            self.flush()
        return item

    def flush(self) -> None:
        """Store the queued items and commit; a bad item is an error of the run and does not lose the others.

        A lost connection rolls back, reconnects (``pool_pre_ping`` checks the pooled connection) and stores
        the whole batch again with a fresh ingestor; after ``LOST_CONNECTION_RETRIES`` the batch is counted
        as not stored (the run is then not ok, and the next crawl walks its targets again).
        """
        if self.factory is None or self.ingestor is None:
            return
        items, self.buffer = self.buffer, []
        if not items:
            return
        counts, errors, unstored = dict(self.ingestor.counts), len(self.item_errors), self.unstored
        for attempt in range(LOST_CONNECTION_RETRIES + 1):
            try:
                if attempt or self.session is None:  # the session was dropped (an earlier batch gave up)
                    self.reconnect(counts)
                self.store_batch(items)
                assert self.session is not None
                self.session.commit()
                break
            except Exception as exc:
                if not connection_lost(exc):
                    raise
                del self.item_errors[errors:]  # the attempt's item errors are void: the batch is stored again
                self.unstored = unstored
                self.discard_session()
                if attempt == LOST_CONNECTION_RETRIES:
                    self.give_up(items, f"the database connection was lost: {' '.join(str(exc).split())[:300]}")
                    break
                wait = backoff_seconds(attempt)
                log.warning("%s: lost the database connection (%s); reconnecting in %.1fs to store %d items again",
                            self.spider.source_name, type(exc).__name__, wait, len(items))
                time.sleep(wait)
        self.last_commit = time.monotonic()

    def discard_session(self) -> None:
        if self.session is not None:
            try:
                self.session.rollback()
                self.session.close()
            except Exception:  # the connection is gone: the pool discards it
                log.debug("closing a session whose connection was lost", exc_info=True)
        self.session = None

    def reconnect(self, counts: dict[str, int]) -> None:
        """A new session and ingestor (its in-memory indexes may name rows that were rolled back)."""
        assert self.factory is not None and self.catalog is not None
        self.reconnects += 1
        self.session = self.factory()
        spider = self.spider
        source = self.session.get(Source, spider.source_id)
        run = self.session.get(CrawlRun, spider.run_id)
        if source is None or run is None:
            raise RuntimeError(f"source {spider.source_name!r} or its crawl run is missing from the database")
        self.ingestor = Ingestor(self.session, self.catalog, source, run)
        self.ingestor.counts = dict(counts)

    def give_up(self, items: list[MentionData | ReplyData], reason: str) -> None:
        self.unstored += len(items)
        message = f"{len(items)} items not stored: {reason}"
        self.item_errors.append(message)
        log.error("%s: %s", self.spider.source_name, message)
        for target in self.spider.targets:  # the next crawl must walk them again (items carry no target)
            self.spider.mark_incomplete(target)

    def store_batch(self, items: list[MentionData | ReplyData]) -> None:
        assert self.session is not None and self.ingestor is not None
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
                if connection_lost(exc):
                    raise  # the whole batch is stored again on a new connection
                name = getattr(item, "external_id", None) or getattr(item, "reply_external_id", "?")
                message = f"could not store {name}: {exc}"
                self.unstored += 1
                self.item_errors.append(message)
                log.error("%s: %s", self.spider.source_name, message)

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
        if self.finished or self.factory is None or self.ingestor is None:
            return
        self.finished = True
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        if isinstance(spider, MolvaSpider):  # a target that got no page at all is an error of the run
            spider.check_targets_read(reason, shared=self.crawler.settings.getbool("MOLVA_SHARED"))
        try:
            self.flush()
            for attempt in range(LOST_CONNECTION_RETRIES + 1):
                try:
                    if self.session is None:
                        self.reconnect(self.ingestor.counts)
                    self.close_run(reason)
                    break
                except Exception as exc:
                    if not connection_lost(exc) or attempt == LOST_CONNECTION_RETRIES:
                        raise
                    self.discard_session()
                    wait = backoff_seconds(attempt)
                    log.warning("%s: lost the database connection while closing the run; retrying in %.1fs",
                                self.spider.source_name, wait)
                    time.sleep(wait)
        finally:
            if self.session is not None:
                self.session.close()

    def close_run(self, reason: str) -> None:
        """Record the run's counts, errors and status and the source's state, in one transaction."""
        assert self.session is not None and self.ingestor is not None
        molva_spider = self.spider
        session, ingestor = self.session, self.ingestor
        source, run = ingestor.source, ingestor.run
        assert run is not None
        # Items were given up: nothing this run learned (cursors, comment counts) is trusted; the state stays as
        # it was before the run, with its targets incomplete, so the next crawl fetches them all again.
        if molva_spider.state_updates and not self.unstored:
            merge_state(session, source, run, molva_spider.state_updates)
        errors = redact_all(molva_spider.errors + self.item_errors)  # URLs carry tokens (VK access_token)
        message = errors[0] if errors else None
        if molva_spider.fatal:
            message = redact_optional(molva_spider.fatal)
        if len(errors) > 1 and message:
            message = f"{message} (+{len(errors) - 1} more)"
        stats: dict[str, Any] = {**ingestor.counts, "pages": molva_spider.pages_ok, "close_reason": reason,
                                 "fetched": self.fetched, "unstored": self.unstored,
                                 "reconnects": self.reconnects,
                                 "error_samples": [e[:500] for e in sample_errors(errors, ERROR_SAMPLES)]}
        run.items_seen = ingestor.counts["new"] + ingestor.counts["known"] + ingestor.counts["duplicate_url"]
        run.items_new = ingestor.counts["new"]
        status = finish_run(session, source, run, errors=len(errors), error_message=message,
                            fatal=molva_spider.fatal is not None, pages_ok=molva_spider.pages_ok,
                            interval=molva_spider.interval, disable_after=self.disable_after, stats=stats)
        if reason not in ("finished", "vk_auth_failed") and status == "ok":
            run.status = "partial"
            run.error_message = f"stopped before the end ({reason})"
        session.commit()
