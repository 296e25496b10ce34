"""banki.ru (reviews + Q&A, in the real markup) against the simulator, seed 1: every post of the service stored
once, a second crawl adds nothing, the banks' answers give the response rates of the truth."""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

import pytest
from sim_crawl import crawl_env, run_crawl
from sqlalchemy import func, select

pytest.importorskip("simulator.server")

from molva.db import make_sessionmaker
from molva.metrics import build_report
from molva.models import Mention, OfficialReply


def reviews_config(path: Path, base_url: str, world: object) -> None:
    from simulator.config import sources_for

    source = next(s for s in sources_for(world, base_url) if s["kind"] == "reviews")  # type: ignore[arg-type]
    targets = ", ".join(f'"{t}"' for t in source["targets"])
    path.write_text(f'[[sources]]\nname = "banki"\nkind = "reviews"\ntargets = [{targets}]\n'
                    f'base_url = "{base_url}"\ninterval = 60\n', encoding="utf-8")


@pytest.mark.timeout(300)
def test_banki_reviews_and_questions_match_the_truth(tmp_path: Path, db_url: str) -> None:
    from simulator.server import SimServer
    from simulator.world import build_world

    world = build_world(seed=1, days=3, posts_per_day=200)
    with SimServer(world, port=0) as sim:
        config = tmp_path / "banki.toml"
        reviews_config(config, sim.base_url, world)
        env = crawl_env(config, db_url)
        first = run_crawl(env, "banki")
        assert first.returncode == 0, first.stdout + first.stderr
        truth = [p for p in sim.truth()["posts"] if p["kind"] == "reviews"]
        second = run_crawl(env, "banki")
        assert second.returncode == 0 and "новых 0" in second.stdout, second.stdout + second.stderr
    questions = [p for p in truth if p["external_id"].startswith("qa-")]
    assert len(questions) > 10 and len(truth) - len(questions) > 10, "the world has too few questions or reviews"
    factory = make_sessionmaker(db_url)
    with factory() as session:
        stored = Counter((k, e) for k, e in session.execute(select(Mention.kind, Mention.external_id)))
        assert set(stored) == {(p["kind"], p["external_id"]) for p in truth}, first.stdout
        assert max(stored.values()) == 1
        assert session.scalar(select(func.count(OfficialReply.id))) == sum(p["answered"] for p in truth)
        # Q&A answers show no date and were all seen for the first time: not answer times; review answers are.
        timed = {e: k for e, k in session.execute(select(OfficialReply.reply_external_id, OfficialReply.replied_at_known))}
        assert timed and all(known == (not ext.startswith("qa-")) for ext, known in timed.items())
        urls = {e: u for e, u in session.execute(select(Mention.external_id, Mention.url))}
        report = build_report(session)
    for p in truth:
        assert urls[p["external_id"]] == p["url"]
    addressed: Counter[str] = Counter(p["brand"] for p in truth if p["addressed"] and p["brand"])
    answered: Counter[str] = Counter(p["brand"] for p in truth if p["answered"] and p["brand"])
    rows = {row["brand"]: row for row in report["brands"]}
    assert len(addressed) >= 5
    delays: dict[str, list[float]] = {}
    for p in truth:
        if p["answered"] and p["brand"] and not p["external_id"].startswith("qa-"):
            delays.setdefault(p["brand"], []).append(p["reply_delay_seconds"])
    for brand, total in addressed.items():
        assert rows[brand]["response_rate"] == pytest.approx(answered[brand] / total, abs=0.02), brand
        median = statistics.median(delays[brand]) if brand in delays else None
        assert rows[brand]["median_response_seconds"] == pytest.approx(median, abs=1), brand
