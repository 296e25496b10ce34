"""The support queue as a work list: each topic's urgency (its most urgent linked post) and reasons."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from molva.models import BrandMention, TopicMention


def topic_urgency(session: Session, topic_ids: Iterable[int]) -> dict[int, float]:
    """Topic id -> the highest urgency among its linked brand mentions (topics without a score are left out)."""
    ids = list(topic_ids)
    if not ids:
        return {}
    query = (
        select(TopicMention.topic_id, func.max(BrandMention.urgency))
        .join(BrandMention, BrandMention.id == TopicMention.brand_mention_id)
        .where(TopicMention.topic_id.in_(ids))
        .group_by(TopicMention.topic_id)
    )
    return {int(topic_id): float(value) for topic_id, value in session.execute(query) if value is not None}
