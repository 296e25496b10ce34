"""Sources and crawl runs: the ``sources`` row of a configured source, its health, runs, incremental state."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from molva.models import CrawlRun, Mention, OfficialReply, Source, as_utc
from molva.settings import SourceConfig

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(days=1)



def _now() -> datetime:
    return datetime.now(UTC)


def get_or_create_source(session: Session, config: SourceConfig) -> Source:
    """The ``sources`` row of a configured source (kind and base URL kept in sync with the config)."""
    source = session.scalar(select(Source).where(Source.name == config.name))
    if source is None:
        source = Source(name=config.name, kind=config.kind, base_url=config.effective_base_url, enabled=True,
                        consecutive_failures=0, state={})
        try:
            with session.begin_nested():
                session.add(source)
        except IntegrityError:  # another crawl process (scale-out) created it just now
            source = session.scalars(select(Source).where(Source.name == config.name)).one()
        else:
            return source
    source.kind = config.kind
    source.base_url = config.effective_base_url
    return source


def unavailable_reason(source: Source, now: datetime | None = None) -> str | None:
    """Why a source should not be crawled now (disabled, backing off), or ``None``."""
    if not source.enabled:
        return f"disabled: {source.disabled_reason or 'disabled'}"
    if source.backoff_until is not None and as_utc(source.backoff_until) > (now or _now()):
        return f"backing off until {as_utc(source.backoff_until).isoformat(timespec='seconds')}"
    return None


def enable_source(source: Source) -> None:
    source.enabled = True
    source.disabled_reason = None
    source.backoff_until = None
    source.consecutive_failures = 0


def start_run(session: Session, source: Source, stale_after: timedelta | None = None) -> CrawlRun:
    """A new ``running`` crawl run; runs left ``running`` by a killed crawl are closed as failed.

    ``stale_after``: with several crawl processes (scale-out) the others' runs are running too: only runs
    started longer ago than that are closed.
    """
    stale = [CrawlRun.source_id == source.id, CrawlRun.status == "running"]
    if stale_after is not None:
        stale.append(CrawlRun.started_at < _now() - stale_after)
    session.execute(
        update(CrawlRun)
        .where(*stale)
        .values(status="failed", finished_at=_now(), error_message="interrupted (the crawl process stopped)")
    )
    run = CrawlRun(source_id=source.id, status="running", items_seen=0, items_new=0, errors=0, stats={})
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    source: Source,
    run: CrawlRun,
    *,
    errors: int,
    error_message: str | None,
    fatal: bool,
    pages_ok: int,
    interval: int,
    disable_after: int,
    stats: dict[str, Any] | None = None,
) -> str:
    """Close the run and update the source's health; returns the run status (ok | partial | failed).

    A failed run (a fatal error, or errors and not one page fetched) counts as a consecutive failure:
    the source backs off for ``interval * 2**(failures-1)`` (at most a day) and is disabled after
    ``disable_after`` failures in a row. Any successful run resets the count.
    """
    now = _now()
    if fatal or (errors and not pages_ok):
        status = "failed"
    elif errors:
        status = "partial"
    else:
        status = "ok"
    run.status = status
    run.finished_at = now
    run.errors = errors
    run.error_message = error_message
    run.stats = dict(stats or {})
    if status == "failed":
        source.consecutive_failures = (source.consecutive_failures or 0) + 1
        failures = source.consecutive_failures
        delay = min(timedelta(seconds=interval * 2 ** (failures - 1)), MAX_BACKOFF)
        source.backoff_until = now + delay
        if disable_after and failures >= disable_after:
            source.enabled = False
            source.disabled_reason = (
                f"{failures} неудачных обходов подряд; последняя ошибка: {error_message or 'нет данных'}"
            )
            log.error("source %s disabled after %d consecutive failures: %s", source.name, failures, error_message)
    else:
        source.consecutive_failures = 0
        source.backoff_until = None
    return status


def known_external_ids(session: Session, source_id: int) -> set[str]:
    return set(session.scalars(select(Mention.external_id).where(Mention.source_id == source_id)))


def replied_mentions(session: Session, source_id: int) -> set[str]:
    """External ids of this source's mentions that already have an official reply."""
    query = (
        select(Mention.external_id)
        .join(OfficialReply, OfficialReply.mention_id == Mention.id)
        .where(Mention.source_id == source_id)
    )
    return set(session.scalars(query))


def set_state(source: Source, updates: dict[str, Any]) -> None:
    """Merge ``updates`` into ``Source.state`` (a new dict so that the JSON column is written)."""
    state = dict(source.state or {})
    state.update(updates)
    source.state = state
