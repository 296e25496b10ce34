"""Обзор: mentions and sentiment over time per brand, spikes, sources, comparison with the previous period."""

from __future__ import annotations

from typing import Any, cast

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.context import get_context
from molva.metrics.timeseries import Granularity, Totals, previous_period

METRICS = {
    "mentions": "Упоминания",
    "negative_share": "Доля негатива",
    "sentiment_index": "Индекс тональности",
}


def _delta(current: float, previous: float, percent: bool) -> str | None:
    if percent:
        return f"{(current - previous) * 100:+.1f} п.п."
    if not previous:
        return None
    return f"{(current - previous) / previous * 100:+.1f}%"


def kpis(current: Totals, previous: Totals) -> None:
    cols = st.columns(4)
    cols[0].metric("Упоминания", f"{current.mentions:,}".replace(",", " "),
                   _delta(current.mentions, previous.mentions, False))
    cols[1].metric("Доля негатива", ui.fmt_share(current.negative_share),
                   _delta(current.negative_share, previous.negative_share, True), delta_color="inverse")
    cols[2].metric("Индекс тональности", f"{current.sentiment_index:+.2f}",
                   f"{current.sentiment_index - previous.sentiment_index:+.2f}")
    cols[3].metric("Негативных", f"{current.negative:,}".replace(",", " "),
                   _delta(current.negative, previous.negative, False), delta_color="inverse")


def timeline(points: pd.DataFrame, metric: str, spikes: pd.DataFrame, granularity: str) -> Any:
    fmt = "%d.%m %H:%M" if granularity == "hour" else "%d.%m.%Y"
    base = alt.Chart(points).mark_line(point=len(points) < 200).encode(
        x=alt.X("bucket:T", title="Время (UTC)", axis=alt.Axis(format=fmt, labelAngle=0)),
        y=alt.Y(f"{metric}:Q", title=METRICS[metric]),
        color=alt.Color("brand:N", title="Бренд"),
        tooltip=[alt.Tooltip("bucket:T", title="Время", format="%d.%m.%Y %H:%M"), alt.Tooltip("brand:N", title="Бренд"),
                 alt.Tooltip("mentions:Q", title="Упоминаний"), alt.Tooltip("negative:Q", title="Негативных"),
                 alt.Tooltip(f"{metric}:Q", title=METRICS[metric], format=".2f")],
    )
    if spikes.empty:
        return base
    rules = alt.Chart(spikes).mark_rule(color="#d62728", strokeDash=[4, 3], size=2).encode(
        x="window_start:T",
        tooltip=[alt.Tooltip("brand:N", title="Всплеск негатива"), alt.Tooltip("window_start:T", title="Начало", format="%d.%m.%Y %H:%M"),
                 alt.Tooltip("negative_count:Q", title="Негативных"), alt.Tooltip("score:Q", title="Оценка")],
    )
    return alt.layer(base, rules)


def page() -> None:
    context = get_context()
    url, filters = context.url, context.filters
    st.title("Обзор")
    st.caption(f"Упоминания брендов {ui.period_caption(filters)}; сравнение с предыдущим периодом той же длины.")
    granularity = str(st.session_state.get("ov_granularity", "day"))
    before = previous_period(filters)
    data.prefetch(
        lambda: data.brand_rows(url, filters),
        *([lambda: data.brand_rows(url, before)] if before else []),
        lambda: data.timeseries(url, filters, cast(Granularity, granularity)),
        lambda: data.sources_breakdown(url, filters),
    )
    compared = data.comparison(url, filters)
    kpis(compared.current, compared.previous)

    left, right = st.columns([1, 2])
    granularity = left.radio("Шаг", list(ui.GRANULARITY_LABELS), index=1, horizontal=True,
                             format_func=ui.GRANULARITY_LABELS.__getitem__, key="ov_granularity")
    metric = right.radio("Показатель", list(METRICS), horizontal=True, format_func=METRICS.__getitem__,
                         key="ov_metric")
    points = data.timeseries(url, filters, cast(Granularity, granularity))
    spikes = pd.DataFrame([s.__dict__ for s in data.spike_markers(url, filters)])
    st.subheader("Динамика")
    if points.empty:
        ui.empty_note("упоминаний за период нет")
    else:
        st.altair_chart(timeline(points, metric, spikes, granularity), width="stretch")
    if not spikes.empty:
        st.caption("Красные пунктирные линии — всплески негатива.")
        table = spikes.assign(terms=spikes["terms"].map(", ".join))
        spike_columns: dict[str, Any] = {
            "brand": "Бренд", "window_start": st.column_config.DatetimeColumn("Начало", format="DD.MM.YYYY HH:mm"),
            "window_end": st.column_config.DatetimeColumn("Конец", format="DD.MM.YYYY HH:mm"),
            "negative_count": "Негативных", "baseline": st.column_config.NumberColumn("Норма", format="%.1f"),
            "score": st.column_config.NumberColumn("Оценка", format="%.1f"), "terms": "Частые слова",
        }
        st.dataframe(table, hide_index=True, width="stretch", column_config=spike_columns)

    st.subheader("Бренды")
    brands = data.brands_table(url, filters, data.group_of())
    if brands.empty:
        ui.empty_note("бренды не упоминались")
    else:
        brands["group"] = brands["group"].map(ui.group_label)
        brand_columns: dict[str, Any] = {
            "brand": "Бренд", "group": "Группа", "mentions": "Упоминаний", "negative": "Негатив",
            "neutral": "Нейтрально", "positive": "Позитив", "unclassified": "Не размечено",
            "negative_share": st.column_config.NumberColumn("Доля негатива", format="percent"),
            "sentiment_index": st.column_config.NumberColumn("Индекс тональности", format="%.2f"),
        }
        st.dataframe(brands, hide_index=True, width="stretch", column_config=brand_columns)

    st.subheader("Источники")
    by_source = data.sources_breakdown(url, filters)
    if by_source.empty:
        ui.empty_note("нет упоминаний по источникам")
    else:
        chart = alt.Chart(by_source).mark_bar().encode(
            x=alt.X("sum(mentions):Q", title="Упоминаний"), y=alt.Y("source:N", title="Источник", sort="-x"),
            color=alt.Color("brand:N", title="Бренд"),
            tooltip=[alt.Tooltip("source:N", title="Источник"), alt.Tooltip("brand:N", title="Бренд"),
                     alt.Tooltip("mentions:Q", title="Упоминаний"), alt.Tooltip("negative:Q", title="Негативных")],
        )
        st.altair_chart(chart, width="stretch")


page()
