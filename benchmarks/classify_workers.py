"""Benchmark: classification workers on one PostgreSQL, 1 vs 2 worker processes (``molva classify --workers N``),
beside this machine's own ceiling measured in the same run: the speed-up of 2 processes over 1 doing numpy matrix
products (the model's kind of work) and plain Python work. Each run scores the same N brand mentions in its own
throwaway database; a run with nothing to score gives the start-up time (interpreter, torch, model), which is
subtracted. Checks that no brand mention is left unscored.

    .venv/bin/python benchmarks/classify_workers.py --count 20000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from sqlalchemy import create_engine, text  # noqa: E402

from molva.catalog import load_catalog  # noqa: E402
from molva.db import make_sessionmaker, throwaway_database, upgrade  # noqa: E402
from molva.ingest import Ingestor, MentionData, get_or_create_source, start_run  # noqa: E402
from molva.ingest.importer import parse_row  # noqa: E402
from molva.settings import SourceConfig  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _numpy_work(seconds: float, queue: Any) -> None:
    import numpy as np

    os.environ["OMP_NUM_THREADS"] = "1"
    a = np.random.default_rng(1).standard_normal((256, 256), dtype=np.float32)
    done, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        a = np.tanh(a @ a * 0.01)
        done += 1
    queue.put(done)


def _python_work(seconds: float, queue: Any) -> None:
    done, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(i * i for i in range(1000))
        done += 1
    queue.put(done)


def speedup(work: Any, seconds: float = 4.0) -> float:
    """Work done by 2 processes in ``seconds`` over the work of 1."""
    context = multiprocessing.get_context("spawn")
    totals = []
    for processes in (1, 2):
        queue = context.Queue()
        procs = [context.Process(target=work, args=(seconds, queue)) for _ in range(processes)]
        for p in procs:
            p.start()
        totals.append(sum(queue.get() for _ in procs))
        for p in procs:
            p.join()
    return round(totals[1] / totals[0], 2)


def fill(url: str, count: int) -> int:
    from import_bulk import rows

    factory = make_sessionmaker(url)
    with factory() as session:
        source = get_or_create_source(session, SourceConfig(name="bench", kind="vk", targets=["x"]))
        ingestor = Ingestor(session, load_catalog(), source, start_run(session, source))
        batch: list[MentionData] = []
        for row in rows(count):
            batch.append(parse_row(row)[1])
            if len(batch) == 2000:
                ingestor.store_many(batch)
                batch = []
        ingestor.store_many(batch)
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
        brand_rows = int(session.scalar(text("SELECT count(*) FROM brand_mentions")) or 0)
    factory.kw["bind"].dispose()
    return brand_rows


def classify(url: str, workers: int) -> float:
    env = {**os.environ, "MOLVA_DATABASE_URL": url, "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "molva", "classify", "--workers", str(workers), "--batch-size", "256"],
                   env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def left(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = int(conn.scalar(text("SELECT count(*) FROM brand_mentions WHERE sentiment IS NULL")) or 0)
    engine.dispose()
    return value


def scoring_rate(url: str) -> float:
    """Brand mentions scored per second while scoring (start-up excluded): each batch stamps ``classified_at``
    with its start, so the rows before the last batches' start, over the time from the first start to it."""
    engine = create_engine(url)
    with engine.connect() as conn:
        first, last = conn.execute(text("SELECT min(classified_at), max(classified_at) FROM brand_mentions")).one()
        before = int(conn.scalar(text("SELECT count(*) FROM brand_mentions WHERE classified_at < :t"),
                                 {"t": last}) or 0)
    engine.dispose()
    return before / max((last - first).total_seconds(), 1e-6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20_000)
    args = parser.parse_args()
    result: dict[str, Any] = {"count": args.count, "machine": {"platform": platform.platform(),
                                                               "cpus": os.cpu_count()}}
    for workers in (1, 2):
        with throwaway_database(PG_ADMIN, "molva_bench_workers") as url:
            upgrade(url)
            brand_rows = fill(url, args.count)
            seconds = classify(url, workers)
            result[f"workers_{workers}"] = {"brand_mentions": brand_rows, "seconds": round(seconds, 2),
                                            "scored_per_s": round(scoring_rate(url)),
                                            "left_unscored": left(url)}
    one, two = result["workers_1"], result["workers_2"]
    result["workers_2_vs_1"] = round(two["scored_per_s"] / one["scored_per_s"], 2)
    result["ceiling"] = {"numpy_matmul_2_vs_1": speedup(_numpy_work), "python_2_vs_1": speedup(_python_work)}
    result["load_average_1min"] = round(os.getloadavg()[0], 1)
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
