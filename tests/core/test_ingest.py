"""Repository functions of the crawlers: idempotent storage, dedup, near-duplicates, brands, replies, health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from molva.catalog import Catalog, load_catalog
from molva.ingest import (
    Ingestor,
    MentionData,
    ReplyData,
    StoreResult,
    canonical_url,
    finish_run,
    get_or_create_source,
    known_external_ids,
    replied_mentions,
    start_run,
    unavailable_reason,
)
from molva.models import BrandMention, CrawlRun, Mention, OfficialReply
from molva.settings import SourceConfig, SourceKind

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SBER_WALL = "-22522055"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def make(session: Session, catalog: Catalog, kind: SourceKind = "vk", name: str = "vk") -> Ingestor:
    source = get_or_create_source(session, SourceConfig(name=name, kind=kind, targets=["x"]))
    return Ingestor(session, catalog, source, start_run(session, source))


def post(external_id: str, text: str, minutes: int = 0, **extra: object) -> MentionData:
    return MentionData(kind=str(extra.pop("kind", "vk")), external_id=external_id,
                       url=str(extra.pop("url", f"https://vk.com/wall{external_id}")), text=text,
                       published_at=T0 + timedelta(minutes=minutes), **extra)  # type: ignore[arg-type]


def test_canonical_url_drops_tracking_and_noise() -> None:
    assert canonical_url("HTTPS://www.Example.com:443/a/b/?utm_source=x&b=2&a=1#frag") == "https://example.com/a/b?a=1&b=2"
    assert canonical_url("https://t.me/s/channel/5") == "https://t.me/channel/5"
    assert canonical_url("https://vk.com/wall-1_2?reply=3") == "https://vk.com/wall-1_2?reply=3"


def test_store_is_idempotent_and_matches_brands(session: Session, catalog: Catalog) -> None:
    ingestor = make(session, catalog)
    first = ingestor.store_mention(post("1_1", "Сбербанк опять заблокировал карту, а ВТБ нет", likes=3))
    again = ingestor.store_mention(post("1_1", "Сбербанк опять заблокировал карту, а ВТБ нет", likes=9))
    assert first.status == "new" and again.status == "known"
    assert first.mention is not None and first.mention.likes == 9  # counters refreshed
    rows = session.scalars(select(BrandMention).where(BrandMention.mention_id == first.mention.id)).all()
    assert {r.brand for r in rows} == {"Сбербанк", "ВТБ"}
    assert [(r.sentiment, r.addressed) for r in rows] == [(None, False), (None, False)]
    assert all(r.published_at.replace(tzinfo=UTC) == T0 for r in rows)
    assert known_external_ids(session, ingestor.source.id) == {"1_1"}


def test_same_url_elsewhere_is_skipped(session: Session, catalog: Catalog) -> None:
    wall = make(session, catalog, name="vk-walls")
    search = make(session, catalog, name="vk-search")
    assert wall.store_mention(post("5_6", "Текст поста про МТС")).status == "new"
    result = search.store_mention(post("5_6", "Текст поста про МТС", url="https://vk.com/wall5_6?utm_source=feed"))
    assert result.status == "duplicate_url" and search.counts["duplicate_url"] == 1


def test_reposts_are_stored_and_linked_to_the_earliest_copy(session: Session, catalog: Catalog) -> None:
    ingestor = make(session, catalog)
    text = "Третий день не могу перевести деньги через приложение Сбербанка, поддержка не отвечает вообще"
    repost = ingestor.store_mention(post("2_1", "Репост: " + text + " Распространите!", minutes=30))
    original = ingestor.store_mention(post("3_1", text, minutes=0))
    copy = ingestor.store_mention(post("4_1", text + "!!", minutes=60))
    other_brand = ingestor.store_mention(post("6_1", text.replace("Сбербанка", "ВТБ"), minutes=90))
    short = ingestor.store_mention(post("7_1", "Не работает", minutes=1))
    short_again = ingestor.store_mention(post("8_1", "Не работает", minutes=2))
    assert original.mention is not None and repost.mention is not None and copy.mention is not None
    assert repost.mention.near_duplicate_of_id == original.mention.id  # re-pointed to the earlier one
    assert original.mention.near_duplicate_of_id is None
    assert copy.mention.near_duplicate_of_id == original.mention.id
    assert other_brand.mention is not None and other_brand.mention.near_duplicate_of_id is None
    assert short_again.mention is not None and short_again.mention.near_duplicate_of_id is None  # too short
    assert short.status == "new"


def test_telegram_forward_links_to_its_original_in_either_order(session: Session, catalog: Catalog) -> None:
    ingestor = make(session, catalog, kind="telegram", name="tg")
    forward = ingestor.store_mention(post("chan/9", "Коротко: МТС", kind="telegram", url="http://sim/chan/9",
                                          forwarded_from="http://sim/orig/3", minutes=10))
    original = ingestor.store_mention(post("orig/3", "Коротко: МТС", kind="telegram", url="http://sim/orig/3"))
    assert forward.mention is not None and original.mention is not None
    assert forward.mention.near_duplicate_of_id == original.mention.id


def test_addressed_posts_official_posts_and_replies(session: Session, catalog: Catalog) -> None:
    ingestor = make(session, catalog)
    wall_post = ingestor.store_mention(post(f"{SBER_WALL}_10", "Мы обновили приложение", author_id=SBER_WALL))
    comment = ingestor.store_mention(post(f"{SBER_WALL}_10_11", "Не приходят уведомления", minutes=5,
                                          author_id="777", addressed_accounts=[SBER_WALL],
                                          parent_external_id=f"{SBER_WALL}_10"))
    assert wall_post.mention is not None and wall_post.mention.official_brand == "Сбербанк"
    assert comment.mention is not None and comment.mention.parent_id == wall_post.mention.id
    (row,) = session.scalars(select(BrandMention).where(BrandMention.mention_id == comment.mention.id)).all()
    assert (row.brand, row.addressed) == ("Сбербанк", True)  # addressed even without naming the brand
    reply = ReplyData(kind="vk", parent_external_id=f"{SBER_WALL}_10_11", account=SBER_WALL,
                      reply_external_id=f"{SBER_WALL}_10_12", replied_at=T0 + timedelta(hours=1))
    assert ingestor.store_reply(reply) is True
    assert ingestor.store_reply(reply) is False  # once
    stranger = ReplyData(kind="vk", parent_external_id=f"{SBER_WALL}_10_11", account="12345",
                         reply_external_id="x", replied_at=T0)
    orphan = ReplyData(kind="vk", parent_external_id="nope", account=SBER_WALL, reply_external_id="y", replied_at=T0)
    assert ingestor.store_reply(stranger) is False and ingestor.store_reply(orphan) is False
    (stored,) = session.scalars(select(OfficialReply)).all()
    assert (stored.brand, stored.mention_id) == ("Сбербанк", comment.mention.id)
    assert replied_mentions(session, ingestor.source.id) == {f"{SBER_WALL}_10_11"}


def test_failures_back_off_and_disable_then_success_resets(session: Session, catalog: Catalog) -> None:
    source = get_or_create_source(session, SourceConfig(name="flaky", kind="rss", targets=["/f.xml"]))
    for attempt in range(1, 4):
        run = start_run(session, source)
        status = finish_run(session, source, run, errors=1, error_message="HTTP 500", fatal=False, pages_ok=0,
                            interval=60, disable_after=3)
        assert status == "failed" and source.consecutive_failures == attempt
        assert source.backoff_until is not None
        assert unavailable_reason(source) is not None
    assert source.enabled is False and "3 неудачных обходов подряд" in (source.disabled_reason or "")
    run = start_run(session, source)
    assert finish_run(session, source, run, errors=2, error_message="x", fatal=False, pages_ok=3, interval=60,
                      disable_after=3) == "partial"
    assert source.consecutive_failures == 0 and source.backoff_until is None


def test_start_run_closes_runs_left_running(session: Session, catalog: Catalog) -> None:
    source = get_or_create_source(session, SourceConfig(name="killed", kind="rss", targets=["/f.xml"]))
    first = start_run(session, source)
    second = start_run(session, source)
    session.refresh(first)
    assert first.status == "failed" and "interrupted" in (first.error_message or "")
    assert second.status == "running"
    assert session.scalar(select(CrawlRun.id).where(CrawlRun.status == "running", CrawlRun.source_id == source.id)) == second.id
    assert session.scalar(select(Mention.id).where(Mention.source_id == source.id)) is None


def _batch(host: str) -> list[MentionData]:
    text = "Третий день не могу перевести деньги через приложение Сбербанка, поддержка не отвечает вообще"

    def item(ext: str, body: str, minutes: int = 0, **extra: object) -> MentionData:
        return post(ext, body, minutes, url=f"https://{host}/wall{ext}", **extra)

    return [
        item("1_1", "Репост: " + text + " Распространите!", minutes=30),  # a repost stored before its original
        item("1_2", text),
        item("1_3", text + "!!", minutes=60),
        item("1_2", text, likes=5),  # the same post again in the batch: known, counters refreshed
        item(f"{SBER_WALL}_10", "Мы обновили приложение", author_id=SBER_WALL),
        item(f"{SBER_WALL}_10_11", "Не приходят уведомления", minutes=5, author_id="777",
             addressed_accounts=[SBER_WALL], parent_external_id=f"{SBER_WALL}_10"),
        item("1_4", "МТС и Билайн подняли тарифы", minutes=7),
        post("1_5", "Тот же пост по другой ссылке", url=f"https://{host}/wall1_4?utm_source=x"),  # same URL
        item("1_6", "Не работает", minutes=1),
    ]


def _outcome(session: Session, results: list[StoreResult], items: list[MentionData]) -> list[tuple[object, ...]]:
    by_id = {m.id: m.external_id for m in session.scalars(select(Mention))}
    rows = []
    for result, item in zip(results, items, strict=True):
        mention = result.mention
        brands = sorted((b.brand, b.addressed) for b in session.scalars(
            select(BrandMention).where(BrandMention.mention_id == mention.id))) if mention else []
        rows.append((item.external_id, result.status, mention and by_id.get(mention.near_duplicate_of_id or -1),
                     mention and by_id.get(mention.parent_id or -1), mention and mention.likes,
                     mention and mention.official_brand, tuple(brands)))
    return rows


def test_store_many_stores_exactly_what_store_mention_stores(any_session: Session, catalog: Catalog) -> None:
    one_by_one = make(any_session, catalog, name="one-by-one")
    items = _batch("one.example")
    single = [one_by_one.store_mention(i) for i in items]
    expected = _outcome(any_session, single, items)
    any_session.execute(delete(Mention).where(Mention.source_id == one_by_one.source.id))  # a clean slate
    any_session.expunge_all()
    batched = make(any_session, catalog, name="batched")
    items = _batch("two.example")
    many = batched.store_many(items)
    assert _outcome(any_session, many, items) == expected
    assert batched.counts == one_by_one.counts
    assert [r.status for r in batched.store_many(items)] == ["known"] * 7 + ["duplicate_url", "known"]  # no rows
    assert any_session.scalar(select(func.count(Mention.id)).where(Mention.source_id == batched.source.id)) == 7


def test_near_duplicates_are_found_among_boilerplate(session: Session, catalog: Catalog) -> None:
    from molva.ingest import COMMON_SHINGLE, ShingleIndex, shingles

    index = ShingleIndex()
    boiler = "добрый день подскажите пожалуйста что делать если"
    for i in range(COMMON_SHINGLE + 50):
        index.add(i, shingles(f"{boiler} случай номер {i} и вариант {i * 7}"))
    original = f"{boiler} Сбербанк списал деньги дважды за одну покупку в магазине у дома"
    index.add(10_000, shingles(original))
    assert index.nearest(shingles("Репост: " + original)) == 10_000
    assert index.nearest(shingles(f"{boiler} МТС отключил интернет во всём районе без предупреждения")) is None


def test_start_run_of_a_shared_crawl_keeps_the_other_processes_runs(session: Session) -> None:
    source = get_or_create_source(session, SourceConfig(name="shared", kind="rss", targets=["/f.xml"]))
    first = start_run(session, source, stale_after=timedelta(hours=6))
    second = start_run(session, source, stale_after=timedelta(hours=6))
    session.refresh(first)
    assert first.status == "running" and second.status == "running"
    first.started_at = datetime.now(UTC) - timedelta(hours=7)  # a process killed long ago
    session.flush()
    start_run(session, source, stale_after=timedelta(hours=6))
    session.refresh(first)
    session.refresh(second)
    assert first.status == "failed" and second.status == "running"
