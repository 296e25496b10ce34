"""Очередь поддержки: the support topics as a work list (filters, urgency and deadline order, open and overdue
counts; select a row to open the topic), and the urgent complaints behind them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.context import get_context
from molva import fmt
from molva.board import OPEN_STATUSES, TOPIC_STATUSES, TOPIC_TYPES, add_comment, assign, set_status
from molva.errors import MolvaError

NO_OWNER = "— не назначен —"
SORTS = {
    "urgency": "Сначала срочные",
    "due": "Сначала ближайший срок",
    "new": "Сначала новые",
}


def topic_columns(zone: str) -> dict[str, Any]:
    label = fmt.zone_label(zone)
    return {
        "id": "№", "urgency": st.column_config.TextColumn("Срочность", help="Наибольшая срочность среди постов темы, 0–1."),
        "due": f"Ответить до ({label})", "overdue": "Просрочено", "status": "Статус",
        "url": st.column_config.LinkColumn("Тема в сообществе", display_text="открыть"),
        "source_url": st.column_config.LinkColumn("Исходный пост", display_text="открыть"),
        "type": "Категория", "brand": "Бренд", "title": st.column_config.TextColumn("Тема", width="medium"),
        "assignee": "Ответственный", "mention_count": "Постов", "created": f"Создана ({label})",
    }


URGENT_COLUMNS: dict[str, Any] = {
    "published_at": "Дата", "brand": "Бренд", "source": "Источник", "urgency": "Срочность",
    "url": st.column_config.LinkColumn("Оригинал", display_text="открыть"), "topic_id": "Тема №",
    "intent": "Намерение", "text": st.column_config.TextColumn("Текст", width="large"),
}


def _link(url: object) -> str:
    """A link cell: the URL, or an empty cell (Streamlit writes "None" for a missing one)."""
    return url if isinstance(url, str) and url else ""


def _author() -> str:
    return str(st.session_state.get("sq_author") or "").strip() or "панель"


def _run(url: str, action: str, topic_id: int) -> None:
    """Button callback: reads the widgets' current values from the session state and writes via molva.board."""
    state = st.session_state
    try:
        with data.write_session(url) as session:
            if action == "status":
                set_status(session, topic_id, state[f"sq_status_{topic_id}"], by=_author())
            elif action == "assign":
                assign(session, topic_id, state.get(f"sq_assignee_{topic_id}") or None)
            else:
                add_comment(session, topic_id, _author(), state.get(f"sq_comment_{topic_id}") or "")
                state[f"sq_comment_{topic_id}"] = ""
        state["sq_message"] = ("success", "Сохранено.")
    except MolvaError as exc:
        state["sq_message"] = ("error", str(exc))


def work_list(url: str, brands: tuple[str, ...], focus: str | None = None) -> pd.DataFrame:
    """Every topic with its urgency; filtered by the widgets above the table and sorted as chosen."""
    topics = data.topics(url, (), False)
    if topics.empty:
        return topics
    urgency = data.topic_urgency(url, tuple(int(i) for i in topics["id"]))
    topics = topics.assign(urgency=[urgency.get(int(i)) for i in topics["id"]])
    cols = st.columns([2, 2, 2, 2])
    statuses = cols[0].multiselect("Статус", list(TOPIC_STATUSES), default=list(OPEN_STATUSES), key="sq_statuses",
                                   format_func=TOPIC_STATUSES.__getitem__, placeholder="любой")
    owners = sorted({str(a) for a in topics["assignee"].dropna()}) + [NO_OWNER]
    chosen_owners = cols[1].multiselect("Ответственный", owners, key="sq_owners", placeholder="любой")
    types = cols[2].multiselect("Категория", list(TOPIC_TYPES), key="sq_types", format_func=TOPIC_TYPES.__getitem__,
                                placeholder="любая")
    brand_options = sorted(set(topics["brand"]))
    preset = [b for b in brands if b in brand_options] or ([focus] if focus and focus in brand_options else [])
    chosen_brands = cols[3].multiselect("Бренд", brand_options, default=preset,
                                        key="sq_brands", placeholder="любой")
    shown = topics
    if statuses:
        shown = shown[shown["status"].isin(statuses)]
    if chosen_owners:
        owner = shown["assignee"].fillna(NO_OWNER)
        shown = shown[owner.isin(chosen_owners)]
    if types:
        shown = shown[shown["type"].isin(types)]
    if chosen_brands:
        shown = shown[shown["brand"].isin(chosen_brands)]
    order = st.radio("Порядок", list(SORTS), format_func=SORTS.__getitem__, horizontal=True, key="sq_sort")
    if order == "urgency":
        shown = shown.assign(_u=shown["urgency"].fillna(-1.0)).sort_values(
            ["_u", "due_at"], ascending=[False, True], na_position="last", kind="stable")
        shown = shown.drop(columns=["_u"])
    elif order == "due":
        shown = shown.sort_values(["due_at", "created_at"], na_position="last", kind="stable")
    else:
        shown = shown.sort_values("created_at", ascending=False, kind="stable")
    return shown.reset_index(drop=True)


