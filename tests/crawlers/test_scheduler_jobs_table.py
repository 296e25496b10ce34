"""APScheduler's job table lives in Molva's database but is not a Molva model: `alembic check` ignores it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from molva.db import alembic_config, upgrade
from molva.models import Base
from molva.scheduler import JOBS_TABLE


def test_alembic_check_is_clean_on_a_database_the_scheduler_used(tmp_path: Path) -> None:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    url = f"sqlite:///{tmp_path / 'molva.db'}"
    upgrade(url)
    store = SQLAlchemyJobStore(url=url, tablename=JOBS_TABLE)
    store.start(BackgroundScheduler(), "default")  # creates the job table, as `molva run` does
    store.shutdown()
    engine = create_engine(url)
    try:
        assert JOBS_TABLE in inspect(engine).get_table_names()
        with engine.connect() as conn:  # without the filter, autogenerate would drop the table
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert any(d[0] == "remove_table" and d[1].name == JOBS_TABLE for d in diff if isinstance(d, tuple))
    finally:
        engine.dispose()
    command.check(alembic_config(url))  # raises when autogenerate finds anything to do
