"""Wiring between stages, used by the CLI and the scheduler.

Stages never import each other; they meet in the database. This module runs them one after another:
classify new brand mentions and write their alerts in the same transaction, then detect spikes and
dispatch the alert outbox. The stages are imported lazily so that ``molva --help`` stays fast.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime
from typing import Any

from molva.db import make_sessionmaker, session_scope
from molva.settings import Settings

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=2)
def load_sentiment_model(model_path: str | None) -> Any:
    """The sentiment model (the shipped default when ``model_path`` is None), loaded once per process."""
    from classifier.inference import load_model

    return load_model(model_path)


def classify_pending(
    settings: Settings, *, limit: int | None = None, now: datetime | None = None, model: Any = None
) -> int:
    """Classify every unscored brand mention in batches; alerts for them are written in the same transaction.

    Returns the number of brand mentions classified. A batch is committed as a whole, so a killed process
    resumes with the first unscored batch.
    """
    from alerts.rules import enqueue_alerts
    from classifier.aspects import AspectClassifier
    from classifier.scoring import classify_pending as score_batch
    from molva.aspects import load_aspects
    from molva.catalog import load_catalog

    model = model if model is not None else load_sentiment_model(settings.model_path)
    catalog = load_catalog(settings.catalog_path)
    aspects = AspectClassifier(load_aspects(settings.catalog_path), catalog_path=settings.catalog_path)
    factory = make_sessionmaker(settings.db_url)
    batch_size = settings.scheduler.classify_batch_size
    total = 0
    try:
        while limit is None or total < limit:
            size = batch_size if limit is None else min(batch_size, limit - total)
            moment = now or datetime.now(UTC)
            with session_scope(factory) as session:
                scored = score_batch(session, model, limit=size, now=moment, catalog=catalog,
                                     aspects=aspects)
                if not scored:
                    break
                enqueue_alerts(session, scored, settings.alerts, moment)
            total += len(scored)
            log.info("classified %d brand mentions (%d in all)", len(scored), total)
    finally:
        factory.kw["bind"].dispose()
    return total


def dispatch_alerts(settings: Settings, *, now: datetime | None = None, http_client: Any = None) -> int:
    """Detect negativity spikes, then send every due alert of the outbox. Returns the number sent."""
    from alerts.dispatcher import dispatch
    from alerts.spikes import detect_spikes

    factory = make_sessionmaker(settings.db_url)
    try:
        with session_scope(factory) as session:
            spikes = detect_spikes(session, settings.alerts, now or datetime.now(UTC))
        if spikes:
            log.warning("negativity spikes: %s", ", ".join(spike.brand for spike in spikes))
        result = dispatch(factory, settings, now=now, http_client=http_client)
    finally:
        factory.kw["bind"].dispose()
    return int(getattr(result, "sent", 0))


def privacy_upkeep(settings: Settings, *, now: datetime | None = None, http_client: Any = None) -> int:
    """Erase mentions older than ``privacy.retention_days`` and recent ones deleted at their source
    (``privacy.recheck_days``; see :data:`molva.privacy.RECHECKABLE_KINDS`). Returns how many were erased."""
    import httpx

    from molva.privacy import purge_expired, recheck_access, recheck_deleted

    privacy = settings.privacy
    if not privacy.retention_days and not privacy.recheck_days:
        return 0
    factory = make_sessionmaker(settings.db_url)
    erased = 0
    try:
        with session_scope(factory) as session:
            expired = purge_expired(session, privacy.retention_days, now)
        erased += expired.mentions
        if expired.mentions:
            log.warning("retention: erased %d mentions older than %d days", expired.mentions,
                        privacy.retention_days)
        if privacy.recheck_days:
            client = http_client or httpx.Client(timeout=settings.crawl.download_timeout, follow_redirects=True,
                                                 headers={"User-Agent": settings.crawl.user_agent})
            try:
                with session_scope(factory) as session:
                    checked, gone = recheck_deleted(session, recheck_access(settings), client, privacy.recheck_days,
                                                    now)
            finally:
                if http_client is None:
                    client.close()
            erased += gone.mentions
            log.warning("re-check: %d posts asked, %d deleted at the source erased", checked, gone.mentions)
    finally:
        factory.kw["bind"].dispose()
    return erased

