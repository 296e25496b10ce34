"""The demo's live spike on a simulated clock: is the outage flagged within 15 minutes, with its cause, and
no other brand?

Like ``molva demo``: a 3-day seed-1 history at 300 posts a day, then the live feed (a post every 5 s, i.e.
60 times the history's rate) and the default telecom outage, here scheduled ``--spike-in`` minutes after the
history's end so that it happens live. The simulator's clock is stepped by ``--step`` minutes; at every step
the real chain runs: ``molva crawl --all`` (subprocess) → ``molva.pipeline.classify_pending`` (the shipped
model) → ``alerts.spikes.detect_spikes``. Prints JSON: the minutes from the outage's start to its first flag,
the episode with its cause, and every other brand flagged.

    .venv/bin/python benchmarks/spike_live_demo.py                 # 35 simulated minutes, a step of 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

END = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=float, default=3)
    parser.add_argument("--spike-in", type=float, default=5, help="minutes after the history's end")
    parser.add_argument("--minutes", type=float, default=35, help="simulated minutes of live feed")
    parser.add_argument("--step", type=float, default=3, help="simulated minutes between crawl+check")
    args = parser.parse_args()

    from sqlalchemy import select

    from alerts.spikes import detect_spikes
    from molva.db import make_sessionmaker, upgrade
    from molva.models import AlertOutbox, BrandMention, Spike
    from molva.pipeline import classify_pending
    from molva.settings import load_settings
    from simulator.config import render_config
    from simulator.server import SimServer
    from simulator.world import build_world

    world = build_world(seed=args.seed, end=END, days=args.days, live_interval=5.0,
                        spike=True, spike_at=END + timedelta(minutes=args.spike_in))
    assert world.spike is not None

    class ClockSim(SimServer):
        clock = END

        def now(self) -> datetime:
            return self.clock

    work = Path(tempfile.mkdtemp(prefix="molva-spike-live-"))
    db_url = f"sqlite:///{work / 'molva.db'}"
    upgrade(db_url)
    sim = ClockSim(world, live=True).start()
    flagged: list[dict[str, Any]] = []
    timings: list[float] = []
    try:
        config = work / "molva.toml"
        config.write_text(render_config(world, sim.base_url, 60, "simulator-token", 1000.0), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOLVA_")}
        env.update(MOLVA_DATABASE_URL=db_url, MOLVA_DATA_DIR=str(work), MOLVA_CRAWL__DOWNLOAD_DELAY="0")
        for key in [k for k in os.environ if k.startswith("MOLVA_")]:
            os.environ.pop(key)
        os.environ.update(MOLVA_DATABASE_URL=db_url, MOLVA_DATA_DIR=str(work))
        settings = load_settings(config)
        factory = make_sessionmaker(db_url)
        molva = str(Path(sys.executable).with_name("molva"))
        clock = END
        while clock <= END + timedelta(minutes=args.minutes):
            sim.clock = clock
            began = time.perf_counter()
            done = subprocess.run([molva, "--config", str(config), "crawl", "--all"], env=env,
                                  capture_output=True, timeout=900)
            if done.returncode != 0:
                raise SystemExit(done.stderr.decode()[-2000:])
            classify_pending(settings, now=clock)
            with factory() as session, session.begin():
                for spike in detect_spikes(session, settings.alerts, clock, digest=False):
                    flagged.append({"at": clock.isoformat(), "brand": spike.brand,
                                    "start": spike.window_start.isoformat(), "status": spike.status})
            timings.append(time.perf_counter() - began)
            clock += timedelta(minutes=args.step)
        with factory() as session:
            episodes = [
                {"brand": s.brand, "start": s.window_start.isoformat(), "end": s.window_end.isoformat(),
                 "status": s.status, "negatives": s.negative_count, "z": s.score, "words": s.terms,
                 "aspects": [a["name"] for a in (s.details or {}).get("aspects", [])],
                 "sources": (s.details or {}).get("sources"), "samples": (s.details or {}).get("samples"),
                 "usual_share": (s.details or {}).get("usual_share"),
                 "peak_share": (s.details or {}).get("peak_share")}
                for s in session.scalars(select(Spike).order_by(Spike.window_start))
            ]
            events = [(a.brand, a.payload.get("event")) for a in session.scalars(
                select(AlertOutbox).where(AlertOutbox.kind == "spike").order_by(AlertOutbox.id))]
            with_aspects = sum(1 for bm in session.scalars(select(BrandMention)) if bm.aspects)
        factory.kw["bind"].dispose()
    finally:
        sim.stop()
        shutil.rmtree(work, ignore_errors=True)
    start = world.spike.start
    hits = [f for f in flagged if f["brand"] == world.spike.brand
            and datetime.fromisoformat(f["at"]) > start - timedelta(minutes=args.step)]
    print(json.dumps({
        "spike": {"brand": world.spike.brand, "start": start.isoformat()},
        "first_flag_minutes_after_start": (
            round((datetime.fromisoformat(hits[0]["at"]) - start).total_seconds() / 60, 1) if hits else None),
        "other_brands_flagged": sorted({f["brand"] for f in flagged if f["brand"] != world.spike.brand}),
        "flags": flagged, "episodes": episodes, "notifications": events,
        "brand_mentions_with_aspects": with_aspects,
        "seconds_per_step": round(sum(timings) / max(1, len(timings)), 1), "steps": len(timings),
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
