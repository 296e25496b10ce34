"""Crawl configured sources once, in this process (one Scrapy crawler per source, all in parallel)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from molva.catalog import Catalog, load_catalog
from molva.db import make_sessionmaker, retry_lost_connection, session_scope, upgrade
from molva.errors import MolvaError
from molva.ingest import (
    enable_source,
    get_or_create_source,
    known_external_ids,
    replied_mentions,
    start_run,
    unavailable_reason,
)
from molva.models import CrawlRun
from molva.settings import Settings, SourceConfig

log = logging.getLogger(__name__)

SHARED_STALE_RUN = timedelta(hours=6)  # scale-out: another process's run older than this was killed


@dataclass
class CrawlOutcome:
    source: str
    status: str  # ok | partial | failed | skipped | running (killed before it could finish)
    items_new: int = 0
    items_seen: int = 0
    errors: int = 0
    message: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)


def select_sources(settings: Settings, names: Sequence[str], all_sources: bool) -> list[SourceConfig]:
    if all_sources:
        return [s for s in settings.sources if s.enabled]
    if not names:
        raise MolvaError("name a source to crawl, or use --all")
    chosen = []
    for name in names:
        try:
            chosen.append(settings.source(name))
        except KeyError as exc:
            raise MolvaError(str(exc.args[0])) from None
    return chosen


def politeness_on(politeness: dict[str, Any], spider_cls: type[Any]) -> bool:
    """Whether the kind's politeness settings add anything to what the spider class already sets."""
    own = spider_cls.custom_settings or {}
    return any(key not in own for key in politeness)


def official_accounts(catalog: Catalog, kind: str) -> list[str]:
    return [account for brand in catalog.brands for account in brand.official_accounts.get(kind, ())]


def crawl(
    settings: Settings,
    sources: Sequence[SourceConfig],
    *,
    force: bool = False,
    log_level: str = "WARNING",
    politeness: bool = True,
) -> list[CrawlOutcome]:
    """Crawl ``sources`` once and return one outcome per source (skipped ones: disabled or backing off).

    A SIGTERM before Scrapy takes over its handling (Scrapy then stops gracefully) skips the crawl; runs
    already opened are closed as interrupted.
    """
    global _stopping
    _stopping = False
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _early_stop)
    try:
        return _crawl(settings, sources, force=force, log_level=log_level, politeness=politeness)
    finally:
        if previous is not None and signal.getsignal(signal.SIGTERM) is _early_stop:
            signal.signal(signal.SIGTERM, previous)


_stopping = False


def _early_stop(signum: int, _frame: Any) -> None:
    global _stopping
    _stopping = True
    log.warning("signal %d before the crawl started: stopping", signum)


