"""Обзор: the focus brand first (its numbers, place and share in its group), then the trend of the focus brand,
its top rivals and "Другие", spikes, the group's brands and the sources."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import brands as brand_colours
from dashboard import data, ui
from dashboard.context import PageContext, get_context
from molva import fmt
from molva.metrics.timeseries import Granularity, previous_period

METRICS = {
    "mentions": ui.MENTIONS,
    "negative_share": ui.NEGATIVE_SHARE,
    "sentiment_index": ui.SENTIMENT_INDEX,
}
AXIS_FORMAT = {"hour": "%d.%m %H:%M", "day": "%d.%m", "week": "%d.%m"}


def focus_kpis(context: PageContext) -> None:
    """The focus brand's mentions, negative share, index, share of voice and place in its group."""
    url, filters, focus = context.url, context.filters, context.focus
    if not focus:
        return
    everyone = replace(filters, brands=())
    rows = {r.brand: r for r in data.brand_rows(url, everyone)}
    before = previous_period(everyone)
    previous_rows = {r.brand: r for r in data.brand_rows(url, before)} if before else {}
    members = context.members or (focus,)
    current = ui.group_standing(rows, members, focus)
    previous = ui.group_standing(previous_rows, members, focus) if previous_rows else None
    has_previous = previous is not None and previous.group_mentions > 0
    st.subheader(f"{focus} · {fmt.group_name(context.group)}")
    cols = st.columns(5)
    mine = rows.get(focus)
    old = previous_rows.get(focus) if has_previous else None
    mentions = mine.mentions if mine else 0
    ui.metric(cols[0], ui.MENTIONS, fmt.number(mentions), help=ui.HELP[ui.MENTIONS],
                   delta=ui.change(mentions, old.mentions if old else None) if has_previous else None)
    negative = mine.negative_share if mine and mine.classified else None
    ui.metric(cols[1], ui.NEGATIVE_SHARE, fmt.percent(negative), help=ui.HELP[ui.NEGATIVE_SHARE], delta_color="inverse",
                   delta=fmt.points(negative - old.negative_share)
                   if has_previous and old and old.classified and negative is not None else None)
    index = mine.sentiment_index if mine and mine.classified else None
    ui.metric(cols[2], ui.SENTIMENT_INDEX, fmt.signed(index), help=ui.HELP[ui.SENTIMENT_INDEX],
                   delta=fmt.signed(index - old.sentiment_index)
                   if has_previous and old and old.classified and index is not None else None)
    ui.metric(cols[3], ui.VOICE_SHARE, fmt.percent(current.share if current.group_mentions else None),
                   help=ui.HELP[ui.VOICE_SHARE],
                   delta=fmt.points(current.share - previous.share) if has_previous and previous else None)
    ui.metric(cols[4], ui.PLACE, f"{current.place} из {current.of}" if current.place else fmt.DASH, help=ui.HELP[ui.PLACE])
    if not has_previous:
        st.caption("Сравнение с предыдущим периодом не показано: за предыдущий период той же длины данных нет.")
    else:
        st.caption("Изменения — относительно предыдущего периода той же длины.")


def _axis(granularity: str) -> alt.Axis:
    if granularity == "hour":  # labels carry the time: Vega's own ticks never repeat a label
        return alt.Axis(format=AXIS_FORMAT["hour"], labelAngle=0, labelOverlap=True)
    return alt.Axis(format=AXIS_FORMAT[granularity], labelAngle=0, labelOverlap=True,
                    tickCount={"interval": granularity, "step": 1})  # one tick per bucket: no date twice


