"""``molva crawl`` (crawl once and exit) and ``molva run`` (the scheduler)."""

from __future__ import annotations

import sys

import click

from molva.cli.app import announce_database, get_settings, main
from molva.redaction import redact


@main.command()
@click.argument("names", nargs=-1)
@click.option("--all", "all_sources", is_flag=True, help="Crawl every enabled source in the config.")
@click.option("--force", is_flag=True, help="Crawl even a disabled or backing-off source (and re-enable it).")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO).")
@click.pass_context
def crawl(ctx: click.Context, names: tuple[str, ...], all_sources: bool, force: bool, verbose: bool) -> None:
    """Crawl the named sources (or --all) once, store what is new and exit."""
    from crawlers.runner import crawl as run_crawl
    from crawlers.runner import select_sources

    settings = get_settings(ctx)
    announce_database(ctx)
    sources = select_sources(settings, names, all_sources)
    if not sources:
        click.echo("Нет источников для обхода: добавьте [[sources]] в конфигурацию.")
        return
    outcomes = run_crawl(settings, sources, force=force, log_level="INFO" if verbose else "WARNING")
    failed = False
    for outcome in outcomes:
        if outcome.status == "skipped":
            click.echo(f"{outcome.source}: пропущен ({outcome.message})")
            continue
        stats = outcome.stats
        line = (f"{outcome.source}: {outcome.status}, новых {outcome.items_new}, просмотрено {outcome.items_seen},"
                f" дублей {stats.get('duplicate_url', 0)}, репостов {stats.get('near_duplicate', 0)},"
                f" ответов брендов {stats.get('replies', 0)}, страниц {stats.get('pages', 0)}, ошибок {outcome.errors}")
        unstored = int(stats.get("unstored") or 0)
        if unstored:
            line += f", не сохранено {unstored}"
        if outcome.message:
            line += f" — {redact(outcome.message)}"
        click.echo(line)
        # A run that stored less than it fetched is not ok: the caller (cron, the scheduler) must know.
        failed = failed or outcome.status == "failed" or unstored > 0
    if failed:
        sys.exit(1)


@main.command()
@click.option("--once", is_flag=True, help="Run every job once (crawl all, classify, dispatch) and exit.")
@click.pass_context
def run(ctx: click.Context, once: bool) -> None:
    """Run the scheduler: crawl each source on its interval, classify new mentions, dispatch alerts."""
    import logging

    from molva.scheduler import run_once, run_scheduler

    settings = get_settings(ctx)
    announce_database(ctx)
    logging.getLogger("molva").setLevel(logging.INFO)
    if once:
        run_once(settings)
        return
    run_scheduler(settings)
