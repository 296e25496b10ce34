"""Bulk statements that stay fast on both databases.

SQLite: SQLAlchemy Core multi-row ``INSERT … ON CONFLICT … RETURNING`` and ``IN (…)`` lists. PostgreSQL: the
rows go through ``COPY`` into a temporary staging table and one ``INSERT … SELECT … ON CONFLICT`` moves them
(one statement however many rows; no statement with thousands of parameters to build and parse), and lookups
bind one array (``= ANY(:values)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session


def is_postgres(bind: Session | Connection) -> bool:
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


def one_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)`` (one parameter)."""
    if is_postgres(session):
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


def copy_insert(bind: Session | Connection, table: Table, rows: Sequence[dict[str, Any]], *, conflict: str = "",
                returning: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """PostgreSQL: insert ``rows`` (dicts with the same keys) through COPY into a staging table, in order.

    ``conflict``: the ``ON CONFLICT …`` clause; ``returning``: columns to hand back (for the rows inserted).
    """
    if not rows:
        return []
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    stage = f"molva_stage_{table.name}"
    connection = bind.connection() if isinstance(bind, Session) else bind
    dbapi = connection.connection.driver_connection
    assert dbapi is not None
    with dbapi.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS "  # the columns' types, no constraints
                       f'SELECT 0::bigint AS molva_ord, t.* FROM "{table.name}" t WITH NO DATA')
        with cursor.copy(f"COPY {stage} (molva_ord, {names}) FROM STDIN") as copy:
            for number, row in enumerate(rows):
                copy.write_row([number, *(row[c] for c in columns)])
        tail = f" RETURNING {', '.join(returning)}" if returning else ""
        cursor.execute(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {stage} ORDER BY molva_ord '
                       f"{conflict}{tail}")
        out = [tuple(r) for r in cursor.fetchall()] if returning else []
        cursor.execute(f"TRUNCATE {stage}")
    return out
