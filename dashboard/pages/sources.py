"""Источники: last crawl, items and errors per source, and the latest crawl runs."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import data, ui
from dashboard.context import get_context

HEALTH_COLUMNS: dict[str, Any] = {
    "source": "Источник", "kind": "Тип", "enabled": "Включён", "mentions": "Упоминаний",
    "last_crawl": st.column_config.DatetimeColumn("Последний сбор (UTC)", format="DD.MM.YYYY HH:mm"),
    "last_status": "Статус", "last_items": "Новых за сбор", "errors": "Ошибок всего",
    "consecutive_failures": "Сбоев подряд", "disabled_reason": "Причина отключения",
}
RUN_COLUMNS: dict[str, Any] = {
    "id": "№", "source": "Источник",
    "started_at": st.column_config.DatetimeColumn("Начало (UTC)", format="DD.MM.YYYY HH:mm:ss"),
    "finished_at": st.column_config.DatetimeColumn("Конец (UTC)", format="DD.MM.YYYY HH:mm:ss"),
    "status": "Статус", "items_seen": "Просмотрено", "items_new": "Новых", "errors": "Ошибок",
    "error_message": "Сообщение",
}


def page() -> None:
    url = get_context().url
    st.title("Источники")
    health = data.health(url)
    if health.empty:
        ui.empty_note("источники ещё не собирались")
        return
    failing = health[(health["consecutive_failures"] > 0) | (~health["enabled"].astype(bool))]
    cols = st.columns(3)
    cols[0].metric("Источников", len(health))
    cols[1].metric("С ошибками", len(failing))
    cols[2].metric("Упоминаний", f"{int(health['mentions'].sum()):,}".replace(",", " "))
    status = health["last_status"].map(lambda s: ui.RUN_STATUS_LABELS.get(s, s) if s else "—")
    st.dataframe(health.assign(last_status=status), hide_index=True, width="stretch",
                 column_config=HEALTH_COLUMNS, column_order=list(HEALTH_COLUMNS))
    st.subheader("Последние сборы")
    runs = data.runs(url)
    if runs.empty:
        ui.empty_note("сборов ещё не было")
        return
    runs = runs.assign(status=runs["status"].map(lambda s: ui.RUN_STATUS_LABELS.get(s, s)))
    st.dataframe(runs, hide_index=True, width="stretch", column_config=RUN_COLUMNS,
                 column_order=list(RUN_COLUMNS))


page()
