"""Issue 14.3: a crawl survives lost database connections (``pg_terminate_backend`` mid-crawl) on PostgreSQL:
roll back, reconnect, store the batch again; a run that stored less than it fetched is not ok and
``molva crawl`` exits non-zero; the next crawl completes the store."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sim_crawl import ROOT, crawl_env, run_crawl, stored_ids, write_config
from sqlalchemy import create_engine, select, text

from tests.pg import PG_ADMIN_URL, postgres_reachable

pytest.importorskip("simulator.server")

GENEROUS = 300.0  # seconds: a limit for waiting on a condition, never a deadline for the result


@pytest.fixture
def pg_db() -> Iterator[tuple[str, str]]:
    """A throwaway PostgreSQL database (URL, name); skipped with the reason when the server is unreachable."""
    from sqlalchemy.engine import make_url

    from molva.db import throwaway_database, upgrade

    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    with throwaway_database(PG_ADMIN_URL, "molva_i14_lost") as url:
        upgrade(url)
        yield url, str(make_url(url).database)


def _admin(sql: str, **params: object) -> int:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            result = conn.execute(text(sql), params)
            return len(result.fetchall()) if result.returns_rows else 0
    finally:
        engine.dispose()


def _terminate(name: str) -> int:
    return _admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db "
                  "AND pid <> pg_backend_pid()", db=name)


def _start_crawl(env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    handle = log.open("w", encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "molva", "crawl", "--all"], env=env, cwd=ROOT, text=True,
                            stdout=handle, stderr=subprocess.STDOUT)


def _runs(url: str) -> list[tuple[str, dict[str, object]]]:
    from molva.db import make_sessionmaker
    from molva.models import CrawlRun

    factory = make_sessionmaker(url)
    with factory() as session:
        rows = [(r.status, dict(r.stats or {})) for r in session.scalars(select(CrawlRun).order_by(CrawlRun.id))]
    factory.kw["bind"].dispose()
    return rows


@pytest.mark.timeout(900)
def test_terminated_backends_mid_crawl_lose_nothing(tmp_path: Path, pg_db: tuple[str, str]) -> None:
    from simulator.server import SimServer
    from simulator.world import build_world

    url, name = pg_db
    world = build_world(seed=5, days=1, posts_per_day=40)
    with SimServer(world, port=0, vk_rps=1000) as sim:
        config = tmp_path / "sim.toml"
        write_config(config, sim.base_url, world)
        env = crawl_env(config, url)
        log = tmp_path / "crawl.log"
        crawl = _start_crawl(env, log)
        kills = 0
        while crawl.poll() is None:  # terminate every backend of the crawl's database, again and again
            kills += _terminate(name)
            time.sleep(0.5)
        crawl.wait()
        output = log.read_text(encoding="utf-8")
        truth = {(p["kind"], p["external_id"]) for p in sim.truth()["posts"]}
    assert kills > 0, "no connection was terminated: the test proves nothing"
    stored = stored_ids(url)
    runs = _runs(url)
    lost = truth - set(stored)
    if crawl.returncode == 0:  # nothing given up: then nothing may be missing
        assert not lost, (len(lost), output[-3000:])
    else:  # something was not stored: it says so, and the run is not ok
        assert "не сохранено" in output and any(s != "ok" for s, _ in runs), output[-3000:]
    assert max(stored.values()) == 1, "stored twice"
    assert "Traceback" not in output and "could not store" not in output, output[-3000:]
    assert "prepared' state" not in output, output[-3000:]
    print(f"kills={kills} reconnects={sum(int(st.get('reconnects') or 0) for _, st in runs)} "
          f"exit={crawl.returncode} lost={len(lost)}")


@pytest.mark.timeout(900)
def test_database_gone_longer_than_the_retries_is_not_ok_then_the_next_crawl_completes(
    tmp_path: Path, pg_db: tuple[str, str]
) -> None:
    from simulator.server import SimServer
    from simulator.world import build_world

    url, name = pg_db
    world = build_world(seed=6, days=1, posts_per_day=60)
    with SimServer(world, port=0, vk_rps=1000) as sim:
        config = tmp_path / "sim.toml"
        write_config(config, sim.base_url, world)
        env = crawl_env(config, url, MOLVA_CRAWL__DOWNLOAD_DELAY="0.05")
        log = tmp_path / "crawl.log"
        crawl = _start_crawl(env, log)
        try:
            started = time.monotonic()
            while crawl.poll() is None and not stored_ids(url) and time.monotonic() - started < GENEROUS:
                time.sleep(0.1)
            assert crawl.poll() is None, "the crawl ended before the database could be taken away"
            _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            _terminate(name)
            started = time.monotonic()
            while (crawl.poll() is None and "items not stored" not in log.read_text(encoding="utf-8")
                   and time.monotonic() - started < GENEROUS):
                time.sleep(0.2)
        finally:
            _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        crawl.wait(timeout=GENEROUS)
        output = log.read_text(encoding="utf-8")
        assert "items not stored" in output, output[-3000:]
        assert crawl.returncode != 0, output[-3000:]  # stored less than it fetched: not a success
        runs = _runs(url)
        assert any(s != "ok" and int(st.get("unstored") or 0) > 0 for s, st in runs), runs
        assert "не сохранено" in output

        again = run_crawl(env, "--all", "--force", timeout=GENEROUS)
        truth = {(p["kind"], p["external_id"]) for p in sim.truth()["posts"]}
    assert again.returncode == 0, again.stdout + again.stderr
    stored = stored_ids(url)
    assert set(stored) == truth and max(stored.values()) == 1, sorted(truth - set(stored))[:10]


def test_postgres_skip_reason_is_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.pg as pg

    monkeypatch.setattr(pg, "PG_PORT", 1)
    reason = pg.postgres_reachable()
    assert reason is not None and "not reachable" in reason and os.sep not in reason[:10]
