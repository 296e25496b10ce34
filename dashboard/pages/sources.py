"""Источники: mentions per source in the sidebar's period, brands and sources; last crawl, items and errors."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import data, ui
from dashboard.context import get_context
from molva import fmt


def columns(zone: str) -> tuple[dict[str, Any], dict[str, Any]]:
    label = fmt.zone_label(zone)
    health: dict[str, Any] = {
        "source": "Источник", "kind": "Тип", "enabled": "Включён",
        "mentions": st.column_config.TextColumn(ui.MENTIONS, help=ui.HELP[ui.MENTIONS]),
        "negative_share": st.column_config.TextColumn(ui.NEGATIVE_SHARE, help=ui.HELP[ui.NEGATIVE_SHARE]),
        "last_crawl": f"Последний сбор ({label})", "last_status": "Статус", "last_items": "Новых за сбор",
        "errors": "Ошибок всего", "consecutive_failures": "Сбоев подряд", "disabled_reason": "Причина отключения",
    }
    runs: dict[str, Any] = {
        "id": "№", "source": "Источник", "started_at": f"Начало ({label})", "finished_at": f"Конец ({label})",
        "status": "Статус", "items_seen": "Просмотрено", "items_new": "Новых", "errors": "Ошибок",
        "error_message": "Сообщение",
    }
    return health, runs


def page() -> None:
    context = get_context()
    url, filters, zone = context.url, context.filters, context.zone
    st.title("Источники")
    st.caption(f"Упоминания — {ui.period_caption(filters, zone)}, по брендам и источникам из фильтров слева.")
    health = data.health(url)
    if filters.sources and not health.empty:
        health = health[health["source"].isin(filters.sources)]
    if health.empty:
        ui.empty_note("источники ещё не собирались")
        return
    stats = {r.source: r for r in data.source_counts(url, filters)}  # the same brand mentions as every page
    health = health.assign(
        mentions=[stats[s].mentions if s in stats else 0 for s in health["source"]],
        negative_share=[stats[s].negative_share if s in stats and stats[s].classified else None
                        for s in health["source"]],
    )
    failing = health[(health["consecutive_failures"] > 0) | (~health["enabled"].astype(bool))]
    cols = st.columns(3)
    cols[0].metric("Источников", fmt.number(len(health)))
    cols[1].metric("С ошибками", fmt.number(len(failing)))
    cols[2].metric(ui.MENTIONS, fmt.number(int(health["mentions"].sum())), help=ui.HELP[ui.MENTIONS])
    health_columns, run_columns = columns(zone)
    shown = ui.russian(health, {"mentions": "number", "negative_share": "percent", "errors": "number",
                                "consecutive_failures": "number"}).assign(
        last_status=health["last_status"].map(lambda s: ui.RUN_STATUS_LABELS.get(s, s) if s else fmt.DASH),
        last_crawl=health["last_crawl"].map(lambda t: fmt.date_time(ui.as_datetime(t), zone)),
        last_items=health["last_items"].map(fmt.number),
        disabled_reason=health["disabled_reason"].map(fmt.text),
    )
    st.dataframe(shown, hide_index=True, width="stretch", column_config=health_columns,
                 column_order=list(health_columns))
    st.subheader("Последние сборы")
    runs = data.runs(url)
    if filters.sources and not runs.empty:
        runs = runs[runs["source"].isin(filters.sources)]
    if runs.empty:
        ui.empty_note("сборов ещё не было")
        return
    runs = runs.assign(
        status=runs["status"].map(lambda s: ui.RUN_STATUS_LABELS.get(s, s)),
        started_at=runs["started_at"].map(lambda t: fmt.date_time(ui.as_datetime(t), zone)),
        finished_at=runs["finished_at"].map(lambda t: fmt.date_time(ui.as_datetime(t), zone)),
        error_message=runs["error_message"].map(fmt.text),
    )
    st.dataframe(runs, hide_index=True, width="stretch", column_config=run_columns, column_order=list(run_columns))


page()
