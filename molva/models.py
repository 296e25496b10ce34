"""SQLAlchemy 2 models: the database is where Molva's stages meet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored in UTC); make every datetime aware, in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Source(Base):
    """A configured source (one ``[[sources]]`` entry), with its health."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    base_url: Mapped[str | None] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    backoff_until: Mapped[datetime | None]
    state: Mapped[dict[str, Any] | None]  # per-target cursors, ETags...
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    runs: Mapped[list[CrawlRun]] = relationship(back_populates="source")


class CrawlRun(Base):
    """One crawl of one source: when, how many items, how many errors."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|ok|partial|failed
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any] | None]

    source: Mapped[Source] = relationship(back_populates="runs")


class Mention(Base):
    """A public post or comment that was collected."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index("ix_mentions_published_at", "published_at"),
        Index("ix_mentions_source_published", "source_id", "published_at"),
        # the few posts of official accounts, which answer-time metrics leave out without joining every mention
        Index("ix_mentions_official", "id", sqlite_where=text("official_brand IS NOT NULL"),
              postgresql_where=text("official_brand IS NOT NULL")),
        # PostgreSQL only (pg_trgm, migration 0108): the explorer's LIKE '%stem%' search through an index
        *(Index(f"ix_mentions_{column}_trgm", column, postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"}, info={"dialects": ("postgresql",)})
          .ddl_if(dialect="postgresql") for column in ("text", "title")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    canonical_url: Mapped[str] = mapped_column(String(1000), index=True)
    author: Mapped[str | None] = mapped_column(String(300))
    author_id: Mapped[str | None] = mapped_column(String(200), index=True)
    author_followers: Mapped[int | None] = mapped_column(BigInteger)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(10))
    published_at: Mapped[datetime]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    likes: Mapped[int | None] = mapped_column(Integer)
    reposts: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[int | None] = mapped_column(Integer)
    views: Mapped[int | None] = mapped_column(BigInteger)
    rating: Mapped[int | None] = mapped_column(Integer)  # review sites: 1..5
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("mentions.id", ondelete="SET NULL"), index=True)
    parent_external_id: Mapped[str | None] = mapped_column(String(200))
    thread_external_id: Mapped[str | None] = mapped_column(String(200))
    forwarded_from: Mapped[str | None] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    near_duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentions.id", ondelete="SET NULL"), index=True
    )
    official_brand: Mapped[str | None] = mapped_column(String(100))  # posted by this brand's official account
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))

    brand_mentions: Mapped[list[BrandMention]] = relationship(back_populates="mention")


class BrandMention(Base):
    """A catalog brand found in a mention, with its sentiment, intent and urgency once classified."""

    __tablename__ = "brand_mentions"
    __table_args__ = (
        UniqueConstraint("mention_id", "brand"),
        Index("ix_brand_mentions_brand_published", "brand", "published_at"),
        Index("ix_brand_mentions_unclassified", "classified_at"),
        Index("ix_brand_mentions_published_at", "published_at"),
        # response rates read the addressed rows of a period, answered or not, without the table (molva.metrics)
        Index("ix_brand_mentions_addressed", "addressed", "published_at", "first_reply_at", "first_reply_known",
              "brand", "mention_id", "reply_delay_ms"),
        # a brand's answer times in order: its median and percentile are read at an offset (molva.metrics.delays)
        Index("ix_brand_mentions_reply_delay", "brand", "reply_delay_ms", "addressed", "published_at", "mention_id",
              sqlite_where=text("reply_delay_ms IS NOT NULL"), postgresql_where=text("reply_delay_ms IS NOT NULL")),
        # a period's answer times with their source, no mention joined: answer times per source and per week
        # (molva.metrics.delays); only answered rows are in it, so storing new mentions never writes it
        Index("ix_brand_mentions_answer_times", "published_at", "brand", "reply_source_id", "addressed",
              "reply_delay_ms", "mention_id", sqlite_where=text("reply_delay_ms IS NOT NULL"),
              postgresql_where=text("reply_delay_ms IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"), index=True)
    brand: Mapped[str] = mapped_column(String(100))  # catalog display name
    alias: Mapped[str] = mapped_column(String(200))  # the matched text
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime]  # copied from the mention for fast per-brand time series
    addressed: Mapped[bool] = mapped_column(Boolean, default=False)
    sentiment: Mapped[str | None] = mapped_column(String(10))
    score_negative: Mapped[float | None] = mapped_column(Float)
    score_neutral: Mapped[float | None] = mapped_column(Float)
    score_positive: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str | None] = mapped_column(String(100))
    intent: Mapped[str | None] = mapped_column(String(20))
    urgency: Mapped[float | None] = mapped_column(Float)
    urgency_reasons: Mapped[list[Any] | None]
    aspects: Mapped[list[Any] | None]  # aspect codes (molva.aspects), most relevant first
    classified_at: Mapped[datetime | None]
    first_reply_at: Mapped[datetime | None]  # the brand's first official reply to the mention (molva.rollups)
    # whether that first reply's time is known (official_replies.replied_at_known): only then it is an answer time
    first_reply_known: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # milliseconds from the post to that first reply when its time is known (else NULL), for the answer-time
    # median and percentile without reading timestamps (molva.rollups.reply_delay_ms)
    reply_delay_ms: Mapped[int | None] = mapped_column(BigInteger)
    # the mention's source when reply_delay_ms is set (else NULL), kept with it by molva.rollups.record_reply
    reply_source_id: Mapped[int | None] = mapped_column(Integer)

    mention: Mapped[Mention] = relationship(back_populates="brand_mentions")


