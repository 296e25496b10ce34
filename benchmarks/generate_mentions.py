"""Generate N synthetic mentions (brands, sentiment, intent, urgency, official replies) into a database.

Fast bulk inserts straight into the tables (executemany on SQLite, COPY on PostgreSQL); used by the
dashboard benchmark (1,000,000 mentions) and by the dashboard tests (a few hundred).

    python benchmarks/generate_mentions.py --url sqlite:////tmp/bench.db --count 1000000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, func, insert, select, text
from sqlalchemy.engine import make_url

from molva import rollups, source_counts
from molva.db import make_engine, upgrade
from molva.models import (
    BrandMention,
    CrawlRun,
    Mention,
    OfficialReply,
    Source,
    Spike,
    SupportTopic,
    TopicMention,
)

BRANDS: tuple[tuple[str, str], ...] = (
    ("Сбербанк", "банки"),
    ("ВТБ", "банки"),
    ("Т-Банк", "банки"),
    ("Альфа-Банк", "банки"),
    ("МТС", "операторы"),
    ("Билайн", "операторы"),
    ("МегаФон", "операторы"),
)
SOURCES: tuple[tuple[str, str], ...] = (
    ("telegram", "telegram"),
    ("vk", "vk"),
    ("rss", "rss"),
    ("reviews", "reviews"),
    ("mastodon", "mastodon"),
)
TEMPLATES: dict[str, tuple[str, ...]] = {
    "negative": (
        "{b} опять списал деньги с карты, поддержка молчит",
        "Третий день не работает приложение {b}, перевод завис",
        "В отделении {b} очередь на два часа, ужасный сервис",
        "{b} заблокировал счёт без объяснений, верните мои деньги",
    ),
    "neutral": (
        "{b} обновил тарифы с первого числа",
        "Кто-нибудь знает, как в {b} поменять номер телефона?",
        "Открыл вклад в {b}, посмотрим что будет",
        "{b} сообщил о переносе офиса на другую улицу",
    ),
    "positive": (
        "Спасибо {b}, быстро вернули деньги за ошибочный платёж",
        "Приложение {b} стало намного удобнее, молодцы",
        "{b} решил мою проблему за пять минут, благодарю",
        "Отличная связь у {b} даже за городом",
    ),
}
INTENTS: dict[str, tuple[str, ...]] = {
    "negative": ("problem", "problem", "problem", "question", "other"),
    "neutral": ("question", "other", "other", "idea"),
    "positive": ("thanks", "thanks", "other", "idea"),
}
BATCH = 20_000


@dataclass
class GenerateStats:
    mentions: int = 0
    brand_mentions: int = 0
    replies: int = 0
    topics: int = 0
    seconds: float = 0.0
    brands: list[str] = field(default_factory=list)


def _sentiment(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.05:
        return None  # not classified yet
    if roll < 0.35:
        return "negative"
    if roll < 0.75:
        return "neutral"
    return "positive"


def _copy_rows(engine: Engine, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:  # type: ignore[attr-defined]
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        raw.commit()
    finally:
        raw.close()


def _insert(engine: Engine, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if engine.dialect.name == "postgresql":
        _copy_rows(engine, table, rows)
        return
    with engine.begin() as conn:
        conn.execute(insert(table), rows)


class _Writer:
    """Buffers rows per table and flushes them in big batches (parents before children)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.tables: list[Table] = [
            Mention.__table__, BrandMention.__table__, OfficialReply.__table__  # type: ignore[list-item]
        ]
        self.buffers: dict[str, list[dict[str, Any]]] = {t.name: [] for t in self.tables}

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.buffers[table].append(row)
        if table == "mentions" and len(self.buffers[table]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for table in self.tables:
            _insert(self.engine, table, self.buffers[table.name])
            self.buffers[table.name] = []


def _max_id(engine: Engine, column: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.coalesce(func.max(column), 0))) or 0)


def _ensure_sources(engine: Engine, now: datetime) -> list[tuple[int, str, str]]:
    with engine.begin() as conn:
        existing = {name: (sid, kind) for sid, name, kind in conn.execute(select(Source.id, Source.name, Source.kind))}
        for name, kind in SOURCES:
            if name not in existing:
                sid = conn.execute(
                    insert(Source).values(name=name, kind=kind, enabled=True, consecutive_failures=0,
                                          created_at=now).returning(Source.id)
                ).scalar_one()
                existing[name] = (sid, kind)
                conn.execute(insert(CrawlRun).values(
                    source_id=sid, started_at=now - timedelta(minutes=5), finished_at=now, status="ok",
                    items_seen=100, items_new=10, errors=1 if kind == "vk" else 0))
    return [(existing[name][0], name, existing[name][1]) for name, _ in SOURCES]


def _extras(engine: Engine, rng: random.Random, brands: Sequence[str], now: datetime, days: int,
            urgent: list[tuple[int, int, str, str]], topics: int) -> int:
    """Spikes and support topics (with their linked mentions) for the pages that show them."""
    made = 0
    with engine.begin() as conn:
        for i, brand in enumerate(brands[:3]):
            start = now - timedelta(days=rng.randint(1, max(days - 1, 1)), hours=i)
            conn.execute(insert(Spike).values(
                brand=brand, window_start=start, window_end=start + timedelta(hours=1),
                negative_count=40 + i, baseline=5.0, score=6.5 + i, terms=["списал", "приложение"],
                mention_ids=[], detected_at=start + timedelta(hours=1)))
        statuses = ("new", "in_progress", "answered", "resolved")
        for mention_id, bm_id, brand, body in urgent[:topics]:
            created = now - timedelta(hours=rng.randint(1, 72))
            topic_id = conn.execute(insert(SupportTopic).values(
                adapter="builtin", external_id=f"bench-{mention_id}", type="problem",
                status=statuses[made % len(statuses)], brand=brand, title=body[:80], body=body,
                url=f"http://127.0.0.1:8501/topics/{mention_id}", due_at=created + timedelta(hours=24),
                created_at=created, updated_at=created).returning(SupportTopic.id)).scalar_one()
            conn.execute(insert(TopicMention).values(topic_id=topic_id, mention_id=mention_id,
                                                     brand_mention_id=bm_id, linked_at=created))
            made += 1
    return made


