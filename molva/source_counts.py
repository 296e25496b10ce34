"""Mentions stored per source (``source_counts``), kept in the transaction that stores or deletes them.

The source health (:func:`molva.metrics.source_health`) reads these few rows instead of counting every mention
(1.1 s on PostgreSQL at 3,000,000). Writers:

* the ingestor adds its inserted rows per batch (:func:`add`, one upsert per batch);
* every mention added or deleted through the ORM is counted by an ``after_flush`` hook on all sessions
  (:func:`install`, imported with :mod:`molva.rollups`);
* whoever inserts or deletes mentions with a bulk statement calls :func:`add` (``molva.privacy`` does, with
  :func:`of_mentions` before its delete) or :func:`rebuild` afterwards (the benchmark generators do).

Database triggers were measured first (``benchmarks/source_counts_cost.py``): a row trigger (SQLite has no
other kind) halved SQLite's plain inserts and cost ``molva.ingest`` 11-14 %; PostgreSQL's statement trigger
measured 0.81x and 1.11x in two runs on the busy machine (not resolved). One upsert per batch costs neither.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, Table, delete, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from molva.models import Mention, SourceCount

COUNTS: Table = SourceCount.__table__  # type: ignore[assignment]
MENTIONS: Table = Mention.__table__  # type: ignore[assignment]


def add(connection: Connection | Session, counts: Mapping[int, int]) -> None:
    """Add ``counts`` (source id -> mentions, negative to take away) to the stored counts, in source order."""
    rows = [{"source_id": source_id, "mentions": n} for source_id, n in sorted(counts.items()) if n]
    if not rows:
        return
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(COUNTS)
    stmt = stmt.on_conflict_do_update(index_elements=["source_id"],
                                      set_={"mentions": COUNTS.c.mentions + stmt.excluded.mentions})
    connection.execute(stmt, rows)


def of_mentions(connection: Connection | Session, mention_ids: Iterable[int]) -> Counter[int]:
    """How many of ``mention_ids`` each source has (to take away before deleting them)."""
    ids = list(mention_ids)
    counts: Counter[int] = Counter()
    for start in range(0, len(ids), 10_000):
        query = (select(MENTIONS.c.source_id, func.count()).where(MENTIONS.c.id.in_(ids[start:start + 10_000]))
                 .group_by(MENTIONS.c.source_id))
        for source_id, n in connection.execute(query):
            counts[source_id] += int(n)
    return counts


def recount(connection: Connection | Session) -> dict[int, int]:
    """The counts afresh from the mentions."""
    query = select(MENTIONS.c.source_id, func.count()).group_by(MENTIONS.c.source_id)
    return {source_id: int(n) for source_id, n in connection.execute(query)}


def stored(connection: Connection | Session) -> dict[int, int]:
    """The stored counts (zeros left out)."""
    return {source_id: int(n) for source_id, n in connection.execute(select(COUNTS.c.source_id, COUNTS.c.mentions))
            if n}


def rebuild(connection: Connection | Session) -> None:
    """Recount every source's mentions (after raw inserts or deletes that did not call :func:`add`)."""
    connection.execute(delete(COUNTS))
    add(connection, recount(connection))


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    counts: Counter[int] = Counter()
    for obj in session.new:
        if isinstance(obj, Mention) and obj.source_id is not None:
            counts[obj.source_id] += 1
    for obj in session.deleted:
        if isinstance(obj, Mention) and obj.source_id is not None:
            counts[obj.source_id] -= 1
    if counts:
        add(session.connection(), counts)


def install() -> None:
    """Count every mention the ORM adds or deletes (all sessions; idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


install()
