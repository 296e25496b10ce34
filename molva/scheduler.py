"""``molva run``: one scheduler process (APScheduler 3, SQLAlchemy job store on the Molva database).

Each configured source has a job ``crawl:<name>`` on its own interval; a crawl runs in a subprocess
(``python -m molva crawl <name>``) and is followed by classification of the new mentions and alert
dispatch (``molva.pipeline.classify_pending`` / ``dispatch_alerts``). ``classify`` and ``dispatch`` jobs
also run on their own intervals. Job ids are fixed and jobs are added with ``replace_existing=True`` (a
restart creates no duplicates) while keeping a stored ``next_run_time`` when the interval is unchanged,
so with ``coalesce=True`` and ``misfire_grace_time`` the runs missed while stopped are caught up once.
SIGTERM/SIGINT stop the scheduler and send SIGTERM to running crawls (Scrapy then closes gracefully and
commits what it stored), killing them only after a grace period.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from molva.settings import Settings

log = logging.getLogger(__name__)

JOBS_TABLE = "molva_scheduler_jobs"
CHILD_GRACE_SECONDS = 30.0


class Runtime:
    """What the job functions need: the settings and the running crawl subprocesses."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stopping = threading.Event()
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.started: dict[str, datetime] = {}  # when each running crawl subprocess was started
        self.lock = threading.Lock()
        self.stage_lock = threading.Lock()  # classify / dispatch never run twice at once


_runtime: Runtime | None = None


def _current() -> Runtime:
    if _runtime is None:
        raise RuntimeError("the scheduler runtime is not set up (call run_scheduler)")
    return _runtime


def crawl_command(settings: Settings, name: str) -> list[str]:
    command = [sys.executable, "-m", "molva"]
    if settings.config_path is not None:
        command += ["--config", str(settings.config_path)]
    return [*command, "crawl", name]


def child_env() -> dict[str, str]:
    """The environment of a crawl subprocess: ours, with the project root importable."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in parts:
        env["PYTHONPATH"] = os.pathsep.join([root, *parts])
    return env


def run_stage(name: str) -> int | None:
    """Call ``molva.pipeline.<name>(settings)``; a missing or failing stage is logged, not fatal."""
    runtime = _current()
    try:
        module = importlib.import_module("molva.pipeline")
        stage: Callable[[Settings], int] = getattr(module, name)
    except (ImportError, AttributeError) as exc:
        log.warning("stage %s is not available: %s", name, exc)
        return None
    with runtime.stage_lock:
        try:
            count = stage(runtime.settings)
        except Exception:
            log.exception("stage %s failed", name)
            return None
    log.info("%s: %d", name, count)
    return count


def crawl_job(name: str) -> int | None:
    """Crawl one source in a subprocess, then classify and dispatch. Returns the crawl's exit code."""
    runtime = _current()
    if runtime.stopping.is_set():
        return None
    command = crawl_command(runtime.settings, name)
    log.info("crawl %s: %s", name, " ".join(command))
    with runtime.lock:
        runtime.started[name] = datetime.now(UTC)
        child = subprocess.Popen(command, env=child_env())
        runtime.children[name] = child
    try:
        code = child.wait()
    finally:
        with runtime.lock:
            runtime.children.pop(name, None)
    log.info("crawl %s finished with exit code %s", name, code)
    if not runtime.stopping.is_set():
        run_stage("classify_pending")
    if not runtime.stopping.is_set():
        run_stage("dispatch_alerts")
    return code


def classify_job() -> int | None:
    return None if _current().stopping.is_set() else run_stage("classify_pending")


def dispatch_job() -> int | None:
    return None if _current().stopping.is_set() else run_stage("dispatch_alerts")


def privacy_job() -> int | None:
    """Retention and removal of posts deleted at the source (``[privacy]``)."""
    return None if _current().stopping.is_set() else run_stage("privacy_upkeep")


def weekly_report_job() -> str | None:
    """Write the weekly HTML report (and post the webhook notice); a failure is logged, not fatal."""
    runtime = _current()
    if runtime.stopping.is_set():
        return None
    from molva.weekly_html import publish_weekly

    try:
        path = publish_weekly(runtime.settings)
    except Exception:
        log.exception("weekly report failed")
        return None
    log.info("weekly report: %s", path)
    return str(path)


def stop_children(runtime: Runtime, grace: float = CHILD_GRACE_SECONDS) -> None:
    """SIGTERM every running crawl (a graceful Scrapy shutdown), SIGKILL those still alive after ``grace``
    (their runs, which the killed process could not close, are closed here as interrupted)."""
    with runtime.lock:
        children = list(runtime.children.items())
        started = dict(runtime.started)
    for _, child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for name, child in children:
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log.warning("crawl process %d did not stop in %.0fs: killing it", child.pid, grace)
            child.kill()
            child.wait()
            close_killed_runs(runtime.settings, name, started.get(name))