def _crawl(
    settings: Settings,
    sources: Sequence[SourceConfig],
    *,
    force: bool,
    log_level: str,
    politeness: bool,
) -> list[CrawlOutcome]:
    from scrapy.crawler import CrawlerProcess

    from crawlers.settings import scrapy_settings

    catalog = load_catalog(settings.catalog_path)  # a broken catalog fails here, before any request
    retry_lost_connection(lambda: upgrade(settings.db_url), "crawl: schema upgrade")
    factory = make_sessionmaker(settings.db_url)
    token = settings.vk_token.get_secret_value() if settings.vk_token else ""

    def start_runs() -> tuple[dict[str, CrawlOutcome], list[tuple[type[Any], dict[str, Any]]], dict[str, int]]:
        """One transaction (done again from the start when the connection is lost): open a run per source."""
        outcomes: dict[str, CrawlOutcome] = {}
        jobs: list[tuple[type[Any], dict[str, Any]]] = []
        runs: dict[str, int] = {}
        with session_scope(factory) as session:
            _open_runs(session, settings, sources, catalog, token, force, outcomes, jobs, runs)
        return outcomes, jobs, runs

    outcomes, jobs, runs = retry_lost_connection(start_runs, "crawl: opening the runs")
    if jobs and not _stopping:
        process = CrawlerProcess(
            scrapy_settings(settings.crawl, db_url=settings.db_url,
                            catalog_path=str(settings.catalog_path) if settings.catalog_path else None,
                            vk_token=token, log_level=log_level, politeness=politeness),
            install_root_handler=False,
        )
        logging.getLogger("scrapy").setLevel(log_level)
        logging.getLogger("py.warnings").setLevel(logging.ERROR)
        for spider_cls, kwargs in jobs:
            process.crawl(spider_cls, **kwargs)
        from twisted.internet import reactor

        def stop_if_asked() -> None:
            # A SIGTERM between the check above and Scrapy installing its own handler (when the reactor starts)
            # only set the flag: stop gracefully now, as Scrapy would have, instead of crawling to the end.
            if _stopping:
                log.warning("stopping: the signal came while the crawl was starting")
                # what Scrapy does on SIGTERM (the public process.stop() left the reactor running here: the
                # test below hung)
                process._signal_shutdown(signal.SIGTERM, None)

        # Runs once the reactor's startup (where Scrapy installs its signal handlers) is over.
        reactor.callWhenRunning(reactor.callLater, 0, stop_if_asked)
        process.start()

    def read_outcomes() -> None:
        with session_scope(factory) as session:
            _read_outcomes(session, runs, outcomes)

    retry_lost_connection(read_outcomes, "crawl: reading the outcomes")
    return [outcomes[s.name] for s in sources if s.name in outcomes]


def _read_outcomes(session: Any, runs: dict[str, int], outcomes: dict[str, CrawlOutcome]) -> None:
    """The outcome of each run (a run still "running" was stopped before its spider could close it)."""
    for name, run_id in runs.items():
        finished = session.scalar(select(CrawlRun).where(CrawlRun.id == run_id))
        if finished is None:
            continue
        if finished.status == "running":  # stopped (SIGTERM) before its spider could close the run
            finished.status = "partial"
            finished.finished_at = datetime.now(UTC)
            finished.error_message = "interrupted before the crawl finished"
        outcomes[name] = CrawlOutcome(name, finished.status, finished.items_new, finished.items_seen,
                                      finished.errors, finished.error_message, dict(finished.stats or {}))


def _open_runs(session: Any, settings: Settings, sources: Sequence[SourceConfig], catalog: Catalog, token: str,
               force: bool, outcomes: dict[str, CrawlOutcome], jobs: list[tuple[type[Any], dict[str, Any]]],
               runs: dict[str, int]) -> None:
    from crawlers.spiders import spider_for
    from molva import sources as source_kinds

    for config in sources:
        source = get_or_create_source(session, config)
        reason = unavailable_reason(source)
        if reason and not force:
            outcomes[config.name] = CrawlOutcome(config.name, "skipped", message=reason)
            continue
        if force and reason:
            enable_source(source)
        run = start_run(session, source, stale_after=SHARED_STALE_RUN if settings.crawl.redis_url else None)
        runs[config.name] = run.id
        kwargs: dict[str, Any] = {
            "source_name": config.name, "targets": list(config.targets), "base_url": config.effective_base_url,
            "state": dict(source.state or {}), "known_ids": known_external_ids(session, source.id),
            "replied_ids": replied_mentions(session, source.id), "options": dict(config.options),
            "official_accounts": official_accounts(catalog, config.kind), "source_id": source.id,
            "run_id": run.id, "interval": config.interval,
        }
        if config.kind == "vk":
            kwargs["token"] = token or str(config.options.get("token") or "")
        spider_cls = spider_for(config.kind)
        kind_settings = source_kinds.get(config.kind).politeness
        if kind_settings and politeness_on(kind_settings, spider_cls):  # the kind's crawler settings
            spider_cls = type(spider_cls.__name__, (spider_cls,),
                              {"custom_settings": {**kind_settings, **(spider_cls.custom_settings or {})}})
        jobs.append((spider_cls, kwargs))
