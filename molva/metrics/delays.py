"""Median and 90th percentile of the answer times (reply delays) of answered addressed brand mentions.

An answer time is the delay from a post to the brand's first official reply when that reply's time is known
(``first_reply_known``); the figures are ``statistics.median`` and the inclusive 90th percentile of
``statistics.quantiles``. The delays are read from ``brand_mentions.reply_delay_ms`` (kept by
:func:`molva.rollups.record_reply`) through the covering ``ix_brand_mentions_addressed`` index, and posts of
official accounts are left out by their ids (``ix_mentions_official``), so no mention row is joined unless
sources are filtered or grouped. Inside :func:`molva.metrics.rollup.raw_only` the delays are computed from the
timestamps instead, which the tests compare against.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select
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
    return (statistics.median(values) if values else None), percentile(values, 0.9)


def _query(filters: MetricsFilter, keys: Sequence[Any], join_source: bool, *columns: Any) -> Any:
    query = select(*keys, *columns).select_from(BrandMention).where(BrandMention.addressed.is_(True))
    if join_source or filters.sources:  # the source is the mention's: join it
        query = query.join(Mention, Mention.id == BrandMention.mention_id).join(Source, Source.id == Mention.source_id)
        return filters.apply(query)
    query = replace(filters, include_official=True).apply(query)
    if not filters.include_official:
        official = select(Mention.id).where(Mention.official_brand.is_not(None))
        query = query.where(BrandMention.mention_id.not_in(official))
    return query


def delay_quantiles(session: Session, filters: MetricsFilter, keys: Sequence[Any],
                    join_source: bool = False) -> dict[tuple[Any, ...], Quantiles]:
    """Per group of ``keys`` (columns of BrandMention, or of Source with ``join_source``): the median and 90th
    percentile of the answer times, in seconds, of the filtered addressed brand mentions. Groups without an
    answer time are left out."""
    delays: dict[tuple[Any, ...], list[float]] = {}
    if rollup.is_raw_only():  # from the timestamps
        query = _query(filters, keys, join_source, BrandMention.published_at, BrandMention.first_reply_at).where(
            BrandMention.first_reply_at.is_not(None), BrandMention.first_reply_known.is_(True))
        for *key, published_at, replied_at in session.execute(query):
            delays.setdefault(tuple(key), []).append(reply_delay_ms(published_at, replied_at) / 1000)
    else:
        query = _query(filters, keys, join_source, BrandMention.reply_delay_ms).where(
            BrandMention.reply_delay_ms.is_not(None))
        for *key, milliseconds in session.execute(query):
            delays.setdefault(tuple(key), []).append(milliseconds / 1000)
    return {key: quantiles_of(values) for key, values in delays.items()}
