"""The ``molva`` command line as a user runs it (click's runner, a real SQLite file)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from molva.cli import main


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_every_command_has_help() -> None:
    code, out, _ = run("--help")
    assert code == 0
    names = [line.split()[0] for line in out.split("Commands:")[1].strip().splitlines()]
    assert {"db", "report"} <= set(names)
    for name in names:
        code, sub_out, _ = run(name, "--help")
        assert code == 0, name
        assert "Usage:" in sub_out


def test_lazy_command_map_names_every_command_and_report_imports_only_its_own() -> None:
    import importlib
    import pkgutil

    import molva.cli
    from molva.cli import COMMAND_MODULES

    for module in pkgutil.iter_modules(molva.cli.__path__):
        importlib.import_module(f"molva.cli.{module.name}")
    defined = {name: command.callback.__module__ for name, command in main.commands.items()
               if command.callback is not None}
    assert defined == {name: f"molva.cli.{module}" for name, module in COMMAND_MODULES.items()}
    # a fresh process running `report` imports no other command's module
    code = ("import sys\nfrom molva.cli import main\nmain.get_command(None, 'report')\n"
            "print(sorted(m for m in sys.modules if m.startswith('molva.cli.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['molva.cli.app', 'molva.cli.report']"


def test_top_level_help_is_in_one_language() -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert not any("а" <= ch.lower() <= "я" for ch in out), out


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    code, out, _ = run("db", "upgrade", env={"MOLVA_DATABASE_URL": url})
    assert code == 0, out
    assert "head" in out
    assert "mentions" in inspect(create_engine(url)).get_table_names()
    assert run("db", "upgrade", env={"MOLVA_DATABASE_URL": url})[0] == 0  # idempotent


def test_report_refuses_to_invent_a_database(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    code, out, err = run("report", env={"MOLVA_DATABASE_URL": f"sqlite:///{db}"})
    assert code == 2
    assert out == ""
    assert err.strip().count("\n") == 0 and str(db) in err and "molva db upgrade" in err
    assert not db.exists()


def test_report_json_on_an_empty_database(tmp_path: Path) -> None:
    env = {"MOLVA_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}
    assert run("db", "upgrade", env=env)[0] == 0
    assert str(tmp_path / "r.db") in run("report", env=env)[2]  # says which database it reads
    code, out, err = run("report", "--json", env=env)
    assert code == 0
    data = json.loads(out)
    assert data["mentions_total"] == 0
    assert data["sources"] == []
    names = {row["brand"] for row in data["brands"]}
    assert {"Сбербанк", "МТС", "Tele2"} <= names
    assert {"brand", "mentions", "negative", "neutral", "positive"} <= set(data["brands"][0])


@pytest.mark.parametrize(
    ("config", "line", "problem"),
    [
        ('log_level = "INFO"\n[[sources]\n', 2, "invalid TOML"),
        ('[[sources]]\nname = "a"\nkind = "rss"\ntargets = []\n', 4, "sources.0.targets"),
    ],
)
def test_broken_config_is_one_clear_message_and_exit_2(tmp_path: Path, config: str, line: int, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(config, encoding="utf-8")
    db = tmp_path / "data" / "molva.db"
    proc = subprocess.run(
        [sys.executable, "-c", "from molva.cli import main; main()", "--config", str(path), "report", "--json"],
        capture_output=True, text=True, env={"MOLVA_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    message = proc.stderr.strip()
    assert message.count("\n") == 0, message
    assert f"{path}:{line}:" in message and problem in message
    assert not db.exists()  # nothing half-written


def test_broken_catalog_is_exit_2_and_touches_no_database(tmp_path: Path) -> None:
    catalog = tmp_path / "brands.toml"
    catalog.write_text('[[brand]]\nid = "x"\nname = \n', encoding="utf-8")
    db = tmp_path / "c.db"
    code, out, err = run(
        "report", "--json", env={"MOLVA_CATALOG_PATH": str(catalog), "MOLVA_DATABASE_URL": f"sqlite:///{db}"}
    )
    assert code == 2
    assert f"{catalog}:3" in err
    assert not db.exists()


@pytest.mark.parametrize("command", [("report",), ("topics",), ("dashboard",), ("crawl", "--all"), ("run",),
                                     ("classify",)])
def test_commands_never_create_an_empty_database(tmp_path: Path, command: tuple[str, ...]) -> None:
    db = tmp_path / "none" / "molva.db"
    code, out, err = run(*command, env={"MOLVA_DATABASE_URL": f"sqlite:///{db}"})
    assert code == 2, (out, err)
    assert err.strip().count("\n") == 0 and "molva db upgrade" in err
    assert not db.exists()


def test_db_rollups_recounts_the_per_source_counts_after_a_change_outside_molva(tmp_path: Path) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert run("db", "upgrade", env={"MOLVA_DATABASE_URL": url})[0] == 0
    with sqlite3.connect(tmp_path / "x.db") as conn:  # rows written by another tool
        conn.execute("INSERT INTO sources (id, name, kind, enabled, consecutive_failures, created_at) "
                     "VALUES (4, 's', 'vk', 1, 0, '2025-01-01 00:00:00.000000')")
        conn.executemany("INSERT INTO mentions (source_id, kind, external_id, url, canonical_url, text, language, "
                         "published_at, fetched_at, content_hash) VALUES (4, 'vk', ?, 'u', 'u', 't', 'ru', "
                         "'2025-03-01 10:00:00.000000', '2025-03-01 10:00:00.000000', ?)",
                         [(f"e{i}", f"{i:064x}") for i in range(3)])
    code, out, _ = run("db", "rollups", env={"MOLVA_DATABASE_URL": url})
    assert code == 0 and "rollups recounted" in out
    with sqlite3.connect(tmp_path / "x.db") as conn:
        assert conn.execute("SELECT source_id, mentions FROM source_counts").fetchall() == [(4, 3)]
