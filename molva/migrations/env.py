"""Alembic environment: the URL comes from the caller (molva.db.upgrade) or MOLVA_* settings."""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.runtime.environment import NameFilterParentNames, NameFilterType
from sqlalchemy import Connection

from molva.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from molva.settings import load_settings

    return load_settings().db_url


# Tables that live in Molva's database but are not Molva's models: APScheduler's job store
# (molva.scheduler.JOBS_TABLE, created by APScheduler itself). Autogenerate and `alembic check` ignore them.
FOREIGN_TABLES = frozenset({"molva_scheduler_jobs"})


def include_name(name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames) -> bool:
    if type_ == "table":
        return name not in FOREIGN_TABLES
    if type_ in ("index", "unique_constraint", "column", "foreign_key_constraint"):
        return parent_names.get("table_name") not in FOREIGN_TABLES
    return True


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Indexes of one database kind only (``info["dialects"]``, e.g. the pg_trgm indexes) are compared on that
    kind only."""
    dialects = getattr(obj, "info", {}).get("dialects") if type_ == "index" and not reflected else None
    return dialects is None or context.get_bind().dialect.name in dialects


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from molva.db import make_engine

    engine = make_engine(_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, render_as_batch=True, literal_binds=True,
                      include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
