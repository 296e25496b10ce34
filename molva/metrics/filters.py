"""Filters shared by every metric: period, brands, sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select

from molva.models import BrandMention, Mention, Source


@dataclass(frozen=True)
class MetricsFilter:
    """Which brand mentions a metric counts. Empty tuples mean "all"."""

    since: datetime | None = None
    until: datetime | None = None
    brands: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    include_official: bool = False

    def apply(self, query: Select[Any]) -> Select[Any]:
        """Restrict a query that already joins BrandMention and Mention (and Source when filtering sources)."""
        if self.since is not None:
            query = query.where(BrandMention.published_at >= self.since)
        if self.until is not None:
            query = query.where(BrandMention.published_at < self.until)
        if self.brands:
            query = query.where(BrandMention.brand.in_(self.brands))
        if self.sources:
            query = query.where(Source.name.in_(self.sources))
        if not self.include_official:
            query = query.where(Mention.official_brand.is_(None))
        return query
