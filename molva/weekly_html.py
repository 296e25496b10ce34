"""The weekly report as one static HTML file: inline SVG charts, no script, no network; prints to PDF.

Share of voice, the sentiment trend, the response-rate ranking, the top complaints and the aspects of the
focus brand's group, from :func:`molva.metrics.weekly.weekly_data`. Every text from the database is escaped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from molva import fmt
from molva.aspects import aspect_name
from molva.metrics.filters import MetricsFilter
from molva.metrics.weekly import WeeklyData

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import httpx
    from sqlalchemy.orm import Session

    from molva.settings import Settings

TOP = 6  # brands drawn by name in a chart (the focus brand and its biggest rivals); the rest are "Другие"

CSS = """
body { font-family: "PT Sans", "Segoe UI", Arial, sans-serif; color: #222; max-width: 820px; margin: 24px auto;
       padding: 0 16px; line-height: 1.4; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; }
.muted { color: #666; font-size: 13px; }
.kpis { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; min-width: 130px; }
.kpi b { display: block; font-size: 22px; } .kpi span { color: #666; font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eee; vertical-align: top; }
td.n, th.n, td.when { text-align: right; white-space: nowrap; } td.when { text-align: left; }
tr.focus td { font-weight: bold; }
svg text { font-family: inherit; font-size: 12px; fill: #333; }
a { color: #1f5fa8; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } svg, table, .kpis { break-inside: avoid; } }
"""


def _bars(items: Sequence[tuple[str, float, str]], label: Callable[[float], str], width: int = 760,
          maximum: float | None = None) -> str:
    """Horizontal bars: (name, value, colour) per row."""
    row, left, right = 24, 150, 90
    top = maximum if maximum else max((v for _, v, _ in items), default=0) or 1
    parts = []
    for i, (name, value, colour) in enumerate(items):
        y = i * row
        length = max(0.0, value) / top * (width - left - right)
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{left}" y="{y + 4}" width="{length:.1f}" height="16" fill="{colour}"/>'
            f'<text x="{left + length + 6:.1f}" y="{y + 16}">{escape(label(value))}</text>'
        )
    height = max(row * len(items), row)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img">{"".join(parts)}</svg>')


def _lines(days: Sequence[str], series: dict[str, list[float | None]], colours: dict[str, str],
           width: int = 760, height: int = 240) -> str:
    """The sentiment index (−1..1) per day and brand, with a zero line and a legend."""
    left, right, top, bottom = 50, 40, 10, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(days) - 1, 1)

    def y(value: float) -> float:
        return top + (1 - (value + 1) / 2) * plot_h

    parts = [f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#999" '
             'stroke-dasharray="3 3"/>']
    for value in (-1, -0.5, 0, 0.5, 1):
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{fmt.signed(value, 1)}</text>')
    every = max(1, len(days) // 10)
    for i, day in enumerate(days):
        if i % every == 0:
            parts.append(f'<text x="{left + i * step:.1f}" y="{top + plot_h + 20}" text-anchor="middle">'
                         f'{escape(day)}</text>')
    for brand, values in series.items():
        colour = colours.get(brand, fmt.OTHERS_COLOUR)
        points = [(left + i * step, y(v)) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{colour}"/>' for px, py in points]
    for i, brand in enumerate(series):
        x, ly = left + (i % 4) * 180, top + plot_h + 44 + (i // 4) * 16
        parts.append(f'<rect x="{x}" y="{ly - 9}" width="10" height="10" '
                     f'fill="{colours.get(brand, fmt.OTHERS_COLOUR)}"/><text x="{x + 14}" y="{ly}">{escape(brand)}</text>')
    height += 16 * (len(series) // 4)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img">{"".join(parts)}</svg>')


def _kpi(title: str, value: str, note: str = "") -> str:
    return f'<div class="kpi"><span>{escape(title)}</span><b>{escape(value)}</b><span>{escape(note)}</span></div>'


def render(report: WeeklyData, colours: dict[str, str], zone: str) -> str:
    """The whole report as an HTML document."""
    last_day = report.until - timedelta(seconds=1)
    period = f"{fmt.day(report.since, zone)} — {fmt.day(last_day, zone)} {fmt.local(last_day, zone).year}"
    group = fmt.group_name(report.group)
    focus = report.focus or ""
    rows = {r.brand: r for r in report.brands}
    old = {r.brand: r for r in report.previous}
    total = sum(r.mentions for r in report.brands)
    had_previous = sum(r.mentions for r in report.previous) > 0
    mine = rows.get(focus)
    ranked = [r.brand for r in report.brands]
    body = [f"<h1>Молва: еженедельный отчёт — {escape(focus)}</h1>",
            f'<p class="muted">{escape(period)} ({escape(fmt.zone_label(zone))}); группа «{escape(group)}», '
            f"{fmt.number(len(report.members))} брендов. Упоминания — посты и комментарии с брендом, без "
            "официальных аккаунтов; доля негатива — среди упоминаний с определённой тональностью.</p>"]
    if mine is not None:
        previous = old.get(focus)
        change = (fmt.points(mine.negative_share - previous.negative_share) + " к прошлой неделе"
                  if had_previous and previous and previous.classified and mine.classified else "")
        body.append('<div class="kpis">' + "".join([
            _kpi("Упоминания", fmt.number(mine.mentions)),
            _kpi("Доля голоса", fmt.percent(mine.mentions / total if total else None)),
            _kpi("Место в группе", f"{ranked.index(focus) + 1} из {len(ranked)}" if mine.mentions else fmt.DASH),
            _kpi("Доля негатива", fmt.percent(mine.negative_share if mine.classified else None), change),
            _kpi("Индекс тональности", fmt.signed(mine.sentiment_index if mine.classified else None)),
        ]) + "</div>")
    shown = ([focus] if focus in rows else []) + [b for b in ranked if b != focus and rows[b].mentions][: TOP - 1]
    others = sum(r.mentions for r in report.brands if r.brand not in shown)
    voice = [(b, rows[b].mentions / total if total else 0.0, colours.get(b, fmt.OTHERS_COLOUR)) for b in shown]
    if others:
        voice.append((fmt.OTHERS, others / total, fmt.OTHERS_COLOUR))
    body.append("<h2>Доля голоса</h2>")
    body.append(_bars(voice, fmt.percent) if total else '<p class="muted">Упоминаний за неделю нет.</p>')

    body.append("<h2>Тональность по дням</h2>")
    sums: dict[tuple[date, str], list[int]] = {}
    for point in report.trend:  # hours summed into days of the configured zone
        key = (fmt.local(point.bucket, zone).date(), point.brand)
        counts = sums.setdefault(key, [0, 0, 0])
        counts[0] += point.negative
        counts[1] += point.neutral
        counts[2] += point.positive
    days = sorted({d for d, _ in sums})
    if days:
        series: dict[str, list[float | None]] = {}
        for brand in shown[:4]:
            values: list[float | None] = []
            for d in days:
                negative, neutral, positive = sums.get((d, brand), [0, 0, 0])
                classified = negative + neutral + positive
                values.append((positive - negative) / classified if classified else None)
            series[brand] = values
        body.append(_lines([f"{d.day} {fmt.MONTHS_GENITIVE[d.month - 1]}" for d in days], series, colours))
        body.append('<p class="muted">Индекс тональности: (позитивные − негативные) / размеченные, от −1 до +1.</p>')
    else:
        body.append('<p class="muted">Нет данных.</p>')

    body.append("<h2>Скорость и доля ответов</h2>")
    responses = sorted(report.responses.values(),
                       key=lambda s: (-(s.response_rate or -1), s.median_response_seconds or float("inf"), s.brand))
    if responses:
        body.append(_bars([(s.brand, s.response_rate or 0.0, colours.get(s.brand, fmt.OTHERS_COLOUR))
                           for s in responses], fmt.percent, maximum=1.0))
        table = ['<table><tr><th>Место</th><th>Бренд</th><th class="n">Адресовано</th><th class="n">Отвечено</th>'
                 '<th class="n">Доля ответов</th><th class="n">Медиана до ответа</th></tr>']
        for place, s in enumerate(responses, start=1):
            css = ' class="focus"' if s.brand == focus else ""
            table.append(f"<tr{css}><td>{place}</td><td>{escape(s.brand)}</td><td class='n'>{fmt.number(s.addressed)}"
                         f"</td><td class='n'>{fmt.number(s.answered)}</td><td class='n'>{fmt.percent(s.response_rate)}"
                         f"</td><td class='n'>{fmt.duration(s.median_response_seconds)}</td></tr>")
        body.append("".join(table) + "</table>")
    else:
        body.append('<p class="muted">Обращений, адресованных брендам группы, за неделю нет.</p>')

    body.append("<h2>Главные жалобы</h2>")
    if report.complaints:
        table = ['<table><tr><th>Когда</th><th>Бренд</th><th class="n">Срочность</th><th>Текст</th></tr>']
        for c in report.complaints:
            text = c.text if len(c.text) <= 220 else c.text[:219] + "…"
            link = f' <a href="{escape(c.url)}">оригинал</a>' if c.url else ""
            table.append(f"<tr><td class='when'>{escape(fmt.date_time(c.published_at, zone))}</td><td>{escape(c.brand)}</td>"
                         f"<td class='n'>{fmt.number(c.urgency, 2)}</td><td>{escape(text)}{link}</td></tr>")
        body.append("".join(table) + "</table>")
    else:
        body.append('<p class="muted">Срочных жалоб за неделю нет.</p>')

    body.append("<h2>О чём негатив</h2>")
    if report.aspects:
        body.append(_bars([(aspect_name(code, report.group), float(n), "#d62728") for code, n in report.aspects],
                          lambda v: fmt.number(v)))
        body.append('<p class="muted">Аспекты негативных упоминаний брендов группы (одно упоминание может '
                    "касаться нескольких аспектов).</p>")
    else:
        body.append('<p class="muted">Аспекты ещё не определены.</p>')
    made = fmt.date_time(datetime.now(UTC), zone)
    body.append(f'<p class="muted">Сформировано «Молвой» {escape(made)} ({escape(fmt.zone_label(zone))}).</p>')
    title = f"Молва: {focus}, {period}"
    return (f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>\n")


def weekly_period(zone: str, days: int = 7, now: datetime | None = None) -> tuple[datetime, datetime]:
    """``days`` whole local days ending with today (the report covers today's posts too), as UTC moments."""
    here = fmt.local(now or datetime.now(UTC), zone)
    until = datetime.combine(here.date() + timedelta(days=1), time.min, tzinfo=here.tzinfo).astimezone(UTC)
    return until - timedelta(days=days), until


def build_weekly(settings: Settings, session: Session, days: int = 7, now: datetime | None = None) -> str:
    """The weekly report of the configured focus brand's group (``[dashboard] focus_brand``) as HTML."""
    from molva.catalog import load_catalog
    from molva.metrics.weekly import weekly_data

    catalog = load_catalog(settings.catalog_path)
    groups = {group: [b.name for b in brands] for group, brands in catalog.groups().items()}
    focus = settings.dashboard.focus_brand
    if not focus or not any(focus in members for members in groups.values()):
        focus = next((members[0] for members in groups.values() if members), focus)
    group = next((g for g, members in groups.items() if focus in members), None)
    members = tuple(groups.get(group, [])) if group else ((focus,) if focus else ())
    zone = settings.alerts.timezone
    since, until = weekly_period(zone, days, now)
    report = weekly_data(session, MetricsFilter(since=since, until=until), focus, group, members,
                         settings.alerts.urgency_threshold)
    return render(report, fmt.palette(groups), zone)


def write_weekly(settings: Settings, path: Path, days: int = 7) -> Path:
    """Write the weekly report to ``path`` (atomically: a reader never sees half a file)."""
    from molva.db import make_sessionmaker, session_scope

    with session_scope(make_sessionmaker(settings.db_url)) as session:
        html = build_weekly(settings, session, days)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(html, encoding="utf-8")
    partial.replace(path)
    return path


def publish_weekly(settings: Settings, now: datetime | None = None, client: httpx.Client | None = None) -> Path:
    """The scheduled job: ``<data_dir>/reports/weekly-YYYY-MM-DD.html``, then the optional webhook notice
    (``[scheduler] weekly_report_webhook``; a failed notice is logged, the report stays)."""
    import httpx

    moment = now or datetime.now(UTC)
    day = fmt.local(moment, settings.alerts.timezone).date()
    path = write_weekly(settings, settings.data_dir.resolve() / "reports" / f"weekly-{day:%Y-%m-%d}.html")
    url = settings.scheduler.weekly_report_webhook
    if url:
        text = f"Еженедельный отчёт «Молвы» готов: {path}"
        own = client is None
        http = client or httpx.Client(timeout=settings.alerts.http_timeout)
        try:
            http.post(url, json={"text": text, "path": str(path)}).raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("weekly report notice to the webhook failed: %s", exc)
        finally:
            if own:
                http.close()
    return path
