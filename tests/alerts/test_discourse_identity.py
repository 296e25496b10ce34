"""Which Discourse topic is a complaint's own: the external id names the complaint (the post's address and
the brand), not a database row, and a topic found by an external id must show the post's link."""

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
from alerts.topics import remote_external_id
from molva.models import AlertOutbox, BrandMention, SupportTopic
from simulator.discourse import FakeDiscourse
from tests.alerts.clock import NOW
from tests.alerts.test_discourse import discourse_settings

TEXT = "Сбербанк заблокировал карту без объяснений, на ней вся зарплата, верните доступ срочно"
OTHER = "Старая жалоба: МТС списал деньги за подписку, которую никто не подключал, верните их"


@pytest.fixture
def forum() -> Iterator[FakeDiscourse]:
    with FakeDiscourse(api_key="secret", api_username="molva") as fake:
        yield fake


def _remote_topic(forum: FakeDiscourse, external_id: str, raw: str, title: str) -> int:
    answer = httpx.post(
        f"{forum.url}/posts.json",
        json={"title": title, "raw": raw, "external_id": external_id},
        headers={"Api-Key": forum.api_key, "Api-Username": forum.api_username},
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["topic_id"])


def _enqueue_one(factory: sessionmaker[Session], settings: object, url: str) -> int:
    with factory() as session, session.begin():
        bm = add_post(session, TEXT, "Сбербанк", NOW, url=url)
        enqueue_alerts(session, [bm], settings.alerts, NOW)  # type: ignore[attr-defined]
        return int(session.scalars(select(AlertOutbox.id)).one())


def test_external_id_names_the_complaint_not_the_row(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = discourse_settings(forum, monkeypatch)
    row_id = _enqueue_one(factory, settings, "https://vk.com/wall-1_2")
    with factory() as session:
        bm = session.scalars(select(BrandMention)).one()
        external_id = remote_external_id(bm, bm.mention)
    assert "bm" not in external_id and str(row_id) not in external_id.split("-")
    assert len(external_id) <= 50  # Discourse's limit for external_id
    # An old database's topic under the old row-based id (another complaint) must not be taken.
    _remote_topic(forum, f"molva-topic-bm-{row_id}", f"{OTHER}\n\n- **Источник:** <https://vk.com/wall-9_9>",
                  "Старая тема о другом обращении")
    result = dispatch(factory, settings, now=NOW)
    assert (result.topics_created, result.failed) == (1, 0)
    (topic,) = list(_topics(factory))
    assert topic.external_id == external_id
    remote = forum.by_external_id()[external_id][0]
    assert "https://vk.com/wall-1_2" in remote.posts[0]["raw"]
    assert len(forum.topics) == 2


def test_same_complaint_has_the_same_id_in_any_database(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    with factory() as session, session.begin():
        a = add_post(session, TEXT, "Сбербанк", NOW, url="https://t.me/bank/5", external_id="a")
        b = add_post(session, TEXT, "Сбербанк", NOW, url="https://t.me/bank/5", external_id="b",
                     source_name="telegram-copy")
        c = add_post(session, TEXT, "Сбербанк", NOW, url="https://t.me/bank/6", external_id="c")
        d = add_post(session, TEXT, "ВТБ", NOW, url="https://t.me/bank/5", external_id="d",
                     source_name="other")
        ids = [remote_external_id(x, x.mention) for x in (a, b, c, d)]
    assert ids[0] == ids[1] and len(set(ids)) == 3


def _marked_with_legacy_id(factory: sessionmaker[Session], settings: object, url: str,
                           adapter: str | None = None) -> str:
    """One queued alert marked under the old id scheme (as before the upgrade); returns that id."""
    row_id = _enqueue_one(factory, settings, url)
    legacy = f"molva-topic-bm-{row_id}"
    with factory() as session, session.begin():
        row = session.get(AlertOutbox, row_id)
        assert row is not None
        row.payload = {**row.payload, "discourse_external_id": legacy}
        if adapter is not None:
            row.adapter = adapter
    return legacy


def test_legacy_pending_id_still_finds_its_own_topic(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row marked before the upgrade (old id scheme) whose topic was created before a crash is found."""
    settings = discourse_settings(forum, monkeypatch)
    legacy = _marked_with_legacy_id(factory, settings, "https://vk.com/wall-1_2", adapter="discourse")
    _remote_topic(forum, legacy, f"{TEXT}\n\n- **Источник:** <https://vk.com/wall-1_2>", "Сбербанк заблокировал карту")
    result = dispatch(factory, settings, now=NOW)
    assert (result.topics_created, result.failed) == (1, 0)
    assert len(forum.topics) == 1 and forum.count("POST", "/posts.json") == 1
    (topic,) = list(_topics(factory))
    assert topic.external_id == legacy and topic.remote_id == "1"


def test_legacy_pending_id_of_another_complaint_gets_a_topic_of_its_own(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = discourse_settings(forum, monkeypatch)
    legacy = _marked_with_legacy_id(factory, settings, "https://vk.com/wall-1_2")
    old = _remote_topic(forum, legacy, f"{OTHER}\n\n- **Источник:** <https://vk.com/wall-9_9>",
                        "Старая тема о другом обращении")
    result = dispatch(factory, settings, now=NOW + timedelta(seconds=1))
    assert (result.topics_created, result.failed) == (1, 0)
    (topic,) = list(_topics(factory))
    assert topic.remote_id != str(old) and topic.external_id != legacy
    assert len(forum.topics[old].posts) == 1  # the old topic is left alone


def _topics(factory: sessionmaker[Session]) -> list[SupportTopic]:
    with factory() as session:
        return list(session.scalars(select(SupportTopic).order_by(SupportTopic.id)))


def test_topic_under_the_complaints_id_without_its_link_is_refused(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = discourse_settings(forum, monkeypatch)
    _enqueue_one(factory, settings, "https://vk.com/wall-1_2")
    with factory() as session:
        bm = session.scalars(select(BrandMention)).one()
        external_id = remote_external_id(bm, bm.mention)
    # Another post whose link merely starts with this one's does not count.
    _remote_topic(forum, external_id, f"{OTHER}\n\n- **Источник:** <https://vk.com/wall-1_23>",
                  "Чужая тема под тем же идентификатором")
    result = dispatch(factory, settings, now=NOW)
    assert (result.topics_created, result.failed) == (0, 1)
    assert "не содержит ссылки" in result.errors[0] and _topics(factory) == []
    assert len(forum.topics) == 1 and len(forum.topics[1].posts) == 1
