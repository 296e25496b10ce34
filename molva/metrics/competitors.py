"""Competitor analytics: share of voice within a brand group, and response rates by brand, source and time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from molva.metrics import rollup
from molva.metrics.delays import delay_lists, quantiles_of_ms
from molva.metrics.filters import MetricsFilter
from molva.metrics.report import BrandStats, ResponseStats, brand_stats, response_stats
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


def _stats(brand: str, counts: list[int], times: tuple[float | None, float | None] | None) -> ResponseStats:
    """``counts``: addressed, answered; ``times``: median and 90th percentile of the known answer times."""
    addressed, answered = counts
    median, p90 = times or (None, None)
    return ResponseStats(
        brand=brand,
        addressed=addressed,
        answered=answered,
        response_rate=answered / addressed if addressed else None,
        median_response_seconds=median,
        p90_response_seconds=p90,
    )


Counts = dict[tuple[str, Any], list[int]]  # (brand, source name or bucket) -> addressed, answered


def _response_counts(session: Session, filters: MetricsFilter, granularity: Granularity) -> tuple[Counts, Counts]:
    """Addressed and answered brand mentions per (brand, source) and per (brand, bucket): whole hours from the
    rollups, the period's partial edge hours from the raw rows."""
    by_source: Counts = {}
    by_bucket: Counts = {}
    middle, edges = rollup.split(filters)
    if middle is not None:
        hour = rollup.hour_bucket(session, granularity)
        for i, metric in enumerate(("addressed", "answered")):
            for brand, source, _value, count in rollup.counts_by(session, middle, metric, BrandRollup.brand,
                                                                  Source.name, join_source=True):
                by_source.setdefault((brand, source), [0, 0])[i] += int(count or 0)
            for brand, value, _value, count in rollup.counts_by(session, middle, metric, BrandRollup.brand, hour):
                by_bucket.setdefault((brand, _parse_bucket(value)), [0, 0])[i] += int(count or 0)
    bucket = _bucket_expr(session, granularity)
    answered = func.sum(case((BrandMention.first_reply_at.is_not(None), 1), else_=0))
    for edge in edges:
        query = (
            select(BrandMention.brand, Source.name, bucket, func.count(BrandMention.id), answered)
            .join(Mention, Mention.id == BrandMention.mention_id)
            .join(Source, Source.id == Mention.source_id)
            .where(BrandMention.addressed.is_(True))
        )
        for brand, source, value, count, replied in session.execute(edge.apply(query).group_by(
                BrandMention.brand, Source.name, bucket)):
            for row in (by_source.setdefault((brand, source), [0, 0]),
                        by_bucket.setdefault((brand, _parse_bucket(value)), [0, 0])):
                row[0] += int(count or 0)
                row[1] += int(replied or 0)
    return by_source, by_bucket


def response_slices(
    session: Session, filters: MetricsFilter = MetricsFilter(), granularity: Granularity = "week"
) -> tuple[list[ResponseSlice], list[ResponseSlice]]:
    """Response stats per (brand, source) and per (brand, time bucket).

    Each (brand, source) slice equals ``response_stats`` filtered to that source; buckets are by the post's
    publication time. Addressed and answered counts come from the rollups; the answer times' median and 90th
    percentile come from one read of the period's answer times (:mod:`molva.metrics.delays`); a first reply of
    unknown time (``first_reply_known`` false) counts as answered, not in the answer times.
    """
    counts_by_source, counts_by_bucket = _response_counts(session, filters, granularity)
    lists_by_source: dict[tuple[str, str], list[int]] = {}
    lists_by_bucket: dict[tuple[str, datetime], list[int]] = {}
    bucket = _bucket_expr(session, granularity)
    if rollup.is_raw_only():  # the source of the mention
        lists = delay_lists(session, filters, [BrandMention.brand, Source.name, bucket], join_source=True)
    else:  # the source id on the answer time's row, named afterwards (no join: PostgreSQL groups it by hashing)
        names = dict(session.execute(select(Source.id, Source.name)).all())
        lists = {}
        for (brand, source_id, value), delays in delay_lists(
                session, filters, [BrandMention.brand, BrandMention.reply_source_id, bucket]).items():
            if source_id in names:  # (as the inner join did)
                lists.setdefault((brand, names[source_id], value), []).extend(delays)
    for (brand, source, value), delays in lists.items():
        lists_by_source.setdefault((brand, source), []).extend(delays)
        lists_by_bucket.setdefault((brand, _parse_bucket(value)), []).extend(delays)
    times_by_source = {key: quantiles_of_ms(delays) for key, delays in lists_by_source.items()}
    times_by_bucket = {key: quantiles_of_ms(delays) for key, delays in lists_by_bucket.items()}
    sources = [ResponseSlice(str(source), _stats(brand, row, times_by_source.get((brand, source))))
               for (brand, source), row in sorted(counts_by_source.items()) if row[0]]
    trend = [ResponseSlice(key, _stats(brand, row, times_by_bucket.get((brand, key))))
             for (brand, key), row in counts_by_bucket.items() if row[0]]
    return sources, sorted(trend, key=lambda s: (s.key, s.stats.brand))


def response_by_source(session: Session, filters: MetricsFilter = MetricsFilter()) -> list[ResponseSlice]:
    """Response stats per brand and source; each equals ``response_stats`` filtered to that source."""
    return response_slices(session, filters)[0]


def response_trend(
    session: Session, filters: MetricsFilter = MetricsFilter(), granularity: Granularity = "week"
) -> list[ResponseSlice]:
    """Response stats per brand and time bucket (by the post's publication time)."""
    return response_slices(session, filters, granularity)[1]
