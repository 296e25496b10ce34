"""Aspect analytics: per brand, how often each aspect (category) comes up and how much of it is negative.

"Which aspects drive negativity": a brand's negative mentions split by what they are about, beside its
competitors'. Aspects are ``brand_mentions.aspects`` (codes, most relevant first; NULL = not analysed yet).
Counted in Python: the JSON lists are not portable to aggregate in SQL across SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from molva.metrics.filters import MetricsFilter
from molva.models import BrandMention, Mention, Source


@dataclass(frozen=True)
class AspectCount:
    brand: str
    aspect: str
    mentions: int  # classified brand mentions with this aspect
    negative: int  # of them, negative
    negative_share: float  # negative / mentions
    share_of_negative: float  # of the brand's negative mentions with any aspect, the share with this one


def aspect_counts(session: Session, filters: MetricsFilter = MetricsFilter(), *,
                  top_only: bool = False) -> list[AspectCount]:
    """Per brand and aspect: mentions and negative mentions in the filtered period.

    ``top_only``: count only each mention's first (most relevant) aspect, so the counts of a brand add up to
    its classified mentions; otherwise every listed aspect counts. Rows: by brand, then most negative first."""
    query = (select(BrandMention.brand, BrandMention.aspects, BrandMention.sentiment)
             .join(Mention, BrandMention.mention_id == Mention.id)
             .where(BrandMention.aspects.is_not(None), BrandMention.sentiment.is_not(None)))
    if filters.sources:
        query = query.join(Source, Mention.source_id == Source.id)
    total: dict[tuple[str, str], int] = defaultdict(int)
    negative: dict[tuple[str, str], int] = defaultdict(int)
    negative_any: dict[str, int] = defaultdict(int)
    for brand, aspects, sentiment in session.execute(filters.apply(query)).yield_per(2000):
        codes = [str(a) for a in (aspects or [])][: 1 if top_only else None]
        codes = list(dict.fromkeys(codes))
        if not codes:
            continue
        for code in codes:
            total[(brand, code)] += 1
            if sentiment == "negative":
                negative[(brand, code)] += 1
        if sentiment == "negative":
            negative_any[brand] += 1
    rows = [
        AspectCount(brand, code, n, negative[(brand, code)], negative[(brand, code)] / n,
                    negative[(brand, code)] / negative_any[brand] if negative_any[brand] else 0.0)
        for (brand, code), n in total.items()
    ]
    return sorted(rows, key=lambda r: (r.brand, -r.negative, -r.mentions, r.aspect))
