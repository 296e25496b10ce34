from __future__ import annotations

from pathlib import Path

import pytest

from molva.errors import ConfigFileError
from molva.settings import load_settings, parse_duration


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "molva.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_use_sqlite_in_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOLVA_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.db_url == f"sqlite:///{tmp_path.resolve() / 'molva.db'}"
    assert settings.sources == []


def test_toml_file_then_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(
        tmp_path,
        'database_url = "sqlite:///from-file.db"\n'
        "[alerts]\nurgency_threshold = 0.7\n"
        '[[sources]]\nname = "tg"\nkind = "telegram"\ntargets = ["bank"]\ninterval = "15m"\n',
    )
    monkeypatch.setenv("MOLVA_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("MOLVA_DISCOURSE_URL", "http://127.0.0.1:9/")
    settings = load_settings(path)
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.alerts.urgency_threshold == 0.7
    assert settings.discourse_url == "http://127.0.0.1:9/"
    assert settings.source("tg").interval == 900
    assert settings.source("tg").effective_base_url == "https://t.me"


def test_config_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, 'log_level = "DEBUG"\n')
    monkeypatch.setenv("MOLVA_CONFIG", str(path))
    assert load_settings().log_level == "DEBUG"


def test_invalid_toml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'log_level = "INFO"\n\n[[sources]\nname = "x"\n')
    with pytest.raises(ConfigFileError) as info:
        load_settings(path)
    assert info.value.line == 3
    assert str(info.value).startswith(f"{path}:3: invalid TOML")


def test_schema_error_names_the_line_of_the_bad_value(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[sources]]\nname = "a"\nkind = "rss"\ntargets = ["http://x/feed"]\n\n'
        '[[sources]]\nname = "b"\nkind = "myspace"\ntargets = ["y"]\n',
    )
    with pytest.raises(ConfigFileError) as info:
        load_settings(path)
    assert info.value.line == 8
    assert "sources.1.kind" in info.value.problem


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, 'log_level = "INFO"\ndatabse_url = "typo"\n')
    with pytest.raises(ConfigFileError) as info:
        load_settings(path)
    assert info.value.line == 2
    assert "databse_url" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="file not found"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize(("value", "seconds"), [(900, 900), ("900", 900), ("15m", 900), ("2h", 7200), ("1d", 86400)])
def test_parse_duration(value: object, seconds: int) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["soon", "-5", 0, True])
def test_parse_duration_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)
