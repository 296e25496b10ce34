"""Odd answers from the Discourse address (a proxy's HTML page, a redirect, a site that is not Discourse):
each is one clear line in Russian, the alert stays pending for a retry, no traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest
from sim_rows import add_post
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.dispatcher import DispatchResult, dispatch
from alerts.rules import enqueue_alerts
from molva.models import AlertOutbox
from molva.settings import Settings, load_settings
from tests.alerts.clock import NOW

BASE = "http://forum.example"
Handler = Callable[[httpx.Request], httpx.Response]


def _settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("MOLVA_DISCOURSE_URL", BASE)
    monkeypatch.setenv("MOLVA_DISCOURSE_API_KEY", "secret")
    monkeypatch.setenv("MOLVA_DISCOURSE_API_USERNAME", "molva")
    monkeypatch.setenv("MOLVA_ALERTS__ADAPTER", "discourse")
    return load_settings()


def _run(
    factory: sessionmaker[Session], settings: Settings, handler: Handler, count: int = 1
) -> DispatchResult:
    with factory() as session, session.begin():
        bms = [
            add_post(session, f"Сбербанк заблокировал карту без объяснений, верните доступ {i}", "Сбербанк",
                     NOW, url=f"https://vk.com/wall-1_{i}")
            for i in range(count)
        ]
        enqueue_alerts(session, bms, settings.alerts, NOW)
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        return dispatch(factory, settings, now=NOW, http_client=http)


def _pending(factory: sessionmaker[Session]) -> list[AlertOutbox]:
    with factory() as session:
        rows = list(session.scalars(select(AlertOutbox)))
    assert rows and all(r.status == "pending" for r in rows)
    return rows


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def _not_found(request: httpx.Request) -> httpx.Response | None:
    if request.method == "GET" and request.url.path.startswith("/t/external_id/"):
        return httpx.Response(404, json={"errors": ["not found"], "error_type": "not_found"})
    return None


def test_html_200_on_create_is_one_line_and_kept(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return _not_found(request) or httpx.Response(
            200, text="<html>\n<body>\n<h1>Добро пожаловать</h1>\n</body>\n</html>",
            headers={"Content-Type": "text/html"},
        )

    caplog.set_level(logging.INFO)
    result = _run(factory, _settings(monkeypatch), handler)
    assert (result.retry_scheduled, result.failed) == (1, 0)
    (error,) = result.errors
    assert "\n" not in error and "не JSON" in error and "text/html" in error
    _pending(factory)
    _no_traceback(caplog)


def test_json_without_topic_id_is_one_line(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return _not_found(request) or httpx.Response(200, json={"ok": True})

    result = _run(factory, _settings(monkeypatch), handler)
    assert result.retry_scheduled == 1 and "нет поля topic_id" in result.errors[0]
    _pending(factory)
    _no_traceback(caplog)


def test_html_200_on_lookup_is_one_line(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(monkeypatch)
    with factory() as session, session.begin():
        bm = add_post(session, "Сбербанк заблокировал карту без объяснений, верните доступ", "Сбербанк", NOW)
        enqueue_alerts(session, [bm], settings.alerts, NOW)
        row = session.scalars(select(AlertOutbox)).one()
        row.payload = {**row.payload, "discourse_external_id": "molva-c-0"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<!doctype html><title>Вход</title>", headers={"Content-Type": "text/html"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        result = dispatch(factory, settings, now=NOW, http_client=http)
    assert result.retry_scheduled == 1 and "не JSON" in result.errors[0] and "\n" not in result.errors[0]
    _pending(factory)
    _no_traceback(caplog)


def test_redirect_on_post_is_not_followed(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url)))
        found = _not_found(request)
        if found is not None:
            return found
        if request.url.scheme == "http":
            return httpx.Response(301, headers={"Location": str(request.url.copy_with(scheme="https"))})
        return httpx.Response(200, json={"id": 1, "topic_id": 1, "topic_slug": "t"})

    result = _run(factory, _settings(monkeypatch), handler)
    assert result.topics_created == 0
    assert "https://forum.example/posts.json" in result.errors[0] and "MOLVA_DISCOURSE_URL" in result.errors[0]
    assert [m for m, _ in seen].count("POST") == 1 and not any(u.startswith("https") for _, u in seen)
    _pending(factory)
    _no_traceback(caplog)


NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def test_html_error_page_is_one_short_line(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text=NGINX_502, headers={"Content-Type": "text/html"})

    result = _run(factory, _settings(monkeypatch), handler)
    (error,) = result.errors
    assert error.endswith("Discourse 502: 502 Bad Gateway nginx") and "<" not in error
    with factory() as session:
        (row,) = session.scalars(select(AlertOutbox)).all()
        assert row.last_error == "Discourse 502: 502 Bad Gateway nginx"


def test_not_a_discourse_site_says_to_check_the_url(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = "<html><body><h1>Страница не найдена</h1>\n<p>Вернитесь на главную</p>" + "x" * 500 + "</body></html>"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text=page, headers={"Content-Type": "text/html"})

    result = _run(factory, _settings(monkeypatch), handler)
    (error,) = result.errors
    assert "Страница не найдена Вернитесь на главную" in error and "проверьте MOLVA_DISCOURSE_URL" in error
    assert "\n" not in error and len(error) < 400
    _pending(factory)


def test_webhook_html_error_is_one_short_line() -> None:
    from alerts.errors import TransientError
    from alerts.webhook import post_json

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text=NGINX_502.replace("502 Bad Gateway", "503 Service Unavailable"))

    with httpx.Client(transport=httpx.MockTransport(handler)) as http, pytest.raises(TransientError) as caught:
        post_json(http, "http://bot.example/hook", "k", {"text": "x"})
    assert str(caught.value) == "вебхук 503: 503 Service Unavailable nginx"


@pytest.mark.parametrize(
    ("errors", "taken"),
    [
        (["Title has already been used"], True),
        (["Заголовок уже используется"], True),
        (["Заголовок уже был использован"], True),
        (["Тема с таким заголовком уже существует"], True),
        (["Название уже занято"], True),
        (["Заголовок слишком короткий (минимум 15 символов)"], False),
        (["Внешний ID уже используется"], False),
        (["Title is too short (minimum is 15 characters)"], False),
    ],
)
def test_title_taken_in_english_and_russian(errors: list[str], taken: bool) -> None:
    from alerts.discourse import ValidationFailed

    assert ValidationFailed(errors).title_taken is taken


def test_russian_title_taken_gets_the_alert_number(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    titles: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        found = _not_found(request)
        if found is not None:
            return found
        import json

        titles.append(json.loads(request.content)["title"])
        if len(titles) == 1:
            return httpx.Response(422, json={"action": "create_post", "errors": ["Заголовок уже используется"]})
        return httpx.Response(200, json={"id": 5, "topic_id": 3, "topic_slug": "t"})

    result = _run(factory, _settings(monkeypatch), handler)
    assert (result.topics_created, result.failed) == (1, 0)
    assert len(titles) == 2 and "(обращение №1)" in titles[1]
