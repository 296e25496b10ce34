"""The schema on SQLite and PostgreSQL: migrations, constraints, and the report built from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from molva.metrics import MetricsFilter, build_report, response_stats
from molva.models import BrandMention, CrawlRun, Mention, OfficialReply, Source

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def make_source(session: Session, name: str = "reviews") -> Source:
    source = Source(name=name, kind="reviews", base_url="http://127.0.0.1:1")
    session.add(source)
    session.flush()
    return source


def make_mention(session: Session, source: Source, external_id: str, text: str, at: datetime) -> Mention:
    mention = Mention(
        source_id=source.id,
        kind=source.kind,
        external_id=external_id,
        url=f"http://127.0.0.1:1/r/{external_id}",
        canonical_url=f"http://127.0.0.1:1/r/{external_id}",
        text=text,
        published_at=at,
        content_hash=f"h{external_id}",
    )
    session.add(mention)
    session.flush()
    return mention


def add_brand(session: Session, mention: Mention, brand: str, sentiment: str | None, addressed: bool) -> BrandMention:
    row = BrandMention(
        mention_id=mention.id,
        brand=brand,
        alias=brand,
        span_start=0,
        span_end=len(brand),
        published_at=mention.published_at,
        addressed=addressed,
        sentiment=sentiment,
    )
    session.add(row)
    session.flush()
    return row


def test_all_tables_exist(any_session: Session) -> None:
    tables = set(inspect(any_session.connection()).get_table_names())
    assert {
        "sources", "crawl_runs", "mentions", "brand_mentions", "official_replies", "support_topics",
        "topic_mentions", "topic_comments", "alert_outbox", "spikes", "sentiment_corrections",
    } <= tables


def test_same_post_twice_violates_unique_key(any_session: Session) -> None:
    source = make_source(any_session)
    make_mention(any_session, source, "1", "Сбербанк снова списал деньги дважды", T0)
    with pytest.raises(IntegrityError), any_session.begin_nested():
        make_mention(any_session, source, "1", "другой текст", T0)
    assert any_session.scalar(select(Mention.text).where(Mention.external_id == "1")) == (
        "Сбербанк снова списал деньги дважды"
    )


def test_one_brand_mention_per_brand_and_post(any_session: Session) -> None:
    source = make_source(any_session)
    mention = make_mention(any_session, source, "2", "МТС и Билайн", T0)
    add_brand(any_session, mention, "МТС", None, False)
    with pytest.raises(IntegrityError), any_session.begin_nested():
        add_brand(any_session, mention, "МТС", None, False)


def test_report_counts_sentiment_sources_and_responses(any_session: Session) -> None:
    source = make_source(any_session)
    any_session.add(CrawlRun(source_id=source.id, started_at=T0, finished_at=T0 + timedelta(minutes=1),
                             status="ok", items_seen=4, items_new=4, errors=2))
    labels = ["negative", "negative", "positive", None]
    for i, label in enumerate(labels):
        mention = make_mention(any_session, source, f"s{i}", f"отзыв {i} про Сбербанк", T0 + timedelta(hours=i))
        bm = add_brand(any_session, mention, "Сбербанк", label, addressed=True)
        if i < 2:  # two of four answered, after 1 h and 3 h
            any_session.add(OfficialReply(mention_id=bm.mention_id, brand="Сбербанк", account="sberbank",
                                          reply_external_id=f"a{i}",
                                          replied_at=mention.published_at + timedelta(hours=1 + 2 * i)))
    any_session.flush()

    report = build_report(any_session, MetricsFilter(), {"Сбербанк": "banks", "ВТБ": "banks"})

    assert report["mentions_total"] == 4
    sber = next(b for b in report["brands"] if b["brand"] == "Сбербанк")
    assert (sber["mentions"], sber["negative"], sber["neutral"], sber["positive"]) == (4, 2, 0, 1)
    assert sber["unclassified"] == 1
    assert (sber["addressed"], sber["answered"], sber["response_rate"]) == (4, 2, 0.5)
    assert sber["median_response_seconds"] == 2 * 3600
    vtb = next(b for b in report["brands"] if b["brand"] == "ВТБ")
    assert vtb["mentions"] == 0 and vtb["response_rate"] is None
    assert report["sources"] == [
        {
            "source": "reviews", "kind": "reviews", "enabled": True, "mentions": 4,
            "last_crawl": (T0 + timedelta(minutes=1)).isoformat(), "last_status": "ok", "last_items": 4,
            "errors": 2, "consecutive_failures": 0, "disabled_reason": None, "last_errors": 2, "backoff_until": None,
        }
    ]


def test_period_filter_and_first_reply_only(any_session: Session) -> None:
    source = make_source(any_session)
    old = make_mention(any_session, source, "old", "ВТБ", T0 - timedelta(days=10))
    add_brand(any_session, old, "ВТБ", "neutral", addressed=True)
    new = make_mention(any_session, source, "new", "ВТБ", T0)
    add_brand(any_session, new, "ВТБ", "negative", addressed=True)
    for n, delay in enumerate((600, 60, 3000)):  # the first answer counts
        any_session.add(OfficialReply(mention_id=new.id, brand="ВТБ", account="vtb", reply_external_id=f"r{n}",
                                      replied_at=T0 + timedelta(seconds=delay)))
    any_session.flush()
    stats = response_stats(any_session, MetricsFilter(since=T0 - timedelta(days=1)))
    assert stats["ВТБ"].addressed == 1
    assert stats["ВТБ"].answered == 1
    assert stats["ВТБ"].median_response_seconds == 60


def test_reply_seen_only_when_first_crawled_is_answered_but_not_timed(any_session: Session) -> None:
    # A page that shows no answer date: a reply already there at first sight has only an upper-bound time.
    source = make_source(any_session)
    for n, (delay, known) in enumerate(((600, True), (900, True), (86_400, False))):
        mention = make_mention(any_session, source, f"q{n}", "МТС", T0 + timedelta(minutes=n))
        add_brand(any_session, mention, "МТС", "negative", addressed=True)
        any_session.add(OfficialReply(mention_id=mention.id, brand="МТС", account="mts", reply_external_id=f"a{n}",
                                      replied_at=mention.published_at + timedelta(seconds=delay),
                                      replied_at_known=known))
    any_session.flush()
    stats = response_stats(any_session, MetricsFilter())["МТС"]
    assert (stats.addressed, stats.answered, stats.response_rate) == (3, 3, 1.0)
    assert stats.median_response_seconds == 750
    from molva.metrics.competitors import response_by_source

    [by_source] = response_by_source(any_session, MetricsFilter())
    assert by_source.stats == stats
