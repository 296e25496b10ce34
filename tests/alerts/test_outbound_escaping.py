"""Issue 14.4: support topics sent to Discourse carry the post as inert text (no HTML, images, links,
@mentions or bidi controls), built by the one escaping helper (molva.escaping)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sim_rows import add_post
from sqlalchemy.orm import Session, sessionmaker

from alerts.dispatcher import dispatch
from alerts.rules import enqueue_alerts
from molva.escaping import markdown_inert, plain_title, strip_invisible
from molva.settings import load_settings
from simulator.discourse import FakeDiscourse
from tests.alerts.clock import NOW

RLO = "\u202e"
HOSTILE = (
    f"Сбербанк {RLO}не работает{RLO} @admin @moderators, смотрите ![pic](https://evil.example/x.png) "
    "<img src=x onerror=alert(1)> <script>alert(2)</script> [жми](javascript:alert(3)) "
    "https://evil.example/phish &#x202E; **жирно** _курсив_\n# Заголовок\n> цитата\n[quote]bb[/quote]"
)
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _outside_code_spans(markdown: str) -> str:
    return re.sub(r"`[^`]*`", "", markdown)


def _assert_inert(raw: str) -> None:
    plain = _outside_code_spans(raw)
    assert not BIDI.search(raw)
    assert not re.search(r"(?<![\w`\\])@\w", plain), "an @mention would notify someone"
    assert not re.search(r"(?<!\\)!(?<!\\)\[", plain), "an image"
    assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", plain), "a markdown link"
    assert not re.search(r"(?<!\\)<(?!https?://)[a-z/!]", plain, re.I), "raw HTML"
    assert not re.search(r"(?<!\\)&#", plain), "a character reference (e.g. an encoded bidi override)"
    assert not re.search(r"(?<![`<])https?://evil", plain), "a live link to the post's URLs"


def test_markdown_inert_keeps_the_words() -> None:
    out = markdown_inert(HOSTILE)
    _assert_inert(out)
    for word in ("Сбербанк", "не работает", "`@admin`", "`https://evil.example/phish`", "Заголовок", "жирно"):
        assert word in out
    assert strip_invisible(f"a{RLO}b\u2066c\x00d") == "abcd"
    assert plain_title(f"{RLO}<b>@admin</b>  привет\n") == "‹b›＠admin‹/b› привет"


@pytest.fixture
def forum() -> Iterator[FakeDiscourse]:
    with FakeDiscourse(api_key="secret", api_username="molva") as fake:
        yield fake


def test_topic_sent_to_discourse_is_inert(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOLVA_DISCOURSE_URL", forum.url)
    monkeypatch.setenv("MOLVA_DISCOURSE_API_KEY", forum.api_key)
    monkeypatch.setenv("MOLVA_DISCOURSE_API_USERNAME", forum.api_username)
    monkeypatch.setenv("MOLVA_ALERTS__ADAPTER", "discourse")
    settings = load_settings()
    with factory() as session, session.begin():
        bm = add_post(session, HOSTILE, "Сбербанк", NOW - timedelta(minutes=5), author=f"@root {RLO}<b>Анна</b>",
                      title=f"{RLO}@everyone <script>x</script> Сбербанк сломался")
        enqueue_alerts(session, [bm], settings.alerts, NOW)
    result = dispatch(factory, settings, now=NOW)
    assert result.topics_created == 1, result
    (topic,) = forum.topics.values() if isinstance(forum.topics, dict) else forum.topics
    raw = topic.posts[0]["raw"]
    assert "Сбербанк" in raw and "не работает" in raw and "`@admin`" in raw  # the words survive, inert
    _assert_inert(raw)
    assert not BIDI.search(topic.title) and "@" not in topic.title and "<" not in topic.title
