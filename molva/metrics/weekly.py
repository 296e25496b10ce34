"""Numbers of the weekly report (``molva report --html``): the focus brand's group over one period.

Every number comes from the one metrics layer (brand_stats, response_stats, mention_timeseries,
urgent_complaints); only the aspect counts are summed here, from ``brand_mentions.aspects``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from molva.metrics.filters import MetricsFilter
from molva.metrics.report import BrandStats, ResponseStats, brand_stats, response_stats
from molva.metrics.support import UrgentRow, urgent_complaints
from molva.metrics.timeseries import TimePoint, mention_timeseries, previous_period
from molva.models import BrandMention, Mention


@dataclass(frozen=True)
class WeeklyData:
    focus: str | None
    group: str | None
    members: tuple[str, ...]
    since: datetime
    until: datetime
    brands: list[BrandStats]  # the group's brands, most mentioned first (zeros included)
    previous: list[BrandStats]  # the same for the previous period of the same length
    responses: dict[str, ResponseStats]
    trend: list[TimePoint]  # per hour and brand (the report sums them into local days)
    complaints: list[UrgentRow]
    aspects: list[tuple[str, int]] = field(default_factory=list)  # (aspect code, negative mentions), most first


def negative_aspects(session: Session, filters: MetricsFilter, limit: int = 8) -> list[tuple[str, int]]:
    """The aspects of negative brand mentions (``brand_mentions.aspects``), most frequent first."""
    query = (
        select(BrandMention.aspects)
        .join(Mention, Mention.id == BrandMention.mention_id)
        .where(BrandMention.sentiment == "negative", BrandMention.aspects.is_not(None))
    )
    counts: Counter[str] = Counter()
    for (aspects,) in session.execute(filters.apply(query)):
        counts.update(str(a) for a in dict.fromkeys(aspects or []))
    return counts.most_common(limit)


def weekly_data(
    session: Session, filters: MetricsFilter, focus: str | None, group: str | None, members: tuple[str, ...],
    threshold: float = 0.6,
) -> WeeklyData:
    """The report's numbers for ``members`` (the focus brand's group) in ``filters``' period."""
    assert filters.since is not None and filters.until is not None
    scoped = MetricsFilter(filters.since, filters.until, members, filters.sources, filters.include_official)
    groups = dict.fromkeys(members, group or "")
    before = previous_period(scoped)
    return WeeklyData(
        focus=focus,
        group=group,
        members=members,
        since=filters.since,
        until=filters.until,
        brands=brand_stats(session, scoped, groups),
        previous=brand_stats(session, before, groups) if before else [],
        responses=response_stats(session, scoped),
        trend=mention_timeseries(session, scoped, "hour"),
        complaints=sorted(urgent_complaints(session, scoped, threshold, limit=500),
                          key=lambda r: (-r.urgency, r.published_at))[:10],
        aspects=negative_aspects(session, scoped),
    )
