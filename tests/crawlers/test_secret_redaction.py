"""Issue 14.1: no secret reaches any output of a faulty crawl (stdout, stderr, logs, database rows)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sim_crawl import crawl_env, run_crawl, write_config
from sqlalchemy import create_engine, inspect, select, text

pytest.importorskip("simulator.server")

TOKEN = "vk1.a.S3cretT0kenThatMustNeverLeak_0123456789"


def _all_rows_text(db_url: str) -> str:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            chunks = []
            for table in inspect(conn).get_table_names():
                chunks += [repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{table}"'))]
            return "\n".join(chunks)
    finally:
        engine.dispose()


@pytest.mark.timeout(1800)
def test_faulty_vk_crawl_never_shows_the_token(tmp_path: Path, db_url: str) -> None:
    from molva.db import make_sessionmaker
    from molva.models import CrawlRun
    from simulator.server import SimServer
    from simulator.world import build_world

    world = build_world(seed=3, days=1, posts_per_day=30)
    with SimServer(world, port=0, vk_rps=1000, faults="5xx=0.3,malformed=0.2",
                   vk_token=TOKEN) as sim:
        config = tmp_path / "sim.toml"
        write_config(config, sim.base_url, world)
        log_file = tmp_path / "crawl.log"
        env = crawl_env(config, db_url, MOLVA_VK_TOKEN=TOKEN, MOLVA_CRAWL__RETRY_TIMES="0",
                        MOLVA_CRAWL__DISABLE_AFTER_FAILURES="1")
        result = run_crawl(env, "vk", "-v")  # Scrapy's INFO log too
        log_file.write_text(result.stdout + result.stderr, encoding="utf-8")

    factory = make_sessionmaker(db_url)
    with factory() as session:
        runs = session.scalars(select(CrawlRun)).all()
    samples = [m for r in runs for m in (r.stats or {}).get("error_samples", [])]
    # Not vacuous: the errors name the VK request URL (where the token used to be) with the token masked.
    assert any("access_token=***" in m for m in samples), samples[:5]
    assert any(r.error_message and "access_token=***" in r.error_message for r in runs)
    outputs = {"stdout": result.stdout, "stderr": result.stderr,
               "log": log_file.read_text(encoding="utf-8"), "db": _all_rows_text(db_url)}
    assert "access_token=***" in outputs["stdout"] + outputs["stderr"]
    for name, output in outputs.items():
        assert TOKEN not in output, f"the VK token leaked into {name}"
        assert TOKEN[:16] not in output, f"a piece of the VK token leaked into {name}"
