"""Benchmark: re-checking stored posts for deletion at the source (``molva.privacy.recheck_deleted``) against the
local simulator, per kind, in one run: Mastodon (one status-API request per post, the reference), Telegram (one
embed request per post plus one channel page per channel with a deleted post) and VK (``wall.getById``, 100 posts
a call; one ``wall.getComment`` per comment whose post is still there). A tenth of the posts are deleted at the
source first. VK is paced at ``--vk-rps`` (default 1000 here, to measure Molva's side; VK itself allows 3).
Prints one JSON line per kind.

    .venv/bin/python benchmarks/privacy_recheck.py [--posts-per-day 300]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from sqlalchemy.orm import Session  # noqa: E402

from molva.db import make_engine, upgrade  # noqa: E402
from molva.models import Mention, Source  # noqa: E402
from molva.privacy import recheck_deleted  # noqa: E402
from molva.recheck import SourceAccess  # noqa: E402
from simulator.server import SimServer  # noqa: E402
from simulator.world import build_world  # noqa: E402

TOKEN = "bench-token"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts-per-day", type=int, default=300)
    parser.add_argument("--vk-rps", type=float, default=1000.0)
    args = parser.parse_args()
    world = build_world(seed=1, days=2, posts_per_day=args.posts_per_day)
    tmp = Path(tempfile.mkdtemp(prefix="molva-recheck-"))
    by_kind = {kind: [p for p in world.visible() if p.kind == kind] for kind in ("mastodon", "telegram", "vk")}
    with SimServer(world, port=0, vk_token=TOKEN, vk_rps=args.vk_rps) as sim:
        engines = {}
        for kind, posts in by_kind.items():  # one database per kind: each run asks one kind only
            url = f"sqlite:///{tmp / f'{kind}.db'}"
            upgrade(url)
            engines[kind] = make_engine(url)
            with Session(engines[kind]) as session, session.begin():
                source = Source(name=kind, kind=kind)
                session.add(source)
                session.flush()
                for n, post in enumerate(posts):
                    session.add(Mention(source_id=source.id, kind=kind, external_id=post.external_id,
                                        url=post.url(sim.base_url), canonical_url=f"{kind}/{n}", text=post.text,
                                        published_at=world.end, content_hash=f"{kind}{n:060d}"[:64]))
        for kind, posts in by_kind.items():
            for post in posts[::10]:
                world.delete_post(kind, post.external_id)
        access = {"mastodon": SourceAccess(sim.base_url), "telegram": SourceAccess(sim.base_url),
                  "vk": SourceAccess(sim.base_url, TOKEN, args.vk_rps)}
        for kind, engine in engines.items():
            before, cpu, wall = sim.requests, time.process_time(), time.perf_counter()
            with Session(engine) as session, session.begin(), httpx.Client(timeout=10) as client:
                checked, result = recheck_deleted(session, access, client, days=30, limit=100_000,
                                                  now=world.end)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(json.dumps({
                "kind": kind, "posts": len(by_kind[kind]), "checked": checked, "erased": result.mentions,
                "deleted_at_source": len(by_kind[kind][::10]), "requests": sim.requests - before,
                "wall_s": round(wall, 2), "cpu_s_client_and_server": round(cpu, 2),
                "machine": platform.machine(), "cpus": os.cpu_count(), "load": round(os.getloadavg()[0], 2),
            }, ensure_ascii=False))
            engine.dispose()


if __name__ == "__main__":
    main()
