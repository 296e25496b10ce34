"""Shared UI pieces: Russian labels, safe rendering of untrusted text, the sidebar filters, exports.

Post texts, titles, authors and comments are untrusted. They are shown either as data (``st.dataframe``,
which never interprets them) or through :func:`escape_text`, which turns every character that HTML or
Streamlit's Markdown could read as markup into an entity *before* any markup of ours (``<mark>``) is added.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from molva.escaping import spreadsheet_cell
from molva.metrics import MetricsFilter

SENTIMENT_LABELS = {"negative": "негатив", "neutral": "нейтрально", "positive": "позитив", "none": "не размечено"}
INTENT_LABELS = {
    "problem": "проблема",
    "question": "вопрос",
    "idea": "идея",
    "thanks": "благодарность",
    "other": "другое",
}
STATUS_LABELS = {
    "new": "новая",
    "in_progress": "в работе",
    "answered": "отвечена",
    "resolved": "решена",
    "duplicate": "дубликат",
}
GRANULARITY_LABELS = {"hour": "час", "day": "день", "week": "неделя"}
GROUP_LABELS = {"banks": "Банки", "telecom": "Операторы связи", "retail": "Ритейл", "insurance": "Страхование"}
RUN_STATUS_LABELS = {"running": "идёт", "ok": "успешно", "partial": "частично", "failed": "ошибка"}

# Characters that HTML or Streamlit Markdown (links, emphasis, code, LaTeX "$", ":red[...]" directives,
# ":emoji:" shortcodes, tables, headings, lists) could interpret.
_MARKUP_CHARS = "&<>\"'\\`*_{}[]()#+-.!|~$:=^%@"
_ENTITIES = {ord(c): f"&#{ord(c)};" for c in _MARKUP_CHARS}


def escape_text(text: str | None) -> str:
    """Untrusted text made inert for ``st.markdown(..., unsafe_allow_html=True)``; newlines become ``<br>``."""
    escaped = (text or "").translate(_ENTITIES)  # one pass: no entity is ever escaped twice
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Escaped ``text`` with each ``(start, end)`` span wrapped in ``<mark>`` (the spans index the raw text)."""
    pieces: list[str] = []
    position = 0
    for start, end in sorted(spans):
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        pieces.append(escape_text(text[position:start]))
        pieces.append(f"<mark>{escape_text(text[start:end])}</mark>")
        position = end
    pieces.append(escape_text(text[position:]))
    return "".join(pieces)


def group_label(group: str | None) -> str:
    return GROUP_LABELS.get(group or "", group or "—")


def fmt_duration(seconds: float | None) -> str:
    """``5400`` -> ``1 ч 30 мин``; ``None`` -> ``—``."""
    if seconds is None or pd.isna(seconds):
        return "—"
    minutes = int(round(float(seconds) / 60))
    if minutes < 60:
        return f"{minutes} мин"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} ч {minutes} мин" if minutes else f"{hours} ч"
    days, hours = divmod(hours, 24)
    return f"{days} дн {hours} ч" if hours else f"{days} дн"


def fmt_share(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value * 100:.1f}%"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def sidebar_filters(brands: Sequence[str], sources: Sequence[str]) -> MetricsFilter:
    """Period, brands and sources in the sidebar (kept across pages); the period is whole UTC days."""
    today = datetime.now(UTC).date()
    st.sidebar.header("Фильтры")
    period = st.sidebar.date_input(
        "Период (UTC)",
        value=(today - timedelta(days=29), today),
        max_value=today + timedelta(days=1),
        key="flt_period",
        format="DD.MM.YYYY",
    )
    if isinstance(period, tuple | list):
        first = period[0] if period else today
        last = period[1] if len(period) > 1 else first
    else:
        first = last = period
    chosen_brands = st.sidebar.multiselect("Бренды", list(brands), key="flt_brands", placeholder="все бренды")
    chosen_sources = st.sidebar.multiselect("Источники", list(sources), key="flt_sources", placeholder="все источники")
    return MetricsFilter(
        since=day_start(first),
        until=day_start(last) + timedelta(days=1),
        brands=tuple(chosen_brands),
        sources=tuple(chosen_sources),
    )


def period_caption(filters: MetricsFilter) -> str:
    if filters.since is None or filters.until is None:
        return "за всё время"
    last = filters.until - timedelta(days=1)
    return f"с {filters.since:%d.%m.%Y} по {last:%d.%m.%Y}"


_inert_cell = spreadsheet_cell  # the one escaping helper of every CSV/Excel export (molva.escaping)


def _pseudonymised(df: pd.DataFrame) -> pd.DataFrame:
    """Authors replaced by a keyed hash when ``privacy.pseudonymize_exports`` is on (molva.privacy)."""
    from molva.privacy import pseudonym
    from molva.settings import load_settings

    privacy = load_settings().privacy
    if not privacy.pseudonymize_exports or privacy.pseudonym_key is None or "author" not in df.columns:
        return df
    key = privacy.pseudonym_key.get_secret_value().encode("utf-8")
    out = df.copy()
    out["author"] = out["author"].map(lambda v: pseudonym(v, key) if isinstance(v, str) else v)
    return out


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    out = _pseudonymised(df).copy()  # every export passes here
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(_inert_cell).astype(object)
    return out


def to_csv(df: pd.DataFrame) -> bytes:
    text: str = spreadsheet_safe(df).to_csv(index=False)
    return text.encode("utf-8-sig")


def to_excel(df: pd.DataFrame, sheet: str = "Упоминания") -> bytes:
    out = spreadsheet_safe(df)
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert("UTC").dt.tz_localize(None)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        out.to_excel(writer, index=False, sheet_name=sheet)
    return buffer.getvalue()


def empty_note(what: str) -> None:
    st.info(f"Нет данных: {what}. Измените фильтры или дождитесь новых сборов.")
