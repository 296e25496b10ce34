"""``molva report``: the same aggregates the dashboard shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from molva import fmt
from molva.cli.app import DURATION, canonical_brands, get_settings, main, require_schema, session_scope
from molva.settings import parse_duration


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the weekly report of the focus brand's group to this HTML file (charts inline, printable).")
@click.option("--period", type=DURATION, default=None, help="Only the last period, e.g. 24h or 7d (default: everything).")
@click.option("--brand", "brands", multiple=True, help="Only these brands (display names); repeatable.")
@click.option("--source", "sources", multiple=True, help="Only these sources (names); repeatable.")
@click.pass_context
def report(ctx: click.Context, as_json: bool, html_path: Path | None, period: str | None, brands: tuple[str, ...], sources: tuple[str, ...]) -> None:
    """Mentions, sentiment and response rates per brand, and the health of each source."""
    from molva.catalog import load_brands
    from molva.metrics import MetricsFilter, build_report

    settings = get_settings(ctx)
    catalog_brands = load_brands(settings.catalog_path)  # names and groups: no matcher to build
    require_schema(ctx)
    if html_path is not None:
        from molva.weekly_html import write_weekly

        days = max(1, round(parse_duration(period) / 86400)) if period else 7
        click.echo(f"Отчёт за {days} дн.: {write_weekly(settings, html_path, days).resolve()}")
        return
    since = datetime.now(UTC) - timedelta(seconds=parse_duration(period)) if period else None
    filters = MetricsFilter(since=since, brands=canonical_brands(ctx, brands), sources=sources)
    groups = {brand.name: brand.group for brand in catalog_brands}
    with session_scope(ctx) as session:
        data = build_report(session, filters, groups)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_table(data, settings.alerts.timezone)


def _cell(value: str, width: int, left: bool = False) -> str:
    return value.ljust(width) if left else value.rjust(width)


def _print_table(data: dict[str, Any], zone: str) -> None:
    """The report as aligned Russian text: ``1 093``, ``83,6 %``, ``29 ноября, 14:05`` (``zone``), ``—``."""
    period = data["period"]
    since = _parse(period["since"])
    until = _parse(period["until"]) or datetime.now(UTC)
    span = f"с {fmt.date_time(since, zone)} по {fmt.date_time(until, zone)}" if since else "за всё время"
    click.echo(f"Сводка {span} ({fmt.zone_label(zone)})")
    mentions = sum(int(row["mentions"]) for row in data["brands"])
    click.echo(f"Упоминаний брендов: {fmt.number(mentions)} (в {fmt.number(data['mentions_total'])} постах)")
    head = ["Бренд", "Группа", "Упоминаний", "Доля негатива", "Индекс", "Обращений", "Доля ответов", "Медиана ответа"]
    widths = [18, 10, 10, 13, 7, 9, 12, 15]
    click.echo(" ".join(_cell(h, w, i < 2) for i, (h, w) in enumerate(zip(head, widths, strict=True))))
    for row in data["brands"]:
        if not row["mentions"]:
            continue
        cells = [
            fmt.text(row["brand"]), fmt.group_name(row.get("group")), fmt.number(row["mentions"]),
            fmt.percent(row["negative_share"]) if row["negative"] + row["neutral"] + row["positive"] else fmt.DASH,
            fmt.signed(row["sentiment_index"]), fmt.number(row["addressed"]), fmt.percent(row["response_rate"]),
            fmt.duration(row["median_response_seconds"]),
        ]
        click.echo(" ".join(_cell(c, w, i < 2) for i, (c, w) in enumerate(zip(cells, widths, strict=True))))
    click.echo("")
    click.echo(f"{'Источник':<18} {'Упоминаний':>10} {'Последний обход':<22} {'Ошибок':>7}")
    for row in data["sources"]:
        state = "" if row["enabled"] else f"  отключён: {fmt.text(row['disabled_reason'])}"
        last = fmt.date_time(_parse(row["last_crawl"]), zone)
        click.echo(f"{fmt.text(row['source']):<18} {fmt.number(row['mentions']):>10} {last:<22}"
                   f" {fmt.number(row['errors']):>7}{state}")


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
