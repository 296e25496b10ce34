"""Per-brand volume and sentiment, response rates, and source health."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from molva.metrics.filters import MetricsFilter
from molva.models import BrandMention, CrawlRun, Mention, OfficialReply, Source, as_utc

SENTIMENTS = ("negative", "neutral", "positive")


class SentimentShares:
    """Derived shares of anything that counts negative, neutral and positive mentions."""

    negative: int
    neutral: int
    positive: int

    @property
    def classified(self) -> int:
        return self.negative + self.neutral + self.positive

    @property
    def negative_share(self) -> float:
        return self.negative / self.classified if self.classified else 0.0

    @property
    def sentiment_index(self) -> float:
        """(positive - negative) / classified, in -1..1."""
        return (self.positive - self.negative) / self.classified if self.classified else 0.0


@dataclass(frozen=True)
class BrandStats(SentimentShares):
    brand: str
    group: str | None
    mentions: int
    negative: int
    neutral: int
    positive: int
    unclassified: int


@dataclass(frozen=True)
class ResponseStats:
    brand: str
    addressed: int
    answered: int
    response_rate: float | None
    median_response_seconds: float | None
    p90_response_seconds: float | None


@dataclass(frozen=True)
class SourceHealth:
    source: str
    kind: str
    enabled: bool
    mentions: int
    last_crawl: datetime | None
    last_status: str | None
    last_items: int | None
    errors: int
    consecutive_failures: int
    disabled_reason: str | None


def _brand_base(filters: MetricsFilter) -> Any:
    query = select(BrandMention.brand).join(Mention, Mention.id == BrandMention.mention_id)
    if filters.sources:
        query = query.join(Source, Source.id == Mention.source_id)
    return query


def brand_stats(
    session: Session, filters: MetricsFilter = MetricsFilter(), groups: dict[str, str] | None = None
) -> list[BrandStats]:
    """Mentions and sentiment counts per brand, most mentioned first.

    ``groups`` maps brand display names to their catalog group; brands in it with no mentions are listed
    with zeros so that competitors always appear side by side.
    """
    counts = [func.sum(case((BrandMention.sentiment == label, 1), else_=0)) for label in SENTIMENTS]
    query = _brand_base(filters).add_columns(
        func.count(BrandMention.id), *counts, func.sum(case((BrandMention.sentiment.is_(None), 1), else_=0))
    )
    query = filters.apply(query).group_by(BrandMention.brand)
    rows = {row[0]: row for row in session.execute(query)}
    groups = groups or {}
    names = set(rows) | {b for b in groups if not filters.brands or b in filters.brands}
    result = []
    for name in names:
        row = rows.get(name)
        values = [int(v or 0) for v in row[1:]] if row else [0, 0, 0, 0, 0]
        result.append(BrandStats(name, groups.get(name), *values))
    return sorted(result, key=lambda s: (-s.mentions, s.brand))


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return float(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1])


def response_stats(session: Session, filters: MetricsFilter = MetricsFilter()) -> dict[str, ResponseStats]:
    """Per brand: posts addressed to it, how many its official accounts answered, and how fast."""
    first_reply = (
        select(
            OfficialReply.mention_id.label("mention_id"),
            OfficialReply.brand.label("brand"),
            func.min(OfficialReply.replied_at).label("replied_at"),
            func.min(case((OfficialReply.replied_at_known, OfficialReply.replied_at))).label("known_at"),
        )
        .group_by(OfficialReply.mention_id, OfficialReply.brand)
        .subquery()
    )
    query = (
        _brand_base(filters)
        .add_columns(Mention.published_at, first_reply.c.replied_at, first_reply.c.known_at)
        .outerjoin(
            first_reply,
            (first_reply.c.mention_id == BrandMention.mention_id) & (first_reply.c.brand == BrandMention.brand),
        )
        .where(BrandMention.addressed.is_(True))
    )
    query = filters.apply(query)
    addressed: dict[str, int] = {}
    answered: dict[str, int] = {}
    delays: dict[str, list[float]] = {}
    for brand, published_at, replied_at, known_at in session.execute(query):
        addressed[brand] = addressed.get(brand, 0) + 1
        delays.setdefault(brand, [])
        if replied_at is not None:
            answered[brand] = answered.get(brand, 0) + 1
            delay = response_delay(published_at, replied_at, known_at)
            if delay is not None:
                delays[brand].append(delay)
    result = {}
    for brand, total in addressed.items():
        times = delays[brand]
        result[brand] = ResponseStats(
            brand=brand,
            addressed=total,
            answered=answered.get(brand, 0),
            response_rate=answered.get(brand, 0) / total if total else None,
            median_response_seconds=statistics.median(times) if times else None,
            p90_response_seconds=_percentile(times, 0.9),
        )
    return result


def response_delay(published_at: datetime, replied_at: datetime | None, known_at: datetime | None) -> float | None:
    """Seconds from the post to its first official reply; ``None`` when unanswered or when the first reply's time
    is unknown (``official_replies.replied_at_known`` false: only when it was first seen)."""
    if replied_at is None or known_at is None or as_utc(known_at) > as_utc(replied_at):
        return None
    return max((as_utc(known_at) - as_utc(published_at)).total_seconds(), 0.0)


def source_health(session: Session) -> list[SourceHealth]:
    """Per configured source: mentions stored, the last crawl, errors over all runs."""
    mentions = dict(
        session.execute(select(Mention.source_id, func.count(Mention.id)).group_by(Mention.source_id)).all()
    )
    errors = dict(
        session.execute(select(CrawlRun.source_id, func.sum(CrawlRun.errors)).group_by(CrawlRun.source_id)).all()
    )
    last_run_ids = select(func.max(CrawlRun.id)).group_by(CrawlRun.source_id)
    last_runs = {
        run.source_id: run for run in session.scalars(select(CrawlRun).where(CrawlRun.id.in_(last_run_ids)))
    }
    result = []
    for source in session.scalars(select(Source).order_by(Source.name)):
        run = last_runs.get(source.id)
        result.append(
            SourceHealth(
                source=source.name,
                kind=source.kind,
                enabled=source.enabled,
                mentions=int(mentions.get(source.id, 0)),
                last_crawl=(run.finished_at or run.started_at) if run else None,
                last_status=run.status if run else None,
                last_items=run.items_new if run else None,
                errors=int(errors.get(source.id) or 0),
                consecutive_failures=source.consecutive_failures,
                disabled_reason=source.disabled_reason,
            )
        )
    return result


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value else None


def build_report(
    session: Session, filters: MetricsFilter = MetricsFilter(), groups: dict[str, str] | None = None
) -> dict[str, Any]:
    """The JSON object printed by ``molva report --json``."""
    total_query = select(func.count(Mention.id))
    if filters.since is not None:
        total_query = total_query.where(Mention.published_at >= filters.since)
    if filters.until is not None:
        total_query = total_query.where(Mention.published_at < filters.until)
    responses = response_stats(session, filters)
    brands = []
    for stats in brand_stats(session, filters, groups):
        response = responses.get(stats.brand)
        row = asdict(stats)
        row["negative_share"] = round(stats.negative_share, 4)
        row["sentiment_index"] = round(stats.sentiment_index, 4)
        row["addressed"] = response.addressed if response else 0
        row["answered"] = response.answered if response else 0
        row["response_rate"] = response.response_rate if response else None
        row["median_response_seconds"] = response.median_response_seconds if response else None
        row["p90_response_seconds"] = response.p90_response_seconds if response else None
        brands.append(row)
    sources = []
    for health in source_health(session):
        row = asdict(health)
        row["last_crawl"] = _iso(health.last_crawl)
        sources.append(row)
    return {
        "period": {"since": _iso(filters.since), "until": _iso(filters.until)},
        "mentions_total": int(session.scalar(total_query) or 0),
        "brands": brands,
        "sources": sources,
    }
