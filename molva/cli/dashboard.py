"""``molva dashboard``: runs the Streamlit dashboard with the CLI's settings (in this process, its modules imported
first); ``molva corrections``: export."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import click

from molva.cli.app import get_settings, main, require_schema, session_scope
from molva.errors import MolvaError
from molva.settings import Settings


def dashboard_app_path() -> Path:
    spec = importlib.util.find_spec("dashboard")
    if spec is not None and spec.origin:
        return Path(spec.origin).resolve().parent / "app.py"
    return Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


def _oidc_configured(app_dir: Path) -> bool:
    import tomllib

    for path in (Path.cwd() / ".streamlit" / "secrets.toml", app_dir / ".streamlit" / "secrets.toml",
                 Path.home() / ".streamlit" / "secrets.toml"):
        try:
            if isinstance(tomllib.loads(path.read_text(encoding="utf-8")).get("auth"), dict):
                return True
        except (OSError, ValueError):
            continue
    return False


def check_login(settings: Settings, host: str, app_dir: Path) -> None:
    """Refuse to serve the dashboard on the network without a password or OIDC."""
    required = settings.dashboard.login_required(host)
    password = settings.dashboard.password
    if required and not (password and password.get_secret_value()) and not _oidc_configured(app_dir):
        raise MolvaError(
            f"панель на адресе {host} будет доступна из сети, а вход не настроен: задайте пароль "
            "(dashboard.password в конфиге или MOLVA_DASHBOARD__PASSWORD) или OIDC в .streamlit/secrets.toml "
            "(раздел [auth]); для доступа только с этой машины используйте --host 127.0.0.1"
        )


def streamlit_command(settings: Settings, host: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The ``streamlit run`` arguments and the environment for the dashboard."""
    app = dashboard_app_path()
    check_login(settings, host, app.parent)
    argv = [
        "run", str(app),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
    ]
    env = dict(os.environ)
    if settings.config_path is not None:
        env["MOLVA_CONFIG"] = str(Path(settings.config_path).resolve())
    env["MOLVA_DASHBOARD__HOST"] = host
    env["MOLVA_DASHBOARD__PORT"] = str(port)
    return argv, env


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: dashboard.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: dashboard.port, 8501).")
@click.pass_context
def dashboard(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the Streamlit dashboard (Russian UI) on the configured database."""
    settings = get_settings(ctx)
    argv, env = streamlit_command(settings, host or settings.dashboard.host, port or settings.dashboard.port)
    require_schema(ctx)  # a missing, unreachable or damaged database is one line here, not a blank page later
    os.environ.update(env)
    # The pages' modules (pandas, Altair, SQLAlchemy, the metrics layer) are imported now, in the process that
    # will serve them: Streamlit runs in it (`streamlit run`'s own entry point), so no visitor waits for them.
    from dashboard.preload import preload

    seconds = preload()
    click.echo(f"molva: модули панели загружены за {seconds:.1f} с", err=True)
    click.echo(f"Панель Молвы: http://{argv[argv.index('--server.address') + 1]}:{argv[argv.index('--server.port') + 1]}",
               err=True)
    from streamlit.web import cli as streamlit_cli

    streamlit_cli.main(args=argv, prog_name="streamlit")  # serves until stopped (Ctrl-C, SIGTERM); then exits


@main.command("corrections")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="File to write (default: standard output).")
@click.pass_context
def corrections(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """Export manual sentiment corrections as training data (JSONL or CSV)."""
    from molva.corrections import export_training_data

    with session_scope(ctx) as session:
        text = export_training_data(session, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{text.count(chr(10)) - (1 if fmt == 'csv' else 0)} исправлений → {output}", err=True)
