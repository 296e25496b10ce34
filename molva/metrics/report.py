"""Per-brand volume and sentiment, response rates, and source health."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from molva.metrics import rollup
from molva.metrics.delays import delay_quantiles
from molva.metrics.filters import MetricsFilter
from molva.models import BrandMention, BrandRollup, CrawlRun, Mention, Source, SourceCount, as_utc

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
    last_errors: int | None = None  # of the last run (``errors`` counts every run)
    backoff_until: datetime | None = None  # no crawl before this time after failures


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
    rows: dict[str, list[int]] = {}  # brand -> mentions, negative, neutral, positive, unclassified
    middle, edges = rollup.split(filters)
    if middle is not None:  # whole hours: from the rollups
        for brand, value, count in rollup.counts_by(session, middle, "sentiment", BrandRollup.brand):
            row = rows.setdefault(brand, [0] * 5)
            row[0] += int(count or 0)
            row[1 + SENTIMENTS.index(value) if value in SENTIMENTS else 4] += int(count or 0)
    counts = [func.sum(case((BrandMention.sentiment == label, 1), else_=0)) for label in SENTIMENTS]
    for edge in edges:  # partial hours: from the raw rows
        query = _brand_base(edge).add_columns(
            func.count(BrandMention.id), *counts, func.sum(case((BrandMention.sentiment.is_(None), 1), else_=0))
        )
        for brand, *values in session.execute(edge.apply(query).group_by(BrandMention.brand)):
            row = rows.setdefault(brand, [0] * 5)
            for i, value in enumerate(values):
                row[i] += int(value or 0)
    rows = {brand: row for brand, row in rows.items() if row[0]}
    groups = groups or {}
    names = set(rows) | {b for b in groups if not filters.brands or b in filters.brands}
    result = []
    for name in names:
        result.append(BrandStats(name, groups.get(name), *rows.get(name, [0] * 5)))
    return sorted(result, key=lambda s: (-s.mentions, s.brand))


def response_stats(session: Session, filters: MetricsFilter = MetricsFilter()) -> dict[str, ResponseStats]:
    """Per brand: posts addressed to it, how many its official accounts answered, and how fast.

    The first reply is ``brand_mentions.first_reply_at`` (kept by the ingestor). The addressed and answered
    counts of whole hours come from the rollups; the median and 90th percentile of the answer times are picked
    by the database (:mod:`molva.metrics.delays`). A first reply whose time is unknown (``first_reply_known``
    false: a banki.ru Q&A answer already there at first sight) counts as answered but not in the answer times.
    """
    counts: dict[str, list[int]] = {}
    middle, edges = rollup.split(filters)
    if middle is not None:
        for i, metric in enumerate(("addressed", "answered")):
            for brand, _value, count in rollup.counts_by(session, middle, metric, BrandRollup.brand):
                counts.setdefault(brand, [0, 0])[i] += int(count or 0)
    for edge in edges:
        query = _brand_base(edge).add_columns(
            func.count(BrandMention.id), func.sum(case((BrandMention.first_reply_at.is_not(None), 1), else_=0))
        ).where(BrandMention.addressed.is_(True))
        for brand, addressed, answered in session.execute(edge.apply(query).group_by(BrandMention.brand)):
            row = counts.setdefault(brand, [0, 0])
            row[0] += int(addressed or 0)
            row[1] += int(answered or 0)
    times = delay_quantiles(session, filters, [BrandMention.brand])
    result = {}
    for brand, (addressed, answered) in counts.items():
        if not addressed:
            continue
        median, p90 = times.get((brand,), (None, None))
        result[brand] = ResponseStats(
            brand=brand,
            addressed=addressed,
            answered=answered,
            response_rate=answered / addressed,
            median_response_seconds=median,
            p90_response_seconds=p90,
        )
    return result


def source_health(session: Session) -> list[SourceHealth]:
    """Per configured source: mentions stored (``source_counts``, kept by :mod:`molva.source_counts` in the
    transactions that store and delete mentions; counted from the rows inside :func:`molva.metrics.rollup.raw_only`),
    the last crawl, errors over all runs."""
    if rollup.is_raw_only():
        counted = select(Mention.source_id, func.count(Mention.id)).group_by(Mention.source_id)
    else:
        counted = select(SourceCount.source_id, SourceCount.mentions)
    mentions = dict(session.execute(counted).all())
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
                last_errors=run.errors if run else None,
                backoff_until=source.backoff_until,
            )
        )
    return result


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value else None


def build_report(
    session: Session, filters: MetricsFilter = MetricsFilter(), groups: dict[str, str] | None = None
) -> dict[str, Any]:
    """The JSON object printed by ``molva report --json``."""
    total_query = select(func.count()).select_from(Mention)  # count(*): PostgreSQL counts along the date index alone
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
    healths = source_health(session)
    for health in healths:
        row = asdict(health)
        row["last_crawl"] = _iso(health.last_crawl)
        row["backoff_until"] = _iso(health.backoff_until)
        sources.append(row)
    if filters.since is None and filters.until is None:  # every mention belongs to one source: already counted
        total = sum(health.mentions for health in healths)
    else:
        total = int(session.scalar(total_query) or 0)
    return {
        "period": {"since": _iso(filters.since), "until": _iso(filters.until)},
        "mentions_total": total,
        "brands": brands,
        "sources": sources,
    }