def close_killed_runs(settings: Settings, name: str, since: datetime | None) -> None:
    """Runs of source ``name`` opened by a crawl process we killed (since ``since``) become "partial"."""
    from sqlalchemy import select

    from molva.db import make_sessionmaker, session_scope
    from molva.models import CrawlRun, Source

    factory = make_sessionmaker(settings.db_url)
    try:
        with session_scope(factory) as session:
            query = (select(CrawlRun).join(Source, Source.id == CrawlRun.source_id)
                     .where(Source.name == name, CrawlRun.status == "running"))
            if since is not None:
                query = query.where(CrawlRun.started_at >= since - timedelta(seconds=1))
            for run in session.scalars(query):
                run.status = "partial"
                run.finished_at = datetime.now(UTC)
                run.error_message = "interrupted: the crawl process was killed while stopping"
    except Exception:  # the next crawl's start closes stale runs too
        log.exception("could not close the runs of the killed crawl %s", name)
    finally:
        factory.kw["bind"].dispose()


def make_scheduler(settings: Settings) -> Any:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=settings.db_url, tablename=JOBS_TABLE)},
        executors={"default": {"type": "threadpool", "max_workers": max(4, len(settings.sources) + 2)}},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": settings.scheduler.misfire_grace_time},
        timezone=UTC,
    )


def job_specs(settings: Settings) -> list[tuple[str, str, list[str], int]]:
    """(job id, function reference, args, interval seconds) for every job of this configuration."""
    specs = [(f"crawl:{s.name}", "molva.scheduler:crawl_job", [s.name], s.interval)
             for s in settings.sources if s.enabled]
    specs.append(("classify", "molva.scheduler:classify_job", [], settings.scheduler.classify_interval))
    specs.append(("dispatch", "molva.scheduler:dispatch_job", [], settings.scheduler.dispatch_interval))
    if settings.privacy.retention_days or settings.privacy.recheck_days:
        specs.append(("privacy", "molva.scheduler:privacy_job", [], settings.privacy.recheck_interval))


    if settings.scheduler.weekly_report:
        specs.append(("weekly-report", "molva.scheduler:weekly_report_job", [],
                      settings.scheduler.weekly_report_interval))
    return specs


def sync_jobs(scheduler: Any, settings: Settings, now: datetime | None = None) -> list[str]:
    """Add or update the configured jobs (fixed ids, ``replace_existing``), drop jobs of removed sources.

    A stored job whose interval did not change keeps its ``next_run_time`` (possibly in the past: it is then
    run once, coalesced, if within ``misfire_grace_time``); a new or changed job runs first right away.
    """
    from apscheduler.triggers.interval import IntervalTrigger

    now = now or datetime.now(UTC)
    wanted = job_specs(settings)
    ids = {job_id for job_id, *_ in wanted}
    for job in scheduler.get_jobs():
        if job.id not in ids:
            log.info("removing job %s (no longer configured)", job.id)
            scheduler.remove_job(job.id)
    for job_id, func, args, interval in wanted:
        existing = scheduler.get_job(job_id)
        same = (
            existing is not None
            and isinstance(existing.trigger, IntervalTrigger)
            and existing.trigger.interval == timedelta(seconds=interval)
            and list(existing.args) == args
        )
        next_run = existing.next_run_time if same and existing.next_run_time is not None else now
        scheduler.add_job(
            func, IntervalTrigger(seconds=interval, start_date=next_run, timezone=UTC), args=args, id=job_id,
            name=job_id, replace_existing=True, next_run_time=next_run,
        )
    return [job_id for job_id, *_ in wanted]


def run_scheduler(settings: Settings, stop_after: float | None = None) -> None:
    """Run until SIGTERM/SIGINT (or ``stop_after`` seconds, for tests and demos)."""
    global _runtime
    from molva.db import upgrade

    upgrade(settings.db_url)
    runtime = Runtime(settings)
    _runtime = runtime
    scheduler = make_scheduler(settings)
    scheduler.start(paused=True)
    job_ids = sync_jobs(scheduler, settings)
    log.warning("scheduler started: %s", ", ".join(job_ids))

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.warning("signal %d: stopping the scheduler", signum)
        runtime.stopping.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.resume()
        runtime.stopping.wait(timeout=stop_after)
    finally:
        runtime.stopping.set()
        scheduler.pause()
        stop_children(runtime)
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _runtime = None
        log.warning("scheduler stopped")


def run_once(settings: Settings) -> dict[str, int | None]:
    """Every job once, in order (crawls one after another), without the scheduler."""
    global _runtime
    from molva.db import upgrade

    upgrade(settings.db_url)
    _runtime = Runtime(settings)
    try:
        results: dict[str, int | None] = {}
        for source in settings.sources:
            if source.enabled:
                results[f"crawl:{source.name}"] = crawl_job(source.name)
        return results
    finally:
        _runtime = None
