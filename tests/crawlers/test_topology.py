"""compose.yaml's topology with local processes: the simulator as the public web, PostgreSQL and Redis, two
crawlers sharing one request queue, two classification workers running while they crawl and after, then
``molva report --json``. Every post is stored once, every brand mention scored once, and the rollups the report
reads equal a recount from the raw rows."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sim_crawl import ROOT, crawl_env, stored_ids, write_config
from sqlalchemy import text
from test_scale_out import REDIS_HOST, REDIS_PORT, pg_url, redis_prefix  # noqa: F401  (fixtures)

from molva import rollups
from molva.db import make_sessionmaker
from molva.metrics import MetricsFilter, brand_stats
from molva.metrics.rollup import raw_only

pytest.importorskip("simulator.server")

AUDIT = """
CREATE TABLE scoring_audit (brand_mention_id integer, old_sentiment text);
CREATE FUNCTION audit_scoring() RETURNS trigger AS $$ BEGIN
  IF NEW.classified_at IS DISTINCT FROM OLD.classified_at THEN
    INSERT INTO scoring_audit VALUES (NEW.id, OLD.sentiment);
  END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER audit_scoring AFTER UPDATE ON brand_mentions FOR EACH ROW EXECUTE FUNCTION audit_scoring();
"""


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "molva", *args], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=400)
    assert proc.returncode == 0, out + err
    return out


@pytest.mark.timeout(900)
def test_crawlers_classifiers_and_report_together(tmp_path: Path, pg_url: str, redis_prefix: str) -> None:  # noqa: F811
    from simulator.server import SimServer
    from simulator.world import build_world

    factory = make_sessionmaker(pg_url)
    with factory() as session:
        session.execute(text(AUDIT))
        session.commit()
    world = build_world(seed=2, days=1, posts_per_day=60)
    with SimServer(world, port=0, vk_rps=1000) as sim:
        config = tmp_path / "sim.toml"
        write_config(config, sim.base_url, world)
        env = crawl_env(config, pg_url, MOLVA_CRAWL__REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
                        MOLVA_CRAWL__REDIS_KEY_PREFIX=redis_prefix, HF_HUB_OFFLINE="1")
        crawlers = [_start(env, "crawl", "--all") for _ in range(2)]
        classifiers = _start(env, "classify", "--workers", "2", "--batch-size", "16")  # while they crawl
        for proc in crawlers:
            _finish(proc)
        _finish(classifiers)
        _finish(_start(env, "classify", "--workers", "2", "--batch-size", "16"))  # what came after
        report = json.loads(_finish(_start(env, "report", "--json")))
        truth = {(p["kind"], p["external_id"]) for p in sim.truth()["posts"]}
    stored = stored_ids(pg_url)
    assert set(stored) == truth and max(stored.values()) == 1
    with factory() as session:
        scored = session.execute(text("SELECT count(*), count(DISTINCT brand_mention_id), "
                                      "count(*) FILTER (WHERE old_sentiment IS NOT NULL) FROM scoring_audit")).one()
        total = session.scalar(text("SELECT count(*) FROM brand_mentions"))
        left = session.scalar(text("SELECT count(*) FROM brand_mentions WHERE sentiment IS NULL"))
        assert total and left == 0
        assert tuple(scored) == (total, total, 0)  # every brand mention scored exactly once
        stored_rollups = Counter({k: v for k, v in rollups.stored(session).items() if v})
        assert stored_rollups == Counter({k: v for k, v in rollups.recount(session).items() if v})
        with raw_only():
            recount = {s.brand: s for s in brand_stats(session, MetricsFilter())}
    reported = {row["brand"]: row for row in report["brands"] if row["mentions"]}
    assert set(reported) == set(recount)
    for brand, row in reported.items():
        assert (row["mentions"], row["negative"], row["neutral"], row["positive"], row["unclassified"]) == (
            recount[brand].mentions, recount[brand].negative, recount[brand].neutral, recount[brand].positive, 0)
    factory.kw["bind"].dispose()