def counts(topics: pd.DataFrame) -> None:
    open_topics = topics[topics["status"].isin(OPEN_STATUSES)] if not topics.empty else topics
    overdue = int(open_topics["overdue"].sum()) if not open_topics.empty else 0
    unassigned = int(open_topics["assignee"].isna().sum()) if not open_topics.empty else 0
    cols = st.columns(3)
    cols[0].metric("Открытых тем", fmt.number(len(open_topics)), help="Статус «Новая» или «В работе».")
    cols[1].metric("Просрочено", fmt.number(overdue), help="Открытые темы, срок ответа по которым прошёл.")
    cols[2].metric("Без ответственного", fmt.number(unassigned))


def topics_section(url: str, brands: tuple[str, ...], zone: str, focus: str | None = None) -> None:
    st.subheader("Темы поддержки")
    everything = data.topics(url, (), False)
    if everything.empty:
        ui.empty_note("тем поддержки нет")
        return
    counts(everything)
    topics = work_list(url, brands, focus)
    if topics.empty:
        ui.empty_note("тем с такими фильтрами нет")
        return
    table = pd.DataFrame({
        "id": topics["id"],
        "urgency": [fmt.number(u, 2) for u in topics["urgency"]],
        "due": [fmt.date_time(ui.as_datetime(t), zone) for t in topics["due_at"]],
        "overdue": ["просрочено" if o else "" for o in topics["overdue"]],
        "status": topics["status"].map(lambda s: TOPIC_STATUSES.get(s, s)),
        "type": topics["type"].map(lambda t: TOPIC_TYPES.get(t, t)),
        "brand": topics["brand"], "title": topics["title"], "url": topics["url"].map(_link),
        "source_url": topics["source_url"].map(_link),
        "assignee": topics["assignee"].map(fmt.text), "mention_count": topics["mention_count"],
        "created": [fmt.date_time(ui.as_datetime(t), zone) for t in topics["created_at"]],
    })
    event = st.dataframe(table, hide_index=True, width="stretch", column_config=topic_columns(zone),
                         column_order=list(topic_columns(zone)), key="sq_table", on_select="rerun",
                         selection_mode="single-row")
    ids = [int(i) for i in topics["id"]]
    selected = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if selected and st.session_state.get("sq_last_row") != (selected[0], ids):
        st.session_state["sq_last_row"] = (selected[0], ids)
        st.session_state["sq_topic"] = ids[int(selected[0])]  # a click in the table opens the topic
    if st.session_state.get("sq_topic") not in ids:
        st.session_state.pop("sq_topic", None)
    titles = dict(zip(ids, topics["title"], strict=True))
    topic_id = st.selectbox("Открыть тему (или выберите строку в таблице)", [None, *ids], key="sq_topic",
                            format_func=lambda i: "— тема не выбрана —" if i is None else f"№{i}: {str(titles[i])[:80]}")
    if topic_id is not None:
        editor(url, int(topic_id), zone)


