"""``molva alerts ...`` (outbox dispatch, retry, list, spikes) and ``molva topics``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click

from molva import fmt
from molva.cli.app import (
    canonical_brands,
    get_session_factory,
    get_settings,
    main,
    require_schema,
    session_scope,
)
from molva.errors import MolvaError

OUTBOX_STATUSES = ("pending", "sent", "failed", "skipped")
OUTBOX_STATUS_NAMES = {"pending": "в очереди", "sent": "отправлено", "failed": "ошибка", "skipped": "пропущено"}
OUTBOX_KINDS = {"topic": "тема", "spike": "всплеск", "digest": "сводка"}
ADAPTERS = {"builtin": "доска", "discourse": "Discourse", "webhook": "вебхук", "log": "журнал"}


@main.group()
def alerts() -> None:
    """Support topics from urgent complaints, and spike notifications for PR."""


@alerts.command()
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="At most this many alerts in this run (default: everything due, in batches).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def dispatch(ctx: click.Context, limit: int | None, as_json: bool) -> None:
    """Deliver every due alert (built-in board, Discourse, webhook) in batches, with retries and back-off."""
    from alerts.dispatcher import dispatch as run_dispatch

    settings = get_settings(ctx)
    require_schema(ctx)
    result = run_dispatch(get_session_factory(ctx), settings, limit=limit)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        ctx.exit(1 if result.failed else 0)
    click.echo(
        f"Обработано: {result.processed}; новых тем: {result.topics_created}; привязано к существующим: "
        f"{result.linked}; уведомлений: {result.notifications_sent}; повтор позже: {result.retry_scheduled}; "
        f"ошибок: {result.failed}; отложено: {result.postponed}"
    )
    click.echo(
        f"Осталось в очереди: {result.remaining + result.waiting} (к отправке сейчас: {result.remaining}; "
        f"позже — после паузы или тихих часов: {result.waiting})"
    )
    for error in result.errors[:20]:
        click.echo(f"  {error}", err=True)
    if len(result.errors) > 20:
        click.echo(f"  … и ещё ошибок: {len(result.errors) - 20} (molva alerts list --status failed)", err=True)
    if result.failed:  # alerts that failed for good in this run: a scheduler or cron job sees it
        ctx.exit(1)


@alerts.command()
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Every alert with status failed.")
@click.pass_context
def retry(ctx: click.Context, ids: tuple[int, ...], all_failed: bool) -> None:
    """Put failed alerts back in the queue (sent at the next dispatch)."""
    from alerts.dispatcher import retry_alerts

    if not ids and not all_failed:
        raise MolvaError("укажите номера оповещений или --all-failed")
    require_schema(ctx)
    with session_scope(ctx) as session:
        count = retry_alerts(session, list(ids), all_failed=all_failed)
    click.echo(f"Возвращено в очередь: {count}")


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).isoformat()


@alerts.command(name="list")
@click.option("--status", type=click.Choice(OUTBOX_STATUSES), default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_alerts(ctx: click.Context, status: str | None, limit: int, as_json: bool) -> None:
    """The outbox: each alert with its status, attempts and last error."""
    from sqlalchemy import select

    from molva.models import AlertOutbox

    require_schema(ctx)
    with session_scope(ctx) as session:
        query = select(AlertOutbox).order_by(AlertOutbox.id.desc()).limit(limit)
        if status:
            query = query.where(AlertOutbox.status == status)
        rows: list[dict[str, Any]] = [
            {
                "id": r.id,
                "kind": r.kind,
                "adapter": r.adapter,
                "brand": r.brand,
                "status": r.status,
                "attempts": r.attempts,
                "next_attempt_at": _iso(r.next_attempt_at),
                "topic_id": r.topic_id,
                "last_error": r.last_error,
                "created_at": _iso(r.created_at),
            }
            for r in session.scalars(query)
        ]
    if as_json:
        click.echo(json.dumps({"alerts": rows}, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("Оповещений нет.")
    zone = get_settings(ctx).alerts.timezone
    for r in rows:
        line = (
            f"#{r['id']:<6} {OUTBOX_KINDS.get(r['kind'], r['kind']):<8} {ADAPTERS.get(r['adapter'], r['adapter']):<10} "
            f"{OUTBOX_STATUS_NAMES.get(r['status'], r['status']):<11} попыток: {r['attempts']:<2} "
            f"{str(r['brand'] or '—')}"
        )
        if r["topic_id"]:
            line += f" · тема #{r['topic_id']}"
        if r["status"] == "pending" and r["next_attempt_at"]:
            line += f" · следующая попытка {fmt.date_time(datetime.fromisoformat(r['next_attempt_at']), zone)}"
        if r["last_error"]:
            line += f" · ошибка: {r['last_error']}"
        click.echo(line)


@alerts.command()
@click.option("--no-detect", is_flag=True, help="Only list stored spikes.")
@click.option("--days", type=int, default=7, show_default=True, help="List spikes of the last N days.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def spikes(ctx: click.Context, no_detect: bool, days: int, as_json: bool) -> None:
    """Check for negativity spike episodes now (and queue the daily digest), then list recent episodes."""
    from sqlalchemy import select

    from alerts.spikes import detect_spikes
    from molva.models import Spike

    settings = get_settings(ctx)
    require_schema(ctx)
    now = datetime.now(UTC)
    with session_scope(ctx) as session:
        new = [] if no_detect else detect_spikes(session, settings.alerts, now)
        new_ids = {s.id for s in new}
        stored = session.scalars(
            select(Spike)
            .where(Spike.detected_at >= now - timedelta(days=days))
            .order_by(Spike.detected_at.desc())
        ).all()
        rows: list[dict[str, Any]] = [
            {
                "id": s.id,
                "brand": s.brand,
                "window_start": _iso(s.window_start),
                "window_end": _iso(s.window_end),
                "negative_count": s.negative_count,
                "baseline": s.baseline,
                "score": s.score,
                "terms": s.terms or [],
                "mention_ids": s.mention_ids or [],
                "status": s.status,
                "cause": s.details or {},
                "new": s.id in new_ids,
            }
            for s in stored
        ]
    if as_json:
        click.echo(json.dumps({"spikes": rows}, ensure_ascii=False, indent=2))
        return
    click.echo(f"Новых всплесков: {len(new_ids)}")
    zone = settings.alerts.timezone
    for r in rows:
        words = ", ".join(str(t) for t in r["terms"]) or "—"
        aspects = ", ".join(str(a["name"]) for a in r["cause"].get("aspects", [])) or "не определены"
        state = "идёт" if r["status"] == "open" else "закончился"
        negative = fmt.counted(r["negative_count"], "негативное упоминание", "негативных упоминания",
                               "негативных упоминаний")
        click.echo(
            f"{fmt.date_time(datetime.fromisoformat(r['window_start']), zone)} – "
            f"{fmt.date_time(datetime.fromisoformat(r['window_end']), zone)} "
            f"{fmt.zone_label(zone)}  {r['brand']} ({state}): {negative} (обычно {fmt.number(r['baseline'], 1)} "
            f"за окно, z = {fmt.number(r['score'], 1)}); аспекты: {aspects}; слова: {words}"
        )


@main.command()
@click.option("--json", "as_json", is_flag=True, help='Print {"topics": [...]}.')
@click.option("--brand", default=None, help="A catalog brand (any of its names).")
@click.option("--status", type=click.Choice(("new", "in_progress", "answered", "resolved", "duplicate")), default=None)
@click.option("--adapter", type=click.Choice(("builtin", "discourse")), default=None)
@click.option("--limit", type=click.IntRange(min=1), default=None)
@click.pass_context
def topics(
    ctx: click.Context,
    as_json: bool,
    brand: str | None,
    status: str | None,
    adapter: str | None,
    limit: int | None,
) -> None:
    """Support topics created from public complaints."""
    from molva.board import TOPIC_STATUSES, TOPIC_TYPES, list_topics

    require_schema(ctx)
    if brand is not None:
        (brand,) = canonical_brands(ctx, [brand])
    with session_scope(ctx) as session:
        found = list_topics(session, brand=brand, status=status, adapter=adapter, limit=limit)
    if as_json:
        click.echo(json.dumps({"topics": [t.as_json() for t in found]}, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("Тем нет.")
    zone = ZoneInfo(get_settings(ctx).alerts.timezone)
    for t in found:
        due = t.due_at.astimezone(zone).strftime("%d.%m %H:%M") if t.due_at else "—"
        overdue = " (просрочено)" if t.overdue(datetime.now(UTC)) else ""
        click.echo(
            f"#{t.id:<5} {TOPIC_TYPES.get(t.type, t.type):<13} {TOPIC_STATUSES.get(t.status, t.status):<9} "
            f"постов: {t.mention_count:<3} ответить до {due}{overdue} · {t.assignee or 'не назначен'} · {t.title}"
        )
        links = [f"тема: {t.url}"] if t.url else []
        links += [f"пост: {t.mention_urls[0]}"] if t.mention_urls else []
        if links:
            click.echo(f"       {' · '.join(links)}")
