"""Injected faults (deterministic per seed), --write-config and the `molva sim` command."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from molva.errors import MolvaError
from molva.settings import load_settings
from simulator.config import render_config
from simulator.faults import Faults
from simulator.server import SimServer
from simulator.world import World


def _outcomes(base_url: str, n: int = 60) -> list[str]:
    out = []
    with httpx.Client(base_url=base_url, timeout=5) as c:
        for i in range(n):
            try:
                r = c.get(f"/s/narodnye_zhaloby?before={5000 + i}")
            except httpx.TransportError:
                out.append("broken")
                continue
            if r.status_code != 200:
                out.append(str(r.status_code))
            elif "tgme_widget_message_text" not in r.text:
                out.append("markup")
            elif not r.text.endswith("</html>"):
                out.append("malformed")
            else:
                out.append("ok")
    return out


def test_faults_appear_and_repeat_for_the_same_seed(world: World) -> None:
    spec = "429=0.15,5xx=0.15,truncated=0.1,malformed=0.1,markup=0.1,retry_after=7"
    with SimServer(world, faults=spec) as sim:
        first = _outcomes(sim.base_url)
        r429 = None
        with httpx.Client(base_url=sim.base_url) as c:
            for i in range(60):
                r = c.get(f"/s/narodnye_zhaloby?before={5000 + i}")
                if r.status_code == 429:
                    r429 = r
                    break
    with SimServer(world, faults=spec) as sim:
        second = _outcomes(sim.base_url)
    kinds = Counter(first)
    assert {"429", "broken", "malformed", "markup", "ok"} <= set(kinds)
    assert kinds["502"] + kinds["503"] > 0
    assert first == second
    assert r429 is not None and r429.headers["Retry-After"] == "7"


def test_timeout_fault_is_a_slow_answer(world: World) -> None:
    with SimServer(world, faults=Faults(rates={"timeout": 1.0}, slow_seconds=0.6)) as sim:
        t = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(sim.base_url + "/rss/finance.xml", timeout=0.2)
        assert time.monotonic() - t < 2
        assert httpx.get(sim.base_url + "/rss/finance.xml", timeout=3).status_code == 200


def test_vk_fault_429_is_error_6_and_faults_can_be_switched_off(world: World) -> None:
    owner = sorted(world.walls)[0]
    params = {"owner_id": owner, "v": "5.199", "access_token": "t"}
    with SimServer(world, faults="429=1", vk_rps=0) as sim:
        body = httpx.get(sim.base_url + "/method/wall.get", params=params).json()
        assert body["error"]["error_code"] == 6
        assert httpx.get(sim.base_url + "/__sim__/truth.json").status_code == 200  # never faulted
        r = httpx.post(sim.base_url + "/__sim__/faults", json={"faults": None})
        assert r.json() == {"faults": {}}
        assert "response" in httpx.get(sim.base_url + "/method/wall.get", params=params).json()


def test_bad_fault_spec_is_a_clear_error() -> None:
    with pytest.raises(MolvaError, match="неизвестный вид"):
        Faults.parse("explode=0.5")
    with pytest.raises(MolvaError, match="ВИД=ЧИСЛО"):
        Faults.parse("429")


def test_written_config_loads_and_points_at_the_simulator(world: World, tmp_path: Path) -> None:
    base = "http://127.0.0.1:8799"
    path = tmp_path / "sim.toml"
    path.write_text(render_config(world, base, interval=30), encoding="utf-8")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    kinds = {s["kind"]: s for s in data["sources"]}
    assert set(kinds) == {"telegram", "vk", "rss", "reviews", "mastodon"}
    assert all(s["base_url"] == base and s["interval"] == 30 for s in data["sources"])
    assert set(kinds["telegram"]["targets"]) == set(world.channels)
    assert {f"wall:{o}" for o in world.walls} <= set(kinds["vk"]["targets"])
    settings = load_settings(path)
    assert [s.kind for s in settings.sources] == ["telegram", "vk", "rss", "reviews", "mastodon"]
    assert settings.sources[0].effective_base_url == base


def test_cli_sim_serves_writes_config_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    path = tmp_path / "out.toml"
    cmd = [sys.executable, "-c", "from molva.cli import main; main()", "sim", "--port", "0", "--days", "1",
           "--posts-per-day", "40", "--write-config", str(path)]
    # started with SIGINT ignored, as a test runner's worker may pass it on: Ctrl-C must still stop it
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        # wait for the condition (the config written), not a deadline; the cap only catches a hang
        stop = time.monotonic() + 120
        while not (path.exists() and path.stat().st_size) and proc.poll() is None and time.monotonic() < stop:
            time.sleep(0.1)
        base = tomllib.loads(path.read_text(encoding="utf-8"))["sources"][0]["base_url"]
        health = httpx.get(base + "/__sim__/health", timeout=5).json()
        assert health["status"] == "ok" and health["seed"] == 1
        assert httpx.get(base + "/__sim__/truth.json", timeout=5).json()["posts"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)  # a hang guard: on a busy machine exiting can take seconds
    assert proc.returncode == 0, err
    assert base in out


def test_cli_rejects_bad_faults() -> None:
    from molva.cli import main

    r = CliRunner().invoke(main, ["sim", "--faults", "nope=1", "--port", "0"])
    assert r.exit_code != 0 and "неизвестный вид" in r.output