def timeline(points: pd.DataFrame, metric: str, spikes: pd.DataFrame, granularity: str, order: list[str],
             colours: dict[str, str], zone: str) -> Any:
    title = f"{'Час' if granularity == 'hour' else 'День' if granularity == 'day' else 'Неделя'} ({fmt.zone_label(zone)})"
    labels = {"negative_share": ui.PERCENT_AXIS_LABELS, "sentiment_index": ui.DECIMAL_AXIS_LABELS}
    y_axis = alt.Axis(labelExpr=labels[metric]) if metric in labels else alt.Axis()
    value = ui.vega_percent(metric) if metric == "negative_share" else (
        ui.vega_signed(metric) if metric == "sentiment_index" else f"replace(format(datum['{metric}'], ',d'), ',', '{fmt.THIN}')")
    base = alt.Chart(points).transform_calculate(value_ru=value).mark_line(point=len(points) < 200).encode(
        x=alt.X("local:T", title=title, axis=_axis(granularity)),
        y=alt.Y(f"{metric}:Q", title=METRICS[metric], axis=y_axis,
                scale=alt.Scale(domain=[-1, 1]) if metric == "sentiment_index" else alt.Scale()),
        color=brand_colours.colour(order, colours),
        tooltip=[alt.Tooltip("when:N", title="Время"), alt.Tooltip("brand:N", title="Бренд"),
                 alt.Tooltip("mentions:Q", title=ui.MENTIONS), alt.Tooltip("negative:Q", title="Негативных"),
                 alt.Tooltip("value_ru:N", title=METRICS[metric])],
    )
    if spikes.empty:
        return base
    rules = alt.Chart(spikes).mark_rule(color="#d62728", strokeDash=[4, 3], size=2).encode(
        x="local:T",
        tooltip=[alt.Tooltip("brand:N", title="Всплеск негатива"), alt.Tooltip("when:N", title="Начало"),
                 alt.Tooltip("negative_count:Q", title="Негативных"), alt.Tooltip("score:Q", title="Оценка")],
    )
    return alt.layer(base, rules)


def trend_frame(points: pd.DataFrame, keep: list[str], zone: str, granularity: str) -> pd.DataFrame:
    """The focus brand, its top rivals and "Другие" per bucket, with local times for the axis and tooltips."""
    folded = brand_colours.fold_others(points[["bucket", "brand", "mentions", "negative", "neutral", "positive"]],
                                       keep, by=("bucket",))
    classified = folded["negative"] + folded["neutral"] + folded["positive"]
    folded["negative_share"] = folded["negative"] / classified.where(classified > 0)
    folded["sentiment_index"] = (folded["positive"] - folded["negative"]) / classified.where(classified > 0)
    folded["local"] = [fmt.local(b.to_pydatetime(), zone).replace(tzinfo=None) for b in folded["bucket"]]
    folded["when"] = [fmt.date_time(b.to_pydatetime(), zone) if granularity == "hour" else fmt.day(b.to_pydatetime(), zone)
                      for b in folded["bucket"]]
    return folded


