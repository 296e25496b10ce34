"""Competitor analytics: share of voice within a brand group, and response rates by brand, source and time."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from molva.metrics import rollup
from molva.metrics.filters import MetricsFilter
from molva.metrics.report import (
    BrandStats,
    ResponseStats,
    _percentile,
    brand_stats,
    reply_delay,
    response_stats,
)
from molva.metrics.timeseries import Granularity, _bucket_expr, _parse_bucket
from molva.models import BrandMention, BrandRollup, Mention, Source


@dataclass(frozen=True)
class VoiceShare:
    brand: str
    group: str | None
    mentions: int
    share: float  # of the group's mentions, 0..1
    negative_share: float
    sentiment_index: float


@dataclass(frozen=True)
class ResponseRow:
    """One line of the response-rate table: :class:`ResponseStats` plus its rank (1 = answers best)."""

    rank: int
    brand: str
    addressed: int
    answered: int
    response_rate: float | None
    median_response_seconds: float | None
    p90_response_seconds: float | None


@dataclass(frozen=True)
class ResponseSlice:
    """Response stats of one brand in one source or one time bucket (same definition as ``response_stats``)."""

    key: str | datetime
    stats: ResponseStats


def share_of_voice(
    session: Session, filters: MetricsFilter, group_brands: Iterable[str], groups: Mapping[str, str] | None = None
) -> list[VoiceShare]:
    """Each brand's share of the mentions of ``group_brands`` (from :func:`brand_stats`)."""
    members = tuple(group_brands)
    if not members:
        return []
    wanted = tuple(b for b in members if not filters.brands or b in filters.brands) or members
    scoped = MetricsFilter(filters.since, filters.until, wanted, filters.sources, filters.include_official)
    rows: list[BrandStats] = brand_stats(session, scoped, {b: (groups or {}).get(b, "") for b in wanted})
    total = sum(r.mentions for r in rows)
    return [
        VoiceShare(
            brand=r.brand,
            group=(groups or {}).get(r.brand),
            mentions=r.mentions,
            share=r.mentions / total if total else 0.0,
            negative_share=r.negative_share,
            sentiment_index=r.sentiment_index,
        )
        for r in rows
    ]


def response_table(session: Session, filters: MetricsFilter = MetricsFilter()) -> list[ResponseRow]:
    """:func:`molva.metrics.response_stats`, ranked: highest share answered first, then fastest median."""
    stats = response_stats(session, filters)

    def order(s: ResponseStats) -> tuple[float, float, str]:
        rate = s.response_rate if s.response_rate is not None else -1.0
        median = s.median_response_seconds if s.median_response_seconds is not None else float("inf")
        return (-rate, median, s.brand)

    return [
        ResponseRow(rank, s.brand, s.addressed, s.answered, s.response_rate, s.median_response_seconds,
                    s.p90_response_seconds)
        for rank, s in enumerate(sorted(stats.values(), key=order), start=1)
    ]


def _stats(brand: str, addressed: int, replies: list[float | None]) -> ResponseStats:
    """``replies``: the delay of each answered mention, ``None`` where the first reply's time is unknown."""
    delays = [d for d in replies if d is not None]
    return ResponseStats(
        brand=brand,
        addressed=addressed,
        answered=len(replies),
        response_rate=len(replies) / addressed if addressed else None,
        median_response_seconds=statistics.median(delays) if delays else None,
        p90_response_seconds=_percentile(delays, 0.9),
    )


def _addressed_counts(session: Session, filters: MetricsFilter, granularity: Granularity
                      ) -> tuple[dict[tuple[str, str], int], dict[tuple[str, datetime], int]]:
    """Addressed brand mentions per (brand, source) and per (brand, bucket): whole hours from the rollups,
    the period's partial edge hours from the raw rows."""
    by_source: dict[tuple[str, str], int] = {}
    by_bucket: dict[tuple[str, datetime], int] = {}
    middle, edges = rollup.split(filters)
    if middle is not None:
        for brand, source, _value, count in rollup.counts_by(session, middle, "addressed", BrandRollup.brand,
                                                              Source.name, join_source=True):
            by_source[(brand, source)] = by_source.get((brand, source), 0) + int(count or 0)
        hour = rollup.hour_bucket(session, granularity)
        for brand, value, _value, count in rollup.counts_by(session, middle, "addressed", BrandRollup.brand, hour):
            key = (brand, _parse_bucket(value))
            by_bucket[key] = by_bucket.get(key, 0) + int(count or 0)
    bucket = _bucket_expr(session, granularity)
    for edge in edges:
        query = (
            select(BrandMention.brand, Source.name, bucket, func.count(BrandMention.id))
            .join(Mention, Mention.id == BrandMention.mention_id)
            .join(Source, Source.id == Mention.source_id)
            .where(BrandMention.addressed.is_(True))
        )
        for brand, source, value, count in session.execute(edge.apply(query).group_by(
                BrandMention.brand, Source.name, bucket)):
            by_source[(brand, source)] = by_source.get((brand, source), 0) + int(count)
            key = (brand, _parse_bucket(value))
            by_bucket[key] = by_bucket.get(key, 0) + int(count)
    return by_source, by_bucket


def response_slices(
    session: Session, filters: MetricsFilter = MetricsFilter(), granularity: Granularity = "week"
) -> tuple[list[ResponseSlice], list[ResponseSlice]]:
    """Response stats per (brand, source) and per (brand, time bucket).

    Each (brand, source) slice equals ``response_stats`` filtered to that source; buckets are by the post's
    publication time. Addressed counts come from the rollups; only the answered rows of the period are read
    (``brand_mentions.first_reply_at``, the delay computed by the database); a first reply of unknown time
    (``first_reply_known`` false) counts as answered, not in the answer times.
    """
    addressed_by_source, addressed_by_bucket = _addressed_counts(session, filters, granularity)
    by_source: dict[tuple[str, str], list[float | None]] = {}
    by_bucket: dict[tuple[str, datetime], list[float | None]] = {}
    bucket = _bucket_expr(session, granularity)
    query = (
        select(BrandMention.brand, Source.name, bucket, reply_delay(session), BrandMention.first_reply_known)
        .join(Mention, Mention.id == BrandMention.mention_id)
        .join(Source, Source.id == Mention.source_id)
        .where(BrandMention.addressed.is_(True), BrandMention.first_reply_at.is_not(None))
    )
    for brand, source, value, delay, known in session.execute(filters.apply(query)):
        seconds = max(float(delay), 0.0) if known else None
        by_source.setdefault((brand, source), []).append(seconds)
        by_bucket.setdefault((brand, _parse_bucket(value)), []).append(seconds)
    sources = [ResponseSlice(str(source), _stats(brand, total, by_source.get((brand, source), [])))
               for (brand, source), total in sorted(addressed_by_source.items()) if total]
    trend = [ResponseSlice(key, _stats(brand, total, by_bucket.get((brand, key), [])))
             for (brand, key), total in addressed_by_bucket.items() if total]
    return sources, sorted(trend, key=lambda s: (s.key, s.stats.brand))


def response_by_source(session: Session, filters: MetricsFilter = MetricsFilter()) -> list[ResponseSlice]:
    """Response stats per brand and source; each equals ``response_stats`` filtered to that source."""
    return response_slices(session, filters)[0]


def response_trend(
    session: Session, filters: MetricsFilter = MetricsFilter(), granularity: Granularity = "week"
) -> list[ResponseSlice]:
    """Response stats per brand and time bucket (by the post's publication time)."""
    return response_slices(session, filters, granularity)[1]
