"""The scheduler: fixed job ids without duplicates across restarts, missed runs kept, SIGTERM mid-crawl."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from molva.db import make_sessionmaker
from molva.models import CrawlRun, Mention
from molva.scheduler import JOBS_TABLE, crawl_command, make_scheduler, sync_jobs
from molva.settings import Settings, SourceConfig, load_settings
from tests.waiting import GENEROUS, wait_for

ROOT = Path(__file__).resolve().parents[2]


def settings_for(db_url: str, interval: int = 600) -> Settings:
    return load_settings(None, database_url=db_url, sources=[
        SourceConfig(name="news", kind="rss", targets=["/rss/finance.xml"], interval=interval),
        SourceConfig(name="tg", kind="telegram", targets=["bankinform"], interval=interval),
    ])


def test_restart_keeps_one_job_per_id_and_the_missed_run(db_url: str) -> None:
    settings = settings_for(db_url)
    scheduler = make_scheduler(settings)
    scheduler.start(paused=True)
    sync_jobs(scheduler, settings)
    missed = datetime.now(UTC) + timedelta(seconds=1)
    scheduler.modify_job("crawl:news", next_run_time=missed)
    time.sleep(0.2)
    scheduler.shutdown(wait=True)
    time.sleep(1.2)  # the run comes due while the process is down

    restarted = make_scheduler(settings)
    restarted.start(paused=True)
    ids = sync_jobs(restarted, settings)
    sync_jobs(restarted, settings)
    jobs = restarted.get_jobs()
    assert sorted(j.id for j in jobs) == sorted(ids) == ["classify", "crawl:news", "crawl:tg", "dispatch"]
    news = restarted.get_job("crawl:news")
    assert abs((news.next_run_time - missed).total_seconds()) < 1  # kept: run once on resume (coalesced)
    assert news.next_run_time < datetime.now(UTC)
    assert news.coalesce is True and news.misfire_grace_time == settings.scheduler.misfire_grace_time
    fewer = load_settings(None, database_url=db_url, sources=[settings.sources[0]])
    sync_jobs(restarted, fewer)
    assert sorted(j.id for j in restarted.get_jobs()) == ["classify", "crawl:news", "dispatch"]
    engine = make_sessionmaker(db_url).kw["bind"]
    with engine.connect() as conn:
        assert conn.exec_driver_sql(f"select count(*) from {JOBS_TABLE}").scalar() == 3
    for job in restarted.get_jobs():
        restarted.remove_job(job.id)
    restarted.shutdown(wait=True)


def test_crawl_command_runs_molva_as_a_module(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("", encoding="utf-8")
    settings = load_settings(config)
    assert crawl_command(settings, "news") == [sys.executable, "-m", "molva", "--config", str(config), "crawl", "news"]


@pytest.mark.timeout(1800)
def test_sigterm_stops_the_scheduler_mid_crawl_keeping_stored_items(tmp_path: Path, db_url: str) -> None:
    pytest.importorskip("simulator.server")
    from simulator.config import render_config
    from simulator.server import SimServer
    from simulator.world import build_world

    world = build_world(seed=1, days=1, posts_per_day=120)
    with SimServer(world, port=0, faults="timeout=0.5,slow=1") as sim:
        config = tmp_path / "sim.toml"
        config.write_text(render_config(world, sim.base_url, interval=5), encoding="utf-8")
        env = {**os.environ, "MOLVA_CONFIG": str(config), "MOLVA_DATABASE_URL": db_url, "MOLVA_VK_TOKEN": "t",
               "MOLVA_CRAWL__DOWNLOAD_DELAY": "0", "MOLVA_CRAWL__AUTOTHROTTLE": "false",
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        log = tmp_path / "run.log"
        with log.open("wb") as out:  # a file, not a pipe nobody reads: a full pipe would block the scheduler
            process = subprocess.Popen([sys.executable, "-m", "molva", "run"], env=env, cwd=ROOT,
                                       stdout=out, stderr=subprocess.STDOUT)
        factory = make_sessionmaker(db_url)

        def stored_count() -> int:
            with factory() as session:
                return session.scalar(select(func.count(Mention.id))) or 0

        try:
            # Wait for the condition (something stored, mid-crawl), not for a clock: the limit is generous.
            wait_for(lambda: stored_count() or process.poll() is not None)
            stored = stored_count()
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            assert stored, "no crawl stored anything"
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=GENEROUS)  # a crawl slower than the grace period is killed; its run closed
        finally:
            if process.poll() is None:
                process.kill()
        output = log.read_bytes()
    assert process.returncode == 0, output.decode(errors="replace")
    with factory() as session:
        runs = session.scalars(select(CrawlRun)).all()
        assert runs and all(run.status != "running" for run in runs)
        assert (session.scalar(select(func.count(Mention.id))) or 0) >= stored
