"""Mentions and sentiment per source under the usual filters (the Sources page counts what other pages count)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from molva.metrics import rollup
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
    """Per source: brand mentions and their sentiment counts, most mentioned first (whole hours from the
    rollups, the period's partial edge hours from the raw rows)."""
    labels = ("negative", "neutral", "positive")
    counts: dict[str, list[int]] = {}  # source -> mentions, negative, neutral, positive
    middle, edges = rollup.split(filters)
    if middle is not None:
        for source, value, count in rollup.counts_by(session, middle, "sentiment", Source.name, join_source=True):
            row = counts.setdefault(source, [0] * 4)
            row[0] += int(count or 0)
            if value in labels:
                row[1 + labels.index(value)] += int(count or 0)
    sums = [func.sum(case((BrandMention.sentiment == label, 1), else_=0)) for label in labels]
    for edge in edges:
        query: Any = (
            select(Source.name, func.count(BrandMention.id), *sums)
            .join(Mention, Mention.id == BrandMention.mention_id)
            .join(Source, Source.id == Mention.source_id)
        )
        for source, *values in session.execute(edge.apply(query).group_by(Source.name)):
            row = counts.setdefault(source, [0] * 4)
            for i, value in enumerate(values):
                row[i] += int(value or 0)
    rows = [SourceStats(source, *row) for source, row in counts.items() if row[0]]
    return sorted(rows, key=lambda r: (-r.mentions, r.source))
