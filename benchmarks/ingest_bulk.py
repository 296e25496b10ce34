"""Benchmark: bulk ingest with dedup of N mentions through ``molva.ingest`` (the crawlers' own path: brand
matching, canonical-URL and content dedup, near-duplicate linking), then the re-ingest of the same N (must add
zero rows). SQLite and, when reachable, PostgreSQL (a throwaway database). Prints one JSON line per database.

    .venv/bin/python benchmarks/ingest_bulk.py --count 100000 [--batch 500] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from molva.catalog import load_catalog  # noqa: E402
from molva.db import make_sessionmaker, throwaway_database, upgrade  # noqa: E402
from molva.ingest import Ingestor, MentionData, get_or_create_source, start_run  # noqa: E402
from molva.models import BrandMention, Mention  # noqa: E402
from molva.settings import SourceConfig  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from import_bulk import rows  # noqa: E402  (one generator of synthetic posts for both benchmarks)

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

KINDS = ["vk", "telegram", "mastodon", "reviews", "rss"]


def make_items(count: int, seed: int = 7) -> Iterator[MentionData]:
    """``count`` mentions in one source's terms: unique ids; 3% reposts of an earlier text (near-duplicates).
    The same posts ``molva import`` reads in ``benchmarks/import_bulk.py``."""
    for row in rows(count, seed):
        yield MentionData(kind="vk", external_id=row["external_id"], url=row["url"], text=row["text"],
                          published_at=datetime.fromisoformat(row["published_at"]), author=row["author"],
                          author_id=row["author_id"], likes=row["likes"], views=row["views"])


def ingest(url: str, count: int, batch: int, analyze: bool = False) -> dict[str, Any]:
    catalog = load_catalog()
    factory = make_sessionmaker(url)
    out: dict[str, Any] = {}
    for label in ("first", "again"):
        with factory() as session:
            source = get_or_create_source(session, SourceConfig(name="bench", kind="vk", targets=["wall:-1"]))
            ingestor = Ingestor(session, catalog, source, start_run(session, source))
            session.commit()
            t = time.perf_counter()
            buffer: list[MentionData] = []
            batches = 0
            for item in make_items(count):
                buffer.append(item)
                if len(buffer) >= batch:
                    ingestor.store_many(buffer)
                    session.commit()
                    buffer = []
                    batches += 1
                    if analyze and batches % 20 == 0:  # what autovacuum would do (it is off on some test servers)
                        session.execute(text("ANALYZE mentions, brand_mentions"))
                        session.commit()
            if buffer:
                ingestor.store_many(buffer)
                session.commit()
            seconds = time.perf_counter() - t
            rows = session.scalar(select(func.count(Mention.id)))
            out[label] = {"seconds": round(seconds, 2), "mentions_per_s": round(count / seconds),
                          "rows_after": rows, "counts": dict(ingestor.counts),
                          "brand_rows": session.scalar(select(func.count(BrandMention.id)))}
    out["added_by_reingest"] = out["again"]["rows_after"] - out["first"]["rows_after"]
    return out


def autovacuum_off(admin: Any) -> bool:
    with admin.connect() as conn:
        return str(conn.execute(text("SHOW autovacuum")).scalar()) == "off"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    machine = {"platform": platform.platform(), "python": platform.python_version(), "cpus": __import__("os").cpu_count()}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            upgrade(url)
            result = ingest(url, args.count, args.batch)
            print(json.dumps({"db": "sqlite", "count": args.count, "batch": args.batch, **result,
                              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                              "machine": machine}, ensure_ascii=False), flush=True)
    if args.only in (None, "postgres"):
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        try:
            with throwaway_database(PG_ADMIN, "molva_bench") as url:
                upgrade(url)
                analyze = autovacuum_off(admin)
                result = ingest(url, args.count, args.batch, analyze=analyze)
                print(json.dumps({"db": "postgres", "autovacuum_off_so_analyze_every_20_batches": analyze,
                                  "count": args.count, "batch": args.batch, **result,
                                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                                  "machine": machine}, ensure_ascii=False), flush=True)
        except OperationalError as exc:
            print(json.dumps({"db": "postgres", "skipped": f"PostgreSQL unreachable: {exc}"}))
        finally:
            admin.dispose()


if __name__ == "__main__":
    main()
