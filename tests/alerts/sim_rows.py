"""Rows for alert tests: hand-written posts, or a simulator world stored with truth-derived labels.

Stands in for the crawler and the classifier where a test is about alerts only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from molva.models import BrandMention, Mention, Source

BASE_URL = "http://sim.local"


def source(session: Session, kind: str, name: str | None = None) -> Source:
    name = name or kind
    found = session.scalar(select(Source).where(Source.name == name))
    if found is None:
        found = Source(name=name, kind=kind, base_url=BASE_URL)
        session.add(found)
        session.flush()
    return found


def add_post(
    session: Session,
    text: str,
    brand: str,
    published: datetime,
    *,
    kind: str = "vk",
    sentiment: str = "negative",
    intent: str = "problem",
    urgency: float = 0.9,
    external_id: str | None = None,
    author: str = "Анна Смирнова",
    url: str | None = None,
    title: str | None = None,
    official_brand: str | None = None,
    near_duplicate_of: int | None = None,
    reasons: list[str] | None = None,
    extra_brands: tuple[str, ...] = (),
    aspects: list[str] | None = None,
    followers: int | None = None,
    source_name: str | None = None,
) -> BrandMention:
    """One mention and its brand mention(s), already "classified"; returns the first brand's row."""
    src = source(session, kind, source_name)
    external_id = external_id or hashlib.sha1(f"{text}{published}".encode()).hexdigest()[:16]
    url = url or f"https://example.org/{kind}/{external_id}"
    mention = Mention(
        source_id=src.id,
        kind=kind,
        external_id=external_id,
        url=url,
        canonical_url=url,
        author=author,
        author_followers=followers,
        title=title,
        text=text,
        published_at=published,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        official_brand=official_brand,
        near_duplicate_of_id=near_duplicate_of,
    )
    session.add(mention)
    session.flush()
    scores = {"negative": (0.9, 0.07, 0.03), "neutral": (0.1, 0.8, 0.1), "positive": (0.03, 0.07, 0.9)}
    first: BrandMention | None = None
    for i, name in enumerate((brand, *extra_brands)):
        own = i == 0
        label = sentiment if own else "neutral"
        neg, neu, pos = scores[label]
        bm = BrandMention(
            mention_id=mention.id,
            brand=name,
            alias=name,
            span_start=0,
            span_end=len(name),
            published_at=published,
            sentiment=label,
            score_negative=neg,
            score_neutral=neu,
            score_positive=pos,
            model_version="truth",
            intent=intent if own else "other",
            urgency=urgency if own else 0.05,
            urgency_reasons=(reasons if reasons is not None else ["угроза уйти к конкуренту"]) if own else [],
            aspects=aspects if own else None,
            classified_at=published,
        )
        session.add(bm)
        first = first or bm
    session.flush()
    assert first is not None
    return first


@dataclass
class LoadedWorld:
    brand_mentions: list[BrandMention]
    by_key: dict[tuple[str, str], int]  # (kind, external_id) -> mention id
    truth: dict[str, Any]


def load_world(session: Session, world: Any) -> LoadedWorld:
    """Every visible simulator post as a Mention with BrandMentions labelled from the truth
    (the post's own brand gets its truth sentiment/intent and urgency 0.9 if urgent; other brands named in
    passing are neutral)."""
    truth = world.truth(BASE_URL)
    by_key: dict[tuple[str, str], int] = {}
    bms: list[BrandMention] = []
    for post, row in zip(world.visible(), truth["posts"], strict=True):
        if not post.brands:
            continue
        primary = post.brand or post.brands[0]
        others = tuple(b for b in post.brands if b != primary)
        dup = by_key.get((row["kind"], row["duplicate_of"])) if row["duplicate_of"] else None
        urgency = 0.9 if post.urgent else (0.4 if post.sentiment == "negative" else 0.05)
        bm = add_post(
            session,
            post.text,
            primary,
            post.published,
            kind=post.kind,
            sentiment=post.sentiment,
            intent=post.intent,
            urgency=urgency,
            external_id=post.external_id,
            author=post.author.name,
            url=row["url"],
            title=post.title or None,
            official_brand=primary if post.is_official else None,
            near_duplicate_of=dup,
            reasons=["срочная жалоба (разметка симулятора)"] if post.urgent else [],
            extra_brands=others,
        )
        by_key[(row["kind"], row["external_id"])] = bm.mention_id
        bms.append(bm)
        bms.extend(
            b
            for b in session.scalars(select(BrandMention).where(BrandMention.mention_id == bm.mention_id))
            if b.id != bm.id
        )
    return LoadedWorld(bms, by_key, truth)


@dataclass
class TopicScore:
    urgent_posts: int
    linked_exactly_once: int
    linked_more_than_once: int
    topics: int
    topics_only_non_negative: int
    topics_with_urgent: int
    linked_posts: int
    linked_urgent_posts: int

    @property
    def recall(self) -> float:
        return self.linked_exactly_once / self.urgent_posts if self.urgent_posts else 0.0

    @property
    def false_topic_share(self) -> float:
        return self.topics_only_non_negative / self.topics if self.topics else 0.0

    @property
    def topic_precision(self) -> float:
        """Share of topics that hold at least one truly urgent post."""
        return self.topics_with_urgent / self.topics if self.topics else 0.0

    @property
    def post_precision(self) -> float:
        """Share of linked posts that are truly urgent."""
        return self.linked_urgent_posts / self.linked_posts if self.linked_posts else 0.0


def score_topics(
    session: Session, truth: dict[str, Any], by_key: dict[tuple[str, str], int], adapter: str | None = None
) -> TopicScore:
    """Topics in the database against the simulator truth (posts matched by kind + external id)."""
    from molva.models import SupportTopic, TopicMention

    query = select(TopicMention.topic_id, TopicMention.mention_id).join(
        SupportTopic, SupportTopic.id == TopicMention.topic_id
    )
    if adapter:
        query = query.where(SupportTopic.adapter == adapter)
    links = session.execute(query).all()
    topics_of: dict[int, set[int]] = {}
    posts_of: dict[int, set[int]] = {}
    for topic_id, mention_id in links:
        topics_of.setdefault(mention_id, set()).add(topic_id)
        posts_of.setdefault(topic_id, set()).add(mention_id)
    truth_of = {
        by_key[(p["kind"], p["external_id"])]: p
        for p in truth["posts"]
        if (p["kind"], p["external_id"]) in by_key
    }
    urgent = [m for m, p in truth_of.items() if p["urgent"] and not p["is_official"]]
    once = sum(1 for m in urgent if len(topics_of.get(m, ())) == 1)
    more = sum(1 for m in urgent if len(topics_of.get(m, ())) > 1)
    only_non_negative = sum(
        1
        for posts in posts_of.values()
        if all(truth_of[m]["sentiment"] in ("positive", "neutral") for m in posts)
    )
    with_urgent = sum(1 for posts in posts_of.values() if any(truth_of[m]["urgent"] for m in posts))
    linked = set(topics_of)
    return TopicScore(
        urgent_posts=len(urgent),
        linked_exactly_once=once,
        linked_more_than_once=more,
        topics=len(posts_of),
        topics_only_non_negative=only_non_negative,
        topics_with_urgent=with_urgent,
        linked_posts=len(linked),
        linked_urgent_posts=sum(1 for m in linked if truth_of[m]["urgent"]),
    )
