"""Source health beyond :func:`molva.metrics.source_health`: the latest crawl runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from molva.models import CrawlRun, Source, as_utc


@dataclass(frozen=True)
class RunRow:
    id: int
    source: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    items_seen: int
    items_new: int
    errors: int
    error_message: str | None


def recent_runs(session: Session, limit: int = 50) -> list[RunRow]:
    """The latest crawl runs of all sources, newest first."""
    query = (
        select(CrawlRun, Source.name)
        .join(Source, Source.id == CrawlRun.source_id)
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(limit)
    )
    return [
        RunRow(
            id=run.id,
            source=name,
            started_at=as_utc(run.started_at),
            finished_at=as_utc(run.finished_at) if run.finished_at else None,
            status=run.status,
            items_seen=run.items_seen,
            items_new=run.items_new,
            errors=run.errors,
            error_message=run.error_message,
        )
        for run, name in session.execute(query)
    ]
