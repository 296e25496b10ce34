"""Spike detection: the simulator's spike is found within one cycle, other brands stay quiet; PR is told."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest
from sim_rows import add_post
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.content import spike_text
from alerts.dispatcher import dispatch
from alerts.spikes import detect_spikes, enqueue_digest, robust_z
from molva.models import AlertOutbox, Spike, as_utc
from molva.settings import AlertsSettings, Settings
from tests.alerts.clock import NOW

CYCLE = timedelta(minutes=15)  # the crawl interval of the demo config


def test_robust_z_is_calm_for_noise_and_loud_for_bursts() -> None:
    assert robust_z(3, [2, 3, 1, 2, 4, 2, 3, 2])[1] < 3.5
    median, z = robust_z(20, [2, 3, 1, 2, 4, 2, 3, 2])
    assert median == 2 and z > 10


BRANDS = ("Билайн", "МТС", "МегаФон", "Сбербанк")
KINDS = ("vk", "telegram", "mastodon")
HISTORY_NEGATIVE = (
    "{b} опять списал деньги за подписку, которую я не подключал",
    "у {b} медленный интернет по вечерам, видео не грузится",
    "в офисе {b} очередь на час, консультант один",
)
HISTORY_OTHER = (
    "{b} поменял тариф, вроде стало дешевле",
    "кто пользуется {b}, как у вас роуминг в Турции?",
    "спасибо {b} за быстрый ответ в чате",
)
OUTAGE = ("{b} лежит? Нет связи и интернета в {city}", "У {b} сбой? Нет связи с утра, {city}",
          "{b} не работает, нет связи и интернета в {city} уже час")
CITIES = ("Казани", "Перми", "Самаре", "Уфе", "Омске", "Туле")


def _history(
    session: Session, end: datetime, *, days: float = 7, per_hour: float = 1.0, brands: tuple[str, ...] = BRANDS,
    start: datetime | None = None, source_name: str | None = None, negative_share: float = 0.3, seed: int = 7,
) -> None:
    """Steady chatter: ``per_hour`` posts an hour per brand, ``negative_share`` of them negative."""
    rng = random.Random(seed)
    begin = start or end - timedelta(days=days)
    count = int((end - begin).total_seconds() / 3600 * per_hour)
    for brand in brands:
        for i in range(count):
            at = begin + (end - begin) * rng.random()
            negative = rng.random() < negative_share
            template = rng.choice(HISTORY_NEGATIVE if negative else HISTORY_OTHER)
            add_post(
                session, template.format(b=brand) + f" #{i}", brand, at,
                kind=rng.choice(KINDS), source_name=source_name,
                sentiment="negative" if negative else rng.choice(("neutral", "positive")),
                urgency=0.3, author=f"Автор {rng.randrange(500)}", followers=rng.randrange(10, 900),
                aspects=["tariffs"] if negative else ["support"],
            )


def _outage(session: Session, brand: str, start: datetime, per_hour: tuple[int, ...], seed: int = 3) -> list[int]:
    """The demo-like outage: ``per_hour`` negatives in each hour from ``start``."""
    rng = random.Random(seed)
    ids = []
    for hour, count in enumerate(per_hour):
        for i in range(count):
            at = start + timedelta(hours=hour, seconds=rng.random() * 3600)
            bm = add_post(
                session, rng.choice(OUTAGE).format(b=brand, city=rng.choice(CITIES)) + f" ({hour}-{i})", brand, at,
                kind=rng.choice(KINDS), author=f"Абонент {hour}-{i}", followers=rng.randrange(5, 5000),
                aspects=["coverage", "mobile_internet"],
            )
            ids.append(bm.mention_id)
    return ids


def _checks(session: Session, settings: AlertsSettings, first: datetime, last: datetime) -> list[tuple[datetime, Spike]]:
    found: list[tuple[datetime, Spike]] = []
    moment = first
    while moment <= last:
        found += [(moment, s) for s in detect_spikes(session, settings, moment, digest=False)]
        moment += CYCLE
    return found


def test_demo_like_outage_is_one_episode_found_at_the_first_check_with_its_cause(session: Session) -> None:
    settings = AlertsSettings()
    t0 = NOW
    _history(session, t0)
    _history(session, t0 + timedelta(hours=6), start=t0, seed=8)  # the chatter goes on during the outage
    _outage(session, "Билайн", t0, (30, 50, 28))
    found = _checks(session, settings, t0 - timedelta(hours=2), t0 + timedelta(hours=6))
    assert [(at, s.brand) for at, s in found] == [(t0 + CYCLE, "Билайн")]  # the first check after the start
    (spike,) = session.scalars(select(Spike)).all()  # one episode, not many
    assert spike.status == "ended"
    assert t0 <= as_utc(spike.window_start) <= t0 + timedelta(minutes=5)  # the marker sits where it began
    assert t0 + timedelta(hours=2, minutes=45) <= as_utc(spike.window_end) <= t0 + timedelta(hours=3)
    assert 100 <= spike.negative_count <= 115
    details = spike.details or {}
    assert details["aspects"][0]["name"] == "Покрытие и качество связи"
    assert {"связь", "интернет"} <= set(spike.terms or []) and "билайн" not in (spike.terms or [])
    assert len(details["samples"]) == 3 and all(p["url"].startswith("https://") for p in details["samples"])
    followers = [a["followers"] for a in details["authors"]]
    assert len(followers) == 3 and followers == sorted(followers, reverse=True)
    assert {s["kind"] for s in details["sources"]} <= set(KINDS)
    alerts = session.scalars(select(AlertOutbox).where(AlertOutbox.kind == "spike").order_by(AlertOutbox.id)).all()
    events = [a.payload["event"] for a in alerts]
    assert events[0] == "start" and events[-1] == "end" and events.count("start") == events.count("end") == 1
    assert len(events) <= 4 and {a.brand for a in alerts} == {"Билайн"}
    text = spike_text(alerts[0].payload)
    assert "Всплеск негатива: «Билайн»" in text and "Покрытие и качество связи" in text and "связь" in text
    assert "Всплеск негатива закончился" in spike_text(alerts[-1].payload)


def test_a_backfill_a_new_source_and_a_faster_feed_are_not_storms(session: Session) -> None:
    settings = AlertsSettings()
    _history(session, NOW)
    # a crawl backfill: a week of old posts of a new source arriving at once (counted where published)
    _history(session, NOW, source_name="vk-backfill", per_hour=2, negative_share=0.5, seed=11)
    # a newly added feed whose posts only start 36 hours ago, angrier than usual for Билайн
    _history(session, NOW, start=NOW - timedelta(hours=36), brands=("Билайн",), source_name="new-feed",
             per_hour=8, negative_share=0.9, seed=12)
    # the live feed: every brand 30 times as often in the last two hours, as negative as usual
    _history(session, NOW, start=NOW - timedelta(hours=2), per_hour=30, seed=13)
    assert _checks(session, settings, NOW - timedelta(hours=3), NOW) == []
    assert session.scalar(select(func.count()).select_from(Spike)) == 0


def test_minimum_count_and_no_history(session: Session) -> None:
    settings = AlertsSettings()
    for i in range(12):  # no history at all: nothing to compare with
        add_post(session, f"МТС нет связи в Казани, {i}", "МТС", NOW - timedelta(minutes=3 * i))
    assert detect_spikes(session, settings, NOW) == []
    _history(session, NOW - timedelta(hours=1), brands=("ВТБ", "Сбербанк"), per_hour=0.5)
    for i in range(4):  # a quiet brand's four complaints in an hour stay below the minimum
        add_post(session, f"ВТБ не работает приложение, {i}", "ВТБ", NOW - timedelta(minutes=5 + 10 * i))
    assert detect_spikes(session, settings, NOW) == []


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"key": unquote(self.headers["Idempotency-Key"]), **json.loads(body)})
        self.send_response(204)
        self.end_headers()


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Hook.received
    server.shutdown()
    server.server_close()


def test_spike_and_digest_reach_the_webhook(
    factory: sessionmaker[Session], settings: Settings, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    settings.alerts.webhook_url = url
    with factory() as session, session.begin():
        _history(session, NOW, days=2)
        _outage(session, "МТС", NOW - timedelta(minutes=30), (20,))
        assert len(detect_spikes(session, settings.alerts, NOW)) == 1
        assert enqueue_digest(session, settings.alerts, NOW) is None  # already queued by detect_spikes
    result = dispatch(factory, settings, now=NOW)
    assert result.notifications_sent == 2 and result.failed == 0
    kinds = {r["type"]: r for r in received}
    assert set(kinds) == {"spike", "digest"}
    assert kinds["spike"]["brand"] == "МТС" and "Всплеск негатива" in kinds["spike"]["text"]
    assert kinds["spike"]["key"].startswith("spike:МТС:") and kinds["spike"]["key"].endswith(":start")
    assert "Покрытие и качество связи" in kinds["spike"]["text"]
    assert "Сводка" in kinds["digest"]["text"]
    assert dispatch(factory, settings, now=NOW).processed == 0


def test_cli_lists_episodes_with_their_cause(
    db_url: str, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from molva.cli import main

    with factory() as session, session.begin():
        _history(session, NOW, days=2)
        _outage(session, "Билайн", NOW - timedelta(minutes=40), (25,))
        (spike,) = detect_spikes(session, AlertsSettings(), NOW, digest=False)
        assert spike.status == "open"
    monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
    out = CliRunner().invoke(main, ["alerts", "spikes", "--no-detect", "--days", "100000", "--json"])
    assert out.exit_code == 0, out.output
    (row,) = json.loads(out.output)["spikes"]
    assert row["brand"] == "Билайн" and row["status"] == "open"
    assert row["cause"]["aspects"][0]["code"] == "coverage"
    text = CliRunner().invoke(main, ["alerts", "spikes", "--no-detect", "--days", "100000"])
    assert "Билайн (идёт)" in text.output and "Покрытие и качество связи" in text.output
    assert "МСК" in text.output and "+00:00" not in text.output and "негативных упоминани" in text.output
