"""Median and 90th percentile of the answer times (reply delays) of answered addressed brand mentions.

An answer time is the delay from a post to the brand's first official reply when that reply's time is known
(``first_reply_known``); the figures are ``statistics.median`` and the inclusive 90th percentile of
``statistics.quantiles``. The delays are read from ``brand_mentions.reply_delay_ms`` (kept by
:func:`molva.rollups.record_reply`) through the covering ``ix_brand_mentions_addressed`` index, and posts of
official accounts are left out by their ids (``ix_mentions_official``), so no mention row is joined. Where sources
are filtered or grouped, an answer time's source is ``brand_mentions.reply_source_id`` (kept with the delay),
read through the partial ``ix_brand_mentions_answer_times`` index of answered rows. Per brand, only the values at
the median's and the percentile's positions are read, along ``ix_brand_mentions_reply_delay`` (each brand's answer
times in order). Inside :func:`molva.metrics.rollup.raw_only` the delays are computed from the mentions'
timestamps instead, which the tests compare against.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Boolean, bindparam, func, select, text
from sqlalchemy.orm import Session

from molva.metrics import rollup
from molva.metrics.filters import MetricsFilter
from molva.models import BrandMention, Mention, Source
from molva.rollups import reply_delay_ms

Quantiles = tuple[float | None, float | None]  # median, 90th percentile (seconds)


def percentile(values: list[float], q: float) -> float | None:
    """The inclusive ``q`` quantile of ``statistics.quantiles`` (``values`` in any order)."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return float(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1])


def quantiles_of(values: list[float]) -> Quantiles:
    """``statistics.median`` and the inclusive 90th percentile of ``values``, sorting them once."""
    if not values:
        return None, None
    ordered = sorted(values)
    n = len(ordered)
    middle, high = (n - 1) // 2, 90 * (n - 1) // 100
    return _from_ranks(n, ordered[middle:middle + 2], ordered[high:high + 2])


def quantiles_of_ms(milliseconds: list[int]) -> Quantiles:
    """:func:`quantiles_of` of the delays ``milliseconds`` / 1000: the integers are sorted and only the four picked
    values divided (the same seconds: division by 1000 keeps the order)."""
    if not milliseconds:
        return None, None
    ordered = sorted(milliseconds)
    n = len(ordered)
    middle, high = (n - 1) // 2, 90 * (n - 1) // 100
    return _from_ranks(n, [ms / 1000 for ms in ordered[middle:middle + 2]],
                       [ms / 1000 for ms in ordered[high:high + 2]])


def _from_ranks(n: int, middle: list[float], high: list[float]) -> Quantiles:
    """Median and 90th percentile of ``n`` sorted values, given the two at 0-based position ``(n - 1) // 2``
    (``middle``) and at ``90 * (n - 1) // 100`` (``high``): the arithmetic of ``statistics.median`` and of
    ``statistics.quantiles(n=100, method="inclusive")[89]``."""
    median = middle[0] if n % 2 else (middle[0] + middle[1]) / 2
    if n == 1:
        return median, high[0]
    delta = 90 * (n - 1) % 100
    return median, float((high[0] * (100 - delta) + high[1] * delta) / 100)


def _ordered_sql(session: Session, filters: MetricsFilter) -> tuple[str, list[Any]]:
    """FROM and WHERE of the answer times along ``ix_brand_mentions_reply_delay`` (named on SQLite, whose
    planner would rather read a period's rows through the addressed index and sort them for every offset)."""
    hint = " INDEXED BY ix_brand_mentions_reply_delay" if session.get_bind().dialect.name == "sqlite" else ""
    sql = f"FROM brand_mentions{hint} WHERE reply_delay_ms IS NOT NULL AND addressed = :yes"
    binds: list[Any] = [bindparam("yes", True, type_=Boolean)]
    moment = BrandMention.published_at.type
    if filters.since is not None:
        sql += " AND published_at >= :since"
        binds.append(bindparam("since", filters.since, type_=moment))
    if filters.until is not None:
        sql += " AND published_at < :until"
        binds.append(bindparam("until", filters.until, type_=moment))
    if filters.brands:
        sql += " AND brand IN :brands"
        binds.append(bindparam("brands", list(filters.brands), expanding=True))
    if not filters.include_official:
        sql += " AND mention_id NOT IN (SELECT id FROM mentions WHERE official_brand IS NOT NULL)"
    return sql, binds


