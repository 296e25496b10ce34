"""banki.ru (reviews + Q&A, real markup) against the simulator as `molva sim --seed 1` serves it (7 days, 300
posts a day): every post of the service stored once, a second crawl adds 0, response rates per bank within 0.02
of the truth.

    .venv/bin/python benchmarks/banki_sim.py [--seed 1] [--days 7]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def crawl(env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "molva", "crawl", "banki"], env=env, capture_output=True, text=True,
                          cwd=ROOT, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    return time.perf_counter() - started, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=float, default=7)
    args = parser.parse_args()

    from sqlalchemy import select

    from molva.db import make_sessionmaker, upgrade
    from molva.metrics import build_report
    from molva.models import Mention, OfficialReply
    from simulator.config import sources_for
    from simulator.server import SimServer
    from simulator.world import build_world

    world = build_world(seed=args.seed, days=args.days)
    with tempfile.TemporaryDirectory() as tmp, SimServer(world, port=0) as sim:
        db_url = f"sqlite:///{tmp}/molva.db"
        upgrade(db_url)
        source = next(s for s in sources_for(world, sim.base_url) if s["kind"] == "reviews")
        config = Path(tmp) / "banki.toml"
        config.write_text("[crawl]\ndownload_delay = 0\n\n[[sources]]\nname = \"banki\"\nkind = \"reviews\"\n"
                          f"targets = {json.dumps(source['targets'], ensure_ascii=False)}\n"
                          f"base_url = \"{sim.base_url}\"\n", encoding="utf-8")
        env = {**os.environ, "MOLVA_CONFIG": str(config), "MOLVA_DATABASE_URL": db_url,
               "MOLVA_CRAWL__AUTOTHROTTLE": "false", "MOLVA_CRAWL__MAX_PAGES": "1000",
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        first_s, first = crawl(env)
        truth = [p for p in sim.truth()["posts"] if p["kind"] == "reviews"]
        second_s, second = crawl(env)
        with make_sessionmaker(db_url)() as session:
            stored = Counter(session.scalars(select(Mention.external_id)))
            replies = len(session.scalars(select(OfficialReply.id)).all())
            report = build_report(session)
    want = {p["external_id"] for p in truth}
    addressed = Counter(p["brand"] for p in truth if p["addressed"] and p["brand"])
    answered = Counter(p["brand"] for p in truth if p["answered"] and p["brand"])
    rows = {r["brand"]: r for r in report["brands"]}
    diffs = {b: abs((rows[b]["response_rate"] or 0) - answered[b] / n) for b, n in addressed.items() if b in rows}
    questions = sum(1 for p in truth if p["external_id"].startswith("qa-"))
    print(f"world seed={args.seed} days={args.days}: {len(truth)} banki.ru posts ({questions} questions, "
          f"{len(truth) - questions} reviews), {sum(p['answered'] for p in truth)} answered")
    print(f"first crawl {first_s:.1f} s: {first}")
    print(f"second crawl {second_s:.1f} s: {second}")
    print(f"stored {len(stored)} (missing {len(want - set(stored))}, extra {len(set(stored) - want)}, "
          f"twice {sum(1 for v in stored.values() if v > 1)}); official replies {replies}")
    print(f"response rate per bank: {len(diffs)} brands, max |stored - truth| = {max(diffs.values()):.4f}; "
          f"brands missing from the report: {sorted(set(addressed) - set(rows))}")


if __name__ == "__main__":
    main()
