"""Metrics read from ``brand_rollups`` (see :mod:`molva.rollups`) instead of every brand mention.

A period is split (:func:`split`) into its whole hours, counted from the rollups, and the partial hours at its
edges, counted from the raw rows; the numbers are those of a count over the raw rows (:func:`raw_only` forces
that, to check it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select
from sqlalchemy.orm import Session

from molva.metrics.filters import MetricsFilter
from molva.models import BrandRollup, Source, as_utc

_RAW_ONLY: ContextVar[bool] = ContextVar("molva_metrics_raw_only", default=False)


@contextmanager
def raw_only() -> Iterator[None]:
    """Within this block metrics count raw rows only (to check the rollups against them)."""
    token = _RAW_ONLY.set(True)
    try:
        yield
    finally:
        _RAW_ONLY.reset(token)


def is_raw_only() -> bool:
    """Whether metrics are counting raw rows only (inside :func:`raw_only`)."""
    return _RAW_ONLY.get()


def _floor(moment: datetime) -> datetime:
    return as_utc(moment).replace(minute=0, second=0, microsecond=0)


def split(filters: MetricsFilter) -> tuple[MetricsFilter | None, list[MetricsFilter]]:
    """The whole hours of the period (for the rollups) and its partial hours at either edge (for raw rows)."""
    if _RAW_ONLY.get():
        return None, [filters]
    since, until = filters.since, filters.until
    start = None if since is None else _floor(since) + (timedelta(0) if _floor(since) == as_utc(since)
                                                         else timedelta(hours=1))
    end = None if until is None else _floor(until)
    if start is not None and end is not None and start >= end:
        return None, [filters]
    edges = []
    if since is not None and start != as_utc(since):
        edges.append(replace(filters, until=start))
    if until is not None and end != as_utc(until):
        edges.append(replace(filters, since=end))
    return replace(filters, since=start, until=end), edges


def restrict(query: Select[Any], filters: MetricsFilter) -> Select[Any]:
    """Apply ``filters`` to a query on BrandRollup (joining Source when filtering sources)."""
    if filters.since is not None:
        query = query.where(BrandRollup.hour >= filters.since)
    if filters.until is not None:
        query = query.where(BrandRollup.hour < filters.until)
    if filters.brands:
        query = query.where(BrandRollup.brand.in_(filters.brands))
    if filters.sources:
        query = query.where(BrandRollup.source_id.in_(select(Source.id).where(Source.name.in_(filters.sources))))
    if not filters.include_official:
        query = query.where(BrandRollup.official.is_(False))
    return query


def counts_by(session: Session, filters: MetricsFilter, metric: str, *columns: Any,
              join_source: bool = False) -> list[tuple[Any, ...]]:
    """``(*columns, value, count)`` of one metric, summed over the filtered rollup rows (``join_source``: the
    columns include Source's)."""
    total = func.sum(BrandRollup.count)
    query: Any = select(*columns, BrandRollup.value, total).where(BrandRollup.metric == metric)
    if join_source:
        query = query.join(Source, Source.id == BrandRollup.source_id)
    query = restrict(query, filters)
    query = query.group_by(*columns, BrandRollup.value)
    return [tuple(row) for row in session.execute(query)]


def hour_bucket(session: Session, granularity: str) -> ColumnElement[Any]:
    """The hour/day/week bucket of a rollup row (as ``molva.metrics.timeseries`` buckets raw rows)."""
    return time_bucket(session, granularity, BrandRollup.hour)


def time_bucket(session: Session, granularity: str, column: Any) -> ColumnElement[Any]:
    """The hour/day/week bucket (UTC) of a timestamp column, for raw rows and rollup rows alike."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc(granularity, func.timezone("UTC", column))
    # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff" in UTC: cut the string.
    if granularity == "hour":
        return func.substr(column, 1, 13)
    if granularity == "day":
        return func.substr(column, 1, 10)
    return func.date(func.substr(column, 1, 10), literal_column("'weekday 0'"), literal_column("'-6 days'"))
