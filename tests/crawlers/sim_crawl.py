"""Helpers for tests that crawl a running simulator with `molva crawl` in a subprocess (Scrapy's reactor
cannot be restarted inside the test process)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from molva.db import make_sessionmaker
from molva.models import Mention

ROOT = Path(__file__).resolve().parents[2]


def write_config(path: Path, base_url: str, world: Any) -> None:
    from simulator.config import render_config

    text = render_config(world, base_url)
    # The VK rate limit raised (the simulator is told the same): VK's own limit would make the tests slow.
    if re.search(r"^options = .*rps", text, re.M):
        text = re.sub(r"^options = .*rps.*$", "options = {rps = 200}", text, flags=re.M)
    else:
        text = text.replace('name = "vk"\n', 'name = "vk"\noptions = {rps = 200}\n')
    path.write_text(text, encoding="utf-8")


def crawl_env(config: Path, db_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "MOLVA_CONFIG": str(config), "MOLVA_DATABASE_URL": db_url, "MOLVA_VK_TOKEN": "test-token",
           "MOLVA_CRAWL__DOWNLOAD_DELAY": "0", "MOLVA_CRAWL__AUTOTHROTTLE": "false", "MOLVA_CRAWL__MAX_PAGES": "100",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.update(extra)
    return env


def run_crawl(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "molva", "crawl", *args], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


def stored_ids(db_url: str) -> Counter[tuple[str, str]]:
    factory = make_sessionmaker(db_url)
    with factory() as session:
        return Counter((kind, ext) for kind, ext in session.execute(select(Mention.kind, Mention.external_id)))
