"""A real browser on a running dashboard: every page with data and on an empty database, a topic opened from
the support table, a sentiment label fixed from an explorer card; screenshots kept as test artifacts.

Chromium is driven over the DevTools protocol and each page is waited for until Streamlit's websocket run has
drawn the page's own content (not the loading skeleton). Screenshots go to ``$MOLVA_TEST_ARTIFACTS`` or
``var/test-artifacts/browser/``. Skips with the reason when Debian's chromium is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_dashboard_screenshot import ROOT, chromium, serving  # type: ignore[import-not-found]

websockets = pytest.importorskip("websockets", reason="the DevTools driver needs the websockets package")

from cdp import Browser, print_pdf  # type: ignore[import-not-found]  # noqa: E402

PAGES = {  # url path -> the page's title
    "": "Обзор",
    "competitors": "Конкуренты",
    "explorer": "Упоминания",
    "reach": "Кто и где",
    "support": "Очередь поддержки",
    "sources": "Источники",
}
CHARTS = {"", "competitors"}  # pages that draw charts when there is data


def artifacts(kind: str) -> Path:
    base = Path(os.environ.get("MOLVA_TEST_ARTIFACTS") or ROOT / "var" / "test-artifacts" / "browser")
    folder = base / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    driver = Browser(chromium(), tmp_path / "chromium-profile")
    try:
        yield driver
    finally:
        driver.close()


def open_page(browser: Browser, base: str, path: str, title: str) -> str:
    browser.goto(f"{base}/{path}")
    browser.wait_for(
        f"(() => {{ const h = document.querySelector('[data-testid=\"stMain\"] h1');"
        f" return !!h && h.innerText.trim() === {title!r}; }})()",
        f"the {title!r} page",
    )
    browser.settle()
    assert not browser.evaluate("!!document.querySelector('[data-testid=\"stException\"]')"), browser.text()[:800]
    return browser.text()


def test_every_page_with_data(dashboard_db: tuple[str, int], tmp_path: Path, browser: Browser) -> None:
    out = artifacts("with-data")
    with serving(dashboard_db[0], tmp_path) as base:
        for path, title in PAGES.items():
            text = open_page(browser, base, path, title)
            browser.wait_for("document.querySelectorAll('[data-testid=\"stDataFrame\"]').length > 0",
                             f"a table on {title}")
            if path in CHARTS:
                browser.wait_for("document.querySelectorAll('.vega-embed svg, .vega-embed canvas').length > 0",
                                 f"a chart on {title}")
                browser.settle()
            assert "None" not in text and "nan" not in text.split(), f"{title}: {text[:500]}"
            assert "Нет данных: упоминаний за период нет" not in text
            browser.screenshot(out / f"{path or 'overview'}.png")
        assert "Сбербанк" in open_page(browser, base, "", "Обзор"), "the overview leads with the focus brand"


def test_open_a_topic_and_fix_a_label(dashboard_db: tuple[str, int], tmp_path: Path, browser: Browser) -> None:
    out = artifacts("with-data")
    with serving(dashboard_db[0], tmp_path) as base:
        open_page(browser, base, "support", "Очередь поддержки")
        browser.wait_for("document.querySelectorAll('[data-testid=\"stDataFrame\"]').length > 0", "the topics")
        table = browser.rect('[data-testid="stDataFrame"]')
        browser.click_at(table["x"] + 18, table["y"] + 35 + 17)  # the first row's selection box
        browser.wait_for("!!document.querySelector('div[style*=\"pre-wrap\"]')", "the opened topic", timeout=120)
        browser.settle()
        assert "**" not in browser.text()
        browser.screenshot(out / "support-topic-opened.png")

        open_page(browser, base, "explorer", "Упоминания")
        card_select = '[class*="st-key-ex_label_"]'  # Streamlit marks a keyed widget with class st-key-<key>
        browser.wait_for(f"document.querySelectorAll({card_select!r}).length > 0", "a mention card")
        current = str(browser.evaluate(f"document.querySelector({card_select!r} + ' input').value")).strip()
        browser.click(card_select + ' button[aria-haspopup="listbox"]')  # the combobox's "Open" button
        browser.wait_for("document.querySelectorAll('[role=\"option\"]').length >= 3", "the label options")
        choice = next(label for label in ("нейтрально", "позитив", "негатив") if label != current)
        browser.click_text('[role="option"]', choice)
        browser.settle()
        browser.wait_for("(() => { const b = document.querySelector('[class*=\"st-key-ex_fix_\"] button');"
                         " return !!b && !b.disabled; })()", "the enabled fix button")
        browser.click('[class*="st-key-ex_fix_"] button')
        browser.wait_for("document.body.innerText.includes('Тональность исправлена')", "the saved correction")
        browser.settle()
        browser.screenshot(out / "explorer-label-fixed.png")


def test_a_place_opens_its_mentions(dashboard_db: tuple[str, int], tmp_path: Path, browser: Browser) -> None:
    out = artifacts("with-data")
    with serving(dashboard_db[0], tmp_path) as base:
        open_page(browser, base, "reach", "Кто и где")
        browser.wait_for("document.querySelectorAll('[data-testid=\"stDataFrame\"]').length >= 2", "the tables")
        table = browser.rect('[data-testid="stDataFrame"]')  # places
        browser.click_at(table["x"] + 18, table["y"] + 35 + 17)  # one click on the first place
        browser.wait_for(
            "(() => { const h = document.querySelector('[data-testid=\"stMain\"] h1');"
            " return !!h && h.innerText.trim() === 'Упоминания' && document.body.innerText.includes('Только площадка'); })()",
            "the explorer filtered to the place",
        )
        browser.settle()
        browser.screenshot(out / "explorer-from-a-place.png")


def test_every_page_on_an_empty_database(empty_db: str, tmp_path: Path, browser: Browser) -> None:
    out = artifacts("empty")
    with serving(empty_db, tmp_path) as base:
        for path, title in PAGES.items():
            open_page(browser, base, path, title)
            browser.wait_for("document.body.innerText.includes('Нет данных')", f"the empty note on {title}")
            text = browser.text()
            assert "None" not in text, text[:500]
            browser.screenshot(out / f"{path or 'overview'}.png")


def test_weekly_report_renders_and_prints(dashboard_db: tuple[str, int], tmp_path: Path, browser: Browser) -> None:
    from click.testing import CliRunner

    from molva.cli import main

    out = artifacts("weekly")
    html = out / "weekly.html"
    result = CliRunner().invoke(main, ["report", "--html", str(html)], env={"MOLVA_DATABASE_URL": dashboard_db[0]},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    browser.goto(html.as_uri())
    browser.wait_for("document.querySelectorAll('svg').length >= 3", "the report's charts")
    text = browser.text()
    assert "Доля голоса" in text and "Главные жалобы" in text and "None" not in text
    browser.screenshot(out / "weekly.png")
    pdf = print_pdf(browser, out / "weekly.pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