def editor(url: str, topic_id: int, zone: str) -> None:
    detail = data.topic_detail(url, topic_id)
    if detail is None:
        return
    topic = detail.topic
    with st.container(border=True):
        st.markdown(f"**№{topic.id}. {ui.escape_text(topic.title)}**", unsafe_allow_html=True)
        due = fmt.date_time(topic.due_at, zone)
        overdue = topic.overdue(datetime.now(UTC))
        st.caption(f"{TOPIC_STATUSES.get(topic.status, topic.status)} · ответить до {due} {fmt.zone_label(zone)}"
                   f"{' · просрочено' if overdue else ''} · ответственный: {fmt.text(topic.assignee)}")
        body = ui.escape_text(fmt.plain_text(detail.body))
        st.markdown(f'<div style="white-space: pre-wrap">{body}</div>', unsafe_allow_html=True)
        for post in detail.posts:
            link = ui.escape_text(post.url)
            st.caption(f"Пост от {fmt.date_time(post.published_at, zone)} {fmt.zone_label(zone)} "
                       f"({ui.escape_text(post.kind)}): {link}")
        cols = st.columns(3)
        statuses = list(TOPIC_STATUSES)
        status = cols[0].selectbox("Статус", statuses, index=statuses.index(topic.status)
                                   if topic.status in statuses else 0,
                                   format_func=TOPIC_STATUSES.__getitem__, key=f"sq_status_{topic.id}")
        cols[0].button("Изменить статус", key=f"sq_set_{topic.id}", on_click=_run,
                       args=(url, "status", topic.id), disabled=status == topic.status)
        cols[1].text_input("Ответственный", value=topic.assignee or "", key=f"sq_assignee_{topic.id}")
        cols[1].button("Назначить", key=f"sq_assign_{topic.id}", on_click=_run,
                       args=(url, "assign", topic.id))
        cols[2].text_input("Ваше имя", key="sq_author")
        st.markdown("**Комментарии**")
        for author, text, created in detail.comments:
            st.markdown(f"*{ui.escape_text(author)}*, {fmt.date_time(created, zone)}: {ui.escape_text(text)}",
                        unsafe_allow_html=True)
        st.text_area("Новый комментарий", key=f"sq_comment_{topic.id}")
        st.button("Добавить комментарий", key=f"sq_add_{topic.id}", on_click=_run, args=(url, "comment", topic.id))


def urgent_section(url: str, zone: str) -> None:
    filters = get_context().filters
    st.subheader("Срочные жалобы")
    threshold = st.slider("Порог срочности", 0.0, 1.0, 0.6, 0.05, key="sq_threshold")
    urgent = data.urgent(url, filters, threshold)
    if urgent.empty:
        ui.empty_note("срочных жалоб за период нет")
        return
    urgent = urgent.assign(
        intent=urgent["intent"].map(lambda i: ui.INTENT_LABELS.get(i or "", fmt.text(i))),
        published_at=[fmt.date_time(ui.as_datetime(t), zone) for t in urgent["published_at"]],
        urgency=[fmt.number(u, 2) for u in urgent["urgency"]],
        topic_id=[fmt.number(t) for t in urgent["topic_id"]],
        url=urgent["url"].map(_link),
    )
    st.dataframe(urgent, hide_index=True, width="stretch", column_config=URGENT_COLUMNS,
                 column_order=list(URGENT_COLUMNS))


def page() -> None:
    context = get_context()
    st.title("Очередь поддержки")
    st.caption(f"Время — {fmt.zone_label(context.zone)}.")
    message = st.session_state.pop("sq_message", None)
    if message:
        (st.success if message[0] == "success" else st.error)(message[1])
    topics_section(context.url, context.filters.brands, context.zone, context.focus)
    urgent_section(context.url, context.zone)


page()
