"""``molva sim``: run the local public-web simulator (see simulator/README.md)."""

from __future__ import annotations

import signal
from datetime import datetime
from pathlib import Path

import click

from molva.cli.app import get_settings, main
from molva.errors import MolvaError


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MolvaError(f"{option}: ожидается время ISO 8601, например 2025-01-31T12:00:00Z; получено {value!r}") from None


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (keep it local).")
@click.option("--port", default=8765, show_default=True, type=int, help="Port (0: any free port).")
@click.option("--seed", default=1, show_default=True, type=int, help="Content seed: same seed, same texts and ids.")
@click.option("--days", default=7.0, show_default=True, type=float, help="Days of history.")
@click.option("--posts-per-day", default=300, show_default=True, type=int, help="User posts per day.")
@click.option("--start", "start", default=None, help="Start of the time axis (ISO); default: ends now.")
@click.option("--live", is_flag=True, help="Keep publishing new posts while running (demo).")
@click.option("--live-interval", default=5.0, show_default=True, type=float, help="Seconds between live posts.")
@click.option("--spike-brand", default=None, help="Brand of the negativity spike (default: a telecom brand).")
@click.option("--spike-at", default=None, help="Start of the spike (ISO; default: 4 h before the end; with --live 10 min after it).")
@click.option("--no-spike", is_flag=True, help="No negativity spike.")
@click.option("--faults", default=None, help='Fault rates, e.g. "429=0.1,5xx=0.05,timeout=0.02,markup=0.05".')
@click.option("--vk-token", default=None, help="Accept only this VK access token (default: any non-empty).")
@click.option("--vk-rps", default=3.0, show_default=True, type=float, help="VK requests/s per token before error 6.")
@click.option("--write-config", "write_config", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write a Molva TOML config whose sources point at this simulator.")
@click.option("--interval", default=60, show_default=True, type=int, help="Crawl interval written to the config.")
@click.pass_context
def sim(ctx: click.Context, host: str, port: int, seed: int, days: float, posts_per_day: int, start: str | None,
        live: bool, live_interval: float, spike_brand: str | None, spike_at: str | None, no_spike: bool,
        faults: str | None, vk_token: str | None, vk_rps: float, write_config: Path | None, interval: int) -> None:
    """Запустить локальный симулятор публичного веба (t.me/s, VK API, RSS/Atom, отзывы, Mastodon)."""
    from molva.catalog import load_catalog
    from simulator.config import write_config as write
    from simulator.faults import Faults
    from simulator.server import SimServer
    from simulator.world import build_world

    fault_spec = Faults.parse(faults, seed=seed)  # a bad spec fails before the slow part
    catalog = load_catalog(get_settings(ctx).catalog_path)
    try:
        world = build_world(
            seed, start=_parse_time(start, "--start"), days=days, posts_per_day=posts_per_day,
            spike=False if no_spike else (spike_brand or True), spike_at=_parse_time(spike_at, "--spike-at"),
            catalog=catalog, live_interval=live_interval if live else 0.0,
        )
    except ValueError as exc:
        raise MolvaError(str(exc)) from None
    try:
        server = SimServer(world, host=host, port=port, faults=fault_spec, vk_token=vk_token, vk_rps=vk_rps, live=live)
    except OSError as exc:
        raise MolvaError(f"не удалось открыть {host}:{port}: {exc.strerror or exc}") from None
    if write_config is not None:
        write(write_config, world, server.base_url, interval, vk_token or "simulator-token", vk_rps)
        click.echo(f"config: {write_config}")
    click.echo(f"molva sim: {server.base_url}  seed={seed}  posts={len(world.visible())}"
               f"  truth: {server.base_url}/__sim__/truth.json  (Ctrl-C to stop)")
    # Ctrl-C stops it even when it was started with SIGINT ignored (a parent's "ignore" is inherited, and
    # Python then installs no KeyboardInterrupt handler: seen under the test runner's workers)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, previous)
        server.httpd.server_close()
