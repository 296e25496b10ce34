"""`molva demo` (what `make demo` runs): everything starts, the dashboard has data, Ctrl-C stops it all."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.waiting import GENEROUS, wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.timeout(1800)  # a limit for a stuck demo only: the waits below are for conditions
def test_demo_fills_the_dashboard_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    sim_port, dash_port = free_port(), free_port()
    data = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOLVA_")}  # only the demo's config tells
    process = subprocess.Popen(
        [sys.executable, "-m", "molva", "demo", "--data-dir", str(data), "--sim-port", str(sim_port),
         "--port", str(dash_port), "--days", "1", "--no-browser"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    output: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + GENEROUS
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            output.append(line)
            if "Откройте панель" in line:
                break
        assert any("Откройте панель" in line for line in output), "".join(output)[-3000:]
        with urllib.request.urlopen(f"http://127.0.0.1:{dash_port}/_stcore/health", timeout=5) as response:
            assert response.status == 200
        assert f"--config {data / 'molva.toml'} report" in "".join(output), "the demo prints the exact command"
        report = subprocess.run(
            [sys.executable, "-m", "molva", "--config", str(data / "molva.toml"), "report", "--json"],
            env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path / "..",  # any directory
        )
        text = subprocess.run(
            [sys.executable, "-m", "molva", "--config", str(data / "molva.toml"), "report"],
            env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path / "..",
        )
        assert str(data / "molva.db") in text.stderr, "the command says which database it reads"
        assert "Упоминаний брендов" in text.stdout and "None" not in text.stdout
        numbers = json.loads(report.stdout)
        assert numbers["mentions_total"] > 100
        assert {s["source"] for s in numbers["sources"]} == {"telegram", "vk", "rss", "reviews", "mastodon"}
        assert any(b["negative"] for b in numbers["brands"])
        topics = subprocess.run(
            [sys.executable, "-m", "molva", "--config", str(data / "molva.toml"), "topics", "--json"],
            env=env, capture_output=True, text=True, timeout=60,
        )
        assert json.loads(topics.stdout)["topics"], "urgent complaints became support topics"
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole foreground group
        try:
            rest, _ = process.communicate(timeout=60)
            output.append(rest)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, "".join(output)[-2000:]
    assert "До встречи" in output[-1] and "error" not in output[-1], output[-1]
    shown = "".join(output).splitlines()
    assert len(shown) < 60, "the terminal shows a few lines per stage, not the processes' logs"
    assert (data / "logs" / "crawl.log").exists() and (data / "logs" / "dashboard.log").exists()
    wait_for(lambda: not port_open(sim_port) and not port_open(dash_port), every=0.5)
    assert not port_open(sim_port) and not port_open(dash_port), "the simulator and dashboard stopped"

    def leftovers() -> list[str]:  # grandchildren (a crawl the scheduler started) finish their own shutdown
        return subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True).stdout.split()

    wait_for(lambda: not leftovers(), every=0.5)
    assert leftovers() == [], "no child process is left behind"
