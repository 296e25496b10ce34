"""The Discourse adapter against the fake Discourse: idempotent creation, 422, 429, 5xx, timeouts, retry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sim_rows import add_post
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.dispatcher import dispatch, retry_alerts
from alerts.rules import enqueue_alerts
from molva.models import AlertOutbox, SupportTopic
from molva.settings import Settings, load_settings
from simulator.discourse import FakeDiscourse
from tests.alerts.clock import NOW

TEXTS = [
    "Ростелеком, третий день нет интернета в Казани, работаю из дома, техподдержка не отвечает",
    "Сбербанк заблокировал карту без объяснений, на ней вся зарплата, верните доступ срочно",
    "Т-Банк списал 990 ₽ за подписку, которую я не подключала, требую вернуть деньги",
]


@pytest.fixture
def forum() -> Iterator[FakeDiscourse]:
    with FakeDiscourse(api_key="secret", api_username="molva", slow_seconds=0.6) as fake:
        yield fake


def discourse_settings(forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch, **alerts: object) -> Settings:
    monkeypatch.setenv("MOLVA_DISCOURSE_URL", forum.url)
    monkeypatch.setenv("MOLVA_DISCOURSE_API_KEY", forum.api_key)
    monkeypatch.setenv("MOLVA_DISCOURSE_API_USERNAME", forum.api_username)
    monkeypatch.setenv("MOLVA_ALERTS__HTTP_TIMEOUT", "0.3")
    monkeypatch.setenv("MOLVA_ALERTS__ADAPTER", "discourse")
    settings = load_settings()
    for key, value in alerts.items():
        setattr(settings.alerts, key, value)
    return settings


def _enqueue(factory: sessionmaker[Session], settings: Settings, texts: list[str]) -> None:
    brands = ["Ростелеком", "Сбербанк", "Т-Банк", "МТС", "ВТБ"]
    with factory() as session, session.begin():
        bms = [
            add_post(session, t, brands[i % len(brands)], NOW - timedelta(minutes=i))
            for i, t in enumerate(texts)
        ]
        enqueue_alerts(session, bms, settings.alerts, NOW)


def _topics(factory: sessionmaker[Session]) -> list[SupportTopic]:
    with factory() as session:
        return list(session.scalars(select(SupportTopic).order_by(SupportTopic.id)))


def test_creates_topics_with_external_id_and_category(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = discourse_settings(forum, monkeypatch, discourse_category=7)
    _enqueue(factory, settings, TEXTS)
    result = dispatch(factory, settings, now=NOW)
    assert (result.topics_created, result.failed) == (3, 0)
    topics = _topics(factory)
    assert [t.adapter for t in topics] == ["discourse"] * 3
    remote = forum.by_external_id()
    assert sorted(remote) == sorted(t.external_id for t in topics)
    for topic in topics:
        (fake,) = remote[topic.external_id]
        assert topic.remote_id == str(fake.id) and topic.url == f"{forum.url}/t/{fake.slug}/{fake.id}"
        assert fake.category_id == 7 and fake.title == topic.title and "Что случилось" in fake.posts[0]["raw"]
    assert forum.count("GET", "/t/external_id/") == 3  # looked up before each POST
    assert dispatch(factory, settings, now=NOW + timedelta(hours=1)).processed == 0
    assert len(forum.topics) == 3


def test_timeout_after_creation_is_found_not_duplicated(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = discourse_settings(forum, monkeypatch)
    _enqueue(factory, settings, TEXTS[:1])
    forum.inject("slow-create")  # Discourse creates the topic, the answer comes after our timeout
    first = dispatch(factory, settings, now=NOW)
    assert (first.topics_created, first.retry_scheduled) == (0, 1)
    with factory() as session:
        (row,) = session.scalars(select(AlertOutbox)).all()
        assert row.status == "pending" and row.attempts == 1 and "таймаут" in (row.last_error or "")
        assert row.next_attempt_at.replace(tzinfo=NOW.tzinfo) == NOW + timedelta(seconds=30)
    assert dispatch(factory, settings, now=NOW + timedelta(seconds=10)).processed == 0  # back-off
    second = dispatch(factory, settings, now=NOW + timedelta(seconds=31))
    assert second.topics_created == 1
    assert len(forum.topics) == 1 and len(_topics(factory)) == 1
    assert forum.count("POST", "/posts.json") == 1


def test_rate_limit_waits_as_told(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = discourse_settings(forum, monkeypatch)
    _enqueue(factory, settings, TEXTS)
    forum.inject(429)
    first = dispatch(factory, settings, now=NOW)
    assert (first.topics_created, first.retry_scheduled, first.postponed) == (0, 1, 2)  # the rest waits too
    with factory() as session:
        row = session.scalars(select(AlertOutbox).where(AlertOutbox.last_error.is_not(None))).one()
        assert row.attempts == 0 and "429" in (row.last_error or "")
        assert row.next_attempt_at.replace(tzinfo=NOW.tzinfo) == NOW + timedelta(seconds=forum.wait_seconds)
    later = dispatch(factory, settings, now=NOW + timedelta(seconds=forum.wait_seconds))
    assert later.topics_created == 3 and len(forum.topics) == 3


def test_server_errors_back_off_then_fail_visibly_and_retry_resends(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = discourse_settings(forum, monkeypatch, max_attempts=3)
    _enqueue(factory, settings, TEXTS[:1])
    forum.inject(500, 503, 502)
    moment = NOW
    for expected_delay in (30, 60):
        assert dispatch(factory, settings, now=moment).retry_scheduled == 1
        moment += timedelta(seconds=expected_delay)
    final = dispatch(factory, settings, now=moment)
    assert final.failed == 1
    with factory() as session:
        (row,) = session.scalars(select(AlertOutbox)).all()
        assert row.status == "failed" and row.attempts == 3 and "502" in (row.last_error or "")
    assert dispatch(factory, settings, now=moment + timedelta(days=1)).processed == 0  # stays failed
    with factory() as session, session.begin():
        assert retry_alerts(session, all_failed=True, now=moment) == 1
    assert dispatch(factory, settings, now=moment).topics_created == 1
    assert len(forum.topics) == 1


def test_validation_errors(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = discourse_settings(forum, monkeypatch)
    same = "Сбербанк заблокировал карту без объяснений, на ней вся зарплата"
    with factory() as session, session.begin():
        a = add_post(session, same, "Сбербанк", NOW - timedelta(hours=10))
        b = add_post(session, same, "Сбербанк", NOW, author="Другой клиент")
        enqueue_alerts(session, [a, b], settings.alerts, NOW)
    forum.topics.clear()
    settings.alerts.group_window = 60  # far apart in time: two topics with the same title
    assert dispatch(factory, settings, now=NOW).topics_created == 2
    titles = sorted(t.title for t in forum.topics.values())
    assert titles[0] != titles[1] and "обращение №" in titles[1]


def test_bad_credentials_pause_the_board_and_keep_the_alerts(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong API key is the configuration's fault, not the alerts': one error line says what to fix, the
    board is not asked again in this run, every alert stays pending with its attempts, and is sent once the
    key is fixed."""
    settings = discourse_settings(forum, monkeypatch)
    monkeypatch.setenv("MOLVA_DISCOURSE_API_KEY", "wrong")
    settings = load_settings()
    _enqueue(factory, settings, TEXTS)
    result = dispatch(factory, settings, now=NOW, http_client=httpx.Client(timeout=2))
    assert (result.failed, result.postponed, result.topics_created) == (0, 2, 0)
    (error,) = result.errors
    assert "403" in error and "MOLVA_DISCOURSE_API_KEY" in error
    assert forum.topics == {} and len(forum.requests) == 1
    with factory() as session:
        rows = list(session.scalars(select(AlertOutbox)))
        assert [(r.status, r.attempts) for r in rows] == [("pending", 0)] * 3
        assert all(r.next_attempt_at.replace(tzinfo=NOW.tzinfo) == NOW for r in rows)
    monkeypatch.setenv("MOLVA_DISCOURSE_API_KEY", forum.api_key)
    fixed = dispatch(factory, load_settings(), now=NOW + timedelta(minutes=1))
    assert (fixed.topics_created, fixed.failed) == (3, 0) and len(forum.topics) == 3


@pytest.mark.parametrize("missing", ["MOLVA_DISCOURSE_API_KEY", "MOLVA_DISCOURSE_API_USERNAME"])
def test_empty_or_missing_credentials_count_as_not_configured(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    settings = discourse_settings(forum, monkeypatch)
    monkeypatch.setenv(missing, "")
    settings = load_settings()
    settings.alerts.adapter = "discourse"
    _enqueue(factory, settings, TEXTS[:2])
    result = dispatch(factory, settings, now=NOW)
    assert (result.failed, result.postponed) == (0, 1)
    (error,) = result.errors
    assert "Discourse не настроен" in error and missing in error
    assert forum.requests == []
    with factory() as session:
        assert [(r.status, r.attempts) for r in session.scalars(select(AlertOutbox))] == [("pending", 0)] * 2
