"""A real browser: ``molva dashboard`` on a free port, headless Chromium takes a screenshot of the overview."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--virtual-time-budget=15000"]


def chromium() -> str:
    if not Path(CHROMIUM).exists():
        script = ROOT / "scripts" / "install-chromium.sh"
        result = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=900)
        if result.returncode != 0 or not Path(CHROMIUM).exists():
            pytest.skip(f"Debian's chromium could not be installed ({script}): {result.stderr.strip()[-300:]}")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(db_url: str, tmp_path: Path, **env: str) -> Iterator[str]:
    """``molva dashboard`` (Streamlit serving ``dashboard/app.py``) on a free port until the block ends."""
    port = free_port()
    environment = {**os.environ, "MOLVA_DATABASE_URL": db_url, "MOLVA_DASHBOARD__HOST": "127.0.0.1", **env}
    log_path = tmp_path / f"streamlit-{port}.log"
    log = log_path.open("w")
    process = subprocess.Popen(  # as users start it: the pages' modules imported, then Streamlit in-process
        [sys.executable, "-m", "molva", "dashboard", "--host", "127.0.0.1", "--port", str(port)],
        env=environment, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # a limit for a stuck start, not a deadline
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def server(dashboard_db: tuple[str, int], tmp_path: Path) -> Iterator[str]:
    with serving(dashboard_db[0], tmp_path) as url:
        yield url


def visible_text(dom: str) -> str:
    import re

    dom = re.sub(r"(?s)<(script|style|noscript)[^>]*>.*?</\1>", "", dom)
    return " ".join(re.sub(r"<[^>]+>", " ", dom).split())


def dump_dom(browser: str, url: str, profile: Path) -> str:
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                          capture_output=True, text=True, timeout=120, check=False).stdout


def test_first_visit_to_a_page_url_goes_through_the_login(dashboard_db: tuple[str, int], tmp_path: Path) -> None:
    """A ``pages/`` folder makes Streamlit run a page file directly for the first visitor of its URL."""
    browser = chromium()
    with serving(dashboard_db[0], tmp_path, MOLVA_DASHBOARD__REQUIRE_LOGIN="true",
                 MOLVA_DASHBOARD__PASSWORD="секрет") as url:
        seen = ""
        deadline = time.monotonic() + 120  # headless virtual time does not wait for the websocket: retry
        while time.monotonic() < deadline:
            seen = visible_text(dump_dom(browser, f"{url}/explorer", tmp_path / "profile"))
            if "Молва: вход" in seen:
                break
            time.sleep(1)
        assert "Молва: вход" in seen, "the login form is shown"
        assert "Найдено" not in seen and "Сбербанк" not in seen, "no data without the password"


def test_overview_screenshot(server: str, tmp_path: Path) -> None:
    from PIL import Image

    browser = chromium()
    shot = tmp_path / "overview.png"
    profile = tmp_path / "profile"
    # The first visits warm Streamlit up (imports, caches); headless virtual time does not wait for the
    # websocket, so retry until the page has drawn.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        shot.unlink(missing_ok=True)
        subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
                        "--window-size=1400,1000", server], capture_output=True, timeout=120, check=False)
        if shot.is_file() and shot.stat().st_size > 20_000:
            break
        time.sleep(1)
    assert shot.is_file() and shot.stat().st_size > 20_000, "the screenshot is missing or nearly empty"
    image = Image.open(shot).convert("RGB")
    assert image.size == (1400, 1000)
    colours = image.getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 200, "the page rendered more than a blank canvas"
    background = max(colours)[0] / (1400 * 1000)
    assert background < 0.97, "the page is (almost) one colour"
    deadline = time.monotonic() + 120  # virtual time may catch the skeleton on a loaded machine: retry
    dom = ""
    while time.monotonic() < deadline:
        dom = dump_dom(browser, server, profile)
        if "Обзор" in dom and "Доля негатива" in dom:
            break
        time.sleep(1)
    assert "Обзор" in dom and "Доля негатива" in dom, "the overview rendered in the browser"
    if os.environ.get("DASHBOARD_SCREENSHOT_DIR"):  # keep the picture, e.g. for the docs
        shutil.copy(shot, Path(os.environ["DASHBOARD_SCREENSHOT_DIR"]) / "overview.png")
