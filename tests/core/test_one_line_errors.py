"""Issue 14.6: user errors and an unreachable database are one line on stderr, never a traceback.

Exit codes: 2 for the user's mistakes (bad option value, config value or database URL scheme), 1 for runtime
failures (the database is unreachable)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from molva.cli import main


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "molva.toml"
    config.write_text('[[sources]]\nname = "tg"\nkind = "telegram"\nbase_url = "http://127.0.0.1:9"\n'
                      'targets = ["a"]\n', encoding="utf-8")
    return config


def _one_line(result: object, code: int) -> str:
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == code, (result.exit_code, output)  # type: ignore[attr-defined]
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("molva: error: "), output
    return lines[0]


COMMANDS = [["report"], ["crawl", "tg"], ["classify"], ["alerts", "dispatch"], ["db", "upgrade"]]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_unreachable_database_is_one_line_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 args: list[str]) -> None:
    monkeypatch.setenv("MOLVA_DATABASE_URL", f"postgresql+psycopg://molva:pw-Secret-9@127.0.0.1:{_closed_port()}/x")
    result = CliRunner().invoke(main, ["--config", str(_config(tmp_path)), *args])
    line = _one_line(result, 1)
    assert "database is unavailable" in line and "pw-Secret-9" not in line


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_file_that_is_not_a_database_is_one_line_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          args: list[str]) -> None:
    """A SQLite path that holds something else (a damaged copy, another file) is named, not a traceback."""
    damaged = tmp_path / "molva.db"
    damaged.write_bytes(b"not a database, just text " * 200)
    monkeypatch.setenv("MOLVA_DATABASE_URL", f"sqlite:///{damaged}")
    line = _one_line(CliRunner().invoke(main, ["--config", str(_config(tmp_path)), *args]), 1)
    assert "damaged or is not an SQLite database (file is not a database)" in line
    assert damaged.read_bytes() == b"not a database, just text " * 200  # left as it was


def test_the_dashboard_refuses_a_damaged_database_before_it_serves(tmp_path: Path) -> None:
    """`molva dashboard` checks the database before Streamlit starts: one line and exit 1, not a blank page and a
    traceback in the server log (a timeout here would mean it started serving)."""
    damaged = tmp_path / "molva.db"
    damaged.write_bytes(b"not a database, just text " * 200)
    env = {**os.environ, "MOLVA_DATABASE_URL": f"sqlite:///{damaged}"}
    done = subprocess.run([sys.executable, "-m", "molva", "dashboard", "--port", str(_closed_port())], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("molva: error: the database file is damaged")


@pytest.mark.parametrize("url", ["mysqlx://u@h/db", "banana", "oracle+nosuchdriver://u@h/db"])
@pytest.mark.parametrize("args", [["report"], ["db", "upgrade"]], ids=" ".join)
def test_unknown_url_scheme_is_one_line_exit_2(monkeypatch: pytest.MonkeyPatch, url: str, args: list[str]) -> None:
    monkeypatch.setenv("MOLVA_DATABASE_URL", url)
    line = _one_line(CliRunner().invoke(main, args), 2)
    assert "database_url" in line


@pytest.mark.parametrize("period", ["banana", "-5h", "0"])
def test_report_bad_period_is_one_line_exit_2(db_url: str, monkeypatch: pytest.MonkeyPatch, period: str) -> None:
    monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
    line = _one_line(CliRunner().invoke(main, ["report", "--period", period]), 2)
    assert "--period" in line and period in line
    ok = CliRunner().invoke(main, ["report", "--period", "7d"])
    assert ok.exit_code == 0, ok.output
