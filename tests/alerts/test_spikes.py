"""Spike detection: the simulator's spike is found within one cycle, other brands stay quiet; PR is told."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest
from sim_rows import add_post, load_world
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.dispatcher import dispatch
from alerts.spikes import detect_spikes, enqueue_digest, robust_z
from molva.models import AlertOutbox, Spike
from molva.settings import AlertsSettings, Settings
from simulator.world import build_world
from tests.alerts.clock import NOW

CYCLE = timedelta(minutes=15)  # the crawl interval of the demo config


def test_robust_z_is_calm_for_noise_and_loud_for_bursts() -> None:
    assert robust_z(3, [2, 3, 1, 2, 4, 2, 3, 2])[1] < 3.5
    median, z = robust_z(20, [2, 3, 1, 2, 4, 2, 3, 2])
    assert median == 2 and z > 10


def _steady(session: Session, brand: str, per_hour: int, hours: int, end: datetime) -> None:
    for h in range(hours):
        for k in range(per_hour):
            add_post(
                session,
                f"{brand} опять тормозит приложение, обновление №{h}-{k} не помогло",
                brand,
                end - timedelta(hours=h, minutes=5 + k * 7),
                urgency=0.3,
            )


def test_burst_is_a_spike_once_per_cooldown_and_noise_is_not(session: Session) -> None:
    settings = AlertsSettings()
    _steady(session, "ВТБ", 2, 30, NOW)
    _steady(session, "Сбербанк", 2, 30, NOW)
    for i in range(12):
        add_post(
            session,
            f"Сбербанк не работает! Ошибка 503 при входе, Москва, {i}",
            "Сбербанк",
            NOW - timedelta(minutes=2 + i * 3),
            author=f"Клиент {i}",
        )
    (spike,) = detect_spikes(session, settings, NOW)
    assert spike.brand == "Сбербанк" and spike.negative_count >= 12 and spike.score >= settings.spike_z
    assert "ошибка" in spike.terms and "сбербанк" not in [t.lower() for t in spike.terms]
    assert detect_spikes(session, settings, NOW + timedelta(minutes=15)) == []  # cooldown
    (row,) = session.scalars(select(AlertOutbox).where(AlertOutbox.kind == "spike")).all()
    assert row.brand == "Сбербанк" and row.adapter == "log" and len(row.payload["posts"]) == 10


def test_simulator_spike_found_within_one_cycle_and_no_other_brand(session: Session) -> None:
    world = build_world(seed=1, end=datetime(2025, 3, 14, 12, 0, tzinfo=UTC))
    assert world.spike is not None
    load_world(session, world)
    settings = AlertsSettings()
    found: list[tuple[datetime, Spike]] = []
    moment = world.start + timedelta(days=1)  # a full baseline behind every check
    while moment <= world.end:
        found += [(moment, s) for s in detect_spikes(session, settings, moment, digest=False)]
        moment += CYCLE
    assert {s.brand for _, s in found} == {world.spike.brand}, [(m, s.brand) for m, s in found]
    first_at, first = found[0]
    assert world.spike.start < first_at <= world.spike.start + CYCLE
    assert {"связи", "интернета"} <= set(first.terms)
    alerts = session.scalars(select(AlertOutbox).where(AlertOutbox.kind == "spike")).all()
    assert [a.brand for a in alerts] == [world.spike.brand] * len(found)


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
        for i in range(8):
            add_post(session, f"МТС нет связи в Казани, {i}", "МТС", NOW - timedelta(minutes=3 * i))
        assert len(detect_spikes(session, settings.alerts, NOW)) == 1
        assert enqueue_digest(session, settings.alerts, NOW) is None  # already queued by detect_spikes
    result = dispatch(factory, settings, now=NOW)
    assert result.notifications_sent == 2 and result.failed == 0
    kinds = {r["type"]: r for r in received}
    assert set(kinds) == {"spike", "digest"}
    assert kinds["spike"]["brand"] == "МТС" and "Всплеск негатива" in kinds["spike"]["text"]
    assert kinds["spike"]["key"].startswith("spike:МТС:")
    assert "Сводка" in kinds["digest"]["text"]
    assert dispatch(factory, settings, now=NOW).processed == 0
