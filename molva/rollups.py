"""Rollups: brand mentions counted per brand × hour × source × official, kept current as rows change.

Dashboards and ``molva report`` read these few rows instead of scanning every brand mention. Each brand
mention *contributes* to its hour's rows (:func:`contribution`): one mention, its sentiment ("" when not yet
classified), its intent, its aspects, whether it was addressed to the brand, answered, and the bucket of its
reply delay — only when the first reply's time is known (``BrandMention.first_reply_known``: banki.ru Q&A answers
already there at first sight have no time; they count as answered, not in the delays). A change of a brand mention subtracts its old contribution and adds its new one, in the same
transaction as the change:

* the ingestor adds the contributions of the brand mentions it inserts and moves them when a first official
  reply arrives (``BrandMention.first_reply_at``), with bulk statements;
* every ORM change of a :class:`~molva.models.BrandMention` (classification, corrections, aspects) and every
  :class:`~molva.models.OfficialReply` added through the ORM is counted by an ``after_flush`` hook on all
  sessions (:func:`install`). A bulk ``UPDATE brand_mentions`` written
  elsewhere must call :func:`apply` itself — or run :func:`rebuild` (``molva db rollups``), which recounts
  from the raw rows (also after deleting mentions).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, event, inspect, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import get_history

from molva.models import BrandMention, BrandRollup, Mention, OfficialReply, as_utc

ROLLUPS: Table = BrandRollup.__table__  # type: ignore[assignment]
BRAND_MENTIONS: Table = BrandMention.__table__  # type: ignore[assignment]
MENTIONS: Table = Mention.__table__  # type: ignore[assignment]
# upper bounds (seconds) of the reply-delay histogram buckets: 5, 15, 30 min, 1, 2, 4, 8, 12 h, 1, 2, 3, 7 days
DELAY_BUCKETS = (300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 259200, 604800)
TRACKED = ("brand", "published_at", "sentiment", "intent", "aspects", "addressed", "first_reply_at",
           "first_reply_known")

Key = tuple[str, datetime, int, bool, str, str]  # brand, hour, source id, official, metric, value


def hour_of(moment: datetime) -> datetime:
    return as_utc(moment).replace(minute=0, second=0, microsecond=0)


def reply_delay_ms(published_at: datetime, replied_at: datetime) -> int:
    """Milliseconds from a post to a reply, as ``brand_mentions.reply_delay_ms`` keeps them: exact, rounded half
    up, 0 for a reply stamped before its post."""
    delta = as_utc(replied_at) - as_utc(published_at)
    micro = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return (max(micro, 0) + 500) // 1000


def delay_bucket(seconds: float) -> str:
    for bound in DELAY_BUCKETS:
        if seconds <= bound:
            return str(bound)
    return "inf"


def contribution(counts: Counter[Key], sign: int, *, brand: str, published_at: datetime, source_id: int,
                 official: bool, sentiment: str | None, intent: str | None, aspects: Iterable[Any] | None,
                 addressed: bool | None, first_reply_at: datetime | None,
                 first_reply_known: bool | None = False) -> None:
    """Add (``sign`` = 1) or take away (-1) what one brand mention counts for."""
    base = (brand, hour_of(published_at), source_id, official)
    counts[(*base, "mentions", "")] += sign
    counts[(*base, "sentiment", sentiment or "")] += sign
    if intent is not None:
        counts[(*base, "intent", intent)] += sign
    for code in dict.fromkeys(str(a) for a in aspects or ()):
        counts[(*base, "aspect", code)] += sign
    if addressed:
        counts[(*base, "addressed", "")] += sign
        if first_reply_at is not None:
            counts[(*base, "answered", "")] += sign
        if first_reply_at is not None and first_reply_known:
            delay = max((as_utc(first_reply_at) - as_utc(published_at)).total_seconds(), 0.0)
            counts[(*base, "delay", delay_bucket(delay))] += sign


def apply(connection: Connection | Session, counts: Counter[Key]) -> None:
    """Add ``counts`` to the rollup rows (upsert, in key order so that concurrent writers never deadlock)."""
    items = [(k, n) for k, n in sorted(counts.items()) if n]
    if not items:
        return
    from molva.ingest.bulk import copy_insert, driver_connection, is_postgres

    engine = connection.get_bind() if isinstance(connection, Session) else connection
    if engine.dialect.driver == "pysqlite":  # the driver's executemany: no per-row work in SQLAlchemy
        hour = ROLLUPS.c.hour.type.dialect_impl(engine.dialect).bind_processor(engine.dialect)
        assert hour is not None
        driver_connection(connection).executemany(
            "INSERT INTO brand_rollups (brand, hour, source_id, official, metric, value, count) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (brand, hour, source_id, official, metric, value) "
            "DO UPDATE SET count = brand_rollups.count + excluded.count",
            [(k[0], hour(k[1]), k[2], bool(k[3]), k[4], k[5], n) for k, n in items])
        return
    rows = [{"brand": k[0], "hour": k[1], "source_id": k[2], "official": k[3], "metric": k[4], "value": k[5],
             "count": n} for k, n in items]
    if is_postgres(connection):  # COPY into a staging table, one INSERT … SELECT … ON CONFLICT
        copy_insert(connection, ROLLUPS, rows, conflict=(
            "ON CONFLICT (brand, hour, source_id, official, metric, value) "
            "DO UPDATE SET count = brand_rollups.count + excluded.count"))
        return
    stmt = sqlite.insert(ROLLUPS)
    stmt = stmt.on_conflict_do_update(
        index_elements=["brand", "hour", "source_id", "official", "metric", "value"],
        set_={"count": ROLLUPS.c.count + stmt.excluded.count},
    )
    connection.execute(stmt, rows)


def recount(connection: Connection | Session, mention_ids: Iterable[int] | None = None,
            sign: int = 1) -> Counter[Key]:
    """The rollups counted afresh from the raw rows (only those of ``mention_ids`` when given; ``sign`` -1
    gives what those rows must take away before they are deleted)."""
    counts: Counter[Key] = Counter()
    query = select(
        BRAND_MENTIONS.c.brand, BRAND_MENTIONS.c.published_at, MENTIONS.c.source_id, MENTIONS.c.official_brand,
        BRAND_MENTIONS.c.sentiment, BRAND_MENTIONS.c.intent, BRAND_MENTIONS.c.aspects, BRAND_MENTIONS.c.addressed,
        BRAND_MENTIONS.c.first_reply_at, BRAND_MENTIONS.c.first_reply_known,
    ).join(MENTIONS, MENTIONS.c.id == BRAND_MENTIONS.c.mention_id)
    if mention_ids is not None:
        query = query.where(BRAND_MENTIONS.c.mention_id.in_(list(mention_ids)))
    # streamed (a server-side cursor on PostgreSQL): a full recount at 10,000,000 rows holds only the counts
    for row in connection.execute(query.execution_options(yield_per=50_000)):
        contribution(counts, sign, brand=row.brand, published_at=row.published_at, source_id=row.source_id,
                     official=row.official_brand is not None, sentiment=row.sentiment, intent=row.intent,
                     aspects=row.aspects, addressed=row.addressed, first_reply_at=row.first_reply_at,
                     first_reply_known=row.first_reply_known)
    return counts


def stored(connection: Connection | Session) -> Counter[Key]:
    """The rollup rows as they are (zero counts left out)."""
    counts: Counter[Key] = Counter()
    query = select(ROLLUPS.c.brand, ROLLUPS.c.hour, ROLLUPS.c.source_id, ROLLUPS.c.official, ROLLUPS.c.metric,
                   ROLLUPS.c.value, ROLLUPS.c.count).where(ROLLUPS.c.count != 0)
    for brand, hour, source_id, official, metric, value, count in connection.execute(query):
        counts[(brand, hour_of(hour), source_id, bool(official), metric, value)] += int(count)
    return counts


def rebuild(connection: Connection | Session) -> int:
    """Recount every rollup row from the raw rows (after a bulk change or a deletion); returns the rows."""
    counts = recount(connection)
    connection.execute(delete(ROLLUPS))
    apply(connection, counts)
    return sum(1 for n in counts.values() if n)


def record_reply(connection: Connection | Session, mention_id: int, brand: str, replied_at: datetime,
                 known: bool = True) -> None:
    """An official reply of ``brand`` to a mention: keep ``brand_mentions.first_reply_at`` (the earliest
    reply), ``first_reply_known`` (whether a reply at that moment has a known time, ``known``), its
    ``reply_delay_ms`` and ``reply_source_id`` (the mention's source; both only when known) and the answered and
    delay counts current."""
    bm = BRAND_MENTIONS.c
    row = connection.execute(
        select(bm.id, bm.published_at, bm.sentiment, bm.intent, bm.aspects, bm.addressed, bm.first_reply_at,
               bm.first_reply_known, MENTIONS.c.source_id, MENTIONS.c.official_brand)
        .join(MENTIONS, MENTIONS.c.id == bm.mention_id)
        .where(bm.mention_id == mention_id, bm.brand == brand)
    ).first()
    replied_at = as_utc(replied_at)
    if row is None:
        return
    old_at, old_known = row.first_reply_at, bool(row.first_reply_known)
    if old_at is None or replied_at < as_utc(old_at):
        new_at, new_known = replied_at, bool(known)
    elif replied_at == as_utc(old_at) and known and not old_known:  # the same moment, now with a known time
        new_at, new_known = as_utc(old_at), True
    else:
        return
    connection.execute(update(BRAND_MENTIONS).where(bm.id == row.id).values(
        first_reply_at=new_at, first_reply_known=new_known,
        reply_delay_ms=reply_delay_ms(row.published_at, new_at) if new_known else None,
        reply_source_id=row.source_id if new_known else None))
    if not row.addressed:
        return
    counts: Counter[Key] = Counter()
    state = {"brand": brand, "published_at": row.published_at, "source_id": row.source_id,
             "official": row.official_brand is not None, "sentiment": row.sentiment, "intent": row.intent,
             "aspects": row.aspects, "addressed": True}
    contribution(counts, -1, first_reply_at=old_at, first_reply_known=old_known, **state)
    contribution(counts, 1, first_reply_at=new_at, first_reply_known=new_known, **state)
    apply(connection, counts)


# --- the ORM hook ------------------------------------------------------------------------------------------


def _state(obj: BrandMention, old: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in TRACKED:
        history = get_history(obj, name)
        if old and history.deleted:
            values[name] = history.deleted[0]
        elif old and history.added:  # set from nothing loaded: no old value known
            values[name] = None if name != "addressed" else False
        else:
            values[name] = getattr(obj, name)
    return values


def _changed(obj: BrandMention) -> bool:
    return any(get_history(obj, name).has_changes() for name in TRACKED)


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    replies = [o for o in session.new if isinstance(o, OfficialReply)]
    if replies:
        connection = session.connection()
        for reply in replies:
            record_reply(connection, reply.mention_id, reply.brand, reply.replied_at,
                         known=reply.replied_at_known is not False)
    added = [o for o in session.new if isinstance(o, BrandMention)]
    deleted = [o for o in session.deleted if isinstance(o, BrandMention)]
    dirty = [o for o in session.dirty if isinstance(o, BrandMention) and o not in session.deleted and _changed(o)]
    if not (added or deleted or dirty):
        return
    connection = session.connection()
    mention_ids = {o.mention_id for o in (*added, *deleted, *dirty)}
    owners = {row.id: (row.source_id, row.official_brand is not None) for row in connection.execute(
        select(MENTIONS.c.id, MENTIONS.c.source_id, MENTIONS.c.official_brand).where(MENTIONS.c.id.in_(mention_ids)))}
    counts: Counter[Key] = Counter()

    def count(obj: BrandMention, sign: int, values: dict[str, Any]) -> None:
        owner = owners.get(obj.mention_id)
        if owner is None or values["published_at"] is None or values["brand"] is None:
            return
        contribution(counts, sign, source_id=owner[0], official=owner[1], **values)

    for obj in added:
        count(obj, 1, _state(obj, old=False))
    for obj in deleted:
        if inspect(obj).persistent or inspect(obj).deleted:
            count(obj, -1, _state(obj, old=True))
    for obj in dirty:
        count(obj, -1, _state(obj, old=True))
        count(obj, 1, _state(obj, old=False))
    apply(connection, counts)


def install() -> None:
    """Count every ORM change of a brand mention into the rollups (all sessions; idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


install()
