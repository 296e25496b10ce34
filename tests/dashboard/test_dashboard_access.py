"""Login and ``molva dashboard``: open on loopback, password or OIDC on the network, refusal without either."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import bind_address  # type: ignore[import-not-found]
from streamlit.testing.v1 import AppTest

from molva.cli import main
from molva.cli.dashboard import dashboard_app_path, streamlit_command
from molva.errors import MolvaError
from molva.settings import load_settings


def test_loopback_needs_no_login(dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]) -> None:
    app = make_app(dashboard_db[0], MOLVA_DASHBOARD__HOST="127.0.0.1")
    assert app.title[0].value == "Обзор"


def test_network_without_password_shows_nothing(dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]) -> None:
    app = make_app(dashboard_db[0], MOLVA_DASHBOARD__HOST="0.0.0.0")
    assert app.error and "пароль не задан" in app.error[0].value
    assert not app.dataframe and not app.metric


def test_password_login(dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]) -> None:
    app = make_app(dashboard_db[0], MOLVA_DASHBOARD__HOST="0.0.0.0", MOLVA_DASHBOARD__PASSWORD="секрет-42")
    assert app.title[0].value == "Молва: вход" and not app.dataframe
    app.text_input[0].input("неверно")
    app.button[0].click().run()
    assert app.error[0].value == "Неверный пароль." and not app.dataframe
    app.text_input[0].input("секрет-42")
    app.button[0].click().run()
    assert app.title[0].value == "Обзор" and app.dataframe


def test_require_login_on_loopback(dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]) -> None:
    app = make_app(dashboard_db[0], MOLVA_DASHBOARD__REQUIRE_LOGIN="true", MOLVA_DASHBOARD__PASSWORD="x")
    assert app.title[0].value == "Молва: вход"


def test_cli_refuses_network_without_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["dashboard", "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "пароль" in result.output and "--host 127.0.0.1" in result.output
    with pytest.raises(MolvaError):
        streamlit_command(load_settings(), "0.0.0.0", 8501)


def test_cli_command_line_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "molva.toml"
    config.write_text('database_url = "sqlite:////tmp/x.db"\n[dashboard]\npassword = "p"\n', encoding="utf-8")
    settings = load_settings(config)
    argv, env = streamlit_command(settings, "0.0.0.0", 9999)
    assert argv[0] == "run" and argv[1] == str(dashboard_app_path())  # `streamlit run`, in this process
    assert Path(argv[1]).is_file()
    assert argv[argv.index("--server.address") + 1] == "0.0.0.0" and "9999" in argv
    assert env["MOLVA_CONFIG"] == str(config.resolve()) and env["MOLVA_DASHBOARD__HOST"] == "0.0.0.0"
    secrets = tmp_path / ".streamlit"
    secrets.mkdir()
    (secrets / "secrets.toml").write_text('[auth]\nredirect_uri = "http://x/oauth2callback"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    streamlit_command(load_settings(), "0.0.0.0", 8501)  # OIDC configured: no password needed


def test_cli_exports_corrections(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dash_helpers import add_hostile_rows  # type: ignore[import-not-found]
    from sqlalchemy.orm import Session

    from molva.corrections import correct_sentiment
    from molva.db import make_engine
    from molva.models import Source

    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        session.add(Source(name="vk", kind="vk"))
        session.flush()
        bm_id = add_hostile_rows(session, datetime.now(UTC))
        correct_sentiment(session, bm_id, "neutral", corrected_by="тест")
    engine.dispose()
    monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
    out = tmp_path / "fix.jsonl"
    result = CliRunner().invoke(main, ["corrections", "-o", str(out)])
    assert result.exit_code == 0, result.output
    (line,) = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["label"] == "neutral" and json.loads(line)["brand"] == "Сбербанк"
    result = CliRunner().invoke(main, ["corrections", "--format", "csv"])
    assert result.exit_code == 0 and result.output.startswith("text,brand,span_start")


def test_oidc_login_offered_when_configured(dashboard_db: tuple[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    from dash_helpers import ROOT  # type: ignore[import-not-found]

    monkeypatch.setenv("MOLVA_DATABASE_URL", dashboard_db[0])
    monkeypatch.setenv("MOLVA_DASHBOARD__HOST", "0.0.0.0")
    bind_address("0.0.0.0")
    app = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    app.secrets["auth"] = {
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "molva", "client_secret": "s", "server_metadata_url": "http://127.0.0.1:1/.well-known",
    }
    app.run()
    assert not app.exception
    assert [b.label for b in app.button] == ["Войти через единый вход (OIDC)"]
    assert not app.dataframe and not app.get("text_input"), "no data and no password form"


@pytest.mark.parametrize("address", [None, "", "0.0.0.0", "::", "localhost", "molva.example.org"])
def test_streamlit_run_without_a_loopback_address_needs_the_password(
    dashboard_db: tuple[str, int], make_app: Callable[..., AppTest], address: str | None
) -> None:
    """``streamlit run dashboard/app.py`` binds every interface (the option reads None): no bypass, even when
    the settings say 127.0.0.1."""
    bind_address(address)
    app = make_app(dashboard_db[0], MOLVA_DASHBOARD__PASSWORD="секрет-42")
    assert app.title[0].value == "Молва: вход" and not app.dataframe and not app.metric


def test_require_login_false_cannot_open_the_network(
    dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]
) -> None:
    app = make_app(dashboard_db[0], MOLVA_DASHBOARD__HOST="0.0.0.0", MOLVA_DASHBOARD__REQUIRE_LOGIN="false")
    assert app.error and "пароль не задан" in app.error[0].value and not app.dataframe


def test_login_attempts_are_rate_limited(dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]) -> None:
    from dashboard.auth import LIMITER

    LIMITER.reset()
    try:
        app = make_app(dashboard_db[0], MOLVA_DASHBOARD__HOST="0.0.0.0", MOLVA_DASHBOARD__PASSWORD="секрет-42",
                       MOLVA_DASHBOARD__LOGIN_ATTEMPTS="3")
        for _ in range(3):
            app.text_input[0].input("неверно")
            app.button[0].click().run()
            assert app.error[0].value == "Неверный пароль."
        app.text_input[0].input("секрет-42")  # the right password, but locked out now
        app.button[0].click().run()
        assert "Слишком много" in app.error[0].value and not app.dataframe
        fresh = make_app(dashboard_db[0])  # a new browser session is locked out too
        fresh.text_input[0].input("секрет-42")
        fresh.button[0].click().run()
        assert "Слишком много" in fresh.error[0].value and not fresh.dataframe
    finally:
        LIMITER.reset()


def test_login_limiter_window() -> None:
    from dashboard.auth import LoginLimiter

    now = [0.0]
    limiter = LoginLimiter(clock=lambda: now[0])
    for _ in range(2):
        limiter.failed("a")
    assert limiter.locked_for("a", 2, 60) == 60 and limiter.locked_for("b", 2, 60) == 0
    now[0] = 59.0
    assert limiter.locked_for("a", 2, 60) == 1
    now[0] = 60.0
    assert limiter.locked_for("a", 2, 60) == 0
