"""The metrics behind the dashboard, on SQLite and PostgreSQL: time series, search, response slices."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from molva.corrections import CorrectionError, correct_sentiment, export_training_data
from molva.metrics import MetricsFilter, brand_stats, response_stats
from molva.metrics.competitors import response_by_source, response_table, response_trend, share_of_voice
from molva.metrics.explorer import ExplorerQuery, like_patterns, safe_url, search_mentions, search_terms
from molva.metrics.timeseries import compare_periods, mention_timeseries, previous_period, source_breakdown
from molva.models import BrandMention, Mention, OfficialReply, SentimentCorrection, Source

T0 = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)  # a Monday

POSTS = [
    # (source, hours after T0, brand, sentiment, text, addressed, reply after minutes)
    ("vk", 0, "Сбербанк", "negative", "Сбербанк заблокировал карту, где мой счёт?", True, 30),
    ("vk", 1, "Сбербанк", "positive", "Спасибо Сбербанку за быструю помощь", True, None),
    ("reviews", 2, "ВТБ", "negative", "ВТБ списал деньги с карты дважды", True, 120),
    ("reviews", 26, "ВТБ", "neutral", "В ВТБ поменялись тарифы по картам", True, 60),
    ("telegram", 27, "МТС", "neutral", "МТС запустил новый тариф 100% безлимит", False, None),
    ("telegram", 24 * 8, "МТС", "negative", "СЧЕТ от МТС пришёл огромный", True, None),
]


def seed(session: Session) -> dict[str, int]:
    sources = {}
    for name in ("vk", "reviews", "telegram"):
        source = Source(name=f"dash-{name}", kind=name)
        session.add(source)
        session.flush()
        sources[name] = source.id
    ids = {}
    for i, (source, hours, brand, sentiment, text, addressed, reply) in enumerate(POSTS):
        published = T0 + timedelta(hours=hours)
        mention = Mention(source_id=sources[source], kind=source, external_id=f"d{i}", url=f"https://example.org/{i}",
                          canonical_url=f"https://example.org/{i}", text=text, published_at=published,
                          content_hash=f"{i:064d}")
        session.add(mention)
        session.flush()
        start = text.find(brand[:4])
        bm = BrandMention(mention_id=mention.id, brand=brand, alias=brand, span_start=start,
                          span_end=start + len(brand), published_at=published, addressed=addressed,
                          sentiment=sentiment, intent="problem" if sentiment == "negative" else "other",
                          urgency=0.9 if sentiment == "negative" else 0.1, model_version="m1")
        session.add(bm)
        if reply is not None:
            session.add(OfficialReply(mention_id=mention.id, brand=brand, account="official",
                                      reply_external_id=f"r{i}", replied_at=published + timedelta(minutes=reply)))
        session.flush()
        ids[text] = bm.id
    return ids


def window(**kwargs: object) -> MetricsFilter:
    return MetricsFilter(since=T0 - timedelta(days=1), until=T0 + timedelta(days=30), **kwargs)  # type: ignore[arg-type]


def test_timeseries_buckets_match_brand_stats(any_session: Session) -> None:
    seed(any_session)
    filters = window()
    for granularity in ("hour", "day", "week"):
        points = mention_timeseries(any_session, filters, granularity)
        per_brand: dict[str, int] = {}
        for p in points:
            per_brand[p.brand] = per_brand.get(p.brand, 0) + p.mentions
        assert per_brand == {s.brand: s.mentions for s in brand_stats(any_session, filters)}
    days = mention_timeseries(any_session, filters, "day")
    assert [(p.bucket, p.brand, p.mentions) for p in days][:2] == [(datetime(2026, 3, 2, tzinfo=UTC), "ВТБ", 1),
                                                                   (datetime(2026, 3, 2, tzinfo=UTC), "Сбербанк", 2)]
    weeks = {p.bucket for p in mention_timeseries(any_session, filters, "week")}
    assert weeks == {datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)}
    hours = mention_timeseries(any_session, filters, "hour")
    assert hours[0].bucket == datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_previous_period_and_sources(any_session: Session) -> None:
    seed(any_session)
    filters = MetricsFilter(since=T0 + timedelta(days=4), until=T0 + timedelta(days=12))
    before = previous_period(filters)
    assert before is not None and (before.since, before.until) == (T0 - timedelta(days=4), T0 + timedelta(days=4))
    compared = compare_periods(any_session, filters)
    assert (compared.current.mentions, compared.previous.mentions) == (1, 5)
    assert compared.previous.negative == 2 and compared.current.negative_share == 1.0
    breakdown = {(r.source, r.brand): r.mentions for r in source_breakdown(any_session, window())}
    assert breakdown[("dash-reviews", "ВТБ")] == 2 and breakdown[("dash-telegram", "МТС")] == 2


def test_response_slices_equal_response_stats(any_session: Session) -> None:
    seed(any_session)
    filters = window()
    truth = response_stats(any_session, filters)
    table = response_table(any_session, filters)
    assert [r.brand for r in table] == ["ВТБ", "Сбербанк", "МТС"]  # 100%, 50%, 0%
    assert table[0].median_response_seconds == truth["ВТБ"].median_response_seconds == 5400.0
    for part in response_by_source(any_session, filters):
        alone = response_stats(any_session, window(sources=(str(part.key),)))[part.stats.brand]
        assert part.stats == alone
    trend = response_trend(any_session, filters, "week")
    assert sum(s.stats.addressed for s in trend) == sum(s.addressed for s in truth.values())


def test_share_of_voice(any_session: Session) -> None:
    seed(any_session)
    voice = {v.brand: v for v in share_of_voice(any_session, window(), ["Сбербанк", "ВТБ", "Т-Банк"])}
    assert voice["Сбербанк"].share == pytest.approx(0.5) and voice["Т-Банк"].mentions == 0
    assert sum(v.share for v in voice.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("карта", {"Сбербанк заблокировал карту, где мой счёт?", "ВТБ списал деньги с карты дважды",
                   "В ВТБ поменялись тарифы по картам"}),
        ("счет", {"Сбербанк заблокировал карту, где мой счёт?", "СЧЕТ от МТС пришёл огромный"}),
        ("сбербанк помощь", {"Спасибо Сбербанку за быструю помощь"}),
        ("100%", {"МТС запустил новый тариф 100% безлимит"}),
        ("тарифы 100%", {"МТС запустил новый тариф 100% безлимит"}),
        ("несуществующее", set()),
    ],
)
def test_russian_search(any_session: Session, query: str, expected: set[str]) -> None:
    seed(any_session)
    page = search_mentions(any_session, ExplorerQuery(text=query, filters=window()))
    assert {r.text for r in page.rows} == expected
    assert page.total == len(expected)


def test_search_filters_and_helpers(any_session: Session) -> None:
    seed(any_session)
    page = search_mentions(any_session, ExplorerQuery(filters=window(brands=("ВТБ",)), sentiments=("negative",)))
    assert [r.brand for r in page.rows] == ["ВТБ"] and page.rows[0].answered
    urgent = search_mentions(any_session, ExplorerQuery(filters=window(), min_urgency=0.5, intents=("problem",)))
    assert len(urgent.rows) == 3
    assert search_terms("Карточки КАРТОЙ") == ["карточ", "карт"]
    assert "%\\%%" in like_patterns("%")
    assert safe_url("javascript:alert(1)") is None and safe_url("https://vk.com/wall1_2") == "https://vk.com/wall1_2"


def test_corrections_are_stored_once_and_exported(any_session: Session) -> None:
    ids = seed(any_session)
    bm_id = ids["ВТБ списал деньги с карты дважды"]
    correct_sentiment(any_session, bm_id, "neutral", corrected_by="анна")
    correct_sentiment(any_session, bm_id, "positive", corrected_by="анна")
    rows = any_session.query(SentimentCorrection).filter_by(brand_mention_id=bm_id).all()
    assert len(rows) == 1 and (rows[0].old_label, rows[0].label) == ("negative", "positive")
    assert any_session.get(BrandMention, bm_id).sentiment == "positive"  # type: ignore[union-attr]
    (line,) = export_training_data(any_session, "jsonl").splitlines()
    example = json.loads(line)
    assert example["text"][example["span_start"]:example["span_end"]] == "ВТБ"
    assert (example["label"], example["old_label"], example["model_version"]) == ("positive", "negative", "m1")
    csv_lines = export_training_data(any_session, "csv").splitlines()
    assert csv_lines[0].startswith("text,brand,span_start") and len(csv_lines) == 2
    with pytest.raises(CorrectionError):
        correct_sentiment(any_session, bm_id, "angry")
    with pytest.raises(CorrectionError):
        correct_sentiment(any_session, 10**9, "neutral")
