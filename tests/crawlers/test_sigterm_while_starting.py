"""A SIGTERM that reaches ``molva crawl`` while it is setting Scrapy up (after the "stop before starting"
check, before Scrapy installs its own handler) still stops the crawl as Scrapy's handler would: the run is
closed as interrupted instead of crawling to the end (the scheduler used to wait its whole 30 s grace period
and then kill such a crawl; the scheduler's SIGTERM test hit this window often)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sim_crawl import ROOT, crawl_env, write_config
from sqlalchemy import select

pytest.importorskip("simulator.server")

from molva.db import make_sessionmaker
from molva.models import CrawlRun

# The signal is sent from inside CrawlerProcess.crawl, i.e. exactly in the window the runner's early check
# cannot see any more and Scrapy's handler does not cover yet.
SCRIPT = """
import os, runpy, signal, sys
import scrapy.crawler

original = scrapy.crawler.CrawlerProcess.crawl

def crawl(self, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)
    return original(self, *args, **kwargs)

scrapy.crawler.CrawlerProcess.crawl = crawl
sys.argv = ["molva", "crawl", "telegram"]
runpy.run_module("molva", run_name="__main__")
"""


@pytest.mark.timeout(900)
def test_sigterm_during_setup_stops_the_crawl(tmp_path: Path, db_url: str) -> None:
    from simulator.server import SimServer
    from simulator.world import build_world

    world = build_world(seed=3, days=1, posts_per_day=60)
    with SimServer(world, port=0) as sim:
        config = tmp_path / "sim.toml"
        write_config(config, sim.base_url, world)
        done = subprocess.run([sys.executable, "-c", SCRIPT], env=crawl_env(config, db_url), capture_output=True,
                              text=True, timeout=600, cwd=ROOT)  # a limit for a stuck crawl, not a deadline
    assert done.returncode == 0, done.stdout + done.stderr
    assert "while the crawl was starting" in done.stderr, done.stderr[-2000:]
    factory = make_sessionmaker(db_url)
    with factory() as session:
        runs = session.scalars(select(CrawlRun)).all()
    factory.kw["bind"].dispose()
    assert [(run.status, run.error_message) for run in runs] == [("partial", "interrupted before the crawl finished")], (
        done.stdout + done.stderr[-2000:])
