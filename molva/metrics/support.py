"""The support queue's urgent complaints (topics themselves are read through :mod:`molva.board`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from molva.metrics.explorer import safe_url
from molva.metrics.filters import MetricsFilter
from molva.models import BrandMention, Mention, Source, TopicMention, as_utc


@dataclass(frozen=True)
class UrgentRow:
    brand_mention_id: int
    mention_id: int
    brand: str
    source: str
    published_at: datetime
    text: str
    url: str | None
    intent: str | None
    urgency: float
    topic_id: int | None


def urgent_complaints(
    session: Session, filters: MetricsFilter = MetricsFilter(), threshold: float = 0.6, limit: int = 200
) -> list[UrgentRow]:
    """Classified brand mentions with urgency at or above ``threshold``, newest first, with their topic."""
    topic = (
        select(func.min(TopicMention.topic_id))
        .where(TopicMention.mention_id == BrandMention.mention_id)
        .scalar_subquery()
    )
    query = (
        select(BrandMention, Source.name, Mention.text, Mention.url, topic)
        .join(Mention, Mention.id == BrandMention.mention_id)
        .join(Source, Source.id == Mention.source_id)
        .where(BrandMention.urgency >= threshold)
    )
    query = filters.apply(query).order_by(BrandMention.published_at.desc()).limit(limit)
    return [
        UrgentRow(
            brand_mention_id=bm.id,
            mention_id=bm.mention_id,
            brand=bm.brand,
            source=source,
            published_at=as_utc(bm.published_at),
            text=text,
            url=safe_url(url),
            intent=bm.intent,
            urgency=float(bm.urgency or 0.0),
            topic_id=topic_id,
        )
        for bm, source, text, url, topic_id in session.execute(query)
    ]
