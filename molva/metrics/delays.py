"""Exact median and 90th percentile of reply delays, picked by the database.

The answer-time figures of response rates are the ``statistics.median`` and the inclusive 90th percentile of
``statistics.quantiles`` over the delays of every answered addressed brand mention (first reply of known time).
Reading each of those rows into Python costs about a second per 200,000 rows; here the database numbers the
delays of each group in order (``row_number()`` over a window) and returns only the two or four order statistics
those formulas need, so the result is the same to the last bit. Inside :func:`molva.metrics.rollup.raw_only` the
delays are read and computed in Python as before, which the tests compare against.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Numeric, cast, func, or_, select
from sqlalchemy.orm import Session

from molva.metrics import rollup
from molva.metrics.filters import MetricsFilter
from molva.models import BrandMention, Mention, Source

Quantiles = tuple[float | None, float | None]  # median, 90th percentile (seconds)


def reply_delay(session: Session) -> ColumnElement[Any]:
    """Seconds from a brand mention's post to the brand's first reply, computed by the database (to the
    millisecond)."""
    if session.get_bind().dialect.name == "postgresql":
        seconds: ColumnElement[Any] = func.extract("epoch", BrandMention.first_reply_at - BrandMention.published_at)
    else:
        seconds = (func.julianday(BrandMention.first_reply_at) - func.julianday(BrandMention.published_at)) * 86400.0
    return func.round(cast(seconds, Numeric), 3)


def percentile(values: list[float], q: float) -> float | None:
    """The inclusive ``q`` quantile of ``statistics.quantiles`` (``values`` in any order)."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return float(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1])


def quantiles_of(values: list[float]) -> Quantiles:
    """Median and 90th percentile of a list (the definition the database path reproduces)."""
    return (statistics.median(values) if values else None), percentile(values, 0.9)


def _from_ranks(n: int, at: dict[int, float]) -> Quantiles:
    """Median and 90th percentile of ``n`` sorted values of which ``at`` holds the needed ones (1-based ranks):
    the arithmetic of ``statistics.median`` and ``statistics.quantiles(n=100, method="inclusive")[89]``."""
    if n % 2:
        median = at[n // 2 + 1]
    else:
        median = (at[n // 2] + at[n // 2 + 1]) / 2
    if n == 1:
        return median, at[1]
    j, delta = divmod(90 * (n - 1), 100)
    return median, float((at[j + 1] * (100 - delta) + at[j + 2] * delta) / 100)


def _base(filters: MetricsFilter, keys: Sequence[Any], join_source: bool, *columns: Any) -> Any:
    query = select(*keys, *columns).select_from(BrandMention)
    if not filters.include_official or join_source or filters.sources:
        query = query.join(Mention, Mention.id == BrandMention.mention_id)
    if join_source or filters.sources:
        query = query.join(Source, Source.id == Mention.source_id)
    query = query.where(BrandMention.addressed.is_(True), BrandMention.first_reply_at.is_not(None),
                        BrandMention.first_reply_known.is_(True))
    return filters.apply(query)


def delay_quantiles(session: Session, filters: MetricsFilter, keys: Sequence[Any],
                    join_source: bool = False) -> dict[tuple[Any, ...], Quantiles]:
    """Per group of ``keys`` (columns of BrandMention, Mention or Source; ``join_source`` when Source's are among
    them): the median and 90th percentile of the reply delays of the filtered answered brand mentions whose first
    reply's time is known. Groups without such a delay are left out."""
    delay = reply_delay(session)
    if rollup.is_raw_only():
        delays: dict[tuple[Any, ...], list[float]] = {}
        for *key, value in session.execute(_base(filters, keys, join_source, delay)):
            delays.setdefault(tuple(key), []).append(max(float(value), 0.0))
        return {key: quantiles_of(values) for key, values in delays.items()}
    labelled = [key.label(f"k{i}") for i, key in enumerate(keys)]
    ranked = _base(filters, labelled, join_source, delay.label("delay"),
                   func.row_number().over(partition_by=list(keys), order_by=delay).label("rn"),
                   func.count().over(partition_by=list(keys)).label("n")).subquery()
    n, rn = ranked.c.n, ranked.c.rn
    p90 = (n - 1) * 90 // 100
    wanted = or_(rn == (n - 1) // 2 + 1, rn == n // 2 + 1, rn == p90 + 1, rn == p90 + 2)
    picked: dict[tuple[Any, ...], tuple[int, dict[int, float]]] = {}
    columns = [ranked.c[f"k{i}"] for i in range(len(keys))]
    for *key, count, rank, value in session.execute(select(*columns, n, rn, ranked.c.delay).where(wanted)):
        # the delays are ordered as computed; clamping at zero keeps that order
        picked.setdefault(tuple(key), (int(count), {}))[1][int(rank)] = max(float(value), 0.0)
    return {key: _from_ranks(count, at) for key, (count, at) in picked.items()}
