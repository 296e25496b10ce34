"""Benchmark: enqueue + dispatch of the simulator's seed-1 world (truth labels) to the built-in board and
to the fake Discourse, and a week of spike checks every 15 minutes. Prints one JSON line.

    .venv/bin/python benchmarks/alerts_dispatch.py
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "alerts")]

from sim_rows import load_world, score_topics  # noqa: E402

from alerts.dispatcher import dispatch  # noqa: E402
from alerts.rules import enqueue_alerts  # noqa: E402
from alerts.spikes import detect_spikes  # noqa: E402
from molva.db import make_sessionmaker, upgrade  # noqa: E402
from molva.settings import load_settings  # noqa: E402
from simulator.discourse import FakeDiscourse  # noqa: E402
from simulator.world import build_world  # noqa: E402

END = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


def run(adapter: str, tmp: Path) -> dict[str, object]:
    url = f"sqlite:///{tmp / f'{adapter}.db'}"
    upgrade(url)
    factory = make_sessionmaker(url)
    world = build_world(seed=1, end=END)
    settings = load_settings()
    forum = FakeDiscourse(api_key="k", api_username="molva").start() if adapter == "discourse" else None
    try:
        if forum is not None:
            settings.discourse_url, settings.discourse_api_username = forum.url, "molva"
            settings.alerts.adapter = "discourse"  # the configured adapter decides where topics go
            from pydantic import SecretStr

            settings.discourse_api_key = SecretStr("k")
        with factory() as session, session.begin():
            loaded = load_world(session, world)
            t0 = time.perf_counter()
            queued = enqueue_alerts(session, loaded.brand_mentions, settings.alerts, END)
            enqueue_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = dispatch(factory, settings, now=END)
        dispatch_s = time.perf_counter() - t0
        with factory() as session:
            score = score_topics(session, loaded.truth, loaded.by_key)
        out: dict[str, object] = {
            "adapter": adapter,
            "brand_mentions": len(loaded.brand_mentions),
            "alerts": queued,
            "enqueue_s": round(enqueue_s, 3),
            "dispatch_s": round(dispatch_s, 3),
            "alerts_per_s": round(queued / dispatch_s, 1),
            "topics": result.topics_created,
            "linked": result.linked,
            "recall": round(score.recall, 3),
            "false_topic_share": round(score.false_topic_share, 3),
            "post_precision": round(score.post_precision, 3),
        }
        if adapter == "builtin":
            t0 = time.perf_counter()
            checks, spikes = 0, []
            moment = world.start + timedelta(days=1)
            with factory() as session, session.begin():
                while moment <= world.end:
                    spikes += [
                        (s.brand, moment.isoformat()) for s in detect_spikes(session, settings.alerts, moment)
                    ]
                    moment += timedelta(minutes=15)
                    checks += 1
            out.update(
                spike_checks=checks,
                spike_check_ms=round(1000 * (time.perf_counter() - t0) / checks, 2),
                spikes=spikes,
                truth_spike=[world.spike.brand, world.spike.start.isoformat()] if world.spike else None,
            )
        return out
    finally:
        if forum is not None:
            forum.stop()
        factory.kw["bind"].dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for adapter in ("builtin", "discourse"):
            row = run(adapter, Path(tmp))
            row.update(
                machine=platform.machine(),
                python=platform.python_version(),
                date=datetime.now(UTC).date().isoformat(),
            )
            print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
