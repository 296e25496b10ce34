"""The source table of ``molva report``: what an operator needs to know of each source, in Russian."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from molva.cli.report import source_state

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _row(**values: Any) -> dict[str, Any]:
    row = {"source": "vk", "enabled": True, "disabled_reason": None, "last_status": "ok", "last_errors": 0,
           "consecutive_failures": 0, "backoff_until": None}
    row.update(values)
    return row


def test_each_state_reads_as_what_to_do() -> None:
    configured = {"vk"}
    state = lambda **values: source_state(_row(**values), configured, "Europe/Moscow", NOW)  # noqa: E731
    assert state() == "в порядке"
    assert state(last_status="partial", last_errors=3) == "частично: 3\u00a0ошибки"
    assert state(last_status="failed", consecutive_failures=3) == "ошибка (3\u00a0обхода подряд)"
    later = (NOW + timedelta(hours=3)).isoformat()
    paused = state(last_status="failed", consecutive_failures=2, backoff_until=later)
    assert paused.startswith("пауза после ошибок до 1 декабря") and paused.endswith(", 14:00")  # Moscow time
    assert state(backoff_until=(NOW - timedelta(hours=1)).isoformat()) == "в порядке"  # the pause is over
    assert state(last_status="running").startswith("идёт обход")
    assert state(last_status=None) == "ещё не обходился"
    assert state(enabled=False, disabled_reason="VK: токен недействителен") == "отключён: VK: токен недействителен"
    assert state(source="old_feed").startswith("нет в конфигурации")
