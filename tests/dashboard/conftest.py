"""Dashboard fixtures: a small generated database with hostile post text, an empty one, and AppTest helpers."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the dashboard and benchmarks folders, as Streamlit sees them
    sys.path.insert(0, str(ROOT))

from dash_helpers import add_hostile_rows  # type: ignore[import-not-found]  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from molva.db import make_engine, upgrade  # noqa: E402

APP = str(ROOT / "dashboard" / "app.py")


def bind_address(address: str | None) -> None:
    """What ``--server.address`` sets for a real server (``molva dashboard`` always passes one)."""
    from streamlit import config

    config.set_option("server.address", address)


@pytest.fixture(autouse=True)
def _bound_to_loopback() -> Iterator[None]:
    """AppTest has no server: the pages run as if ``molva dashboard`` bound 127.0.0.1 (the default)."""
    bind_address("127.0.0.1")
    yield
    bind_address(None)


@pytest.fixture(scope="session")
def dashboard_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    """A SQLite file with 600 generated mentions (last 40 days) plus the hostile rows."""
    from benchmarks.generate_mentions import generate

    url = f"sqlite:///{tmp_path_factory.mktemp('dash') / 'molva.db'}"
    now = datetime.now(UTC)
    generate(url, 600, seed=7, days=40, end=now - timedelta(minutes=5), topics=8)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        bm_id = add_hostile_rows(session, now)
    engine.dispose()
    return url, bm_id


@pytest.fixture(scope="session")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('dash-empty') / 'molva.db'}"
    upgrade(url)
    return url


@pytest.fixture
def make_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AppTest]]:
    """``make_app(url, page=None, **env)``: an AppTest of the dashboard on ``url``, already run."""
    import streamlit as st

    st.cache_data.clear()

    def build(url: str, page: str | None = None, **env: str) -> AppTest:
        monkeypatch.setenv("MOLVA_DATABASE_URL", url)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        if "MOLVA_DASHBOARD__HOST" in env:  # as `molva dashboard --host` passes it to Streamlit
            bind_address(env["MOLVA_DASHBOARD__HOST"])
        app = AppTest.from_file(APP, default_timeout=60)
        app.run()
        if page is not None:
            app.switch_page(f"pages/{page}.py")
            app.run()
        return app

    yield build
    st.cache_data.clear()
