"""Упоминания: full-text search with filters, brand highlight, link, manual correction, CSV/Excel export."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.context import get_context
from molva import fmt
from molva.corrections import LABELS, correct_sentiment, export_training_data
from molva.metrics import MetricsFilter
from molva.metrics.explorer import ExplorerPage, ExplorerQuery, ExplorerRow

CARDS_PER_PAGE = 10
LIMITS = (100, 500, 2000)


def clear_scope() -> None:
    for key in ("ex_authors", "ex_places", "ex_scope_label", "ex_brand_scope"):
        st.session_state.pop(key, None)


def scope(filters: MetricsFilter) -> tuple[MetricsFilter, tuple[str, ...], tuple[str, ...]]:
    """The author or place chosen on «Кто и где» (with its brand), until the user removes it."""
    state = st.session_state
    authors, places = tuple(state.get("ex_authors") or ()), tuple(state.get("ex_places") or ())
    if not authors and not places:
        return filters, (), ()
    brand = state.get("ex_brand_scope")
    if brand:
        filters = replace(filters, brands=(str(brand),))
    left, right = st.columns([4, 1])
    left.info(f"Только {state.get('ex_scope_label') or 'выбранный автор'}" + (f" · {brand}" if brand else ""))
    right.button("Снять фильтр", key="ex_clear_scope", on_click=clear_scope)
    return filters, authors, places


def query_form() -> tuple[ExplorerQuery, int]:
    filters, authors, places = scope(get_context().filters)
    text = st.text_input("Поиск по тексту", key="ex_text", placeholder="например: списали деньги")
    cols = st.columns(4)
    sentiments = cols[0].multiselect("Тональность", list(ui.SENTIMENT_LABELS), key="ex_sentiment",
                                     format_func=ui.SENTIMENT_LABELS.__getitem__, placeholder="любая")
    intents = cols[1].multiselect("Намерение", list(ui.INTENT_LABELS), key="ex_intent",
                                  format_func=ui.INTENT_LABELS.__getitem__, placeholder="любое")
    urgency = cols[2].slider("Срочность не ниже", 0.0, 1.0, 0.0, 0.05, key="ex_urgency")
    limit = cols[3].selectbox("Строк", LIMITS, key="ex_limit")
    spec = ExplorerQuery(text=text.strip(), filters=filters, sentiments=tuple(sentiments), intents=tuple(intents),
                         min_urgency=urgency or None, authors=authors, places=places)
    return spec, int(limit)


def rows_frame(page: ExplorerPage, zone: str) -> pd.DataFrame:
    return pd.DataFrame([{
        "id": r.brand_mention_id,
        "published_at": fmt.local(r.published_at, zone).replace(tzinfo=None),
        "brand": r.brand,
        "source": r.source,
        "sentiment": ui.SENTIMENT_LABELS.get(r.sentiment or "none", r.sentiment),
        "corrected": r.corrected,
        "intent": ui.INTENT_LABELS.get(r.intent or "", fmt.text(r.intent)),
        "urgency": r.urgency,
        "answered": r.answered if r.addressed else None,
        "author": fmt.text(r.author),
        "text": r.text,
        "url": r.url,
    } for r in page.rows])


COLUMNS: dict[str, Any] = {
    "id": "№", "published_at": st.column_config.DatetimeColumn("Дата", format="DD.MM.YYYY HH:mm"),
    "brand": "Бренд", "source": "Источник", "url": st.column_config.LinkColumn("Оригинал", display_text="открыть"),
    "sentiment": "Тональность", "corrected": "Исправлено", "intent": "Намерение", "urgency": "Срочность",
    "answered": "Ответ бренда", "author": "Автор", "text": st.column_config.TextColumn("Текст", width="large"),
}


def exports(df: pd.DataFrame) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    left, right, _ = st.columns([1, 1, 3])
    left.download_button("Скачать CSV", ui.to_csv(df), file_name=f"molva-mentions-{stamp}.csv",
                         mime="text/csv", key="ex_csv")
    right.download_button("Скачать Excel", ui.to_excel(df), file_name=f"molva-mentions-{stamp}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="ex_xlsx")


def save_correction(url: str, brand_mention_id: int) -> None:
    """Button callback: stores the label chosen in the card's select box."""
    label = st.session_state[f"ex_label_{brand_mention_id}"]
    with data.write_session(url) as session:
        correct_sentiment(session, brand_mention_id, label, corrected_by=_who())
    st.session_state["ex_saved"] = brand_mention_id


