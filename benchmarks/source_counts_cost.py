"""What database triggers keeping per-source mention counts would cost when storing mentions (the design measured
and rejected for ``source_counts``, which ``molva.source_counts`` keeps from Python with one upsert per batch).

The same inserts run in a database with the triggers (created here) and in one without them, alternately: plain ``executemany(INSERT … ON CONFLICT DO NOTHING)`` of N rows on SQLite (the reference of
``molva import``), and ``molva.ingest`` (``Ingestor.store_many``) of M mentions on SQLite and PostgreSQL, in
alternating order: row triggers on SQLite (it has no other kind), statement triggers with a transition table on
PostgreSQL.

    .venv/bin/python benchmarks/source_counts_cost.py --rows 100000 --mentions 20000 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from sqlalchemy import text  # noqa: E402

from benchmarks.ingest_bulk import make_items  # noqa: E402
from molva.catalog import load_catalog  # noqa: E402
from molva.db import make_engine, make_sessionmaker, throwaway_database, upgrade  # noqa: E402
from molva.ingest import Ingestor, get_or_create_source, start_run  # noqa: E402
from molva.settings import SourceConfig  # noqa: E402
from tests.pg import PG_ADMIN_URL, postgres_reachable  # noqa: E402

PG_TRIGGERS = (
    "CREATE FUNCTION bench_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO source_counts (source_id, mentions) SELECT source_id, count(*) FROM changed_rows "
    "GROUP BY source_id ORDER BY source_id ON CONFLICT (source_id) DO UPDATE SET "
    "mentions = source_counts.mentions + excluded.mentions; RETURN NULL; END $$",
    "CREATE TRIGGER mentions_count_insert AFTER INSERT ON mentions REFERENCING NEW TABLE AS changed_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION bench_count_insert()",
)
SQLITE_TRIGGERS = (  # what migration 0107 would have had to create on SQLite (row triggers only)
    "CREATE TRIGGER mentions_count_insert AFTER INSERT ON mentions BEGIN INSERT INTO source_counts (source_id, "
    "mentions) VALUES (NEW.source_id, 1) ON CONFLICT (source_id) DO UPDATE SET mentions = mentions + 1; END",
    "CREATE TRIGGER mentions_count_delete AFTER DELETE ON mentions BEGIN INSERT INTO source_counts (source_id, "
    "mentions) VALUES (OLD.source_id, -1) ON CONFLICT (source_id) DO UPDATE SET mentions = mentions - 1; END",
)


def create_pg_triggers(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        for statement in PG_TRIGGERS:
            conn.execute(text(statement))
    engine.dispose()


def executemany_rate(path: Path, rows: int, offset: int) -> float:
    conn = sqlite3.connect(path)
    conn.execute("INSERT OR IGNORE INTO sources (id, name, kind, enabled, consecutive_failures, created_at) "
                  "VALUES (1, 's', 'vk', 1, 0, '2025-01-01 00:00:00.000000')")
    conn.commit()
    values = [(1, "vk", f"e{offset + i}", f"https://e/{offset + i}", f"https://e/{offset + i}", f"пост {i}", "ru",
               "2025-03-01 10:00:00.000000", "2025-03-01 10:00:00.000000", f"{offset + i:064x}")
              for i in range(rows)]
    started = time.perf_counter()
    conn.executemany("INSERT INTO mentions (source_id, kind, external_id, url, canonical_url, text, language, "
                     "published_at, fetched_at, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT DO NOTHING", values)
    conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return rows / seconds


def ingest_rate(url: str, count: int, seed: int) -> float:
    factory = make_sessionmaker(url)
    with factory() as session:
        source = get_or_create_source(session, SourceConfig(name="bench", kind="vk", targets=["x"]))
        ingestor = Ingestor(session, load_catalog(), source, start_run(session, source))
        items = list(make_items(count, seed=seed))
        started = time.perf_counter()
        for start in range(0, count, 500):
            ingestor.store_many(items[start:start + 500])
            session.commit()
        seconds = time.perf_counter() - started
    factory.kw["bind"].dispose()
    return count / seconds


def compare(label: str, urls: dict[str, str], measure: object, rounds: int) -> None:
    rates: dict[str, list[float]] = {name: [] for name in urls}
    for r in range(rounds):  # ABBA: the order alternates, so neither side always runs first
        for name in (list(urls) if r % 2 == 0 else list(reversed(urls))):
            rates[name].append(measure(urls[name], r))  # type: ignore[operator]
    with_counts, without = statistics.median(rates["with"]), statistics.median(rates["without"])
    print(f"{label}: with the triggers {with_counts:,.0f}/s, without {without:,.0f}/s (medians of {rounds}), "
          f"ratio {with_counts / without:.3f}; load {os.getloadavg()[0]:.1f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: Path(tmp) / f"{name}.db" for name in ("with", "without")}
        for name, path in paths.items():
            upgrade(f"sqlite:///{path}")
            if name == "with":
                with sqlite3.connect(path) as conn:
                    for statement in SQLITE_TRIGGERS:
                        conn.execute(statement)
        compare(f"SQLite executemany of {args.rows:,} rows", {n: str(p) for n, p in paths.items()},
                lambda path, r: executemany_rate(Path(path), args.rows, r * args.rows), args.rounds)
        compare(f"SQLite molva.ingest of {args.mentions:,} mentions",
                {n: f"sqlite:///{p}" for n, p in paths.items()},
                lambda url, r: ingest_rate(url, args.mentions, seed=100 + r), args.rounds)
    if postgres_reachable() is None:
        with throwaway_database(PG_ADMIN_URL, "molva_cc") as a, throwaway_database(PG_ADMIN_URL, "molva_cc") as b:
            upgrade(a)
            upgrade(b)
            create_pg_triggers(a)
            compare(f"PostgreSQL molva.ingest of {args.mentions:,} mentions", {"with": a, "without": b},
                    lambda url, r: ingest_rate(url, args.mentions, seed=100 + r), args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
