"""``molva db``: schema migrations."""

from __future__ import annotations

import click

from molva.cli.app import get_settings, main


@main.group()
def db() -> None:
    """Database schema: create or upgrade."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
@click.pass_context
def upgrade_command(ctx: click.Context, revision: str) -> None:
    """Create the database or bring it to the latest schema (safe to run again)."""
    from molva.db import upgrade

    settings = get_settings(ctx)
    upgrade(settings.db_url, revision)
    click.echo(f"database is at {revision}: {_safe_url(settings.db_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db.command("rollups")
@click.pass_context
def rollups_command(ctx: click.Context) -> None:
    """Recount the dashboard rollups and per-source counts from the raw rows (after a bulk change made outside
    Molva)."""
    from molva import source_counts
    from molva.db import make_sessionmaker, session_scope
    from molva.rollups import rebuild

    settings = get_settings(ctx)
    factory = make_sessionmaker(settings.db_url)
    with session_scope(factory) as session:
        rows = rebuild(session)
        source_counts.rebuild(session)
    factory.kw["bind"].dispose()
    click.echo(f"rollups recounted: {rows} rows")
