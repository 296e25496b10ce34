"""Mentions and sentiment per source under the usual filters (the Sources page counts what other pages count)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from molva.metrics.filters import MetricsFilter
from molva.metrics.report import SentimentShares
from molva.models import BrandMention, Mention, Source


@dataclass(frozen=True)
class SourceStats(SentimentShares):
    source: str
    mentions: int  # brand mentions, as in molva.metrics.brand_stats
    negative: int
    neutral: int
    positive: int


def source_stats(session: Session, filters: MetricsFilter = MetricsFilter()) -> list[SourceStats]:
    """Per source: brand mentions and their sentiment counts, most mentioned first."""
    sums = [func.sum(case((BrandMention.sentiment == label, 1), else_=0)) for label in ("negative", "neutral", "positive")]
    query: Any = (
        select(Source.name, func.count(BrandMention.id), *sums)
        .join(Mention, Mention.id == BrandMention.mention_id)
        .join(Source, Source.id == Mention.source_id)
    )
    query = filters.apply(query).group_by(Source.name)
    rows = [SourceStats(r[0], int(r[1]), *(int(v or 0) for v in r[2:])) for r in session.execute(query)]
    return sorted(rows, key=lambda r: (-r.mentions, r.source))
