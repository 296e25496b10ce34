"""``molva privacy``: erase one author, apply the retention period, re-check deleted posts, export with
pseudonymised authors (see README, "Personal data")."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click

from molva.cli.app import get_settings, main, require_schema, session_scope
from molva.errors import UsageError


@main.group()
def privacy() -> None:
    """Personal data: erasure, retention, posts deleted at the source, pseudonymised exports."""


def _report(what: str, result: dict[str, int]) -> None:
    click.echo(f"{what}: упоминаний {result['mentions']}, упоминаний брендов {result['brand_mentions']}, "
               f"исправлений {result['corrections']}, ответов брендов {result['replies']}, "
               f"тем поддержки без текста {result['topics_scrubbed']}, оповещений очищено {result['alerts_scrubbed']}")


@privacy.command("erase-author")
@click.argument("source")
@click.argument("author")
@click.pass_context
def erase_author_command(ctx: click.Context, source: str, author: str) -> None:
    """Erase every post of AUTHOR (name or id) collected from SOURCE, with everything derived from it."""
    from molva.privacy import erase_author

    require_schema(ctx)
    with session_scope(ctx) as session:
        result = erase_author(session, source, author)
    _report(f"Удалены данные автора {author!r} ({source})", result.as_dict())


@privacy.command("purge")
@click.option("--days", type=click.IntRange(1), default=None, help="Retention in days (default: privacy.retention_days).")
@click.pass_context
def purge_command(ctx: click.Context, days: int | None) -> None:
    """Erase mentions published longer ago than the retention period, now."""
    from molva.privacy import purge_expired

    retention = days or get_settings(ctx).privacy.retention_days
    if not retention:
        raise UsageError("срок хранения не задан: privacy.retention_days в конфиге или --days")
    require_schema(ctx)
    with session_scope(ctx) as session:
        result = purge_expired(session, retention)
    _report(f"Удалено старше {retention} дн.", result.as_dict())


@privacy.command("recheck")
@click.option("--days", type=click.IntRange(1), default=None, help="Posts this recent (default: privacy.recheck_days or 7).")
@click.pass_context
def recheck_command(ctx: click.Context, days: int | None) -> None:
    """Ask the sources (Mastodon, review sites, RSS articles, Telegram, VK) about recent posts; erase those deleted there."""
    import httpx

    from molva.privacy import recheck_access, recheck_deleted

    settings = get_settings(ctx)
    require_schema(ctx)
    bases = recheck_access(settings)
    with httpx.Client(timeout=settings.crawl.download_timeout, follow_redirects=True,
                      headers={"User-Agent": settings.crawl.user_agent}) as client, session_scope(ctx) as session:
        checked, result = recheck_deleted(session, bases, client, days or settings.privacy.recheck_days or 7)
    _report(f"Проверено {checked}; удалено у источника", result.as_dict())


EXPORT_FIELDS = ("id", "source", "kind", "external_id", "published_at", "author", "author_id", "url", "text")


@privacy.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--pseudonymise", "--pseudonymize", "pseudonymise", is_flag=True,
              help="Replace authors by a keyed hash (privacy.pseudonym_key / MOLVA_PRIVACY__PSEUDONYM_KEY).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.pass_context
def export_command(ctx: click.Context, fmt: str, pseudonymise: bool, output: Path) -> None:
    """Export the collected mentions (CSV safe for spreadsheets, or JSONL), authors pseudonymised on request."""
    from sqlalchemy import select

    from molva.escaping import spreadsheet_row
    from molva.models import Mention, Source
    from molva.privacy import pseudonymise_rows

    key_secret = get_settings(ctx).privacy.pseudonym_key
    key = key_secret.get_secret_value().encode("utf-8") if key_secret else b""
    if pseudonymise and not key:
        raise UsageError("для --pseudonymise задайте privacy.pseudonym_key (MOLVA_PRIVACY__PSEUDONYM_KEY)")
    require_schema(ctx)
    with session_scope(ctx) as session:
        query = select(Mention, Source.name).join(Source, Source.id == Mention.source_id).order_by(Mention.id)
        rows = [{"id": m.id, "source": name, "kind": m.kind, "external_id": m.external_id,
                 "published_at": m.published_at.isoformat(), "author": m.author, "author_id": m.author_id,
                 "url": m.url, "text": m.text} for m, name in session.execute(query)]
    if pseudonymise:
        rows = pseudonymise_rows(rows, key)
    if fmt == "jsonl":
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_FIELDS))
        writer.writeheader()
        writer.writerows(spreadsheet_row(row) for row in rows)
        text = buffer.getvalue()
    output.write_text(text, encoding="utf-8", newline="")
    click.echo(f"{len(rows)} упоминаний → {output}", err=True)