def generate(url: str, count: int, *, seed: int = 1, days: int = 90, end: datetime | None = None,
             topics: int = 30, brands: Iterable[tuple[str, str]] = BRANDS, migrate: bool = True) -> GenerateStats:
    """Append ``count`` synthetic mentions spread over ``days`` days before ``end`` (default: now)."""
    started = time.perf_counter()
    if migrate:
        upgrade(url)
    engine = make_engine(url)
    rng = random.Random(seed)
    now = (end or datetime.now(UTC)).replace(microsecond=0)
    brand_list = [b for b, _ in brands]
    stats = GenerateStats(brands=brand_list)
    try:
        sources = _ensure_sources(engine, now)
        mention_id = _max_id(engine, Mention.id)
        bm_id = _max_id(engine, BrandMention.id)
        reply_id = _max_id(engine, OfficialReply.id)
        writer = _Writer(engine)
        urgent: list[tuple[int, int, str, str]] = []
        span = days * 86400
        for _ in range(count):
            mention_id += 1
            source_id, source_name, kind = sources[rng.randrange(len(sources))]
            published = now - timedelta(seconds=rng.randrange(span))
            sentiment = _sentiment(rng)
            brand = brand_list[min(int(rng.paretovariate(1.3)) - 1, len(brand_list) - 1)]
            body = rng.choice(TEMPLATES[sentiment or "neutral"])
            start = body.index("{b}")
            content = body.replace("{b}", brand)
            second = None
            if rng.random() < 0.12:
                second = rng.choice([b for b in brand_list if b != brand])
                content += f". А в {second} лучше?"
            ext = f"g{seed}-{mention_id}"
            writer.add("mentions", {
                "id": mention_id, "source_id": source_id, "kind": kind, "external_id": ext,
                "url": f"https://example.org/{source_name}/{ext}", "canonical_url": f"https://example.org/{ext}",
                "author": f"user{rng.randrange(50_000)}", "author_id": str(rng.randrange(50_000)),
                "text": content, "language": "ru", "published_at": published, "fetched_at": now,
                "content_hash": f"{mention_id:064x}", "likes": rng.randrange(100),
            })
            for name, begin in ((brand, start), (second, content.rfind(second) if second else -1)):
                if name is None:
                    continue
                bm_id += 1
                stats.brand_mentions += 1
                addressed = kind in ("reviews", "vk", "mastodon") and rng.random() < 0.45
                label = sentiment if name == brand else "neutral"
                intent = rng.choice(INTENTS[label or "neutral"]) if label else None
                urgency = round(rng.random() ** 2, 3) if label == "negative" else round(rng.random() * 0.2, 3)
                if label == "negative" and urgency >= 0.6 and len(urgent) < topics:
                    urgent.append((mention_id, bm_id, name, content))
                first_reply_at = None
                if addressed and rng.random() < {"Сбербанк": 0.7, "МТС": 0.5}.get(name, 0.6):
                    reply_id += 1
                    stats.replies += 1
                    delay = timedelta(seconds=int(rng.lognormvariate(8.0, 1.0)))
                    first_reply_at = published + delay
                    writer.add("official_replies", {
                        "id": reply_id, "mention_id": mention_id, "brand": name, "account": f"{name}-official",
                        "reply_external_id": f"r{reply_id}", "replied_at": published + delay,
                        "text": "Здравствуйте! Напишите нам в личные сообщения.",
                        "url": f"https://example.org/reply/{reply_id}",
                    })
                writer.add("brand_mentions", {
                    "id": bm_id, "mention_id": mention_id, "brand": name, "alias": name, "span_start": begin,
                    "span_end": begin + len(name), "published_at": published, "addressed": addressed,
                    "sentiment": label, "score_negative": 0.8 if label == "negative" else 0.1,
                    "score_neutral": 0.1, "score_positive": 0.8 if label == "positive" else 0.1,
                    "model_version": "bench" if label else None, "intent": intent,
                    "urgency": urgency if label else None,
                    "classified_at": published if label else None, "first_reply_at": first_reply_at,
                    "first_reply_known": first_reply_at is not None,
                    "reply_delay_ms": (rollups.reply_delay_ms(published, first_reply_at)
                                       if first_reply_at is not None else None),
                    "reply_source_id": source_id if first_reply_at is not None else None,
                })
            stats.mentions += 1
        writer.flush()
        with engine.begin() as conn:  # the generator writes raw rows: recount the rollups from them
            rollups.rebuild(conn)
            source_counts.rebuild(conn)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                for table in ("mentions", "brand_mentions", "official_replies"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
                conn.execute(text("ANALYZE"))
        elif make_url(url).get_backend_name() == "sqlite":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        stats.topics = _extras(engine, rng, brand_list, now, days, urgent, topics)
    finally:
        engine.dispose()
    stats.seconds = time.perf_counter() - started
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy database URL (migrated if needed)")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args(argv)
    stats = generate(args.url, args.count, seed=args.seed, days=args.days)
    print(f"{stats.mentions} mentions, {stats.brand_mentions} brand mentions, {stats.replies} replies, "
          f"{stats.topics} topics in {stats.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
