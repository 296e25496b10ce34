"""Shared data for the dashboard tests: hostile post text and the rows that carry it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from molva.models import (
    BrandMention,
    CrawlRun,
    Mention,
    OfficialReply,
    Source,
    Spike,
    SupportTopic,
    TopicComment,
    TopicMention,
)

ROOT = Path(__file__).resolve().parents[2]
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
XSS_TEXT = f"{XSS} Сбербанк украл мой счёт [ссылка](javascript:alert(3)) $x$ :red[жирно]"
PAGES = ("overview", "competitors", "explorer", "reach", "support", "sources")


def add_hostile_rows(session: Session, now: datetime) -> int:
    """A post, topic, comment, spike and crawl error made of markup; returns the brand mention id."""
    source = session.scalars(select(Source).order_by(Source.id)).first()
    assert source is not None
    published = now - timedelta(hours=2)
    mention = Mention(
        source_id=source.id, kind=source.kind, external_id="xss-1", url="javascript:alert(4)",
        canonical_url="xss-1", author=XSS, title=XSS, text=XSS_TEXT, published_at=published, content_hash="x" * 64,
    )
    session.add(mention)
    session.flush()
    start = XSS_TEXT.index("Сбербанк")
    bm = BrandMention(
        mention_id=mention.id, brand="Сбербанк", alias="Сбербанк", span_start=start, span_end=start + 8,
        published_at=published, addressed=True, sentiment="negative", intent="problem", urgency=0.95,
        classified_at=published, model_version="test",
    )
    session.add(bm)
    session.flush()
    session.add(OfficialReply(mention_id=mention.id, brand="Сбербанк", account="sber", reply_external_id="xss-r",
                              replied_at=published + timedelta(minutes=30), text=XSS))
    topic = SupportTopic(adapter="builtin", external_id="xss-topic", type="problem", status="new", brand="Сбербанк",
                         title=XSS, body=XSS_TEXT, url="javascript:alert(5)", due_at=now + timedelta(hours=3),
                         created_at=now - timedelta(hours=1))
    session.add(topic)
    session.flush()
    session.add(TopicMention(topic_id=topic.id, mention_id=mention.id, brand_mention_id=bm.id))
    session.add(TopicComment(topic_id=topic.id, author=XSS, text=XSS))
    session.add(Spike(brand="Сбербанк", window_start=now - timedelta(hours=3), window_end=now - timedelta(hours=2),
                      negative_count=12, baseline=1.5, score=9.0, terms=[XSS], mention_ids=[mention.id]))
    session.add(CrawlRun(source_id=source.id, started_at=now - timedelta(minutes=1), finished_at=now,
                         status="failed", errors=1, error_message=XSS))
    session.flush()
    return bm.id


