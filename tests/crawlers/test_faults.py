"""Crawling the simulator under injected faults: the crawl finishes, records its errors, stores what it could;
once the faults stop, one more crawl leaves the store equal to the truth (nothing missing, nothing twice)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sim_crawl import crawl_env, run_crawl, stored_ids, write_config
from sqlalchemy import func, select

pytest.importorskip("simulator.server")

from molva.db import make_sessionmaker
from molva.metrics import build_report
from molva.models import CrawlRun, OfficialReply

# Every kind of fault, often; one retry only so that some pages fail for good. A "timeout" answers after 8 s
# against a 3 s download timeout: wide margins, so that on a busy machine an ordinary answer is not a timeout too
# (with 1 s against 2 s, a loaded run could time out every page, changed-markup ones included).
FAULTS = "429=0.08,5xx=0.08,timeout=0.04,truncated=0.08,malformed=0.08,markup=0.08,retry_after=1,slow=8"


@pytest.mark.timeout(1800)
def test_crawl_under_faults_then_recovers_exactly(tmp_path: Path, db_url: str) -> None:
    from simulator.server import SimServer
    from simulator.world import build_world

    world = build_world(seed=1, days=1, posts_per_day=60)
    with SimServer(world, port=0, vk_rps=1000, faults=FAULTS) as sim:
        config = tmp_path / "sim.toml"
        write_config(config, sim.base_url, world)
        env = crawl_env(config, db_url, MOLVA_CRAWL__RETRY_TIMES="1", MOLVA_CRAWL__DOWNLOAD_TIMEOUT="3")
        faulty = run_crawl(env, "--all")
        truth = {(p["kind"], p["external_id"]) for p in sim.truth()["posts"]}
        answered = sum(p["answered"] for p in sim.truth()["posts"])

        # 1. The crawl under faults finished (exit 0, or 1 when a source failed) and reported every source.
        assert faulty.returncode in (0, 1), faulty.stderr
        for kind in ("telegram", "vk", "rss", "reviews", "mastodon"):
            assert any(line.startswith(f"{kind}:") for line in faulty.stdout.splitlines()), faulty.stdout
        after_faults = stored_ids(db_url)
        assert after_faults, "nothing stored under faults"
        assert set(after_faults) <= truth and max(after_faults.values()) == 1
        assert len(after_faults) < len(truth), "the faults lost nothing: the test is too gentle"

        factory = make_sessionmaker(db_url)
        with factory() as session:
            runs = session.scalars(select(CrawlRun)).all()
            assert sum(r.errors for r in runs) > 0 and all(r.status != "running" for r in runs)
            messages = [m for r in runs for m in (r.stats or {}).get("error_samples", [])]
            report = build_report(session)
        assert sum(s["errors"] for s in report["sources"]) == sum(r.errors for r in runs)
        assert any(s["errors"] > 0 for s in report["sources"])
        # Changed markup is a parse error that names the URL and the missing element.
        markup = [m for m in messages if "changed markup" in m]
        assert markup and all(sim.base_url in m and "no " in m for m in markup), messages
        # Broken transfers (truncated bodies, timeouts) and server errors are named with their URL.
        assert any(sim.base_url in m and ("HTTP 5" in m or "HTTP 429" in m or "fetching" in m) for m in messages)

        # 2. The faults stop: one more crawl (forced: failed sources back off) completes the store exactly.
        sim.set_faults(None)
        env = crawl_env(config, db_url)  # the usual retries and timeout
        healed = run_crawl(env, "--all", "--force")
        assert healed.returncode == 0, healed.stdout + healed.stderr
        stored = stored_ids(db_url)
        assert set(stored) == truth, (sorted(truth - set(stored))[:10], healed.stdout)
        assert max(stored.values()) == 1 and sum(stored.values()) == len(truth)
        with factory() as session:
            assert session.scalar(select(func.count(OfficialReply.id))) == answered
            last = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(5)).all()
            assert all(r.status == "ok" and r.errors == 0 for r in last), [(r.status, r.error_message) for r in last]

        # 3. And a further crawl adds nothing.
        again = run_crawl(env, "--all")
        assert again.returncode == 0 and stored_ids(db_url) == stored, again.stdout
