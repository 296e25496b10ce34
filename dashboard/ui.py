"""Shared UI pieces: Russian labels, safe rendering of untrusted text, the sidebar filters, exports.

Post texts, titles, authors and comments are untrusted. They are shown either as data (``st.dataframe``,
which never interprets them) or through :func:`escape_text`, which turns every character that HTML or
Streamlit's Markdown could read as markup into an entity *before* any markup of ours (``<mark>``) is added.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import pandas as pd
import streamlit as st

from molva import fmt
from molva.escaping import spreadsheet_cell
from molva.metrics import BrandStats, MetricsFilter

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
GROUP_LABELS = fmt.GROUP_NAMES
# One name and one explanation per number, on every page (the definitions live in molva.metrics).
MENTIONS = "Упоминания"
NEGATIVE_SHARE = "Доля негатива"
SENTIMENT_INDEX = "Индекс тональности"
VOICE_SHARE = "Доля голоса"
PLACE = "Место в группе"
HELP = {
    MENTIONS: "Упоминания бренда в постах и комментариях за период по выбранным источникам; пост с двумя "
              "брендами считается у каждого. Посты официальных аккаунтов брендов не считаются.",
    NEGATIVE_SHARE: "Негативные упоминания среди упоминаний с определённой тональностью (без неразмеченных).",
    SENTIMENT_INDEX: "(позитивные − негативные) / упоминания с определённой тональностью; от −1 до +1.",
    VOICE_SHARE: "Доля упоминаний бренда среди всех упоминаний брендов его группы за период.",
    PLACE: "Место бренда по числу упоминаний среди брендов его группы (1 — больше всех).",
}
BRAND_COLUMNS: dict[str, Any] = {
    "place": st.column_config.TextColumn("Место", help=HELP[PLACE]),
    "brand": "Бренд", "group": "Группа",
    "mentions": st.column_config.TextColumn(MENTIONS, help=HELP[MENTIONS]),
    "negative": "Негатив", "neutral": "Нейтрально", "positive": "Позитив", "unclassified": "Не размечено",
    "negative_share": st.column_config.TextColumn(NEGATIVE_SHARE, help=HELP[NEGATIVE_SHARE]),
    "sentiment_index": st.column_config.TextColumn(SENTIMENT_INDEX, help=HELP[SENTIMENT_INDEX]),
    "share": st.column_config.TextColumn(VOICE_SHARE, help=HELP[VOICE_SHARE]),
}
BRAND_KINDS = {"place": "number", "mentions": "number", "negative": "number", "neutral": "number",
               "positive": "number", "unclassified": "number", "negative_share": "percent",
               "sentiment_index": "signed", "share": "percent"}


@dataclass(frozen=True)
class Standing:
    place: int | None  # 1 = most mentioned in the group; None when the brand has no mentions
    of: int  # brands in the group
    share: float  # of the group's mentions
    group_mentions: int


def group_standing(rows: Mapping[str, BrandStats], members: Sequence[str], focus: str) -> Standing:
    """The focus brand's place and share of voice among ``members`` (brands of its group)."""
    counts = {b: rows[b].mentions if b in rows else 0 for b in dict.fromkeys([*members, focus])}
    total = sum(counts.values())
    ranked = sorted(counts, key=lambda b: (-counts[b], b))
    place = ranked.index(focus) + 1 if counts[focus] else None
    return Standing(place, len(counts), counts[focus] / total if total else 0.0, total)


def group_scope(filters: MetricsFilter, members: Sequence[str]) -> MetricsFilter:
    """The sidebar filters, limited to the focus brand's group unless brands were chosen in the sidebar."""
    if filters.brands or not members:
        return filters
    return replace(filters, brands=tuple(members))


def metric(where: Any, label: str, value: str, delta: str | None = None, **kwargs: Any) -> None:
    """``st.metric`` with a Russian delta: Streamlit reads the direction from an ASCII "-", so the typographic
    minus of :mod:`molva.fmt` is swapped for it only in the delta."""
    if delta is not None and delta.startswith("−"):
        delta = "-" + delta[1:]
    where.metric(label, value, delta, **kwargs)


def change(current: float, previous: float | None) -> str | None:
    """``+12,5 %`` relative change (None when there is nothing to compare with)."""
    if not previous:
        return None
    return f"{fmt.signed((current - previous) / previous * 100, 1)}{fmt.NBSP}%"