class SourceCount(Base):
    """Mentions stored per source, kept by ``molva.source_counts`` in the transactions that store and delete
    mentions (migration 0107 backfills it), so the source health never counts every mention."""

    __tablename__ = "source_counts"

    source_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    mentions: Mapped[int] = mapped_column(BigInteger, default=0)


class BrandRollup(Base):
    """Counts of brand mentions per brand × hour × source × official, kept current by ``molva.rollups``.

    ``metric``/``value``: mentions/"", sentiment/<label or "" unclassified>, intent/<intent>, aspect/<code>,
    addressed/"", answered/"", delay/<bucket upper bound in seconds or "inf">.
    """

    __tablename__ = "brand_rollups"
    __table_args__ = (
        UniqueConstraint("brand", "hour", "source_id", "official", "metric", "value"),
        # every metric query reads one metric over a period: covering, no table rows read
        Index("ix_brand_rollups_metric_hour", "metric", "hour", "brand", "source_id", "official", "value", "count"),
        # long periods (all time): per brand and value in index order, summed without sorting every row
        Index("ix_brand_rollups_metric_brand", "metric", "brand", "value", "official", "hour", "source_id", "count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand: Mapped[str] = mapped_column(String(100))
    hour: Mapped[datetime]  # UTC, the start of the hour of BrandMention.published_at
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    official: Mapped[bool] = mapped_column(Boolean)  # posted by a brand's official account
    metric: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(60))
    count: Mapped[int] = mapped_column(BigInteger)


class OfficialReply(Base):
    """A reply by a brand's official account to a mention."""

    __tablename__ = "official_replies"
    __table_args__ = (UniqueConstraint("mention_id", "brand", "reply_external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"), index=True)
    brand: Mapped[str] = mapped_column(String(100), index=True)
    account: Mapped[str] = mapped_column(String(200))
    reply_external_id: Mapped[str] = mapped_column(String(200))
    reply_mention_id: Mapped[int | None] = mapped_column(ForeignKey("mentions.id", ondelete="SET NULL"))
    replied_at: Mapped[datetime]
    # False: the page showed no date for the reply and it was already there when the post was first seen, so
    # ``replied_at`` is only an upper bound (first seen); it counts as answered but not in answer times.
    replied_at_known: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    text: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1000))


class SupportTopic(Base):
    """A topic in a support community (built-in board, Discourse...) created from complaints."""

    __tablename__ = "support_topics"
    __table_args__ = (UniqueConstraint("adapter", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    adapter: Mapped[str] = mapped_column(String(30))
    external_id: Mapped[str] = mapped_column(String(200))  # our idempotency key, sent as Discourse external_id
    remote_id: Mapped[str | None] = mapped_column(String(200))  # the adapter's own topic id
    url: Mapped[str | None] = mapped_column(String(1000))
    type: Mapped[str] = mapped_column(String(20))  # problem|question|idea|thanks
    status: Mapped[str] = mapped_column(String(20), default="new")  # new|in_progress|answered|resolved|duplicate
    brand: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    group_key: Mapped[str | None] = mapped_column(String(200), index=True)
    assignee: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    mentions: Mapped[list[TopicMention]] = relationship(back_populates="topic")
    comments_list: Mapped[list[TopicComment]] = relationship(back_populates="topic")


class TopicMention(Base):
    """A public post linked to a support topic (one topic can group many posts)."""

    __tablename__ = "topic_mentions"
    __table_args__ = (UniqueConstraint("topic_id", "mention_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("support_topics.id", ondelete="CASCADE"), index=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"), index=True)
    brand_mention_id: Mapped[int | None] = mapped_column(ForeignKey("brand_mentions.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)

    topic: Mapped[SupportTopic] = relationship(back_populates="mentions")


class TopicComment(Base):
    """A staff comment on a built-in board topic."""

    __tablename__ = "topic_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("support_topics.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    topic: Mapped[SupportTopic] = relationship(back_populates="comments_list")


class AlertOutbox(Base):
    """Transactional outbox: alerts written with the data that caused them, dispatched later."""

    __tablename__ = "alert_outbox"
    __table_args__ = (Index("ix_alert_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # topic|spike|digest
    adapter: Mapped[str] = mapped_column(String(30))
    brand: Mapped[str | None] = mapped_column(String(100), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|sent|failed|skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    brand_mention_id: Mapped[int | None] = mapped_column(ForeignKey("brand_mentions.id", ondelete="SET NULL"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("support_topics.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class Spike(Base):
    """A negativity spike episode of a brand: ``window_start``..``window_end`` is when it happened (the end
    moves while ``status`` is ``open``); one row per episode."""

    __tablename__ = "spikes"
    __table_args__ = (UniqueConstraint("brand", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand: Mapped[str] = mapped_column(String(100), index=True)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    negative_count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    terms: Mapped[list[Any] | None]
    mention_ids: Mapped[list[Any] | None]
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="ended", server_default="ended")  # open|ended
    details: Mapped[dict[str, Any] | None]  # the cause: aspects, words, sources, sample posts, authors
    updated_at: Mapped[datetime | None]


class SentimentCorrection(Base):
    """A person's correction of a wrong sentiment label (exportable as training data)."""

    __tablename__ = "sentiment_corrections"
    __table_args__ = (UniqueConstraint("brand_mention_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_mention_id: Mapped[int] = mapped_column(ForeignKey("brand_mentions.id", ondelete="CASCADE"))
    old_label: Mapped[str | None] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(10))
    corrected_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
