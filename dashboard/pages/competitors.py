"""Конкуренты: share of voice within a brand group, sentiment by brand, and the response-rate table."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import brands as brand_colours
from dashboard import data, ui
from dashboard.context import get_context
from molva import fmt
from molva.metrics import MetricsFilter
from molva.metrics.timeseries import Granularity

ALL_BRANDS = "все бренды"


def response_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The ranked response-rate table: the exact numbers (kept in the frame) and, shown, their Russian text
    (``<column>_ru``) and human-readable times."""
    out = table.copy()
    out["median_human"] = out["median_response_seconds"].map(ui.fmt_duration)
    out["p90_human"] = out["p90_response_seconds"].map(ui.fmt_duration)
    shown = ui.russian(out, RESPONSE_KINDS)
    for column in RESPONSE_KINDS:
        if column in out.columns:
            out[f"{column}_ru"] = shown[column]
    return out


RESPONSE_COLUMNS: dict[str, Any] = {
    "rank_ru": st.column_config.TextColumn("Место", help="Место по доле ответов среди брендов выбранной группы."),
    "brand": "Бренд",
    "source": "Источник",
    "addressed_ru": "Адресовано",
    "answered_ru": "Отвечено",
    "response_rate_ru": st.column_config.TextColumn(
        "Доля ответов", help="Доля адресованных бренду жалоб и вопросов, на которые ответил его официальный аккаунт."),
    "median_human": "Медиана до ответа",
    "p90_human": "90-й перцентиль",
    "median_response_seconds_ru": "Медиана, с",
    "p90_response_seconds_ru": "P90, с",
}
RESPONSE_KINDS = {"rank": "number", "addressed": "number", "answered": "number", "response_rate": "percent",
                  "median_response_seconds": "number", "p90_response_seconds": "number"}


def group_members(filters_brands: tuple[str, ...], known: list[str], focus_group: str | None) -> tuple[str, list[str]]:
    groups = data.brand_groups()
    options = [*sorted(groups), ALL_BRANDS]
    index = options.index(focus_group) if focus_group in options else 0
    choice = st.selectbox("Группа брендов", options, index=index, key="cmp_group",
                          format_func=ui.group_label, help="По умолчанию — группа вашего бренда; место и доли "
                                                           "считаются среди брендов выбранной группы.")
    if not groups:
        st.caption("Каталог брендов не прочитан: показаны все бренды из базы.")
    members = known if choice == ALL_BRANDS else groups.get(choice, [])
    if filters_brands:
        members = [b for b in members if b in filters_brands] or list(filters_brands)
    return choice, members