# Vega writes numbers the English way; these expressions write them as molva.fmt does (comma, " %").
PERCENT_AXIS_LABELS = "replace(replace(format(datum.value, '.0%'), '%', ' %'), '.', ',')"
DECIMAL_AXIS_LABELS = "replace(replace(format(datum.value, '.1f'), '.', ','), '-', '−')"


def vega_percent(field: str, digits: int = 1) -> str:
    """A Vega expression: the 0..1 ``field`` as ``83,6 %`` (for ``transform_calculate`` and tooltips)."""
    return f"replace(replace(format(datum['{field}'], '.{digits}%'), '%', ' %'), '.', ',')"


def vega_signed(field: str, digits: int = 2) -> str:
    """A Vega expression: ``field`` as ``+0,12`` / ``−0,30``."""
    return f"replace(replace(format(datum['{field}'], '+.{digits}f'), '.', ','), '-', '−')"


FORMATTERS: dict[str, Callable[..., str]] = {
    "number": fmt.number,
    "percent": fmt.percent,
    "signed": fmt.signed,
    "duration": fmt.duration,
    "text": fmt.text,
    "float1": lambda v: fmt.number(v, 1),
    "float2": lambda v: fmt.number(v, 2),
}


def russian(df: pd.DataFrame, kinds: Mapping[str, str], zone: str = fmt.DEFAULT_TIMEZONE) -> pd.DataFrame:
    """The columns named in ``kinds`` as Russian text: ``1 093``, ``83,6 %``, ``+0,12``, ``2 ч 15 мин``,
    ``29 ноября, 14:05`` (``datetime``, in ``zone``); a missing value is ``—`` (never "None").

    Streamlit writes numbers the browser's way ("83.57%") and missing cells as "None"; the tables show text.
    """
    out = df.copy()
    for column, kind in kinds.items():
        if column not in out.columns:
            continue
        if kind == "datetime":
            out[column] = [fmt.date_time(as_datetime(v), zone) for v in out[column]]
        else:
            formatter = FORMATTERS[kind]
            out[column] = [formatter(None if _missing(v) else v) for v in out[column]]
    return out


def _missing(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


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
    return fmt.group_name(group)


def fmt_duration(seconds: float | None) -> str:
    """``5400`` -> ``1 ч 30 мин``; ``None`` -> ``—`` (:func:`molva.fmt.duration`)."""
    return fmt.duration(seconds)


def fmt_share(value: float | None) -> str:
    """``0.836`` -> ``83,6 %`` (:func:`molva.fmt.percent`)."""
    return fmt.percent(value)


def as_datetime(value: object) -> datetime | None:
    """A pandas timestamp or datetime as a datetime (``None`` for NaT/None)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        moment: datetime = value.to_pydatetime()
        return moment
    return value if isinstance(value, datetime) else None


def day_start(day: date, zone: tzinfo = UTC) -> datetime:
    """Midnight of ``day`` in ``zone``, as a UTC moment (what the database stores)."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def sidebar_focus(groups: dict[str, list[str]], known: Sequence[str], configured: str | None) -> str | None:
    """"Мой бренд": from ``[dashboard] focus_brand``, changeable here (kept across pages)."""
    from dashboard.brands import default_focus

    options = list(dict.fromkeys([b for members in groups.values() for b in members] + list(known)))
    focus = default_focus(groups, options, configured)
    if not options:
        return None
    index = options.index(focus) if focus in options else 0
    return str(st.sidebar.selectbox("Мой бренд", options, index=index, key="flt_focus",
                                    help="Бренд, с которого начинается каждая страница; место и доли считаются "
                                         "среди брендов его группы. По умолчанию — [dashboard] focus_brand."))


def sidebar_filters(brands: Sequence[str], sources: Sequence[str], zone: str = fmt.DEFAULT_TIMEZONE) -> MetricsFilter:
    """Period, brands and sources in the sidebar (kept across pages); the period is whole days in ``zone``."""
    tz = fmt.timezone(zone)
    today = datetime.now(tz).date()
    st.sidebar.header("Фильтры")
    period = st.sidebar.date_input(
        f"Период ({fmt.zone_label(zone)})",
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
        since=day_start(first, tz),
        until=day_start(last, tz) + timedelta(days=1),
        brands=tuple(chosen_brands),
        sources=tuple(chosen_sources),
    )


def period_caption(filters: MetricsFilter, zone: str = fmt.DEFAULT_TIMEZONE) -> str:
    if filters.since is None or filters.until is None:
        return "за всё время"
    first = fmt.local(filters.since, zone)
    last = fmt.local(filters.until, zone) - timedelta(days=1)
    return f"с {first:%d.%m.%Y} по {last:%d.%m.%Y}"


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
