"""Metrics read from ``brand_rollups`` (see :mod:`molva.rollups`) instead of every brand mention.

A period whose bounds fall on whole hours (or are open) is answered from the rollups; any other period is
counted from the raw rows by the callers (the numbers are the same, only slower).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select
from sqlalchemy.orm import Session

from molva.metrics.filters import MetricsFilter
from molva.models import BrandRollup, Source


def usable(filters: MetricsFilter) -> bool:
    """Whether the period is made of whole hours (the rollups' grain)."""
    return all(t is None or (t.minute == 0 and t.second == 0 and t.microsecond == 0)
               for t in (filters.since, filters.until))


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
    column = BrandRollup.hour
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc(granularity, func.timezone("UTC", column))
    if granularity == "hour":
        return func.substr(column, 1, 13)
    if granularity == "day":
        return func.substr(column, 1, 10)
    return func.date(func.substr(column, 1, 10), literal_column("'weekday 0'"), literal_column("'-6 days'"))
