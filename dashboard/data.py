"""Settings, the engine and cached calls into :mod:`molva.metrics` (every number on the pages comes from here).

Cached functions take the database URL and plain, hashable filter values, so two databases (the tests'
data and empty ones) never share an entry. ``st.cache_resource`` holds one engine per URL; ``st.cache_data``
keeps results for :data:`TTL` seconds. Writes (corrections, topic status, comments) clear the data cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from molva.board import TopicDetail
from molva.metrics import BrandStats, MetricsFilter, brand_stats, source_health
from molva.metrics.competitors import response_slices, response_table, share_of_voice
from molva.metrics.explorer import ExplorerPage, ExplorerQuery, safe_url, search_mentions
from molva.metrics.health import recent_runs
from molva.metrics.reach import ReachRow, top_authors, top_places
from molva.metrics.sources import SourceStats, source_stats
from molva.metrics.support import urgent_complaints
from molva.metrics.timeseries import (
    Granularity,
    PeriodComparison,
    SpikeMarker,
    comparison_of,
    mention_timeseries,
    previous_period,
    source_breakdown,
    spikes,
)
from molva.models import BrandRollup, Source
from molva.settings import Settings, load_settings

TTL = 300
SQLITE_MMAP_BYTES = 1 << 30


def settings() -> Settings:
    """The same settings as the CLI: ``MOLVA_CONFIG`` (set by ``molva dashboard``) and ``MOLVA_*``."""
    return load_settings()


def db_url() -> str:
    return settings().db_url


def _sqlite_read_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Memory-mapped reads: the dashboard scans large ranges of brand mentions (about half the time)."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB
    cursor.close()


@st.cache_resource(show_spinner=False)
def _engine(url: str, read_only: bool = True) -> Engine:
    """The read engine never takes SQLite's write lock (WAL readers do not wait for the crawlers);
    the write engine (corrections, support-queue edits) takes it when its transaction begins."""
    from molva.db import make_engine

    engine = make_engine(url, read_only=read_only)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_read_pragmas)
    return engine


def schema_ready(url: str) -> bool:
    """Whether the database has Molva's tables (``molva db upgrade`` creates them)."""
    from molva.db import is_current

    return is_current(_engine(url))


@st.cache_resource(show_spinner=False)
def _factory(url: str, read_only: bool = True) -> sessionmaker[Session]:
    return sessionmaker(bind=_engine(url, read_only), expire_on_commit=False)


@contextmanager
def read_session(url: str) -> Iterator[Session]:
    with _factory(url)() as session:
        yield session


@contextmanager
def write_session(url: str) -> Iterator[Session]:
    """A session that commits on success; clears the data cache afterwards."""
    with _factory(url, read_only=False)() as session, session.begin():
        yield session
    st.cache_data.clear()


def prefetch(*calls: Callable[[], object]) -> None:
    """Run a page's independent cached queries side by side (the database does the work, not Python).

    Results land in the ``st.cache_data`` cache, so the page's own calls that follow are cache hits.
    """
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    context = get_script_run_ctx()

    def attach() -> None:
        if context is not None:
            add_script_run_ctx(threading.current_thread(), context)

    with ThreadPoolExecutor(max_workers=min(4, len(calls)) or 1, initializer=attach) as pool:
        for future in [pool.submit(call) for call in calls]:
            future.result()


def frame(rows: list[Any]) -> pd.DataFrame:
    return pd.DataFrame([asdict(r) for r in rows])


# --- catalog ---------------------------------------------------------------------------------------


@st.cache_data(ttl=TTL, show_spinner=False)
def catalog_groups(catalog_path: str | None) -> dict[str, list[str]]:
    """Brand groups of the catalog (``{}`` when the catalog cannot be read; the page says so)."""
    from pathlib import Path

    try:
        from molva.catalog import load_brands

        brands = load_brands(Path(catalog_path) if catalog_path else None)  # names and groups: no matcher
    except Exception:  # a missing or broken catalog must not take the dashboard down
        return {}
    groups: dict[str, list[str]] = {}
    for brand in brands:
        groups.setdefault(brand.group, []).append(brand.name)
    return groups


def brand_groups() -> dict[str, list[str]]:
    path = settings().catalog_path
    return catalog_groups(str(path) if path else None)


def colours() -> dict[str, str]:
    """One colour per brand on every page (:func:`dashboard.brands.palette`)."""
    from dashboard.brands import palette

    return palette(brand_groups(), known_brands(db_url()))


def group_of() -> dict[str, str]:
    return {brand: group for group, brands in brand_groups().items() for brand in brands}


# --- filter choices --------------------------------------------------------------------------------


@st.cache_data(ttl=TTL, show_spinner=False)
def known_brands(url: str) -> list[str]:
    """The catalog's brands and every brand with a stored mention (from the rollups: a few rows per brand)."""
    with read_session(url) as session:
        stored = set(session.scalars(select(BrandRollup.brand).where(BrandRollup.metric == "mentions")
                                     .group_by(BrandRollup.brand).having(func.sum(BrandRollup.count) > 0)))
    catalog = {b for brands in brand_groups().values() for b in brands}
    return sorted(stored | catalog)


@st.cache_data(ttl=TTL, show_spinner=False)
def known_sources(url: str) -> list[str]:
    with read_session(url) as session:
        return sorted(session.scalars(select(Source.name)))


# --- overview --------------------------------------------------------------------------------------