def _by_brand(session: Session, filters: MetricsFilter) -> dict[tuple[Any, ...], Quantiles]:
    """Per brand, without reading every delay: count each brand's answer times, then read the two values at
    the median's and at the percentile's position (``ORDER BY … LIMIT 2 OFFSET k`` along
    ``ix_brand_mentions_reply_delay``, each brand's answer times in order)."""
    where, binds = _ordered_sql(session, filters)
    counts = session.execute(text(f"SELECT brand, count(*) {where} GROUP BY brand").bindparams(*binds)).all()
    nth = text(f"SELECT reply_delay_ms {where} AND brand = :brand ORDER BY reply_delay_ms LIMIT 2 OFFSET :k")
    result: dict[tuple[Any, ...], Quantiles] = {}
    for brand, n in counts:
        middle, high = ([ms / 1000 for ms in session.scalars(nth.bindparams(*binds, brand=brand, k=k))]
                        for k in ((n - 1) // 2, 90 * (n - 1) // 100))
        result[(brand,)] = _from_ranks(int(n), middle, high)
    return result


def _query(filters: MetricsFilter, keys: Sequence[Any], join_source: bool, *columns: Any) -> Any:
    query = select(*keys, *columns).select_from(BrandMention).where(BrandMention.addressed.is_(True))
    if (join_source or filters.sources) and rollup.is_raw_only():  # the source is the mention's: join it
        query = query.join(Mention, Mention.id == BrandMention.mention_id).join(Source, Source.id == Mention.source_id)
        return filters.apply(query)
    if join_source or filters.sources:  # an answer time's source is on its row (reply_source_id): no mention read
        query = query.join(Source, Source.id == BrandMention.reply_source_id)
    query = replace(filters, include_official=True).apply(query)
    if not filters.include_official:
        official = select(Mention.id).where(Mention.official_brand.is_not(None))
        query = query.where(BrandMention.mention_id.not_in(official))
    return query


def delay_lists(session: Session, filters: MetricsFilter, keys: Sequence[Any],
                join_source: bool = False) -> dict[tuple[Any, ...], list[int]]:
    """Per group of ``keys`` (columns of BrandMention, or of Source with ``join_source``): the answer times, in
    milliseconds (``brand_mentions.reply_delay_ms``), of the filtered addressed brand mentions (groups without
    one left out). PostgreSQL hands each group's times over as one array (``array_agg``), not a row each."""
    delays: dict[tuple[Any, ...], list[int]] = {}
    if rollup.is_raw_only():  # from the timestamps
        query = _query(filters, keys, join_source, BrandMention.published_at, BrandMention.first_reply_at).where(
            BrandMention.first_reply_at.is_not(None), BrandMention.first_reply_known.is_(True))
        for *key, published_at, replied_at in session.execute(query):
            delays.setdefault(tuple(key), []).append(reply_delay_ms(published_at, replied_at))
        return delays
    if session.get_bind().dialect.name == "postgresql":
        query = _query(filters, keys, join_source, func.array_agg(BrandMention.reply_delay_ms)).where(
            BrandMention.reply_delay_ms.is_not(None)).group_by(*keys)
        for *key, milliseconds in session.execute(query):
            delays[tuple(key)] = [int(ms) for ms in milliseconds]
        return delays
    query = _query(filters, keys, join_source, BrandMention.reply_delay_ms).where(
        BrandMention.reply_delay_ms.is_not(None))
    for *key, ms in session.execute(query):
        delays.setdefault(tuple(key), []).append(int(ms))
    return delays


def delay_quantiles(session: Session, filters: MetricsFilter, keys: Sequence[Any],
                    join_source: bool = False) -> dict[tuple[Any, ...], Quantiles]:
    """Per group of ``keys`` (as :func:`delay_lists`): the median and 90th percentile of the answer times, in
    seconds. Per brand alone they are read at two offsets (:func:`_by_brand`), not from every delay."""
    if not rollup.is_raw_only() and len(keys) == 1 and keys[0] is BrandMention.brand and not (
            join_source or filters.sources):
        return _by_brand(session, filters)
    return {key: quantiles_of_ms(values) for key, values in delay_lists(session, filters, keys, join_source).items()}
