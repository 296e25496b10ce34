"""Конкуренты: share of voice within a brand group, sentiment by brand, and the response-rate table."""

from __future__ import annotations

from typing import Any, cast

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.context import get_context
from molva.metrics.timeseries import Granularity

ALL_BRANDS = "все бренды"


def response_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The ranked response-rate table with human-readable times next to the exact numbers."""
    out = table.copy()
    out["median_human"] = out["median_response_seconds"].map(ui.fmt_duration)
    out["p90_human"] = out["p90_response_seconds"].map(ui.fmt_duration)
    return out


RESPONSE_COLUMNS: dict[str, Any] = {
    "rank": "Место",
    "brand": "Бренд",
    "source": "Источник",
    "addressed": "Адресовано",
    "answered": "Отвечено",
    "response_rate": st.column_config.NumberColumn("Доля ответов", format="percent"),
    "median_human": "Медиана до ответа",
    "p90_human": "90-й перцентиль",
    "median_response_seconds": st.column_config.NumberColumn("Медиана, с", format="%.0f"),
    "p90_response_seconds": st.column_config.NumberColumn("P90, с", format="%.0f"),
}


def group_members(filters_brands: tuple[str, ...], known: list[str]) -> tuple[str, list[str]]:
    groups = data.brand_groups()
    options = [*sorted(groups), ALL_BRANDS]
    choice = st.selectbox("Группа брендов", options, key="cmp_group",
                          format_func=ui.group_label)
    if not groups:
        st.caption("Каталог брендов не прочитан: показаны все бренды из базы.")
    members = known if choice == ALL_BRANDS else groups.get(choice, [])
    if filters_brands:
        members = [b for b in members if b in filters_brands] or list(filters_brands)
    return choice, members


def voice_section(url: str, members: list[str]) -> None:
    filters = get_context().filters
    st.subheader("Доля голоса")
    voice = data.voice(url, filters, tuple(members), data.group_of())
    if voice.empty or not voice["mentions"].sum():
        ui.empty_note("упоминаний брендов группы за период нет")
        return
    left, right = st.columns(2)
    left.altair_chart(alt.Chart(voice).mark_arc(innerRadius=50).encode(
        theta="mentions:Q", color=alt.Color("brand:N", title="Бренд"),
        tooltip=[alt.Tooltip("brand:N", title="Бренд"), alt.Tooltip("mentions:Q", title="Упоминаний"),
                 alt.Tooltip("share:Q", title="Доля голоса", format=".1%")],
    ), width="stretch")
    voice_columns: dict[str, Any] = {
        "brand": "Бренд", "mentions": "Упоминаний",
        "share": st.column_config.NumberColumn("Доля голоса", format="percent"),
        "negative_share": st.column_config.NumberColumn("Доля негатива", format="percent"),
        "sentiment_index": st.column_config.NumberColumn("Индекс тональности", format="%.2f"),
    }
    right.dataframe(voice.drop(columns=["group"]), hide_index=True, width="stretch", column_config=voice_columns)
    st.subheader("Тональность по брендам")
    melted = voice.melt(id_vars=["brand"], value_vars=["sentiment_index", "negative_share"])
    melted["variable"] = melted["variable"].map({"sentiment_index": "Индекс тональности",
                                                 "negative_share": "Доля негатива"})
    st.altair_chart(alt.Chart(melted).mark_bar().encode(
        x=alt.X("value:Q", title=None), y=alt.Y("brand:N", title="Бренд"), color=alt.Color("variable:N", title=None),
        yOffset="variable:N",
        tooltip=[alt.Tooltip("brand:N", title="Бренд"), alt.Tooltip("variable:N", title="Показатель"),
                 alt.Tooltip("value:Q", title="Значение", format=".2f")],
    ), width="stretch")


def response_section(url: str, members: list[str]) -> None:
    context = get_context()
    filters = context.filters
    st.subheader("Скорость и доля ответов")
    st.caption("Жалобы и вопросы, адресованные бренду там, где он может ответить; доля отвеченных "
               "официальными аккаунтами и время до первого ответа.")
    table = data.responses(url, filters)
    if not table.empty:
        table = table[table["brand"].isin(members)] if members else table
    if table.empty:
        ui.empty_note("адресованных бренду обращений за период нет")
        return
    shown = response_frame(table)
    st.dataframe(shown, hide_index=True, width="stretch", key="response_table",
                 column_order=["rank", "brand", "addressed", "answered", "response_rate", "median_human",
                               "p90_human", "median_response_seconds", "p90_response_seconds"],
                 column_config=RESPONSE_COLUMNS)
    granularity = st.radio("Шаг динамики", ["day", "week"], index=1, horizontal=True,
                           format_func=ui.GRANULARITY_LABELS.__getitem__, key="cmp_granularity")
    by_source, trend = data.response_breakdown(url, filters, cast(Granularity, granularity))
    if not by_source.empty:
        by_source = by_source[by_source["brand"].isin(shown["brand"])]
        st.markdown("**По источникам**")
        st.dataframe(response_frame(by_source), hide_index=True, width="stretch",
                     column_order=["brand", "source", "addressed", "answered", "response_rate", "median_human",
                                   "p90_human"], column_config=RESPONSE_COLUMNS)
    if not trend.empty:
        trend = trend[trend["brand"].isin(shown["brand"])]
        st.markdown("**Динамика доли ответов**")
        st.altair_chart(alt.Chart(trend).mark_line(point=True).encode(
            x=alt.X("bucket:T", title="Период", axis=alt.Axis(format="%d.%m.%Y", labelAngle=0)),
            y=alt.Y("response_rate:Q", title="Доля ответов", axis=alt.Axis(format="%")),
            color=alt.Color("brand:N", title="Бренд"),
            tooltip=[alt.Tooltip("bucket:T", title="Период", format="%d.%m.%Y"), alt.Tooltip("brand:N", title="Бренд"),
                     alt.Tooltip("addressed:Q", title="Адресовано"), alt.Tooltip("answered:Q", title="Отвечено"),
                     alt.Tooltip("response_rate:Q", title="Доля ответов", format=".1%")],
        ), width="stretch")


def page() -> None:
    context = get_context()
    st.title("Конкуренты")
    st.caption(f"Период: {ui.period_caption(context.filters)}.")
    _, members = group_members(context.filters.brands, data.known_brands(context.url))
    url, filters = context.url, context.filters
    granularity = cast(Granularity, st.session_state.get("cmp_granularity", "week"))
    groups = data.group_of()
    data.prefetch(
        lambda: data.voice(url, filters, tuple(members), groups),
        lambda: data.responses(url, filters),
        lambda: data.response_breakdown(url, filters, granularity),
    )
    voice_section(context.url, members)
    response_section(context.url, members)


page()
