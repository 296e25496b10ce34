"""``molva demo``: the whole product on this machine, no internet.

Starts the public-web simulator (live), the dashboard, a first crawl + classification + alert dispatch,
and then the scheduler. The terminal shows a few lines per stage; every process's own log (Scrapy,
Streamlit, the scheduler) goes to ``<data-dir>/logs``. The data directory is written into the demo's config,
so ``molva --config <data-dir>/molva.toml ...`` reads the demo's database. Ctrl-C stops everything it
started and exits 0.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import webbrowser
from pathlib import Path
from typing import IO

import click

from molva.cli.app import main
from molva.errors import MolvaError

PROGRESS_EVERY = 60.0  # seconds between progress lines while the scheduler runs
DEMO_FOCUS_BRAND = "Сбербанк"


def _molva(*args: str) -> list[str]:
    return [sys.executable, "-m", "molva", *args]


def _command_name() -> str:
    """How the user runs molva here (``.venv/bin/molva`` after ``make demo``)."""
    script = Path(sys.executable).parent / "molva"
    if script.exists():
        try:
            return str(script.relative_to(Path.cwd()))
        except ValueError:
            return str(script)
    return shutil.which("molva") or "molva"


def _wait_for(url: str, process: subprocess.Popen[bytes], what: str, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise MolvaError(f"{what} exited with code {process.returncode} before it was ready (log: {log})")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise MolvaError(f"{what} did not answer at {url} within {timeout:.0f} s (log: {log})")


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


def pin_data_dir(config: Path, data_dir: Path, focus_brand: str = DEMO_FOCUS_BRAND) -> None:
    """Write ``data_dir`` (absolute) at the top of the demo's config and a focus brand for the dashboard,
    so that any ``molva --config <config>`` reads the demo's database, wherever it is run from."""
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^data_dir\s*=.*\n", "", text)
    escaped = str(data_dir.resolve()).replace("\\", "\\\\").replace('"', '\\"')
    text = f'data_dir = "{escaped}"  # written by `molva demo`\n' + text
    if not re.search(r"(?m)^\[dashboard\]", text):
        text += f'\n[dashboard]\nfocus_brand = "{focus_brand}"\n'
    if not re.search(r"(?m)^\[scheduler\]", text):  # the weekly report lands in <data-dir>/reports
        text += "\n[scheduler]\nweekly_report = true\n"
    config.write_text(text, encoding="utf-8")


def _progress(url: str) -> str:
    """One line: what the database holds now."""
    from sqlalchemy import func, select

    from molva.db import make_engine
    from molva.models import BrandMention, Mention, SupportTopic

    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as connection:
            mentions = connection.scalar(select(func.count(Mention.id))) or 0
            classified = connection.scalar(select(func.count(BrandMention.id)).where(
                BrandMention.sentiment.is_not(None))) or 0
            topics = connection.scalar(select(func.count(SupportTopic.id))) or 0
    finally:
        engine.dispose()
    from molva import fmt

    return (f"постов {fmt.number(mentions)}, упоминаний с тональностью {fmt.number(classified)}, "
            f"тем поддержки {fmt.number(topics)}")


@main.command()
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("var/demo"),
              show_default=True, help="Where the demo keeps its SQLite database, config and logs.")
