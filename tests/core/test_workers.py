"""Classification workers on one PostgreSQL: disjoint batches (FOR UPDATE SKIP LOCKED), a killed worker loses
nothing. Real processes (``molva classify``) against a throwaway database; skipped when PostgreSQL is not
reachable (SQLite has one writer: workers there take turns, see molva.workers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from molva.catalog import load_catalog
from molva.db import make_sessionmaker, throwaway_database, upgrade
from molva.ingest import Ingestor, MentionData, get_or_create_source, start_run
from molva.settings import SourceConfig
from tests.pg import PG_ADMIN_URL, postgres_reachable

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 3, 1, tzinfo=UTC)
BRANDS = ["Сбербанк", "ВТБ", "МТС", "Билайн", "Тинькофф", "МегаФон"]
AUDIT = """
CREATE TABLE scoring_audit (brand_mention_id integer, old_sentiment text, backend integer);
CREATE FUNCTION audit_scoring() RETURNS trigger AS $$ BEGIN
  IF NEW.classified_at IS DISTINCT FROM OLD.classified_at THEN
    INSERT INTO scoring_audit VALUES (NEW.id, OLD.sentiment, pg_backend_pid());
  END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER audit_scoring AFTER UPDATE ON brand_mentions FOR EACH ROW EXECUTE FUNCTION audit_scoring();
"""


@pytest.fixture
def pg_url() -> Iterator[str]:
    reason = postgres_reachable()
    if reason:
        pytest.skip(f"classification workers need a real PostgreSQL: {reason}")
    with throwaway_database(PG_ADMIN_URL, "molva_workers") as url:
        upgrade(url)
        factory = make_sessionmaker(url)
        with factory() as session:
            source = get_or_create_source(session, SourceConfig(name="w", kind="vk", targets=["x"]))
            ingestor = Ingestor(session, load_catalog(), source, start_run(session, source))
            ingestor.store_many([
                MentionData(kind="vk", external_id=f"1_{i}", url=f"https://vk.com/wall1_{i}",
                            text=f"{BRANDS[i % 6]}: случай {i}, {'не работает приложение' if i % 2 else 'всё хорошо'}",
                            published_at=T0 + timedelta(minutes=i))
                for i in range(300)])
            session.execute(text(AUDIT))
            session.commit()
        factory.kw["bind"].dispose()
        yield url


def _classify(url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MOLVA_DATABASE_URL": url, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "molva", "classify", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _audit(url: str) -> tuple[int, int, int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*), count(DISTINCT brand_mention_id), "
                                 "count(*) FILTER (WHERE old_sentiment IS NOT NULL) FROM scoring_audit")).one()
        left = conn.scalar(text("SELECT count(*) FROM brand_mentions WHERE sentiment IS NULL"))
    engine.dispose()
    return int(rows[0]), int(rows[1]), int(rows[2]), int(left or 0)


def test_two_workers_score_every_brand_mention_exactly_once(pg_url: str) -> None:
    done = _classify(pg_url, "--workers", "2", "--batch-size", "10")
    out, err = done.communicate(timeout=600)
    assert done.returncode == 0, err
    audited, distinct, rescored, left = _audit(pg_url)
    assert left == 0 and distinct == 300
    assert audited == 300 and rescored == 0  # no brand mention scored twice
    assert "Оценено упоминаний брендов: 300 (обработчиков: 2)" in out


def test_a_killed_worker_loses_nothing(pg_url: str) -> None:
    worker = _classify(pg_url, "--batch-size", "2")
    engine = create_engine(pg_url)
    try:
        for _ in range(1200):  # until it has committed a batch (generous: the machine is loaded)
            with engine.connect() as conn:
                if conn.scalar(text("SELECT count(*) FROM brand_mentions WHERE sentiment IS NOT NULL")):
                    break
            time.sleep(0.1)
        else:
            pytest.fail("the worker never committed a batch")
    finally:
        engine.dispose()
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=60)
    assert worker.returncode == -signal.SIGKILL
    assert _audit(pg_url)[3] > 0  # killed with work left (its batch in flight was rolled back)
    after = _classify(pg_url, "--workers", "2", "--batch-size", "20")
    _, err = after.communicate(timeout=600)
    assert after.returncode == 0, err
    audited, distinct, rescored, left = _audit(pg_url)
    assert left == 0 and distinct == 300 and audited == 300 and rescored == 0


def test_sqlite_has_one_writer_so_one_worker(db_url: str) -> None:
    done = _classify(db_url, "--workers", "2")
    out, err = done.communicate(timeout=600)
    assert done.returncode == 0, err
    assert "SQLite: одна запись за раз, работает один обработчик" in out
    assert "Оценено упоминаний брендов: 0" in out
