"""``molva import FILE``: mentions from JSON Lines or CSV through the crawlers' own storage path."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from molva.cli.app import get_session_factory, get_settings, load_catalog_for, main, require_schema


@main.command("import")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), help="Default: from the file name (.csv or not).")
@click.option("--batch", type=click.IntRange(1, 100_000), default=2000, show_default=True,
              help="Mentions per transaction.")
@click.option("--encoding", default="utf-8", show_default=True,
              help="Encoding of FILE (e.g. cp1251 for a CSV saved by Excel); undecodable text stops the import at "
                   "that line, never stored replaced.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def import_(ctx: click.Context, path: Path, fmt: str | None, batch: int, encoding: str, quiet: bool) -> None:
    """Import mentions from FILE (JSON Lines or CSV): dedup, brand matching and official replies as in a crawl.

    One object a line: source, kind (vk|telegram|rss|reviews|mastodon), external_id, url, text,
    published_at (ISO-8601), author; optionally author_id, followers, likes, views, parent_external_id.
    A source that is not configured is created. Bad lines are reported and skipped.
    """
    from tqdm import tqdm

    from molva.ingest.importer import import_file
    from molva.textio import check_encoding

    encoding = check_encoding(encoding)
    settings = get_settings(ctx)
    require_schema(ctx)
    configured = {source.name: source for source in settings.sources}
    with tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc="импорт", disable=quiet,
              file=sys.stderr) as bar:
        summary = import_file(path, get_session_factory(ctx), load_catalog_for(ctx), configured, fmt=fmt,
                              batch=batch, encoding=encoding, progress=bar.update)
    for message in summary.error_samples:
        click.echo(f"ошибка: {message}", err=True)
    if summary.errors > len(summary.error_samples):
        click.echo(f"… и ещё {summary.errors - len(summary.error_samples)} ошибок", err=True)
    if summary.created_sources:
        click.echo(f"Созданы источники: {', '.join(summary.created_sources)}")
    click.echo(f"Строк {summary.lines}: новых {summary.new}, уже были {summary.known}, дублей по адресу "
               f"{summary.duplicate_url}, репостов {summary.near_duplicate}, ответов брендов {summary.replies}"
               f" (без родителя {summary.ignored_replies}), ошибок {summary.errors}.")
    if summary.errors and summary.errors == summary.lines:
        sys.exit(1)
