"""``molva report``: the same aggregates the dashboard shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click

from molva.cli.app import DURATION, get_settings, load_catalog_for, main, require_schema, session_scope
from molva.settings import parse_duration


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--period", type=DURATION, default=None, help="Only the last period, e.g. 24h or 7d (default: everything).")
@click.option("--brand", "brands", multiple=True, help="Only these brands (display names); repeatable.")
@click.option("--source", "sources", multiple=True, help="Only these sources (names); repeatable.")
@click.pass_context
def report(ctx: click.Context, as_json: bool, period: str | None, brands: tuple[str, ...], sources: tuple[str, ...]) -> None:
    """Mentions, sentiment and response rates per brand, and the health of each source."""
    from molva.metrics import MetricsFilter, build_report

    get_settings(ctx)
    catalog = load_catalog_for(ctx)
    require_schema(ctx)
    since = datetime.now(UTC) - timedelta(seconds=parse_duration(period)) if period else None
    filters = MetricsFilter(since=since, brands=brands, sources=sources)
    groups = {brand.name: brand.group for brand in catalog.brands}
    with session_scope(ctx) as session:
        data = build_report(session, filters, groups)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_table(data)


def _fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _fmt_seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 3600:
        return f"{value / 60:.0f} мин"
    return f"{value / 3600:.1f} ч"


def _print_table(data: dict[str, object]) -> None:
    click.echo(f"Упоминаний всего: {data['mentions_total']}")
    click.echo(f"{'Бренд':<18} {'упом.':>6} {'негатив':>8} {'нейтр.':>7} {'позитив':>8} {'обращ.':>7} {'ответ':>6} {'медиана':>9}")
    for row in data["brands"]:  # type: ignore[attr-defined]
        if not row["mentions"]:
            continue
        click.echo(
            f"{row['brand']:<18} {row['mentions']:>6} {row['negative']:>8} {row['neutral']:>7} {row['positive']:>8}"
            f" {row['addressed']:>7} {_fmt_rate(row['response_rate']):>6} {_fmt_seconds(row['median_response_seconds']):>9}"
        )
    click.echo("")
    click.echo(f"{'Источник':<18} {'упом.':>7} {'последний обход':<27} {'ошибок':>7}")
    for row in data["sources"]:  # type: ignore[attr-defined]
        state = "" if row["enabled"] else f"  отключён: {row['disabled_reason']}"
        click.echo(f"{row['source']:<18} {row['mentions']:>7} {row['last_crawl'] or '—':<27} {row['errors']:>7}{state}")
