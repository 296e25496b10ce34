"""``molva report --html``: a static weekly report of the focus brand's group (inline SVG, no network)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.orm import Session

from molva.cli import main
from molva.db import make_engine
from molva.models import BrandMention, Mention, Source

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def _database(tmp_path: Path) -> str:
    from benchmarks.generate_mentions import generate

    url = f"sqlite:///{tmp_path / 'w.db'}"
    now = datetime.now(UTC)
    generate(url, 400, seed=3, days=10, end=now - timedelta(minutes=5), topics=4)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        source = session.query(Source).first()
        assert source is not None
        mention = Mention(source_id=source.id, kind=source.kind, external_id="w-x", url="https://example.org/x",
                          canonical_url="w-x", text=f"{HOSTILE} Сбербанк заблокировал карту", content_hash="w" * 64,
                          published_at=now - timedelta(hours=1))
        session.add(mention)
        session.flush()
        session.add(BrandMention(mention_id=mention.id, brand="Сбербанк", alias="Сбербанк", span_start=0, span_end=8,
                                 published_at=mention.published_at, sentiment="negative", urgency=0.99,
                                 intent="problem", aspects=["cards"]))
    engine.dispose()
    return url


def test_weekly_html_report(tmp_path: Path) -> None:
    url = _database(tmp_path)
    config = tmp_path / "molva.toml"
    config.write_text('[dashboard]\nfocus_brand = "Сбербанк"\n', encoding="utf-8")
    out = tmp_path / "weekly.html"
    result = CliRunner().invoke(main, ["--config", str(config), "report", "--html", str(out)],
                                env={"MOLVA_DATABASE_URL": url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    for section in ("Доля голоса", "Тональность по дням", "Скорость и доля ответов", "Главные жалобы",
                    "О чём негатив", "Сбербанк", "Банки"):
        assert section in html, section
    assert html.count("<svg") >= 3, "charts are inline SVG"
    assert "<script" not in html and "<img" not in html and "<link" not in html, "no script, no network"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, "post text is escaped"
    assert re.search(r"\d+,\d\u00a0%", html), "Russian percentages"
    assert "None" not in html and "nan" not in html
    assert "@media print" in html


def test_scheduled_weekly_report_and_webhook_notice(tmp_path: Path) -> None:
    import json

    import httpx

    from molva.scheduler import job_specs
    from molva.settings import load_settings
    from molva.weekly_html import publish_weekly

    url = _database(tmp_path)
    config = tmp_path / "molva.toml"
    config.write_text(f'database_url = "{url}"\ndata_dir = "{tmp_path / "data"}"\n[scheduler]\nweekly_report = true\n'
                      'weekly_report_webhook = "http://127.0.0.1:9/hook"\n', encoding="utf-8")
    settings = load_settings(config)
    assert ("weekly-report", "molva.scheduler:weekly_report_job", [], 7 * 86400) in job_specs(settings)
    seen: list[dict[str, str]] = []

    def hook(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200)

    now = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # 30 November in Moscow
    with httpx.Client(transport=httpx.MockTransport(hook)) as client:
        path = publish_weekly(settings, now=now, client=client)
    assert path == (settings.data_dir / "reports" / "weekly-2026-11-30.html").resolve()
    assert "<svg" in path.read_text(encoding="utf-8")
    assert seen and str(path) in seen[0]["text"] and seen[0]["path"] == str(path)

    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    with httpx.Client(transport=httpx.MockTransport(broken)) as client:
        assert publish_weekly(settings, now=now, client=client).exists()  # a failed notice keeps the report
