"""Scale-out: two crawl processes share a Redis request queue and dupefilter (scrapy-redis) and one
PostgreSQL database; together they store every post of the simulator exactly once."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sim_crawl import ROOT, crawl_env, stored_ids, write_config
from sqlalchemy import func, select

from tests.pg import PG_ADMIN_URL, postgres_reachable

pytest.importorskip("simulator.server")

from molva.db import make_sessionmaker, throwaway_database, upgrade
from molva.models import CrawlRun, OfficialReply

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def redis_reachable() -> str | None:
    try:
        import redis
    except ImportError as exc:
        return f"the redis client is not installed ({exc})"
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1):
            pass
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=2).ping()
    except Exception as exc:
        return f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT} ({exc})"
    return None


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    reason = redis_reachable()
    if reason:
        pytest.skip(reason)
    import redis

    prefix = f"molva-test-{uuid.uuid4().hex[:10]}"
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT)
    try:
        yield prefix
    finally:
        leftover = list(client.scan_iter(f"{prefix}:*"))
        if leftover:
            client.delete(*leftover)
        client.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    with throwaway_database(PG_ADMIN_URL, "molva_scale") as url:
        upgrade(url)
        yield url


def crawl_together(env: dict[str, str], processes: int = 2) -> list[str]:
    procs = [subprocess.Popen([sys.executable, "-m", "molva", "crawl", "--all"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(processes)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=900)  # a limit for a stuck crawl, not a deadline
        assert proc.returncode == 0, out + err
        outputs.append(out)
    return outputs


@pytest.mark.timeout(1800)
def test_two_processes_share_the_crawl(tmp_path: Path, pg_url: str, redis_prefix: str) -> None:
    import redis

    from simulator.server import SimServer
    from simulator.world import build_world

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT)
    world = build_world(seed=1, days=1, posts_per_day=80)
    with SimServer(world, port=0, vk_rps=1000) as sim:
        config = tmp_path / "sim.toml"
        write_config(config, sim.base_url, world)
        env = crawl_env(config, pg_url, MOLVA_CRAWL__REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
                        MOLVA_CRAWL__REDIS_KEY_PREFIX=redis_prefix)
        crawl_together(env)
        posts = sim.truth()["posts"]
        truth = {(p["kind"], p["external_id"]) for p in posts}
        stored = stored_ids(pg_url)
        assert set(stored) == truth, sorted(truth - set(stored))[:10]
        assert max(stored.values()) == 1 and sum(stored.values()) == len(truth)
        assert list(client.scan_iter(f"{redis_prefix}:*")) == []  # the last process out cleared the round

        factory = make_sessionmaker(pg_url)
        with factory() as session:
            assert session.scalar(select(func.count(OfficialReply.id))) == sum(p["answered"] for p in posts)
            runs = session.scalars(select(CrawlRun)).all()
            assert len(runs) == 2 * 5 and all(r.status == "ok" for r in runs), [(r.status, r.error_message)
                                                                                 for r in runs]
            # Both processes fetched pages (the work was shared), and each page was fetched once per round.
            by_process: dict[int, int] = {}
            for r in runs:  # runs are created in two batches of five, one per process, in process order
                by_process.setdefault(r.id, r.stats.get("pages", 0))
            pages = [r.stats.get("pages", 0) for r in sorted(runs, key=lambda r: r.id)]
            assert sum(pages[:5]) > 0 and sum(pages[5:]) > 0, pages
            first_round_pages = sum(pages)

        # A second round: the dupefilter was cleared, so the start pages are fetched again; nothing new.
        crawl_together(env)
        assert stored_ids(pg_url) == stored
        assert list(client.scan_iter(f"{redis_prefix}:*")) == []
        with factory() as session:
            second = session.scalars(select(CrawlRun).where(CrawlRun.id > max(r.id for r in runs))).all()
            assert len(second) == 10 and sum(r.items_new for r in second) == 0
            assert 0 < sum(r.stats.get("pages", 0) for r in second) <= first_round_pages
    client.close()
