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
    _print_table(data, settings.alerts.timezone, {source.name for source in settings.sources})


def _cell(value: str, width: int, left: bool = False) -> str:
    return value.ljust(width) if left else value.rjust(width)


def source_state(row: dict[str, Any], configured: set[str], zone: str, now: datetime) -> str:
    """What an operator needs to know of a source (a ``molva report --json`` source row), in Russian."""
    if row["source"] not in configured:
        return "нет в конфигурации (только прежние данные)"
    if not row["enabled"]:
        return f"отключён: {fmt.text(row['disabled_reason'])}"
    backoff = _parse(row.get("backoff_until"))
    if backoff is not None and backoff > now:
        return f"пауза после ошибок до {fmt.date_time(backoff, zone)}"
    status = row["last_status"]
    if status is None:
        return "ещё не обходился"
    if status == "running":
        return "идёт обход (или прерван: закроется при следующем)"
    failures = int(row.get("consecutive_failures") or 0)
    if status == "failed":
        return "ошибка" + (f" ({fmt.counted(failures, 'обход', 'обхода', 'обходов')} подряд)" if failures > 1 else "")
    errors = int(row.get("last_errors") or 0)
    if status == "partial":
        return f"частично: {fmt.counted(errors, 'ошибка', 'ошибки', 'ошибок')}" if errors else "частично"
    return "в порядке"


def _print_table(data: dict[str, Any], zone: str, configured: set[str] | None = None) -> None:
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
    click.echo(f"{'Источник':<18} {'Упоминаний':>10} {'Последний обход':<22} {'Ошибок всего':>12}  Состояние")
    now = datetime.now(UTC)
    names = configured if configured is not None else {row["source"] for row in data["sources"]}
    for row in data["sources"]:
        last = fmt.date_time(_parse(row["last_crawl"]), zone)
        click.echo(f"{fmt.text(row['source']):<18} {fmt.number(row['mentions']):>10} {last:<22}"
                   f" {fmt.number(row['errors']):>12}  {source_state(row, names, zone, now)}")


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
