"""Classification workers: several processes (or machines) scoring one database's new brand mentions.

Each worker repeats: begin a transaction, claim the oldest unscored brand mentions that no other worker holds
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, in ``classifier.scoring.classify_pending``), score them,
write their alerts, commit. The claim is the row locks of that transaction, so

* no two workers ever score the same brand mention (the second one skips the locked rows);
* a worker killed mid-batch loses nothing: its connection drops, PostgreSQL rolls its transaction back and
  the rows are free for the next claim;
* a worker that hangs holds its batch only for the lease: the server ends a session idle in a transaction
  for longer than ``lease_seconds`` (``idle_in_transaction_session_timeout``) and the batch is claimed again.

On SQLite the database has one writer: a transaction takes the write lock when it begins, so workers take
turns (correct, never faster than one); ``molva classify --workers N`` runs one worker there and says so.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url

from molva.db import make_engine, session_scope
from molva.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 600


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def run_worker(settings: Settings, *, limit: int | None = None, model: Any = None,
               lease_seconds: int = DEFAULT_LEASE_SECONDS) -> int:
    """Claim, score and commit batches until nothing is left (or ``limit``); returns the number scored."""
    from sqlalchemy.orm import sessionmaker

    from alerts.rules import enqueue_alerts
    from classifier.scoring import classify_pending as score_batch
    from molva.catalog import load_catalog
    from molva.pipeline import load_sentiment_model

    model = model if model is not None else load_sentiment_model(settings.model_path)
    catalog = load_catalog(settings.catalog_path)
    kwargs: dict[str, Any] = {}
    if not is_sqlite(settings.db_url):
        kwargs["connect_args"] = {"options": f"-c idle_in_transaction_session_timeout={lease_seconds * 1000}"}
    engine = make_engine(settings.db_url, **kwargs)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    batch_size = settings.scheduler.classify_batch_size
    total = 0
    try:
        while limit is None or total < limit:
            size = batch_size if limit is None else min(batch_size, limit - total)
            moment = datetime.now(UTC)
            with session_scope(factory) as session:
                scored = score_batch(session, model, limit=size, now=moment, catalog=catalog)
                if not scored:
                    break
                enqueue_alerts(session, scored, settings.alerts, moment)
            total += len(scored)
            log.info("worker %d: classified %d brand mentions (%d in all)", os.getpid(), len(scored), total)
    finally:
        engine.dispose()
    return total


def _child(settings: Settings, model_path: str | None, queue: Any) -> None:
    from molva.pipeline import load_sentiment_model

    try:
        queue.put(run_worker(settings, model=load_sentiment_model(model_path)))
    except BaseException as exc:  # reported by the parent
        queue.put(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
        raise


def run_workers(settings: Settings, workers: int, model_path: str | None = None) -> int:
    """``workers`` worker processes on this machine until nothing is left; returns the number scored."""
    if workers <= 1 or is_sqlite(settings.db_url):
        from molva.pipeline import load_sentiment_model

        return run_worker(settings, model=load_sentiment_model(model_path))
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=_child, args=(settings, model_path, queue), daemon=False)
                 for _ in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    results: list[Any] = []
    while len(results) < len(processes):
        try:
            results.append(queue.get(timeout=1))
        except Exception:  # queue.Empty: a worker died without a word
            break
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]
    if len(results) < len(processes):
        codes = [p.exitcode for p in processes]
        raise RuntimeError(f"a classification worker stopped (exit codes {codes}); its batch is claimed again")
    return sum(int(r) for r in results)
