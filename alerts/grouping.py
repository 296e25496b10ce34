"""Grouping similar complaints: the same outage reported by fifty people is one topic with fifty posts.

A new urgent post joins an open topic of the same brand (and adapter) when one of the posts already
linked to that topic was published within ``group_window`` of it and their content words overlap enough
(Dice coefficient of stem sets >= ``group_similarity``, the brand's own name left out). A copy of a post
(``near_duplicate_of``: the original, a repost of it, another repost of the same original) joins the topic of
the copy handled first, whatever the time and the order they were crawled in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alerts.text import brand_stems, similarity, stems
from molva.board import OPEN_STATUSES, as_utc
from molva.models import BrandMention, Mention, SupportTopic, TopicMention

MAX_POSTS_PER_TOPIC = 25


@dataclass(frozen=True)
class GroupMatch:
    topic: SupportTopic
    score: float


def post_stems(bm: BrandMention, mention: Mention) -> frozenset[str]:
    text = f"{mention.title or ''} {mention.text}"
    return stems(text, brand_stems(bm.brand, bm.alias))


def group_key(signature: frozenset[str]) -> str:
    return " ".join(sorted(signature))[:200]


def find_group(
    session: Session, bm: BrandMention, mention: Mention, adapter: str, window_s: int, threshold: float
) -> GroupMatch | None:
    """The open topic this post belongs to, or None when it needs a topic of its own."""
    # a copy of the same post (its original, a repost of it, or another repost of its original) already in a
    # topic: that topic, whatever the time and whichever copy was handled first
    root = mention.near_duplicate_of_id or mention.id
    copies = select(Mention.id).where(or_(Mention.id == root, Mention.near_duplicate_of_id == root))
    topic = session.scalar(
        select(SupportTopic)
        .join(TopicMention, TopicMention.topic_id == SupportTopic.id)
        .where(
            TopicMention.mention_id.in_(copies),
            TopicMention.mention_id != mention.id,
            SupportTopic.brand == bm.brand,
            SupportTopic.adapter == adapter,
            SupportTopic.status.in_(OPEN_STATUSES),
        )
        .order_by(SupportTopic.id)
        .limit(1)
    )
    if topic is not None:
        return GroupMatch(topic, 1.0)
    published = as_utc(mention.published_at)
    window = timedelta(seconds=window_s)
    rows = session.execute(
        select(TopicMention.topic_id, Mention.title, Mention.text, BrandMention.alias)
        .join(SupportTopic, SupportTopic.id == TopicMention.topic_id)
        .join(Mention, Mention.id == TopicMention.mention_id)
        .outerjoin(BrandMention, BrandMention.id == TopicMention.brand_mention_id)
        .where(
            SupportTopic.brand == bm.brand,
            SupportTopic.adapter == adapter,
            SupportTopic.status.in_(OPEN_STATUSES),
            Mention.published_at >= published - window,
            Mention.published_at <= published + window,
        )
        .order_by(TopicMention.id.desc())
    ).all()
    if not rows:
        return None
    mine = post_stems(bm, mention)
    if not mine:
        return None
    texts: dict[int, list[frozenset[str]]] = defaultdict(list)
    for topic_id, title, text, alias in rows:
        if len(texts[topic_id]) < MAX_POSTS_PER_TOPIC:
            texts[topic_id].append(stems(f"{title or ''} {text}", brand_stems(bm.brand, alias or "")))
    best_id, best = 0, 0.0
    for topic_id, signatures in texts.items():
        score = max(similarity(mine, s) for s in signatures)
        if score > best or (score == best and topic_id < best_id):
            best_id, best = topic_id, score
    if best < threshold:
        return None
    topic = session.get(SupportTopic, best_id)
    return GroupMatch(topic, best) if topic is not None else None