def page() -> None:
    context = get_context()
    url, filters, zone = context.url, context.filters, context.zone
    st.title("Обзор")
    st.caption(f"Период: {ui.period_caption(filters, zone)} ({fmt.zone_label(zone)}).")
    granularity = str(st.session_state.get("ov_granularity", "day"))
    everyone = replace(filters, brands=())
    before = previous_period(everyone)
    data.prefetch(
        lambda: data.brand_rows(url, everyone),
        *([lambda: data.brand_rows(url, before)] if before else []),
        lambda: data.timeseries(url, filters, cast(Granularity, granularity)),
        lambda: data.sources_breakdown(url, filters),
    )
    focus_kpis(context)

    left, right = st.columns([1, 2])
    granularity = left.radio("Шаг", list(ui.GRANULARITY_LABELS), index=1, horizontal=True,
                             format_func=ui.GRANULARITY_LABELS.__getitem__, key="ov_granularity")
    metric = right.radio("Показатель", list(METRICS), horizontal=True, format_func=METRICS.__getitem__,
                         key="ov_metric", help=" ".join(f"{name}: {ui.HELP[name]}" for name in METRICS.values()))
    scoped = ui.group_scope(filters, context.members)
    points = data.timeseries(url, scoped, cast(Granularity, granularity))
    spikes = pd.DataFrame([s.__dict__ for s in data.spike_markers(url, scoped)])
    colours = data.colours()
    st.subheader("Динамика")
    st.caption(f"{context.focus or 'Бренд'}, крупнейшие конкуренты из группы «{fmt.group_name(context.group)}» и "
               "остальные бренды группы («Другие»).")
    if points.empty:
        ui.empty_note("упоминаний за период нет")
    else:
        totals = points.groupby("brand")["mentions"].sum().to_dict()
        keep = brand_colours.shown_brands(totals, context.focus)
        trend = trend_frame(points, keep, zone, granularity)
        order = brand_colours.legend_order(keep, trend)
        if not spikes.empty:
            spikes["local"] = [fmt.local(t.to_pydatetime(), zone).replace(tzinfo=None) for t in spikes["window_start"]]
            spikes["when"] = [fmt.date_time(t.to_pydatetime(), zone) for t in spikes["window_start"]]
        st.altair_chart(timeline(trend, metric, spikes, granularity, order, colours, zone), width="stretch")
    if not spikes.empty:
        st.caption("Красные пунктирные линии — всплески негатива.")
        table = pd.DataFrame({
            "brand": spikes["brand"],
            "window_start": [fmt.date_time(t.to_pydatetime(), zone) for t in spikes["window_start"]],
            "window_end": [fmt.date_time(t.to_pydatetime(), zone) for t in spikes["window_end"]],
            "negative_count": spikes["negative_count"], "baseline": spikes["baseline"], "score": spikes["score"],
            "terms": spikes["terms"].map(", ".join),
        })
        spike_columns: dict[str, Any] = {
            "brand": "Бренд", "window_start": f"Начало ({fmt.zone_label(zone)})",
            "window_end": f"Конец ({fmt.zone_label(zone)})", "negative_count": "Негативных",
            "baseline": "Норма", "score": "Оценка", "terms": "Частые слова",
        }
        table = ui.russian(table, {"negative_count": "number", "baseline": "float1", "score": "float1"})
        st.dataframe(table, hide_index=True, width="stretch", column_config=spike_columns)

    st.subheader(f"Бренды группы «{fmt.group_name(context.group)}»" if context.group else "Бренды")
    table_brands = data.brands_table(url, scoped, data.group_of())
    if table_brands.empty:
        ui.empty_note("бренды не упоминались")
    else:
        table_brands["group"] = table_brands["group"].map(ui.group_label)
        table_brands.insert(0, "place", range(1, len(table_brands) + 1))
        classified = table_brands["negative"] + table_brands["neutral"] + table_brands["positive"]
        table_brands.loc[classified == 0, ["negative_share", "sentiment_index"]] = None
        st.dataframe(ui.russian(table_brands, ui.BRAND_KINDS), hide_index=True, width="stretch",
                     column_config=ui.BRAND_COLUMNS)

    st.subheader("Источники")
    by_source = data.sources_breakdown(url, scoped)
    if by_source.empty:
        ui.empty_note("нет упоминаний по источникам")
    else:
        sources_chart(by_source, context.focus, colours)


def sources_chart(by_source: pd.DataFrame, focus: str | None, colours: dict[str, str]) -> None:
    """Mentions per source: the focus brand, its top rivals and "Другие" (a handful of segments, full legend)."""
    totals = by_source.groupby("brand")["mentions"].sum().to_dict()
    keep = brand_colours.shown_brands(totals, focus)
    folded = brand_colours.fold_others(by_source[["source", "brand", "mentions", "negative"]], keep, by=("source",))
    order = brand_colours.legend_order(keep, folded)
    folded["order"] = folded["brand"].map({b: i for i, b in enumerate(order)})
    chart = alt.Chart(folded).mark_bar().encode(
        x=alt.X("mentions:Q", title=ui.MENTIONS), y=alt.Y("source:N", title="Источник", sort="-x"),
        color=brand_colours.colour(order, colours), order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("source:N", title="Источник"), alt.Tooltip("brand:N", title="Бренд"),
                 alt.Tooltip("mentions:Q", title=ui.MENTIONS), alt.Tooltip("negative:Q", title="Негативных")],
    )
    st.altair_chart(chart, width="stretch")


page()
