"""Кто и где: the authors and the channels, communities and sites that talk about a brand, with their reach.

Select a row and open its mentions: the explorer is filtered to that author or place.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.context import PAGES_DIR, get_context
from molva import fmt
from molva.metrics.reach import ReachRow

KINDS = {"telegram": "Telegram", "vk": "ВКонтакте", "rss": "СМИ и блоги", "reviews": "Отзывы", "forum": "Форум",
         "mastodon": "Mastodon", "qa": "Вопросы и ответы"}


def frame(rows: list[ReachRow], brand: str) -> pd.DataFrame:
    return pd.DataFrame([{
        "key": r.key, "kind": KINDS.get(r.kind, r.kind), "mentions": r.mentions,
        "negative_share": r.negative_share, "followers": r.followers, "views": r.views or None, "prefix": r.prefix,
    } for r in rows if r.brand == brand])


def columns(what: str) -> dict[str, Any]:
    return {
        "key": st.column_config.TextColumn(what, width="medium"), "kind": "Тип",
        "mentions": st.column_config.TextColumn(ui.MENTIONS, help=ui.HELP[ui.MENTIONS]),
        "negative_share": st.column_config.TextColumn(ui.NEGATIVE_SHARE, help=ui.HELP[ui.NEGATIVE_SHARE]),
        "followers": st.column_config.TextColumn("Подписчиков",
                                                 help="Наибольшее число подписчиков автора, замеченное при сборе."),
        "views": st.column_config.TextColumn("Просмотров", help="Сумма просмотров постов с упоминанием бренда."),
    }


def open_in_explorer(brand: str, authors: tuple[str, ...] = (), places: tuple[str, ...] = (), label: str = "") -> None:
    """Button callback: the explorer filtered to this author or place (and brand)."""
    state = st.session_state
    state["ex_authors"] = list(authors)
    state["ex_places"] = list(places)
    state["ex_scope_label"] = label
    state["ex_brand_scope"] = brand
    state["reach_go"] = True


def table(title: str, df: pd.DataFrame, what: str, key: str, brand: str) -> None:
    st.subheader(title)
    if df.empty:
        ui.empty_note(f"{title.lower()} за период не найдены")
        return
    shown = ui.russian(df, {"mentions": "number", "negative_share": "percent", "followers": "number",
                            "views": "number"})
    event = st.dataframe(shown, hide_index=True, width="stretch", key=key, on_select="rerun",
                         selection_mode="single-row", column_config=columns(what),
                         column_order=["key", "kind", "mentions", "negative_share", "followers", "views"])
    selected = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    st.caption("Выберите строку — откроются её упоминания на странице «Упоминания».")
    if not selected:
        st.session_state.pop(f"{key}_last", None)
        return
    row = df.iloc[int(selected[0])]
    args: tuple[str, tuple[str, ...], tuple[str, ...], str]
    if key == "reach_authors":
        args = (brand, (str(row["key"]),), (), f"автор {row['key']}")
    else:
        args = (brand, (), (str(row["prefix"]),), f"площадка {row['key']}")
    if st.session_state.get(f"{key}_last") != args:  # a new selection (not the one kept from the last visit)
        st.session_state[f"{key}_last"] = args
        open_in_explorer(*args)
        st.switch_page(str(PAGES_DIR / "explorer.py"))
    st.button(f"Снова открыть упоминания: {row['key']}", key=f"{key}_open", on_click=open_in_explorer, args=args)


def page() -> None:
    context = get_context()
    url, filters = context.url, context.filters
    st.title("Кто и где")
    st.caption(f"Период: {ui.period_caption(filters, context.zone)}. Авторы и площадки (каналы, сообщества, сайты), "
               "которые пишут о бренде, с охватом: подписчики и просмотры.")
    if st.session_state.pop("reach_go", False):
        st.switch_page(str(PAGES_DIR / "explorer.py"))
    options = list(dict.fromkeys([b for b in [context.focus, *context.members] if b] + data.known_brands(url)))
    if not options:
        ui.empty_note("брендов нет")
        return
    brand = st.selectbox("Бренд", options, key="reach_brand")
    scoped = replace(filters, brands=(brand,))
    authors, places = data.reach(url, scoped)
    mentions = sum(r.mentions for r in places if r.brand == brand)
    st.caption(f"{ui.MENTIONS} бренда {brand}: {fmt.number(mentions)}.")
    table("Площадки", frame(places, brand), "Канал, сообщество или сайт", "reach_places", brand)
    table("Авторы", frame(authors, brand), "Автор", "reach_authors", brand)


page()
