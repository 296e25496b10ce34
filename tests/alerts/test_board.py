"""The built-in support board: topics, statuses, assignees, comments, deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sim_rows import add_post
from sqlalchemy.orm import Session

from molva import board
from tests.alerts.clock import NOW


def _topic(session: Session, title: str = "Проблема · МТС: нет связи в Казани") -> int:
    topic = board.create_topic(
        session,
        adapter="builtin",
        external_id=f"t-{title}",
        type="problem",
        brand="МТС",
        title=title,
        body="Клиент сообщает…",
        created_at=NOW,
        assignee="Дежурная смена поддержки",
        due_at=board.answer_deadline(NOW),
    )
    return topic.id


def test_answer_deadline_counts_business_days() -> None:
    assert board.answer_deadline(NOW) == NOW + timedelta(days=1)  # Wednesday -> Thursday
    friday = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
    assert board.answer_deadline(friday) == datetime(2025, 3, 17, 12, 0, tzinfo=UTC)  # -> Monday
    saturday = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
    assert board.answer_deadline(saturday) == datetime(2025, 3, 18, 6, 0, tzinfo=UTC)  # Tue 09:00 MSK


def test_status_assign_comment_and_listing(session: Session) -> None:
    topic_id = _topic(session)
    bm = add_post(session, "МТС, нет связи в Казани с утра, срочно нужен звонок врачу", "МТС", NOW)
    assert board.link_mention(session, topic_id, bm.mention_id, bm.id, NOW)
    assert not board.link_mention(session, topic_id, bm.mention_id, bm.id, NOW)
    board.assign(session, topic_id, "Ольга Петрова")
    board.set_status(session, topic_id, "in_progress", by="Ольга Петрова")
    board.add_comment(session, topic_id, "Ольга Петрова", "Связались с клиентом, ждём инженеров.")
    detail = board.get_topic(session, topic_id)
    assert detail is not None
    assert detail.topic.status == "in_progress" and detail.topic.assignee == "Ольга Петрова"
    assert [p.mention_id for p in detail.posts] == [bm.mention_id] and detail.posts[0].sentiment == "negative"
    assert [c[1] for c in detail.comments] == [
        "Статус изменён: Новая → В работе",
        "Связались с клиентом, ждём инженеров.",
    ]
    assert [t.id for t in board.list_topics(session, brand="МТС", status="in_progress")] == [topic_id]
    assert board.list_topics(session, brand="МТС", status="resolved") == []
    assert [t.id for t in board.list_topics(session, overdue_at=NOW + timedelta(days=2))] == [topic_id]
    assert board.list_topics(session, overdue_at=NOW + timedelta(hours=2)) == []
    data = board.topics_json(session, brand="МТС")
    (row,) = data["topics"]
    assert set(row) >= {
        "id",
        "adapter",
        "type",
        "status",
        "brand",
        "title",
        "url",
        "mention_urls",
        "created_at",
    }
    assert row["mention_urls"] == [bm.mention.url]


def test_bad_operations_are_clear_errors(session: Session) -> None:
    topic_id = _topic(session)
    with pytest.raises(board.BoardError, match="неизвестный статус"):
        board.set_status(session, topic_id, "closed")
    with pytest.raises(board.BoardError, match="не найдена"):
        board.assign(session, 999_999, "Кто-то")
    with pytest.raises(board.BoardError, match="пустой"):
        board.add_comment(session, topic_id, "Ольга", "   ")
    assert board.get_topic(session, 999_999) is None