@click.option("--sim-port", default=8765, show_default=True, help="Port of the public-web simulator.")
@click.option("--port", default=8501, show_default=True, help="Port of the dashboard.")
@click.option("--seed", default=1, show_default=True, help="Simulator content seed.")
@click.option("--days", default=3.0, show_default=True, help="Days of simulated history.")
@click.option("--no-browser", is_flag=True, help="Do not open the dashboard in a browser.")
def demo(data_dir: Path, sim_port: int, port: int, seed: int, days: float, no_browser: bool) -> None:
    """Run the simulator, a first crawl, classification and alerts, the scheduler and the dashboard."""
    data_dir = data_dir.resolve()
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    config = data_dir / "molva.toml"
    env = {
        **os.environ,
        "MOLVA_DATA_DIR": str(data_dir),
        "MOLVA_CONFIG": str(config),
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("MOLVA_DATABASE_URL", None)  # the demo's own SQLite file, never another database
    db_file = data_dir / "molva.db"
    processes: list[subprocess.Popen[bytes]] = []
    log_files: list[IO[bytes]] = []
    names: dict[int, str] = {}
    started = time.monotonic()

    def elapsed() -> str:
        seconds = int(time.monotonic() - started)
        return f"{seconds // 60}:{seconds % 60:02d}"

    def say(text: str) -> None:
        click.echo(f"[{elapsed()}] {text}")

    def start(name: str, *args: str, without_config: bool = False) -> tuple[subprocess.Popen[bytes], Path]:
        child_env = {k: v for k, v in env.items() if k != "MOLVA_CONFIG"} if without_config else env
        log_path = logs / f"{name}.log"
        log = log_path.open("ab")
        log_files.append(log)
        process = subprocess.Popen(_molva(*args), env=child_env, stdout=log, stderr=subprocess.STDOUT)
        processes.append(process)
        names[id(process)] = name
        return process, log_path

    def step(title: str, name: str, *args: str, show: bool = False, partial: str | None = None) -> None:
        """One stage: its output goes to its log; ``show`` echoes its (short) result lines too; ``partial``: said
        when the stage exits 1 having done part of its work (alerts that failed for good), instead of stopping."""
        say(f"{title}…")
        log_path = logs / f"{name}.log"
        with log_path.open("ab") as log:
            result = subprocess.run(_molva(*args), env=env, stdout=subprocess.PIPE, stderr=log)
            log.write(result.stdout)
        if result.returncode == 1 and partial is not None:
            say(f"{partial} (журнал: {log_path})")
        elif result.returncode != 0:
            raise MolvaError(f"`molva {' '.join(args)}` failed with exit code {result.returncode} (log: {log_path})")
        if show:
            for line in result.stdout.decode("utf-8", "replace").splitlines()[:12]:
                click.echo(f"       {line}")

    interrupted = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        say(f"данные демо: {data_dir} (журналы процессов: {logs})")
        say(f"симулятор публичного веба: http://127.0.0.1:{sim_port}")
        simulator, sim_log = start("simulator", "sim", "--port", str(sim_port), "--seed", str(seed), "--days",
                                   str(days), "--live", "--vk-rps", "50", "--interval", "60", "--write-config",
                                   str(config), without_config=True)
        _wait_for(f"http://127.0.0.1:{sim_port}/__sim__/health", simulator, "the simulator", sim_log)
        pin_data_dir(config, data_dir)
        step("база данных", "db", "db", "upgrade")
        say(f"панель запускается: http://127.0.0.1:{port}")
        dashboard, dash_log = start("dashboard", "dashboard", "--host", "127.0.0.1", "--port", str(port))
        step("первый обход всех источников", "crawl", "crawl", "--all", show=True)
        step("тональность, намерение и срочность", "classify", "classify")
        step("оповещения: темы в сообществе поддержки, всплески", "alerts", "alerts", "dispatch",
             partial="часть оповещений не отправлена")
        say(_progress(f"sqlite:///{db_file}"))
        _wait_for(f"http://127.0.0.1:{port}/_stcore/health", dashboard, "the dashboard", dash_log)
        say("планировщик: обход по расписанию, классификация и оповещения")
        scheduler, _ = start("scheduler", "run")
        command = f"{_command_name()} --config {config}"
        click.echo(f"\nБаза демо: {db_file}\nКоманды для неё (из любого каталога):\n"
                   f"  {command} report\n  {command} topics\n  {command} report --html weekly.html\n")
        click.echo(f"Откройте панель: http://127.0.0.1:{port}   (Ctrl-C — остановить всё)\n")
        if not no_browser and _has_display():
            webbrowser.open(f"http://127.0.0.1:{port}")
        next_progress = time.monotonic() + PROGRESS_EVERY
        while all(p.poll() is None for p in (simulator, dashboard, scheduler)):
            time.sleep(1)
            if time.monotonic() >= next_progress:
                next_progress += PROGRESS_EVERY
                say(_progress(f"sqlite:///{db_file}"))
        if interrupted:
            raise KeyboardInterrupt
        failed = next(p for p in processes if p.poll() is not None)
        name = names.get(id(failed), "?")
        raise MolvaError(f"a demo process stopped with code {failed.returncode} ({name}); logs: {logs}")
    except KeyboardInterrupt:
        click.echo("\nОстанавливаю демо…")
        _stop(processes)
        click.echo(f"Демо остановлено. Данные остались в {data_dir}. До встречи!")
    finally:
        _stop(processes)
        for log in log_files:
            log.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
