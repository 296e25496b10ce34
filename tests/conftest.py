"""Shared fixtures: a real database per test run (SQLite, and PostgreSQL when reachable), rolled back per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.pg import PG_ADMIN_URL, postgres_reachable

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.pop("MOLVA_CONFIG", None)
for _key in [k for k in os.environ if k.startswith("MOLVA_")]:
    os.environ.pop(_key)

# Files whose tests take a minute or more (real processes, a crawled world). They are collected first, so that
# under pytest-xdist (`make pytest`: --dist loadfile --no-loadscope-reorder, files handed out in collection
# order) they start at once instead of ending the run as the last file on one worker while the others idle.
SLOW_FIRST = (
    "tests/alerts/test_sim_end_to_end.py",
    "tests/crawlers/test_topology.py",
    "tests/core/test_workers.py",
    "tests/core/test_scheduler.py",
    "tests/core/test_demo.py",
    "tests/crawlers/test_lost_database.py",
    "tests/core/test_rollups.py",
    "tests/crawlers/test_scale_out.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(SLOW_FIRST)))  # stable: the rest keep order


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own data dir and no MOLVA_* settings from the machine."""
    monkeypatch.setenv("MOLVA_DATA_DIR", str(tmp_path / "molva-data"))


def _migrated(url: str) -> Engine:
    from molva.db import make_engine, upgrade

    upgrade(url)
    return make_engine(url)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'molva.db'}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    from molva.db import throwaway_database

    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    with throwaway_database(PG_ADMIN_URL, "molva_test") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = _migrated(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = _migrated(postgres_url)
    yield engine
    engine.dispose()


def _rollback_session(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def session(sqlite_engine: Engine) -> Iterator[Session]:
    """A session on the migrated SQLite test database; everything it does is rolled back."""
    yield from _rollback_session(sqlite_engine)


@pytest.fixture(params=["sqlite", "postgres"])
def any_session(request: pytest.FixtureRequest) -> Iterator[Session]:
    """The same, once on SQLite and once on PostgreSQL (skipped with a reason when unreachable)."""
    engine = request.getfixturevalue(f"{request.param}_engine")
    yield from _rollback_session(engine)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh, migrated SQLite file for tests that run commands or processes against a real file."""
    url = f"sqlite:///{tmp_path / 'molva.db'}"
    from molva.db import upgrade

    upgrade(url)
    return url
