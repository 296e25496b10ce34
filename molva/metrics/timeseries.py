"""Mentions and sentiment over time, source breakdown, spikes and the previous-period comparison."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from molva.metrics import rollup
from molva.metrics.filters import MetricsFilter
from molva.metrics.report import SENTIMENTS, BrandStats, SentimentShares, brand_stats
from molva.models import BrandMention, BrandRollup, Mention, Source, Spike, as_utc

Granularity = Literal["hour", "day", "week"]
GRANULARITIES: tuple[Granularity, ...] = ("hour", "day", "week")


@dataclass(frozen=True)
class TimePoint(SentimentShares):
    bucket: datetime  # start of the hour/day/week, UTC
    brand: str
    mentions: int
    negative: int
    neutral: int
    positive: int


@dataclass(frozen=True)
class SourceCount:
    source: str
    kind: str
    brand: str
    mentions: int
    negative: int


@dataclass(frozen=True)
class SpikeMarker:
    brand: str
    window_start: datetime
    window_end: datetime
    negative_count: int
    baseline: float
    score: float
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Totals(SentimentShares):
    """Sums over brands of :func:`molva.metrics.brand_stats` for one period."""

    mentions: int
    negative: int
    neutral: int
    positive: int
    unclassified: int


@dataclass(frozen=True)
class PeriodComparison:
    current: Totals
    previous: Totals
    previous_since: datetime | None
    previous_until: datetime | None


def _bucket_expr(session: Session, granularity: Granularity) -> ColumnElement[Any]:
    return rollup.time_bucket(session, granularity, BrandMention.published_at)


def _parse_bucket(value: Any) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value)
    raw = str(value)
    if len(raw) == 13:  # "YYYY-MM-DD HH"
        raw += ":00"
    return as_utc(datetime.fromisoformat(raw))


def _joined(filters: MetricsFilter, *columns: Any) -> Any:
    query = select(*columns).join(Mention, Mention.id == BrandMention.mention_id)
    if filters.sources:
        query = query.join(Source, Source.id == Mention.source_id)
    return filters.apply(query)


def _sentiment_sums() -> list[Any]:
    return [func.sum(case((BrandMention.sentiment == label, 1), else_=0)) for label in SENTIMENTS]


def mention_timeseries(
    session: Session, filters: MetricsFilter = MetricsFilter(), granularity: Granularity = "day"
) -> list[TimePoint]:
    """Per bucket and brand: mentions and sentiment counts (the same rows ``brand_stats`` counts)."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
    points: dict[tuple[datetime, str], list[int]] = {}  # mentions, negative, neutral, positive
    middle, edges = rollup.split(filters)
    if middle is not None:
        hour = rollup.hour_bucket(session, granularity).label("bucket")
        for bucket_value, brand, value, count in rollup.counts_by(session, middle, "sentiment", hour,
                                                                  BrandRollup.brand):
            row = points.setdefault((_parse_bucket(bucket_value), brand), [0] * 4)
            row[0] += int(count or 0)
            if value in SENTIMENTS:
                row[1 + SENTIMENTS.index(value)] += int(count or 0)
    bucket = _bucket_expr(session, granularity).label("bucket")
    for edge in edges:
        query = _joined(edge, bucket, BrandMention.brand, func.count(BrandMention.id), *_sentiment_sums())
        for bucket_value, brand, *values in session.execute(query.group_by(bucket, BrandMention.brand)):
            row = points.setdefault((_parse_bucket(bucket_value), brand), [0] * 4)
            for i, value in enumerate(values):
                row[i] += int(value or 0)
    return [TimePoint(key[0], key[1], *row) for key, row in sorted(points.items()) if row[0]]


