"""Rollups stay equal to a recount from the raw rows through ingest, replies, classification and corrections,
and the metrics read from them equal the metrics counted from raw rows (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from molva import rollups
from molva.catalog import load_catalog
from molva.corrections import correct_sentiment
from molva.ingest import Ingestor, MentionData, ReplyData, get_or_create_source, start_run
from molva.metrics import MetricsFilter, brand_stats, build_report, response_stats, rollup, source_health
from molva.metrics.competitors import response_by_source, response_slices, response_table
from molva.metrics.rollup import raw_only
from molva.metrics.sources import source_stats
from molva.metrics.timeseries import mention_timeseries, source_breakdown
from molva.models import BrandMention, Mention, OfficialReply, SourceCount
from molva.privacy import erase_mentions
from molva.settings import SourceConfig

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SBER = "-22522055"


def _post(ext: str, text: str, minutes: int, **extra: object) -> MentionData:
    return MentionData(kind="vk", external_id=ext, url=f"https://vk.com/wall{ext}", text=text,
                       published_at=T0 + timedelta(minutes=minutes), **extra)  # type: ignore[arg-type]


def _fill(session: Session) -> None:
    catalog = load_catalog()
    for name in ("vk-a", "vk-b"):
        source = get_or_create_source(session, SourceConfig(name=name, kind="vk", targets=["x"]))
        ingestor = Ingestor(session, catalog, source, start_run(session, source))
        ingestor.store_many([
            _post(f"{SBER}_1{name}", "Мы обновили приложение", 3, author_id=SBER),  # an official post
            _post(f"{SBER}_1_2{name}", "Сбербанк, не приходят уведомления", 7, author_id="5",
                  addressed_accounts=[SBER], parent_external_id=f"{SBER}_1{name}"),
            _post(f"{SBER}_1_3{name}", "МТС и ВТБ подняли цены, ужас", 65, author_id="6"),
            _post(f"{SBER}_1_4{name}", "Сбербанк где мои деньги", 190, addressed_accounts=[SBER]),
        ])
        reply = {"kind": "vk", "account": SBER}
        ingestor.store_reply(ReplyData(parent_external_id=f"{SBER}_1_2{name}", reply_external_id="r1",
                                       replied_at=T0 + timedelta(hours=5), **reply))
        ingestor.store_reply(ReplyData(parent_external_id=f"{SBER}_1_2{name}", reply_external_id="r0",
                                       replied_at=T0 + timedelta(minutes=40), **reply))  # earlier, arrives later
    session.flush()


def _classify(session: Session) -> None:
    """As ``classifier.scoring`` writes its results: ORM attributes, one flush."""
    labels = ["negative", "neutral", "positive"]
    rows = session.scalars(select(BrandMention).order_by(BrandMention.id)).all()
    for i, bm in enumerate(rows[:-1]):  # the last one stays unclassified
        bm.sentiment = labels[i % 3]
        bm.intent = ["problem", "question", "other"][i % 3]
        bm.aspects = [["app"], ["fees", "app"], []][i % 3]
        bm.classified_at = T0
    session.flush()


def _nonzero(counts: Counter[rollups.Key]) -> dict[rollups.Key, int]:
    return {k: v for k, v in counts.items() if v}


def _assert_counters(session: Session) -> None:
    """``source_counts`` equals a count of the mentions per source, and each answer time carries its mention's
    source (``reply_source_id``, NULL without an answer time)."""
    session.flush()
    counted = dict(session.execute(select(Mention.source_id, func.count(Mention.id)).group_by(Mention.source_id)).all())
    kept = {k: v for k, v in session.execute(select(SourceCount.source_id, SourceCount.mentions)).all() if v}
    assert kept == counted and sum(counted.values()) > 0
    rows = session.execute(select(BrandMention.reply_delay_ms, BrandMention.reply_source_id, Mention.source_id)
                           .join(Mention, Mention.id == BrandMention.mention_id)).all()
    assert any(delay is not None for delay, _, _ in rows)
    assert all(kept_source == (source if delay is not None else None) for delay, kept_source, source in rows)


def test_rollups_equal_a_recount_through_every_change(any_session: Session) -> None:
    _fill(any_session)
    assert _nonzero(rollups.stored(any_session)) == _nonzero(rollups.recount(any_session))
    _assert_counters(any_session)
    _classify(any_session)
    assert _nonzero(rollups.stored(any_session)) == _nonzero(rollups.recount(any_session))
    first = any_session.scalars(select(BrandMention).order_by(BrandMention.id)).first()
    assert first is not None
    correct_sentiment(any_session, first.id, "positive")
    any_session.add(OfficialReply(mention_id=first.mention_id, brand=first.brand, account="x",
                                  reply_external_id="orm", replied_at=T0 + timedelta(days=2)))
    any_session.flush()
    stored = _nonzero(rollups.stored(any_session))
    assert stored == _nonzero(rollups.recount(any_session))
    assert {k[4] for k in stored} >= {"mentions", "sentiment", "intent", "aspect", "addressed", "answered", "delay"}
    answered = [bm for bm in any_session.scalars(select(BrandMention)) if bm.first_reply_at is not None]
    any_session.expire_all()
    assert answered and all(bm.first_reply_at is not None for bm in answered)
    replied = {bm.first_reply_at.replace(tzinfo=UTC) for bm in answered if bm.brand == "Сбербанк"}
    assert T0 + timedelta(minutes=40) in replied  # the earliest reply, though it arrived later
    _assert_counters(any_session)
    # an erased mention leaves the per-source count (molva.privacy); an ORM add and delete count the same
    erase_mentions(any_session, [first.mention_id])
    _assert_counters(any_session)
    source_id = any_session.scalars(select(Mention.source_id)).first()
    any_session.add(Mention(source_id=source_id, kind="vk", external_id="orm-added", url="https://vk.com/x",
                            canonical_url="https://vk.com/x", text="x", published_at=T0, content_hash="0" * 64))
    _assert_counters(any_session)
    other = any_session.scalars(select(Mention).where(~Mention.brand_mentions.any()).order_by(Mention.id)).first()
    assert other is not None
    any_session.delete(other)
    _assert_counters(any_session)
    with raw_only():
        expected = source_health(any_session)
    assert source_health(any_session) == expected


def _metrics(session: Session, filters: MetricsFilter) -> list[object]:
    return [brand_stats(session, filters), response_stats(session, filters), response_table(session, filters),
            source_breakdown(session, filters), mention_timeseries(session, filters, "hour"),
            mention_timeseries(session, filters, "day"), mention_timeseries(session, filters, "week"),
            build_report(session, filters)["brands"], response_slices(session, filters, "day"),
            response_slices(session, filters, "hour"), response_slices(session, filters, "week"),
            source_stats(session, filters), source_health(session), build_report(session, filters)]


def test_metrics_from_rollups_equal_metrics_from_raw_rows(any_session: Session) -> None:
    _fill(any_session)
    _classify(any_session)
    odd = timedelta(minutes=5)  # a period off the hour grain: whole hours from the rollups, its edges raw
    periods = [(T0, T0 + timedelta(hours=6)), (T0 + odd, T0 + timedelta(hours=3) + odd), (None, None),
               (T0 + odd, None), (T0 + odd, T0 + 2 * odd)]
    for since, until in periods:
        for brands, sources, official in (((), (), False), (("Сбербанк",), ("vk-b",), False), ((), (), True)):
            filters = MetricsFilter(since=since, until=until, brands=brands, sources=sources,
                                    include_official=official)
            with raw_only():
                expected = _metrics(any_session, filters)
            assert _metrics(any_session, filters) == expected, (since, until, brands, sources, official)
    stats = {s.brand: s for s in brand_stats(any_session, MetricsFilter(since=T0, until=T0 + timedelta(hours=6)))}
    assert stats["Сбербанк"].mentions == 4 and stats["МТС"].mentions == 2
    assert response_stats(any_session, MetricsFilter(since=T0))["Сбербанк"].answered == 2
    assert rollup.split(MetricsFilter(since=T0 + odd, until=T0 + timedelta(hours=3) + odd))[0] == MetricsFilter(
        since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))


def test_a_reply_of_unknown_time_counts_answered_but_no_delay(any_session: Session) -> None:
    """A banki.ru-style answer with no date, already there at first sight: answered, no delay bucket, no answer
    time; a reply of known time earlier than it brings the delay back (ingest and ORM paths, equal to a recount)."""
    catalog = load_catalog()
    source = get_or_create_source(any_session, SourceConfig(name="vk-u", kind="vk", targets=["x"]))
    ingestor = Ingestor(any_session, catalog, source, start_run(any_session, source))
    ingestor.store_many([_post(f"{SBER}_9_{n}", "Сбербанк, вопрос", n, addressed_accounts=[SBER]) for n in range(4)])
    reply = {"kind": "vk", "account": SBER}

    def answer(n: int, ext: str, minutes: int, known: bool) -> None:
        assert ingestor.store_reply(ReplyData(parent_external_id=f"{SBER}_9_{n}", reply_external_id=ext,
                                              replied_at=T0 + timedelta(minutes=minutes), replied_at_known=known,
                                              **reply))

    answer(0, "u0", 600, known=False)  # unknown only
    answer(1, "u1", 600, known=False)  # unknown, then a known reply before it: known
    answer(1, "k1", 31, known=True)
    answer(2, "k2", 32, known=True)  # known, then an unknown one later: stays known
    answer(2, "u2", 600, known=False)
    any_session.add(OfficialReply(mention_id=ingestor._ids_of([f"{SBER}_9_3"])[f"{SBER}_9_3"], brand="Сбербанк",
                                  account=SBER, reply_external_id="orm", replied_at=T0 + timedelta(hours=3),
                                  replied_at_known=False))
    any_session.flush()
    stored = _nonzero(rollups.stored(any_session))
    assert stored == _nonzero(rollups.recount(any_session))
    counts: Counter[str] = Counter()
    for key, n in stored.items():
        counts[key[4]] += n
    assert counts["addressed"] == 4 and counts["answered"] == 4 and counts["delay"] == 2
    known = dict(any_session.execute(select(BrandMention.mention_id, BrandMention.first_reply_known)
                                     .order_by(BrandMention.mention_id)).all())
    assert list(known.values()) == [False, True, True, False]
    for filters in (MetricsFilter(), MetricsFilter(since=T0 + timedelta(minutes=1), until=T0 + timedelta(hours=2))):
        with raw_only():
            expected = _metrics(any_session, filters)
        assert _metrics(any_session, filters) == expected
    stats = response_stats(any_session)["Сбербанк"]
    assert (stats.addressed, stats.answered, stats.response_rate) == (4, 4, 1.0)
    assert stats.median_response_seconds == 30 * 60  # (31 - 1) and (32 - 2) minutes: unknown times left out
    row = {r["brand"]: r for r in build_report(any_session)["brands"]}["Сбербанк"]
    assert row["answered"] == 4 and row["p90_response_seconds"] == 30 * 60
    (by_source,) = [s.stats for s in response_by_source(any_session) if s.stats.brand == "Сбербанк"]
    assert (by_source.answered, by_source.median_response_seconds) == (4, 30 * 60)
    rollups.rebuild(any_session)
    assert _nonzero(rollups.stored(any_session)) == stored


def test_answer_time_quantiles_picked_by_the_database_equal_python_statistics(any_session: Session) -> None:
    """The median and 90th percentile picked by the database (window functions) equal ``statistics`` over every
    delay, for odd and even counts, ties, sub-second and negative delays, per brand, source and bucket."""
    catalog = load_catalog()
    delays = [0.5, 45, 45, 61.25, 130, 3600, 7, 86400 * 3, 900.125, 12, 12, 5000, -30, 2400, 333.333, 18000, 95]
    for name in ("vk-q1", "vk-q2"):
        source = get_or_create_source(any_session, SourceConfig(name=name, kind="vk", targets=["x"]))
        ingestor = Ingestor(any_session, catalog, source, start_run(any_session, source))
        ingestor.store_many([_post(f"{SBER}_q{name}_{n}", "Сбербанк, ответьте", 37 * n, addressed_accounts=[SBER])
                             for n in range(len(delays))])
        for n, delay in enumerate(delays[: len(delays) - (name == "vk-q2") * 4]):  # 17 and 13 answered
            assert ingestor.store_reply(ReplyData(
                parent_external_id=f"{SBER}_q{name}_{n}", reply_external_id=f"r{n}", kind="vk", account=SBER,
                replied_at=T0 + timedelta(minutes=37 * n, seconds=delay)))
    any_session.flush()
    checked = 0
    for start in range(0, 17 * 37, 41):  # sliding periods: every count from 1 up, odd and even
        for length in (19, 77, 200, 700):
            since, until = T0 + timedelta(minutes=start), T0 + timedelta(minutes=start + length)
            for sources in ((), ("vk-q2",)):
                filters = MetricsFilter(since=since, until=until, sources=sources)
                with raw_only():
                    expected = _metrics(any_session, filters)
                assert _metrics(any_session, filters) == expected, (since, until, sources)
                checked += 1
    assert checked > 50
    with raw_only():
        expected = _metrics(any_session, MetricsFilter())
    assert _metrics(any_session, MetricsFilter()) == expected
    stats = response_stats(any_session)["Сбербанк"]
    assert stats.answered == 30 and stats.median_response_seconds is not None


def test_quantiles_of_equals_statistics_median_and_inclusive_p90() -> None:
    import random
    import statistics

    from molva.metrics.delays import quantiles_of

    rng = random.Random(7)
    assert quantiles_of([]) == (None, None) and quantiles_of([2.5]) == (2.5, 2.5)
    for n in range(2, 120):
        values = [rng.choice([rng.randrange(10**7) / 1000, 1.5, 0.0]) for _ in range(n)]  # ties and zeros too
        expected = statistics.median(values), statistics.quantiles(values, n=100, method="inclusive")[89]
        assert quantiles_of(values) == expected, values


def test_quantiles_of_milliseconds_equals_quantiles_of_seconds() -> None:
    """Sorting the integer delays and dividing only the picked values gives the very floats of the seconds."""
    import random

    from molva.metrics.delays import quantiles_of, quantiles_of_ms

    rng = random.Random(11)
    assert quantiles_of_ms([]) == (None, None) and quantiles_of_ms([2500]) == (2.5, 2.5)
    for n in range(2, 160):
        ms = [rng.choice([rng.randrange(10**9), 1500, 0, 1, 999]) for _ in range(n)]  # ties, zeros, odd digits
        assert quantiles_of_ms(ms) == quantiles_of([m / 1000 for m in ms]), ms
