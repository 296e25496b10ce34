"""``molva demo``: the whole product on this machine, no internet.

Starts the public-web simulator (live), the dashboard, a first crawl + classification + alert dispatch,
and then the scheduler; Ctrl-C stops everything it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import webbrowser
from pathlib import Path

import click

from molva.cli.app import main
from molva.errors import MolvaError


def _molva(*args: str) -> list[str]:
    return [sys.executable, "-m", "molva", *args]


def _wait_for(url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise MolvaError(f"{what} exited with code {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise MolvaError(f"{what} did not answer at {url} within {timeout:.0f} s")


def _has_display() -> bool:
    """A graphical session to open a browser in (never a text browser in this terminal)."""
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in reversed(processes):
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@main.command()
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("var/demo"),
              show_default=True, help="Where the demo keeps its SQLite database and config.")
@click.option("--sim-port", default=8765, show_default=True, help="Port of the public-web simulator.")
@click.option("--port", default=8501, show_default=True, help="Port of the dashboard.")
@click.option("--seed", default=1, show_default=True, help="Simulator content seed.")
@click.option("--days", default=3.0, show_default=True, help="Days of simulated history.")
@click.option("--no-browser", is_flag=True, help="Do not open the dashboard in a browser.")
def demo(data_dir: Path, sim_port: int, port: int, seed: int, days: float, no_browser: bool) -> None:
    """Run the simulator, a first crawl, classification and alerts, the scheduler and the dashboard."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config = (data_dir / "molva.toml").resolve()
    env = {
        **os.environ,
        "MOLVA_DATA_DIR": str(data_dir.resolve()),
        "MOLVA_CONFIG": str(config),
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    processes: list[subprocess.Popen[bytes]] = []

    def start(*args: str, without_config: bool = False) -> subprocess.Popen[bytes]:
        child_env = {k: v for k, v in env.items() if k != "MOLVA_CONFIG"} if without_config else env
        process = subprocess.Popen(_molva(*args), env=child_env)
        processes.append(process)
        return process

    def step(title: str, *args: str) -> None:
        click.echo(f"==> {title}")
        code = subprocess.run(_molva(*args), env=env).returncode
        if code != 0:
            raise MolvaError(f"`molva {' '.join(args)}` failed with exit code {code}")

    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        click.echo(f"==> симулятор публичного веба: http://127.0.0.1:{sim_port}")
        simulator = start("sim", "--port", str(sim_port), "--seed", str(seed), "--days", str(days), "--live",
                          "--vk-rps", "50", "--interval", "60", "--write-config", str(config),
                          without_config=True)
        _wait_for(f"http://127.0.0.1:{sim_port}/__sim__/health", simulator, "the simulator")
        step("база данных", "db", "upgrade")
        click.echo(f"==> панель: http://127.0.0.1:{port}")
        dashboard = start("dashboard", "--host", "127.0.0.1", "--port", str(port))
        step("первый обход всех источников", "crawl", "--all")
        step("тональность, намерение и срочность", "classify")
        step("оповещения: темы в сообществе поддержки, всплески", "alerts", "dispatch")
        step("сводка", "report")
        _wait_for(f"http://127.0.0.1:{port}/_stcore/health", dashboard, "the dashboard")
        click.echo("==> планировщик: обход по расписанию, классификация и оповещения (Ctrl-C — остановить всё)")
        scheduler = start("run")
        click.echo(f"\nОткройте панель: http://127.0.0.1:{port}\n")
        if not no_browser and _has_display():
            webbrowser.open(f"http://127.0.0.1:{port}")
        while all(p.poll() is None for p in (simulator, dashboard, scheduler)):
            time.sleep(1)
        failed = next(p for p in processes if p.poll() is not None)
        raise MolvaError(f"a demo process exited with code {failed.returncode}: {failed.args!r}")
    except KeyboardInterrupt:
        click.echo("\nостанавливаю…")
    finally:
        _stop(processes)
        signal.signal(signal.SIGTERM, previous)
