"""Bulk statements that stay fast on both databases.

SQLite: SQLAlchemy Core multi-row ``INSERT … ON CONFLICT … RETURNING`` and ``IN (…)`` lists. PostgreSQL: the
rows go through ``COPY`` into a temporary staging table and one ``INSERT … SELECT … ON CONFLICT`` moves them
(one statement however many rows; no statement with thousands of parameters to build and parse), and lookups
bind one array (``= ANY(:values)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
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


def driver_connection(bind: Session | Connection) -> Any:
    """The DBAPI connection under ``bind`` (its statements run in the same transaction)."""
    connection = bind.connection() if isinstance(bind, Session) else bind
    dbapi = connection.connection.driver_connection
    assert dbapi is not None
    return dbapi


def sqlite_in(cursor: Any, sql: str, values: Sequence[Any], params: Sequence[Any] = (),
              chunk: int = 500) -> list[tuple[Any, ...]]:
    """SQLite: the rows of ``sql`` for each ``chunk`` of ``values``; ``{}`` in ``sql`` becomes ``?, ?, …``
    (after the fixed ``params``)."""
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(values), chunk):
        part = values[start:start + chunk]
        out.extend(cursor.execute(sql.format(",".join("?" * len(part))), (*params, *part)).fetchall())
    return out


def sqlite_insert(cursor: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                  conflict: str = "", returning: str = "", chunk: int = 0) -> list[tuple[Any, ...]]:
    """SQLite: multi-row ``INSERT … VALUES (…), (…) {conflict} {returning}`` of tuples, in chunks that stay under
    SQLite's 32,766 parameters; the rows ``returning`` names come back."""
    if not rows:
        return []
    width = len(columns)
    chunk = chunk or max(1, min(500, 32_000 // width))
    one = "(" + ",".join("?" * width) + ")"
    head = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES '
    tail = f" {conflict}" + (f" RETURNING {returning}" if returning else "")
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        values = list(chain.from_iterable(part))
        found = cursor.execute(head + ",".join([one] * len(part)) + tail, values)
        if returning:
            out.extend(found.fetchall())
    return out


def copy_insert(bind: Session | Connection, table: Table, rows: Sequence[Any], *, conflict: str = "",
                returning: Sequence[str] = (), columns: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """PostgreSQL: insert ``rows`` through COPY into a staging table, in order: dicts with the same keys, or
    tuples of ``columns``.

    ``conflict``: the ``ON CONFLICT …`` clause; ``returning``: columns to hand back (for the rows inserted).
    """
    if not rows:
        return []
    if not columns:
        columns = list(rows[0])
        rows = [tuple(row[c] for c in columns) for row in rows]
    names = ", ".join(f'"{c}"' for c in columns)
    stage = f"molva_stage_{table.name}"
    with driver_connection(bind).cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS "  # the columns' types, no constraints
                       f'SELECT 0::bigint AS molva_ord, t.* FROM "{table.name}" t WITH NO DATA')
        with cursor.copy(f"COPY {stage} (molva_ord, {names}) FROM STDIN") as copy:
            for number, row in enumerate(rows):
                copy.write_row((number, *row))
        tail = f" RETURNING {', '.join(returning)}" if returning else ""
        cursor.execute(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {stage} ORDER BY molva_ord '
                       f"{conflict}{tail}")
        out = [tuple(r) for r in cursor.fetchall()] if returning else []
        cursor.execute(f"TRUNCATE {stage}")
    return out