def _who() -> str | None:
    try:
        if st.user.get("is_logged_in", False):
            return str(st.user.get("email") or st.user.get("name"))
    except Exception:  # no OIDC configured
        pass
    return "dashboard"


def card(url: str, row: ExplorerRow) -> None:
    with st.container(border=True):
        zone = get_context().zone
        when = fmt.date_time(row.published_at, zone)
        meta = f"**{ui.escape_text(row.brand)}** · {ui.escape_text(row.source)} · {when} {fmt.zone_label(zone)}"
        if row.author:
            meta += f" · {ui.escape_text(row.author)}"
        st.markdown(meta, unsafe_allow_html=True)
        if row.title:
            st.markdown(f"**{ui.escape_text(row.title)}**", unsafe_allow_html=True)
        st.markdown(ui.highlight(row.text, [(row.span_start, row.span_end)]), unsafe_allow_html=True)
        cols = st.columns([2, 2, 2, 3])
        if row.url:
            cols[0].link_button("Оригинал", row.url)
        current = row.sentiment if row.sentiment in LABELS else "neutral"
        label = cols[1].selectbox("Тональность", LABELS, index=LABELS.index(current),
                                  format_func=ui.SENTIMENT_LABELS.__getitem__, key=f"ex_label_{row.brand_mention_id}",
                                  label_visibility="collapsed")
        cols[2].button("Исправить тональность", key=f"ex_fix_{row.brand_mention_id}",
                       on_click=save_correction, args=(url, row.brand_mention_id),
                       disabled=label == row.sentiment)
        status = ui.SENTIMENT_LABELS.get(row.sentiment or "none", "")
        cols[3].caption(f"Сейчас: {status}{' (исправлено вручную)' if row.corrected else ''}")


def training_export(url: str) -> None:
    with st.expander("Исправления как обучающие данные"):
        with data.read_session(url) as session:
            jsonl = export_training_data(session, "jsonl")
            csv_text = export_training_data(session, "csv")
        count = jsonl.count("\n")
        st.caption(f"Исправлений: {count}. Выгрузка содержит текст, бренд, его позицию и верную тональность.")
        left, right, _ = st.columns([1, 1, 3])
        left.download_button("JSONL", jsonl.encode("utf-8"), file_name="molva-corrections.jsonl",
                             mime="application/jsonl", key="ex_train_jsonl", disabled=not count)
        right.download_button("CSV", csv_text.encode("utf-8"), file_name="molva-corrections.csv", mime="text/csv",
                              key="ex_train_csv", disabled=not count)


def page() -> None:
    context = get_context()
    st.title("Упоминания")
    st.caption(f"Период: {ui.period_caption(context.filters, context.zone)}. Поиск учитывает формы слов и «ё».")
    spec, limit = query_form()
    result = data.explore(context.url, spec, limit)
    if st.session_state.pop("ex_saved", None):
        st.success("Тональность исправлена и сохранена для обучения модели.")
    more = "более " if result.total_capped else ""
    st.markdown(f"Найдено: **{more}{fmt.number(min(result.total, 10_000))}**", help=ui.HELP[ui.MENTIONS])
    if not result.rows:
        ui.empty_note("ничего не найдено")
        training_export(context.url)
        return
    df = rows_frame(result, context.zone)
    columns = {**COLUMNS, "published_at": st.column_config.DatetimeColumn(
        f"Дата ({fmt.zone_label(context.zone)})", format="DD.MM.YYYY HH:mm")}
    shown = ui.russian(df, {"urgency": "float2"}).assign(url=df["url"].map(lambda u: u if isinstance(u, str) else ""))
    st.dataframe(shown, hide_index=True, width="stretch", column_config=columns, column_order=list(COLUMNS))
    exports(df)
    pages = max(1, -(-len(result.rows) // CARDS_PER_PAGE))
    number = st.number_input("Страница карточек", 1, pages, 1, key="ex_page") if pages > 1 else 1
    start = (int(number) - 1) * CARDS_PER_PAGE
    for row in result.rows[start:start + CARDS_PER_PAGE]:
        card(context.url, row)
    training_export(context.url)


page()
