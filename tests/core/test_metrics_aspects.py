"""molva.metrics.aspects: per-brand aspect counts and negatives over a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from molva.metrics.aspects import aspect_counts
from molva.metrics.filters import MetricsFilter
from molva.models import BrandMention, Mention, Source

T0 = datetime(2025, 5, 1, 12, tzinfo=UTC)


def _add(session: Session, src: Source, n: int, brand: str, aspects: list[str] | None, sentiment: str | None,
         when: datetime, official: str | None = None) -> None:
    m = Mention(source_id=src.id, kind="vk", external_id=f"asp-{n}", url=f"https://vk.com/wall1_{n}",
                canonical_url=f"https://vk.com/wall1_{n}", text="x", published_at=when,
                content_hash=f"metrics-aspects-{n}", official_brand=official)
    session.add(m)
    session.flush()
    session.add(BrandMention(mention_id=m.id, brand=brand, alias=brand, span_start=0, span_end=1, published_at=when,
                             aspects=aspects, sentiment=sentiment))


def test_aspect_counts_per_brand_with_negatives(session: Session) -> None:
    src = Source(name="vk-aspects", kind="vk")
    session.add(src)
    session.flush()
    rows = [("Сбербанк", ["app", "transfers"], "negative"), ("Сбербанк", ["app"], "negative"),
            ("Сбербанк", ["app"], "positive"), ("Сбербанк", ["cards"], "negative"),
            ("Сбербанк", [], "neutral"), ("Сбербанк", None, None),  # analysed without aspect / not analysed
            ("ВТБ", ["transfers"], "neutral")]
    for n, (brand, aspects, sentiment) in enumerate(rows):
        _add(session, src, n, brand, aspects, sentiment, T0 + timedelta(hours=n))
    _add(session, src, 100, "Сбербанк", ["fraud"], "negative", T0 - timedelta(days=30))  # before the period
    _add(session, src, 101, "Сбербанк", ["fees"], "negative", T0, official="Сбербанк")  # the brand's own post
    session.flush()
    period = MetricsFilter(since=T0, until=T0 + timedelta(days=1))
    got = {(r.brand, r.aspect): r for r in aspect_counts(session, period)}
    assert set(got) == {("Сбербанк", "app"), ("Сбербанк", "transfers"), ("Сбербанк", "cards"), ("ВТБ", "transfers")}
    app = got[("Сбербанк", "app")]
    assert (app.mentions, app.negative) == (3, 2) and abs(app.negative_share - 2 / 3) < 1e-9
    assert abs(app.share_of_negative - 2 / 3) < 1e-9  # 2 of Сбербанк's 3 negative mentions with aspects
    assert (got[("Сбербанк", "transfers")].mentions, got[("Сбербанк", "transfers")].negative) == (1, 1)
    assert got[("ВТБ", "transfers")].negative == 0 and got[("ВТБ", "transfers")].share_of_negative == 0.0
    order = [(r.brand, r.aspect) for r in aspect_counts(session, period)]
    assert order == [("ВТБ", "transfers"), ("Сбербанк", "app"), ("Сбербанк", "cards"), ("Сбербанк", "transfers")]
    top = {(r.brand, r.aspect): r.mentions for r in aspect_counts(session, period, top_only=True)}
    assert ("Сбербанк", "transfers") not in top and top[("Сбербанк", "app")] == 3
    only_vtb = aspect_counts(session, MetricsFilter(since=T0, brands=("ВТБ",), sources=("vk-aspects",)))
    assert [(r.brand, r.aspect, r.mentions) for r in only_vtb] == [("ВТБ", "transfers", 1)]
    assert aspect_counts(session, MetricsFilter(since=T0 + timedelta(days=2))) == []
