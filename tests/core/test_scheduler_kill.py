"""A crawl process killed after the SIGTERM grace period leaves no run "running" (its runs are closed by the
scheduler): the SIGTERM test no longer depends on how fast a loaded machine stops Scrapy."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from molva.db import make_engine
from molva.models import CrawlRun, Source
from molva.scheduler import Runtime, stop_children
from molva.settings import load_settings


def test_killed_crawl_runs_are_closed(db_url: str) -> None:
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        news, other = Source(name="news", kind="rss"), Source(name="other", kind="rss")
        session.add_all([news, other])
        session.flush()
        session.add(CrawlRun(source_id=news.id, status="running", started_at=datetime.now(UTC)))
        session.add(CrawlRun(source_id=news.id, status="running",  # another process's older run: not ours
                             started_at=datetime.now(UTC) - timedelta(hours=1)))
        session.add(CrawlRun(source_id=other.id, status="running", started_at=datetime.now(UTC)))
    runtime = Runtime(load_settings(None, database_url=db_url))
    # A child that ignores SIGTERM, as a crawl stuck in a slow shutdown would.
    child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, "
                              "signal.SIG_IGN); print('ready', flush=True); time.sleep(600)"],
                             stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
    runtime.children["news"] = child  # type: ignore[assignment]
    runtime.started["news"] = datetime.now(UTC) - timedelta(seconds=30)
    stop_children(runtime, grace=0.1)
    assert child.poll() is not None
    with Session(engine) as session:
        rows = session.execute(select(Source.name, CrawlRun.status, CrawlRun.started_at)
                               .join(Source).order_by(CrawlRun.id)).all()
    engine.dispose()
    assert [(name, status) for name, status, _ in rows] == [("news", "partial"), ("news", "running"),
                                                            ("other", "running")]
