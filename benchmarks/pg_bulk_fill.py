"""Fill a throwaway PostgreSQL database with millions of generated mentions in minutes, for the dashboard and
``molva report`` at 10,000,000 (``dashboard_speed.py`` and ``report_speed.py`` then read it).

The first 20,000 mentions come from ``generate_mentions.generate`` (sources, crawl runs, spikes, support topics,
replies); the rest are written by PostgreSQL itself (``generate_series``) with the same shape: 90 days, 5
sources, 7 brands on a Pareto curve, ~12% with a second brand, sentiment/intent, addressed posts on vk, reviews
and mastodon answered after a log-normal delay. While the bulk rows go in, the secondary indexes and unique
constraints of ``mentions`` and ``brand_mentions`` are dropped and the foreign-key triggers are off
(``session_replication_role = replica``); the same definitions (read from ``pg_indexes`` / ``pg_constraint``
before) are created again afterwards, so the schema ends exactly as the migrations made it. The rollups and
per-source counts are then rebuilt by the product's own ``molva.rollups.rebuild`` and
``molva.source_counts.rebuild`` (what ``molva db rollups`` runs), and a one-day period is checked against a raw
recount. The database must be empty and migrated; a fill stopped halfway leaves it without those indexes: drop
it and start again.

    python benchmarks/pg_bulk_fill.py --url postgresql+psycopg://postgres@127.0.0.1:5432/<db> --count 10000000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Connection, text  # noqa: E402

from benchmarks.generate_mentions import BRANDS, generate  # noqa: E402
from molva import rollups, source_counts  # noqa: E402
from molva.db import make_engine  # noqa: E402

HEAD = 20_000

FILL = """
SET TIME ZONE 'UTC';
CREATE TEMP TABLE src ON COMMIT DROP AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, kind FROM sources;
INSERT INTO mentions (id, source_id, kind, external_id, url, canonical_url, text, language, published_at,
                      fetched_at, content_hash, likes, author, author_id)
SELECT g, src.id, src.kind, 'b' || g, 'https://e.org/' || g, 'https://e.org/' || g,
       'пост ' || g, 'ru', now() - make_interval(secs => floor(random() * 90 * 86400)), now(),
       lpad(to_hex(g), 64, '0'), (g % 100)::int, 'user' || (g % 50000), (g % 50000)::text
FROM generate_series(:first, :last) AS g JOIN src ON src.n = g % 5;
CREATE TEMP TABLE pick ON COMMIT DROP AS
SELECT m.id AS mention_id, m.published_at, m.kind, m.source_id, b.brand, b.nr, random() AS r_sent, random() AS r_addr,
       random() AS r_reply, random() AS u1, random() AS u2, random() AS r_intent
FROM mentions m
CROSS JOIN LATERAL (
    SELECT (CAST(:brands AS text[]))[least(floor(power(random(), -1 / 1.3))::int, 7)] AS brand, 1 AS nr
    WHERE m.id IS NOT NULL
    UNION ALL
    SELECT (CAST(:brands AS text[]))[1 + (m.id / 8 % 7)::int], 2
    WHERE m.id % 8 = 0
) b
WHERE m.id BETWEEN :first AND :last;
DELETE FROM pick p USING pick q WHERE p.nr = 2 AND q.nr = 1 AND q.mention_id = p.mention_id AND q.brand = p.brand;
INSERT INTO brand_mentions (id, mention_id, brand, alias, span_start, span_end, published_at, addressed,
                            sentiment, score_negative, score_neutral, score_positive, model_version, intent,
                            urgency, classified_at, first_reply_at, first_reply_known, reply_delay_ms,
                            reply_source_id)
SELECT :bm_base + row_number() OVER (ORDER BY mention_id, nr), mention_id, brand, brand, 0, length(brand),
       published_at, addressed, sentiment,
       CASE WHEN sentiment = 'negative' THEN 0.8 ELSE 0.1 END, 0.1,
       CASE WHEN sentiment = 'positive' THEN 0.8 ELSE 0.1 END,
       CASE WHEN sentiment IS NULL THEN NULL ELSE 'bench' END,
       CASE WHEN sentiment IS NULL THEN NULL
            WHEN sentiment = 'negative' THEN (ARRAY['problem','problem','problem','question','other'])[1 + floor(r_intent * 5)::int]
            WHEN sentiment = 'neutral' THEN (ARRAY['question','other','other','idea'])[1 + floor(r_intent * 4)::int]
            ELSE (ARRAY['thanks','thanks','other','idea'])[1 + floor(r_intent * 4)::int] END,
       CASE WHEN sentiment IS NULL THEN NULL ELSE round(r_intent::numeric, 3)::float END,
       CASE WHEN sentiment IS NULL THEN NULL ELSE published_at END,
       CASE WHEN delay IS NULL THEN NULL ELSE published_at + make_interval(secs => delay) END,
       delay IS NOT NULL, delay * 1000, CASE WHEN delay IS NULL THEN NULL ELSE source_id END
