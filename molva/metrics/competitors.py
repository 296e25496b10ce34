"""Competitor analytics: share of voice within a brand group, and response rates by brand, source and time."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from molva.metrics.filters import MetricsFilter
from molva.metrics.report import (
    BrandStats,
    ResponseStats,
    _percentile,
    brand_stats,
    response_delay,
    response_stats,
)
from molva.metrics.timeseries import Granularity, _bucket_expr, _parse_bucket
from molva.models import BrandMention, Mention, OfficialReply, Source


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


def _addressed_rows(session: Session, filters: MetricsFilter, *keys: Any) -> list[Any]:
    """(brand, *keys, published_at, first reply) of addressed brand mentions, as ``response_stats`` sees them."""
    # The first official reply per (mention, brand), looked up through the unique index for each row
    # (the same value as response_stats' grouped subquery, without grouping the whole table).
    mine = (OfficialReply.mention_id == BrandMention.mention_id, OfficialReply.brand == BrandMention.brand)
    first_reply = select(func.min(OfficialReply.replied_at)).where(*mine).scalar_subquery()
    first_known = (
        select(func.min(OfficialReply.replied_at)).where(*mine, OfficialReply.replied_at_known.is_(True))
        .scalar_subquery()
    )
    query = (
        select(BrandMention.brand, *keys, Mention.published_at, first_reply, first_known)
        .join(Mention, Mention.id == BrandMention.mention_id)
        .join(Source, Source.id == Mention.source_id)
        .where(BrandMention.addressed.is_(True))
    )
    return list(session.execute(filters.apply(query)))


def _stats(brand: str, rows: list[Any]) -> ResponseStats:
    answered = sum(1 for _, replied, _ in rows if replied is not None)
    delays = [d for d in (response_delay(*row) for row in rows) if d is not None]
    return ResponseStats(
        brand=brand,
        addressed=len(rows),
        answered=answered,
        response_rate=answered / len(rows) if rows else None,
        median_response_seconds=statistics.median(delays) if delays else None,
        p90_response_seconds=_percentile(delays, 0.9),
    )


def response_slices(
    session: Session, filters: MetricsFilter = MetricsFilter(), granularity: Granularity = "week"
) -> tuple[list[ResponseSlice], list[ResponseSlice]]:
    """Response stats per (brand, source) and per (brand, time bucket), from one scan of the data.

    Each (brand, source) slice equals ``response_stats`` filtered to that source; buckets are by the post's
    publication time.
    """
    by_source: dict[tuple[str, str], list[Any]] = {}
    by_bucket: dict[tuple[str, Any], list[Any]] = {}
    bucket = _bucket_expr(session, granularity)
    for brand, source, value, *times in _addressed_rows(session, filters, Source.name, bucket):
        by_source.setdefault((brand, source), []).append(tuple(times))
        by_bucket.setdefault((brand, value), []).append(tuple(times))
    sources = [ResponseSlice(str(source), _stats(brand, rows)) for (brand, source), rows in sorted(by_source.items())]
    trend = [ResponseSlice(_parse_bucket(value), _stats(brand, rows)) for (brand, value), rows in by_bucket.items()]
    return sources, sorted(trend, key=lambda s: (s.key, s.stats.brand))


def response_by_source(session: Session, filters: MetricsFilter = MetricsFilter()) -> list[ResponseSlice]:
    """Response stats per brand and source; each equals ``response_stats`` filtered to that source."""
    return response_slices(session, filters)[0]


def response_trend(
    session: Session, filters: MetricsFilter = MetricsFilter(), granularity: Granularity = "week"
) -> list[ResponseSlice]:
    """Response stats per brand and time bucket (by the post's publication time)."""
    return response_slices(session, filters, granularity)[1]