def source_breakdown(session: Session, filters: MetricsFilter = MetricsFilter()) -> list[SourceCount]:
    """Mentions and negative mentions per source and brand."""
    sums: dict[tuple[str, str, str], list[int]] = {}
    middle, edges = rollup.split(filters)
    if middle is not None:
        for name, kind, brand, value, count in rollup.counts_by(
            session, middle, "sentiment", Source.name, Source.kind, BrandRollup.brand, join_source=True
        ):
            row = sums.setdefault((name, kind, brand), [0, 0])
            row[0] += int(count or 0)
            row[1] += int(count or 0) if value == "negative" else 0
    for edge in edges:
        for raw in _raw_breakdown(session, edge):
            row = sums.setdefault((raw.source, raw.kind, raw.brand), [0, 0])
            row[0] += raw.mentions
            row[1] += raw.negative
    found = [SourceCount(*key, *values) for key, values in sums.items() if values[0]]
    return sorted(found, key=lambda r: (-r.mentions, r.source, r.brand))


def _raw_breakdown(session: Session, filters: MetricsFilter) -> list[SourceCount]:
    negative = func.sum(case((BrandMention.sentiment == "negative", 1), else_=0))
    query: Any = (
        select(Source.name, Source.kind, BrandMention.brand, func.count(BrandMention.id), negative)
        .join(Mention, Mention.id == BrandMention.mention_id)
        .join(Source, Source.id == Mention.source_id)
    )
    query = filters.apply(query).group_by(Source.name, Source.kind, BrandMention.brand)
    rows = [SourceCount(r[0], r[1], r[2], int(r[3]), int(r[4] or 0)) for r in session.execute(query)]
    return sorted(rows, key=lambda r: (-r.mentions, r.source, r.brand))


def spikes(session: Session, filters: MetricsFilter = MetricsFilter()) -> list[SpikeMarker]:
    """Negativity spikes (from the ``spikes`` table) overlapping the period, for the filtered brands."""
    query = select(Spike).order_by(Spike.window_start)
    if filters.since is not None:
        query = query.where(Spike.window_end >= filters.since)
    if filters.until is not None:
        query = query.where(Spike.window_start < filters.until)
    if filters.brands:
        query = query.where(Spike.brand.in_(filters.brands))
    return [
        SpikeMarker(
            brand=s.brand,
            window_start=as_utc(s.window_start),
            window_end=as_utc(s.window_end),
            negative_count=s.negative_count,
            baseline=s.baseline,
            score=s.score,
            terms=tuple(str(t) for t in (s.terms or [])),
        )
        for s in session.scalars(query)
    ]


def totals(session: Session, filters: MetricsFilter = MetricsFilter()) -> Totals:
    """The sum over brands of :func:`molva.metrics.brand_stats`."""
    return totals_of(brand_stats(session, filters))


def totals_of(rows: list[BrandStats]) -> Totals:
    return Totals(
        mentions=sum(r.mentions for r in rows),
        negative=sum(r.negative for r in rows),
        neutral=sum(r.neutral for r in rows),
        positive=sum(r.positive for r in rows),
        unclassified=sum(r.unclassified for r in rows),
    )


def previous_period(filters: MetricsFilter) -> MetricsFilter | None:
    """The period of the same length just before ``filters`` (None for an open-ended period)."""
    if filters.since is None or filters.until is None:
        return None
    length: timedelta = filters.until - filters.since
    return MetricsFilter(
        since=filters.since - length,
        until=filters.since,
        brands=filters.brands,
        sources=filters.sources,
        include_official=filters.include_official,
    )


def compare_periods(session: Session, filters: MetricsFilter) -> PeriodComparison:
    """Totals for the period and for the previous period of the same length."""
    before = previous_period(filters)
    return comparison_of(brand_stats(session, filters), brand_stats(session, before) if before else [], before)


def comparison_of(
    current: list[BrandStats], previous: list[BrandStats], before: MetricsFilter | None
) -> PeriodComparison:
    """:class:`PeriodComparison` from ``brand_stats`` rows already fetched for both periods."""
    return PeriodComparison(
        current=totals_of(current),
        previous=totals_of(previous),
        previous_since=before.since if before else None,
        previous_until=before.until if before else None,
    )
