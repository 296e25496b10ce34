"""Benchmark: crawl throughput of `molva crawl --all` against the local simulator, politeness off (no download
delay, no AutoThrottle, 32 requests per domain, VK's rate limit raised on both sides).

Modes: one process on SQLite; one process on PostgreSQL; two processes sharing a Redis queue and dupefilter
(scrapy-redis) on PostgreSQL. Pages = pages parsed (the crawl runs' ``stats.pages``); mentions = rows stored
(each checked against the simulator's truth: every post exactly once). Peak RSS = the largest crawl process.
Prints one JSON line per mode.

    .venv/bin/python benchmarks/crawl_throughput.py [--days 2] [--posts-per-day 300] [--modes sqlite,postgres,redis2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from sqlalchemy import func, select  # noqa: E402

from molva.db import make_sessionmaker, throwaway_database, upgrade  # noqa: E402
from molva.models import CrawlRun, Mention  # noqa: E402
from simulator.config import render_config  # noqa: E402
from simulator.server import SimServer  # noqa: E402
from simulator.world import build_world  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
# `molva crawl` that appends its own peak RSS (KiB) to $MOLVA_BENCH_RSS when it exits.
WRAPPER = ("import atexit, os, resource, sys\n"
           "atexit.register(lambda: open(os.environ['MOLVA_BENCH_RSS'], 'a').write("
           "f\"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n\"))\n"
           "sys.argv = ['molva', *sys.argv[1:]]\n"
           "from molva.cli import main\n"
           "main(prog_name='molva')\n")


def pg_database() -> AbstractContextManager[str]:
    return throwaway_database(PG_ADMIN, "molva_bench")


def config_text(world: Any, base_url: str) -> str:
    import re

    body = render_config(world, base_url)
    if re.search(r"^options = .*rps", body, re.M):
        return re.sub(r"^options = .*rps.*$", "options = {rps = 1000}", body, flags=re.M)
    return body.replace('name = "vk"\n', 'name = "vk"\noptions = {rps = 1000}\n')


def crawl(config: Path, db_url: str, processes: int, redis_prefix: str | None) -> dict[str, Any]:
    env = {**os.environ, "MOLVA_CONFIG": str(config), "MOLVA_DATABASE_URL": db_url, "MOLVA_VK_TOKEN": "bench",
           "MOLVA_CRAWL__DOWNLOAD_DELAY": "0", "MOLVA_CRAWL__AUTOTHROTTLE": "false",
           "MOLVA_CRAWL__CONCURRENT_REQUESTS_PER_DOMAIN": "32", "MOLVA_CRAWL__MAX_PAGES": "1000",
           "PYTHONPATH": str(ROOT)}
    if redis_prefix:
        env.update(MOLVA_CRAWL__REDIS_URL=REDIS_URL, MOLVA_CRAWL__REDIS_KEY_PREFIX=redis_prefix)
    upgrade(db_url)
    rss_file = config.with_suffix(f".{uuid.uuid4().hex[:6]}.rss")
    env["MOLVA_BENCH_RSS"] = str(rss_file)
    t = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", WRAPPER, "crawl", "--all"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(processes)]
    for proc in procs:
        out, err = proc.communicate(timeout=900)
        if proc.returncode != 0:
            raise SystemExit(f"crawl failed:\n{out}\n{err[-3000:]}")
    seconds = time.perf_counter() - t
    factory = make_sessionmaker(db_url)
    with factory() as session:
        runs = session.scalars(select(CrawlRun)).all()
        pages = sum(int((r.stats or {}).get("pages", 0)) for r in runs)
        mentions = session.scalar(select(func.count(Mention.id))) or 0
        ids = {(kind, ext) for kind, ext in session.execute(select(Mention.kind, Mention.external_id))}
        errors = sum(r.errors for r in runs)
        samples = [m for r in runs for m in (r.stats or {}).get("error_samples", [])][:5]
    peak_kib = max(int(line) for line in rss_file.read_text().split())
    return {"seconds": round(seconds, 2), "pages": pages, "mentions": mentions, "errors": errors,
            "error_samples": samples, "peak_rss_mb_per_process": round(peak_kib / 1024),
            "pages_per_s": round(pages / seconds, 1), "mentions_per_s": round(mentions / seconds, 1), "ids": ids}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=2)
    parser.add_argument("--posts-per-day", type=int, default=300)
    parser.add_argument("--modes", default="sqlite,postgres,redis2")
    args = parser.parse_args()
    world = build_world(seed=1, days=args.days, posts_per_day=args.posts_per_day)
    machine = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    with SimServer(world, port=0, vk_rps=0) as sim, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "sim.toml"
        config.write_text(config_text(world, sim.base_url), encoding="utf-8")
        truth = {(p["kind"], p["external_id"]) for p in sim.truth()["posts"]}
        for mode in args.modes.split(","):
            if mode == "sqlite":
                result = crawl(config, f"sqlite:///{Path(tmp) / f'{mode}.db'}", 1, None)
            elif mode == "postgres":
                with pg_database() as url:
                    result = crawl(config, url, 1, None)
            elif mode == "redis2":
                prefix = f"molva-bench-{uuid.uuid4().hex[:8]}"
                with pg_database() as url:
                    result = crawl(config, url, 2, prefix)
                import redis

                client = redis.Redis.from_url(REDIS_URL)
                leftover = list(client.scan_iter(f"{prefix}:*"))
                if leftover:
                    client.delete(*leftover)
                result["redis_keys_left"] = len(leftover)
            else:
                raise SystemExit(f"unknown mode {mode}")
            ids = result.pop("ids")
            result["exact"] = ids == truth and result["mentions"] == len(truth)
            print(json.dumps({"mode": mode, "days": args.days, "posts_per_day": args.posts_per_day,
                              "truth_posts": len(truth), **result,
                              "machine": machine}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
