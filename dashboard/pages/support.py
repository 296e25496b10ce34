"""Очередь поддержки: urgent complaints and the support topics created from them; staff change status, comment."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.context import get_context
from molva.board import TOPIC_STATUSES, TOPIC_TYPES, add_comment, assign, set_status
from molva.errors import MolvaError

TOPIC_COLUMNS: dict[str, Any] = {
    "id": "№", "status": "Статус", "type": "Тип", "brand": "Бренд", "title": "Тема",
    "due_at": st.column_config.DatetimeColumn("Ответить до (UTC)", format="DD.MM.YYYY HH:mm"),
    "overdue": "Просрочено", "assignee": "Ответственный", "mention_count": "Постов",
    "created_at": st.column_config.DatetimeColumn("Создана (UTC)", format="DD.MM.YYYY HH:mm"),
    "url": st.column_config.LinkColumn("Тема в сообществе", display_text="открыть"),
    "source_url": st.column_config.LinkColumn("Исходный пост", display_text="открыть"),
}
URGENT_COLUMNS: dict[str, Any] = {
    "published_at": st.column_config.DatetimeColumn("Дата (UTC)", format="DD.MM.YYYY HH:mm"),
    "brand": "Бренд", "source": "Источник", "urgency": st.column_config.NumberColumn("Срочность", format="%.2f"),
    "intent": "Намерение", "text": st.column_config.TextColumn("Текст", width="large"),
    "url": st.column_config.LinkColumn("Оригинал", display_text="открыть"), "topic_id": "Тема №",
}


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


def topics_section(url: str, brands: tuple[str, ...]) -> None:
    st.subheader("Темы поддержки")
    open_only = st.toggle("Только открытые", value=True, key="sq_open")
    topics = data.topics(url, brands, open_only)
    if topics.empty:
        ui.empty_note("тем поддержки нет")
        return
    overdue = int(topics["overdue"].sum())
    if overdue:
        st.warning(f"Просрочено тем: {overdue}")
    shown = topics.assign(status=topics["status"].map(lambda s: TOPIC_STATUSES.get(s, s)),
                          type=topics["type"].map(lambda t: TOPIC_TYPES.get(t, t)))
    st.dataframe(shown, hide_index=True, width="stretch", column_config=TOPIC_COLUMNS,
                 column_order=list(TOPIC_COLUMNS))
    editor(url, topics)


def editor(url: str, topics: pd.DataFrame) -> None:
    titles = dict(zip(topics["id"], topics["title"], strict=True))
    topic_id = st.selectbox("Тема", list(titles), format_func=lambda i: f"№{i}: {str(titles[i])[:80]}",
                            key="sq_topic")
    if topic_id is None:
        return
    detail = data.topic_detail(url, int(topic_id))
    if detail is None:
        return
    topic = detail.topic
    with st.container(border=True):
        st.markdown(f"**{ui.escape_text(topic.title)}**", unsafe_allow_html=True)
        st.markdown(ui.escape_text(detail.body), unsafe_allow_html=True)
        for post in detail.posts:
            link = ui.escape_text(post.url)
            st.caption(f"Пост от {post.published_at:%d.%m.%Y %H:%M} UTC ({ui.escape_text(post.kind)}): {link}")
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
            st.markdown(f"*{ui.escape_text(author)}*, {created:%d.%m.%Y %H:%M}: {ui.escape_text(text)}",
                        unsafe_allow_html=True)
        st.text_area("Новый комментарий", key=f"sq_comment_{topic.id}")
        st.button("Добавить комментарий", key=f"sq_add_{topic.id}", on_click=_run, args=(url, "comment", topic.id))


def urgent_section(url: str) -> None:
    filters = get_context().filters
    st.subheader("Срочные жалобы")
    threshold = st.slider("Порог срочности", 0.0, 1.0, 0.6, 0.05, key="sq_threshold")
    urgent = data.urgent(url, filters, threshold)
    if urgent.empty:
        ui.empty_note("срочных жалоб за период нет")
        return
    urgent = urgent.assign(intent=urgent["intent"].map(lambda i: ui.INTENT_LABELS.get(i or "", i)))
    st.dataframe(urgent, hide_index=True, width="stretch", column_config=URGENT_COLUMNS,
                 column_order=list(URGENT_COLUMNS))


def page() -> None:
    context = get_context()
    st.title("Очередь поддержки")
    message = st.session_state.pop("sq_message", None)
    if message:
        (st.success if message[0] == "success" else st.error)(message[1])
    topics_section(context.url, context.filters.brands)
    urgent_section(context.url)


page()