FROM (
    SELECT *, CASE WHEN nr = 2 THEN 'neutral' WHEN r_sent < 0.05 THEN NULL WHEN r_sent < 0.35 THEN 'negative'
                   WHEN r_sent < 0.75 THEN 'neutral' ELSE 'positive' END AS sentiment,
              kind IN ('reviews', 'vk', 'mastodon') AND r_addr < 0.45 AS addressed,
              CASE WHEN kind IN ('reviews', 'vk', 'mastodon') AND r_addr < 0.45 AND r_reply < 0.6
                   THEN floor(exp(8 + sqrt(-2 * ln(greatest(u1, 1e-12))) * cos(2 * pi() * u2)))::bigint END AS delay
    FROM pick
) p;
"""

BULK_TABLES = ("mentions", "brand_mentions")
SECONDARY = """
SELECT i.indexname, i.indexdef, c.conname, pg_get_constraintdef(c.oid) AS condef, i.tablename
FROM pg_indexes i LEFT JOIN pg_constraint c ON c.conname = i.indexname AND c.contype = 'u'
WHERE i.schemaname = 'public' AND i.tablename = ANY(:tables) AND i.indexname NOT LIKE 'pk\\_%'
ORDER BY i.tablename, i.indexname
"""


def drop_secondary(conn: Connection) -> list[tuple[str, str]]:
    """Drop the secondary indexes and unique constraints of the bulk tables; returns the statements that make
    them again (their own definitions, as the migrations left them)."""
    rows = conn.execute(text(SECONDARY), {"tables": list(BULK_TABLES)}).all()
    again = []
    for name, indexdef, conname, condef, table in rows:
        if conname:
            conn.execute(text(f'ALTER TABLE "{table}" DROP CONSTRAINT "{conname}"'))
            again.append((name, f'ALTER TABLE "{table}" ADD CONSTRAINT "{conname}" {condef}'))
        else:
            conn.execute(text(f'DROP INDEX "{name}"'))
            again.append((name, indexdef))
    return again


def fill(url: str, count: int) -> dict[str, float]:
    """Fill ``url`` up to ``count`` mentions; returns the seconds of each phase."""
    started = time.perf_counter()
    phases: dict[str, float] = {}

    def lap(name: str) -> None:
        phases[name] = time.perf_counter() - started - sum(phases.values())
        print(f"{name}: {phases[name]:.0f} s (total {time.perf_counter() - started:.0f} s)", flush=True)

    engine = make_engine(url)
    with engine.begin() as conn:
        have = int(conn.scalar(text("SELECT count(*) FROM mentions")) or 0)
    if have:
        raise SystemExit(f"{have:,} mentions there already: fill an empty, migrated database")
    generate(url, HEAD, seed=1, topics=40)
    have = HEAD
    lap(f"head of {HEAD:,} generated")
    brands = [name for name, _ in BRANDS]
    with engine.begin() as conn:
        first = int(conn.scalar(text("SELECT max(id) FROM mentions"))) + 1
        again = drop_secondary(conn)
    step = 1_000_000
    for low in range(first, first + count - have, step):
        high = min(low + step - 1, first + count - have - 1)
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # no per-row foreign-key checks
            base = int(conn.scalar(text("SELECT max(id) FROM brand_mentions")))
            values = {"first": low, "last": high, "brands": brands, "bm_base": base}
            for statement in filter(str.strip, FILL.split(";")):
                conn.execute(text(statement), {k: v for k, v in values.items() if f":{k}" in statement})
        print(f"mentions up to {high:,}: {time.perf_counter() - started:.0f} s", flush=True)
    lap(f"{count - HEAD:,} mentions written (indexes off)")
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for name, statement in again:
            conn.execute(text(statement))
            print(f"  {name}: {time.perf_counter() - started:.0f} s", flush=True)
        for table in BULK_TABLES:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    lap(f"{len(again)} indexes and constraints made again")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE mentions"))
        conn.execute(text("VACUUM ANALYZE brand_mentions"))
    lap("mentions and brand_mentions vacuumed and analyzed")
    with engine.begin() as conn:
        rows = rollups.rebuild(conn)  # what `molva db rollups` runs
        source_counts.rebuild(conn)
    lap(f"rollups rebuilt by molva.rollups.rebuild ({rows:,} rows) and source counts")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        total = int(conn.scalar(text("SELECT count(*) FROM mentions")))
        bms = int(conn.scalar(text("SELECT count(*) FROM brand_mentions")))
        size = conn.scalar(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
    lap("VACUUM ANALYZE")
    print(f"{total:,} mentions, {bms:,} brand mentions, {size}; fill {time.perf_counter() - started:.0f} s",
          flush=True)
    check(url)
    engine.dispose()
    return phases


def check(url: str) -> None:
    """Rollup-based metrics equal the raw recount for a recent day (hours from the rollups, edges raw)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import Session

    from molva.metrics import MetricsFilter, brand_stats, response_stats
    from molva.metrics.rollup import raw_only

    now = datetime.now(UTC)
    filters = MetricsFilter(since=now - timedelta(days=2, minutes=7), until=now - timedelta(days=1))
    engine = make_engine(url)
    with Session(engine) as session:
        fast = (brand_stats(session, filters), response_stats(session, filters))
        with raw_only():
            raw = (brand_stats(session, filters), response_stats(session, filters))
    engine.dispose()
    print("rollups equal a raw recount for one day:", fast == raw, flush=True)
    if fast != raw:
        raise SystemExit(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="an empty, migrated PostgreSQL database")
    parser.add_argument("--count", type=int, default=10_000_000)
    args = parser.parse_args()
    fill(args.url, args.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