def voice_section(url: str, members: list[str]) -> None:
    context = get_context()
    filters = context.filters
    st.subheader(ui.VOICE_SHARE)
    voice = data.voice(url, filters, tuple(members), data.group_of())
    if voice.empty or not voice["mentions"].sum():
        ui.empty_note("упоминаний брендов группы за период нет")
        return
    colours = data.colours()
    totals = dict(zip(voice["brand"], voice["mentions"], strict=True))
    keep = brand_colours.shown_brands(totals, context.focus)
    pie = brand_colours.fold_others(voice[["brand", "mentions", "share"]], keep)
    pie = pie[pie["mentions"] > 0]
    order = brand_colours.legend_order(keep, pie)
    pie["order"] = pie["brand"].map({b: i for i, b in enumerate(order)})
    left, right = st.columns([2, 3])
    left.altair_chart(alt.Chart(pie).transform_calculate(share_ru=ui.vega_percent("share")).mark_arc(innerRadius=50).encode(
        theta="mentions:Q", color=brand_colours.colour(order, colours, columns=2), order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("brand:N", title="Бренд"), alt.Tooltip("mentions:Q", title=ui.MENTIONS),
                 alt.Tooltip("share_ru:N", title=ui.VOICE_SHARE)],
    ), width="stretch")
    voice = voice.sort_values(["mentions", "brand"], ascending=[False, True]).reset_index(drop=True)
    voice.insert(0, "place", [i + 1 if m else None for i, m in enumerate(voice["mentions"])])  # within the group
    no_tone = voice["negative_share"].isna() | (voice["mentions"] == 0)
    voice.loc[no_tone, ["negative_share", "sentiment_index"]] = None
    right.dataframe(ui.russian(voice.drop(columns=["group"]), ui.BRAND_KINDS), hide_index=True, width="stretch",
                    column_config=ui.BRAND_COLUMNS,
                    column_order=["place", "brand", "mentions", "share", "negative_share", "sentiment_index"])
    st.subheader("Тональность по брендам")
    shown = voice[voice["mentions"] > 0]
    left, right = st.columns(2)  # a 0..1 share and a −1..1 index never share an axis
    left.altair_chart(alt.Chart(shown).transform_calculate(value_ru=ui.vega_percent("negative_share")).mark_bar().encode(
        x=alt.X("negative_share:Q", title=ui.NEGATIVE_SHARE, axis=alt.Axis(labelExpr=ui.PERCENT_AXIS_LABELS),
                scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("brand:N", title=None, sort=list(shown["brand"])),
        color=alt.Color("brand:N", scale=alt.Scale(domain=list(shown["brand"]),
                                                   range=[colours.get(b, "#888") for b in shown["brand"]]), legend=None),
        tooltip=[alt.Tooltip("brand:N", title="Бренд"),
                 alt.Tooltip("value_ru:N", title=ui.NEGATIVE_SHARE)],
    ).properties(title=ui.NEGATIVE_SHARE), width="stretch")
    right.altair_chart(alt.Chart(shown).transform_calculate(value_ru=ui.vega_signed("sentiment_index")).mark_bar().encode(
        x=alt.X("sentiment_index:Q", title=ui.SENTIMENT_INDEX, scale=alt.Scale(domain=[-1, 1]),
                axis=alt.Axis(labelExpr=ui.DECIMAL_AXIS_LABELS)),
        y=alt.Y("brand:N", title=None, sort=list(shown["brand"])),
        color=alt.Color("brand:N", scale=alt.Scale(domain=list(shown["brand"]),
                                                   range=[colours.get(b, "#888") for b in shown["brand"]]), legend=None),
        tooltip=[alt.Tooltip("brand:N", title="Бренд"),
                 alt.Tooltip("value_ru:N", title=ui.SENTIMENT_INDEX)],
    ).properties(title=ui.SENTIMENT_INDEX), width="stretch")


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
    table = table.reset_index(drop=True).assign(rank=lambda t: range(1, len(t) + 1))  # place within the group
    shown = response_frame(table)
    st.dataframe(shown, hide_index=True, width="stretch", key="response_table",
                 column_order=["rank_ru", "brand", "addressed_ru", "answered_ru", "response_rate_ru", "median_human",
                               "p90_human", "median_response_seconds_ru", "p90_response_seconds_ru"],
                 column_config=RESPONSE_COLUMNS)
    granularity = st.radio("Шаг динамики", ["day", "week"], index=default_step(filters), horizontal=True,
                           format_func=ui.GRANULARITY_LABELS.__getitem__, key="cmp_granularity")
    by_source, trend = data.response_breakdown(url, filters, cast(Granularity, granularity))
    if not by_source.empty:
        by_source = by_source[by_source["brand"].isin(shown["brand"])]
        st.markdown("**По источникам**")
        st.dataframe(response_frame(by_source), hide_index=True, width="stretch",
                     column_order=["brand", "source", "addressed_ru", "answered_ru", "response_rate_ru", "median_human",
                                   "p90_human"], column_config=RESPONSE_COLUMNS)
    if not trend.empty:
        trend = trend[trend["brand"].isin(shown["brand"])]
        st.markdown("**Динамика доли ответов**")
        colours = data.colours()
        order = list(dict.fromkeys([b for b in [get_context().focus, *shown["brand"]] if b in set(trend["brand"])]))
        one_bucket = trend["bucket"].nunique() < 2
        base = alt.Chart(trend).transform_calculate(rate_ru=ui.vega_percent("response_rate"))
        mark = base.mark_bar() if one_bucket else base.mark_line(point=True)
        if one_bucket:
            st.caption("За период один интервал: доля ответов показана столбцами; выберите шаг «день».")
        st.altair_chart(mark.encode(
            x=alt.X("brand:N", title=None, sort=order) if one_bucket else alt.X(
                "bucket:T", title="Период",
                axis=alt.Axis(format="%d.%m", labelAngle=0, labelOverlap=True,
                              tickCount={"interval": "day" if granularity == "day" else "week", "step": 1})),
            y=alt.Y("response_rate:Q", title="Доля ответов", axis=alt.Axis(labelExpr=ui.PERCENT_AXIS_LABELS),
                    scale=alt.Scale(domain=[0, 1])),
            color=brand_colours.colour(order, colours),
            tooltip=[alt.Tooltip("bucket:T", title="Период", format="%d.%m.%Y"), alt.Tooltip("brand:N", title="Бренд"),
                     alt.Tooltip("addressed:Q", title="Адресовано"), alt.Tooltip("answered:Q", title="Отвечено"),
                     alt.Tooltip("rate_ru:N", title="Доля ответов")],
        ), width="stretch")


def default_step(filters: MetricsFilter) -> int:
    """Days for a period under five weeks (a weekly step would be a column or two of dots), else weeks."""
    if filters.since is None or filters.until is None:
        return 1
    return 0 if filters.until - filters.since < timedelta(days=35) else 1


def page() -> None:
    context = get_context()
    st.title("Конкуренты")
    st.caption(f"Период: {ui.period_caption(context.filters, context.zone)} ({fmt.zone_label(context.zone)}).")
    _, members = group_members(context.filters.brands, data.known_brands(context.url), context.group)
    url, filters = context.url, context.filters
    granularity = cast(Granularity, st.session_state.get("cmp_granularity", ["day", "week"][default_step(filters)]))
    groups = data.group_of()
    data.prefetch(
        lambda: data.voice(url, filters, tuple(members), groups),
        lambda: data.responses(url, filters),
        lambda: data.response_breakdown(url, filters, granularity),
    )
    voice_section(context.url, members)
    response_section(context.url, members)


page()
