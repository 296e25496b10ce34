"""Grouped complaints on Discourse: a similar complaint becomes a reply in the open topic (exactly once,
also after a crash between the reply and the commit); a topic closed on the board takes no more."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sim_rows import add_post
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.dispatcher import dispatch
from alerts.rules import enqueue_alerts
from molva.models import AlertOutbox, SupportTopic, TopicMention
from molva.settings import Settings
from simulator.discourse import FakeDiscourse
from tests.alerts.clock import NOW
from tests.alerts.test_discourse import discourse_settings

SAME = "Сбербанк заблокировал карту без объяснений, на ней вся зарплата, верните доступ срочно"
FIRST_URL = "https://vk.com/wall-1_10"
SECOND_URL = "https://vk.com/wall-1_1"  # a prefix of the first one's address: must not be taken for it


@pytest.fixture
def forum() -> Iterator[FakeDiscourse]:
    with FakeDiscourse(api_key="secret", api_username="molva", slow_seconds=0.6) as fake:
        yield fake


def _first(factory: sessionmaker[Session], settings: Settings) -> None:
    with factory() as session, session.begin():
        a = add_post(session, SAME, "Сбербанк", NOW - timedelta(minutes=10), url=FIRST_URL)
        enqueue_alerts(session, [a], settings.alerts, NOW)
    assert dispatch(factory, settings, now=NOW).topics_created == 1


def _second(factory: sessionmaker[Session], settings: Settings) -> None:
    with factory() as session, session.begin():
        b = add_post(session, SAME + "!", "Сбербанк", NOW - timedelta(minutes=5), url=SECOND_URL,
                     author="Другой клиент")
        enqueue_alerts(session, [b], settings.alerts, NOW)


def _links(factory: sessionmaker[Session]) -> dict[int, int]:
    with factory() as session:
        out: dict[int, int] = {}
        for link in session.scalars(select(TopicMention)):
            out[link.topic_id] = out.get(link.topic_id, 0) + 1
        return out


def test_grouped_complaint_is_posted_as_a_reply(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = discourse_settings(forum, monkeypatch)
    _first(factory, settings)
    _second(factory, settings)
    result = dispatch(factory, settings, now=NOW + timedelta(seconds=1))
    assert (result.linked, result.topics_created, result.failed) == (1, 0, 0)
    (topic,) = forum.topics.values()
    assert len(topic.posts) == 2
    reply = topic.posts[1]["raw"]
    assert f"<{SECOND_URL}>" in reply and "Похожее обращение" in reply and "заблокировал карту" in reply
    with factory() as session:
        (local,) = session.scalars(select(SupportTopic)).all()
        row = session.scalars(select(AlertOutbox).order_by(AlertOutbox.id.desc())).first()
        assert row is not None and (row.status, row.topic_id, row.adapter) == ("sent", local.id, "discourse")
    assert _links(factory) == {local.id: 2}
    assert dispatch(factory, settings, now=NOW + timedelta(hours=1)).processed == 0
    assert len(topic.posts) == 2


def test_reply_after_a_crash_is_found_not_posted_twice(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = discourse_settings(forum, monkeypatch)
    _first(factory, settings)
    (topic,) = forum.topics.values()
    for i in range(25):  # a long topic: the reply lies beyond the first chunk of its JSON
        answer = httpx.post(
            f"{forum.url}/posts.json",
            json={"topic_id": topic.id, "raw": f"Комментарий сотрудника поддержки номер {i}"},
            headers={"Api-Key": forum.api_key, "Api-Username": forum.api_username},
        )
        assert answer.status_code == 200
    _second(factory, settings)
    forum.inject("slow-create")  # the reply is posted, the answer comes after our timeout
    first = dispatch(factory, settings, now=NOW + timedelta(seconds=1))
    assert (first.linked, first.retry_scheduled) == (0, 1)
    assert len(topic.posts) == 27
    posts_before = forum.count("POST", "/posts.json")
    second = dispatch(factory, settings, now=NOW + timedelta(minutes=5))
    assert (second.linked, second.failed) == (1, 0)
    assert len(topic.posts) == 27 and forum.count("POST", "/posts.json") == posts_before
    assert forum.count("GET", f"/t/{topic.id}/posts") >= 1


@pytest.mark.parametrize("archived", [False, True])
def test_closed_topic_takes_no_more_complaints(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch, archived: bool
) -> None:
    settings = discourse_settings(forum, monkeypatch)
    _first(factory, settings)
    (old,) = forum.topics.values()
    forum.close(old.id, archived=archived)
    _second(factory, settings)
    result = dispatch(factory, settings, now=NOW + timedelta(seconds=1))
    assert (result.topics_created, result.linked, result.failed) == (1, 0, 0)
    assert len(old.posts) == 1 and len(forum.topics) == 2
    with factory() as session:
        topics = list(session.scalars(select(SupportTopic).order_by(SupportTopic.id)))
        assert [t.status for t in topics] == ["resolved", "new"]
