"""Against the simulator, seed 1: urgent truth posts become topics exactly once; a second dispatch creates
nothing; the same with the Discourse adapter against the fake Discourse.

``test_truth_labelled_*`` store the simulator's posts with labels taken from its truth (the crawler and
the classifier stand-ins) and run the real rules, dispatcher and grouping. ``test_real_pipeline`` runs
the real chain (``molva crawl --all`` against ``SimServer``, the sentiment model, dispatch); it is skipped,
with the missing stage named, until every stage exists.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sim_rows import load_world, score_topics
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.dispatcher import dispatch
from alerts.rules import enqueue_alerts
from molva.models import Mention
from molva.settings import Settings, load_settings
from simulator.discourse import FakeDiscourse
from simulator.world import build_world

END = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "molva-sentiment"


def _check(
    factory: sessionmaker[Session], truth: dict, by_key: dict, settings: Settings, adapter: str
) -> None:
    moment = datetime.fromisoformat(truth["generated_at"].replace("Z", "+00:00"))
    created = failed = 0
    for _ in range(10):  # injected server errors are retried on later cycles (back-off)
        result = dispatch(factory, settings, now=moment)
        created, failed = created + result.topics_created, failed + result.failed
        if result.processed == 0:
            break
        moment += timedelta(minutes=2)
    assert failed == 0 and created > 0
    with factory() as session:
        score = score_topics(session, truth, by_key, adapter)
    print(
        f"{adapter}: {score} recall={score.recall:.3f} false_topics={score.false_topic_share:.3f} "
        f"topic_precision={score.topic_precision:.3f} post_precision={score.post_precision:.3f}"
    )
    assert score.urgent_posts > 100
    assert score.recall >= 0.9 and score.linked_more_than_once == 0
    assert score.false_topic_share <= 0.10
    again = dispatch(factory, settings, now=moment + timedelta(hours=1))
    assert (again.topics_created, again.linked) == (0, 0)


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    # Two days with the default spike: 890 posts, 169 of them urgent (the checks want over 100). The week this
    # used to be (2,781 posts, 348 urgent) made the real pipeline's crawl and classification 3x longer.
    return build_world(seed=1, end=END, days=2)


def _load(factory: sessionmaker[Session], world, settings: Settings):  # type: ignore[no-untyped-def]
    with factory() as session, session.begin():
        loaded = load_world(session, world)
        enqueue_alerts(session, loaded.brand_mentions, settings.alerts, END)
    return loaded


def test_truth_labelled_world_builtin(factory: sessionmaker[Session], settings: Settings, world) -> None:  # type: ignore[no-untyped-def]
    loaded = _load(factory, world, settings)
    _check(factory, loaded.truth, loaded.by_key, settings, "builtin")


def test_truth_labelled_world_discourse(
    factory: sessionmaker[Session],
    world,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    with FakeDiscourse(api_key="k", api_username="molva", fail_rate=0.02, seed=3) as forum:
        monkeypatch.setenv("MOLVA_DISCOURSE_URL", forum.url)
        monkeypatch.setenv("MOLVA_DISCOURSE_API_KEY", "k")
        monkeypatch.setenv("MOLVA_DISCOURSE_API_USERNAME", "molva")
        monkeypatch.setenv("MOLVA_ALERTS__ADAPTER", "discourse")
        settings = load_settings()
        settings.alerts.backoff_base = 60
        loaded = _load(factory, world, settings)
        _check(factory, loaded.truth, loaded.by_key, settings, "discourse")
        assert len(forum.topics) == len(forum.by_external_id())


def _missing_stage() -> str | None:
    for module in ("crawlers.runner", "classifier.inference", "classifier.scoring", "molva.pipeline"):
        if importlib.util.find_spec(module) is None:
            return f"stage not built yet: {module} is missing"
    if not MODEL_DIR.is_dir() or not any(MODEL_DIR.iterdir()):
        return f"no trained sentiment model in {MODEL_DIR}"
    return None


@pytest.mark.timeout(1800)  # a limit for a stuck run only: nothing in the test waits on the clock
def test_real_pipeline(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, world) -> None:  # type: ignore[no-untyped-def]
    reason = _missing_stage()
    if reason:
        pytest.skip(reason)
    from molva.db import make_sessionmaker
    from molva.pipeline import classify_pending
    from simulator.config import render_config
    from simulator.server import SimServer

    # The module's world (seed 1, two days, built once). VK's own rate limit (3 requests/s) and AutoThrottle off: the crawl was most of this test's time, waiting.
    with SimServer(world, vk_rps=1000) as sim:
        config = tmp_path / "molva.toml"
        config.write_text(render_config(world, sim.base_url, 60, "simulator-token", vk_rps=200), encoding="utf-8")
        env = {**os.environ, "MOLVA_DATABASE_URL": db_url, "MOLVA_CRAWL__DOWNLOAD_DELAY": "0",
               "MOLVA_CRAWL__AUTOTHROTTLE": "false"}
        molva = str(Path(sys.executable).with_name("molva"))
        done = subprocess.run(
            [molva, "--config", str(config), "crawl", "--all"], env=env, capture_output=True, timeout=600
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        truth = world.truth(sim.base_url)
    monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
    settings = load_settings(config)
    classify_pending(settings, now=END)
    copy_url = f"sqlite:///{tmp_path / 'discourse.db'}"
    shutil.copy(db_url.removeprefix("sqlite:///"), tmp_path / "discourse.db")
    factory = make_sessionmaker(db_url)
    with factory() as session:
        by_key = {(m.kind, m.external_id): m.id for m in session.scalars(select(Mention))}
    _check(factory, truth, by_key, settings, "builtin")
    with FakeDiscourse(api_key="k", api_username="molva") as forum:
        monkeypatch.setenv("MOLVA_DATABASE_URL", copy_url)
        monkeypatch.setenv("MOLVA_DISCOURSE_URL", forum.url)
        monkeypatch.setenv("MOLVA_DISCOURSE_API_KEY", "k")
        monkeypatch.setenv("MOLVA_DISCOURSE_API_USERNAME", "molva")
        monkeypatch.setenv("MOLVA_ALERTS__ADAPTER", "discourse")
        remote = load_settings(config)
        _check(make_sessionmaker(copy_url), truth, by_key, remote, "discourse")
