"""The local PostgreSQL server the storage tests use when it is reachable (a throwaway database per run)."""

from __future__ import annotations

import socket

from sqlalchemy import create_engine

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN_URL = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/postgres"


def postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason to skip."""
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            pass
    except OSError as exc:
        return f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} ({exc})"
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"PostgreSQL at {PG_HOST}:{PG_PORT} refused user postgres ({exc})"
    return None