@st.cache_data(ttl=TTL, show_spinner=False)
def timeseries(url: str, filters: MetricsFilter, granularity: Granularity) -> pd.DataFrame:
    with read_session(url) as session:
        points = mention_timeseries(session, filters, granularity)
    df = frame(points)
    if not df.empty:
        classified = df["negative"] + df["neutral"] + df["positive"]
        df["negative_share"] = (df["negative"] / classified.where(classified > 0)).fillna(0.0)
        df["sentiment_index"] = ((df["positive"] - df["negative"]) / classified.where(classified > 0)).fillna(0.0)
    return df


@st.cache_data(ttl=TTL, show_spinner=False)
def brand_rows(url: str, filters: MetricsFilter) -> list[BrandStats]:
    """:func:`molva.metrics.brand_stats` (brands with mentions only), shared by the KPIs and the table."""
    with read_session(url) as session:
        return brand_stats(session, filters)


def brands_table(url: str, filters: MetricsFilter, groups: dict[str, str]) -> pd.DataFrame:
    rows = brand_rows(url, filters)
    df = frame(rows)
    if not df.empty:
        df["group"] = [groups.get(r.brand) for r in rows]
        df["negative_share"] = [r.negative_share for r in rows]
        df["sentiment_index"] = [r.sentiment_index for r in rows]
    return df


def comparison(url: str, filters: MetricsFilter) -> PeriodComparison:
    """KPIs of the period and of the previous period of the same length."""
    before = previous_period(filters)
    return comparison_of(brand_rows(url, filters), brand_rows(url, before) if before else [], before)


@st.cache_data(ttl=TTL, show_spinner=False)
def sources_breakdown(url: str, filters: MetricsFilter) -> pd.DataFrame:
    with read_session(url) as session:
        return frame(source_breakdown(session, filters))


@st.cache_data(ttl=TTL, show_spinner=False)
def spike_markers(url: str, filters: MetricsFilter) -> list[SpikeMarker]:
    with read_session(url) as session:
        return spikes(session, filters)


# --- competitors -----------------------------------------------------------------------------------


@st.cache_data(ttl=TTL, show_spinner=False)
def voice(url: str, filters: MetricsFilter, members: tuple[str, ...], groups: dict[str, str]) -> pd.DataFrame:
    with read_session(url) as session:
        return frame(share_of_voice(session, filters, members, groups))


@st.cache_data(ttl=TTL, show_spinner=False)
def responses(url: str, filters: MetricsFilter) -> pd.DataFrame:
    """The response-rate table: exactly :func:`molva.metrics.response_stats`, ranked."""
    with read_session(url) as session:
        return frame(response_table(session, filters))


def _slices(slices: list[Any], key: str) -> pd.DataFrame:
    return pd.DataFrame([{key: s.key, **asdict(s.stats)} for s in slices])


@st.cache_data(ttl=TTL, show_spinner=False)
def response_breakdown(url: str, filters: MetricsFilter, granularity: Granularity) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Response stats by source and over time (one scan)."""
    with read_session(url) as session:
        by_source, trend = response_slices(session, filters, granularity)
    return _slices(by_source, "source"), _slices(trend, "bucket")


# --- explorer, support, sources ---------------------------------------------------------------------


@st.cache_data(ttl=TTL, show_spinner=False)
def explore(url: str, spec: ExplorerQuery, limit: int, offset: int = 0) -> ExplorerPage:
    with read_session(url) as session:
        return search_mentions(session, spec, limit=limit, offset=offset)


@st.cache_data(ttl=TTL, show_spinner=False)
def topics(url: str, brands: tuple[str, ...], open_only: bool) -> pd.DataFrame:
    """Support topics from :mod:`molva.board`, the ones due first, with overdue flags."""
    from molva.board import list_topics

    now = datetime.now(UTC)
    with read_session(url) as session:
        summaries = list_topics(session, open_only=open_only, limit=1000)
    rows = [
        {**asdict(t), "overdue": t.overdue(now), "source_url": safe_url(t.mention_urls[0]) if t.mention_urls else None,
         "url": safe_url(t.url)}
        for t in summaries
        if not brands or t.brand in brands
    ]
    df = pd.DataFrame(rows)
    if not df.empty:
        df = df.sort_values(["due_at", "created_at"], na_position="last", kind="stable").reset_index(drop=True)
    return df


@st.cache_data(ttl=TTL, show_spinner=False)
def topic_urgency(url: str, ids: tuple[int, ...]) -> dict[int, float]:
    from molva.metrics.queue import topic_urgency as urgency

    with read_session(url) as session:
        return urgency(session, ids)


@st.cache_data(ttl=TTL, show_spinner=False)
def topic_detail(url: str, topic_id: int) -> TopicDetail | None:
    from molva.board import get_topic

    with read_session(url) as session:
        return get_topic(session, topic_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def urgent(url: str, filters: MetricsFilter, threshold: float) -> pd.DataFrame:
    with read_session(url) as session:
        return frame(urgent_complaints(session, filters, threshold))


@st.cache_data(ttl=TTL, show_spinner=False)
def reach(url: str, filters: MetricsFilter, limit: int = 15) -> tuple[list[ReachRow], list[ReachRow]]:
    """Top authors and top places (:mod:`molva.metrics.reach`)."""
    with read_session(url) as session:
        return top_authors(session, filters, limit), top_places(session, filters, limit)


@st.cache_data(ttl=TTL, show_spinner=False)
def source_counts(url: str, filters: MetricsFilter) -> list[SourceStats]:
    with read_session(url) as session:
        return source_stats(session, filters)


@st.cache_data(ttl=TTL, show_spinner=False)
def health(url: str) -> pd.DataFrame:
    with read_session(url) as session:
        return frame(source_health(session))


@st.cache_data(ttl=TTL, show_spinner=False)
def runs(url: str, limit: int = 50) -> pd.DataFrame:
    with read_session(url) as session:
        return frame(recent_runs(session, limit))
