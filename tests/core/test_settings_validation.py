"""Issue 14.5: settings that cannot work fail at load, naming FILE:LINE (TOML) or the variable (env)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from molva.cli import main
from molva.errors import ConfigFileError
from molva.settings import load_settings

SOURCE = '[[sources]]\nname = "tg"\nkind = "telegram"\ntargets = ["a"]\n'

BAD_TOML = [
    ("[crawl]\ndownload_delay = -1\n", 2, "crawl.download_delay"),
    ("[crawl]\nretry_times = -3\n", 2, "crawl.retry_times"),
    ("[crawl]\nmax_pages = 0\n", 2, "crawl.max_pages"),
    ("[crawl]\nconcurrent_requests_per_domain = 0\n", 2, "crawl.concurrent_requests_per_domain"),
    ("[crawl]\ndownload_timeout = 0\n", 2, "crawl.download_timeout"),
    ("[scheduler]\nclassify_interval = -5\n", 2, "scheduler.classify_interval"),
    ("[scheduler]\nclassify_batch_size = 0\n", 2, "scheduler.classify_batch_size"),
    ("[alerts]\nurgency_threshold = 1.5\n", 2, "alerts.urgency_threshold"),
    ("[alerts]\ngroup_similarity = -0.1\n", 2, "alerts.group_similarity"),
    ("[alerts]\n\ndigest_hour = 99\n", 3, "alerts.digest_hour"),
    ("[alerts]\nmax_attempts = 0\n", 2, "alerts.max_attempts"),
    ('[alerts]\nquiet_hours = "25:99-banana"\n', 2, "HH:MM-HH:MM"),
    ('[alerts]\ntimezone = "Mars/Olympus"\n', 2, "unknown time zone"),
    ('[alerts.brands."Сбербанк"]\nurgency_threshold = 2\n', 2, "urgency_threshold"),
    ('[alerts.brands."Сбербанк"]\nquiet_hours = "8-9"\n', 2, "HH:MM-HH:MM"),
    ("[dashboard]\nport = 70000\n", 2, "dashboard.port"),
    ('log_level = "LOUD"\n', 1, "log_level"),
    (SOURCE + "interval = 0\n", 5, "interval"),
    (SOURCE + 'base_url = "gopher://h"\n', 5, "http:// or https://"),
    ('[alerts]\nwebhook_url = "ftp://hook"\n', 2, "alerts.webhook_url"),
    ('discourse_url = "community.example.ru"\n', 1, "discourse_url"),
    ('[crawl]\nredis_url = "http://r:6379"\n', 2, "redis://"),
    (SOURCE + "\n" + SOURCE, 7, "two sources are named 'tg'"),
]


def _load_error(tmp_path: Path, toml: str) -> tuple[Path, str]:
    """The config file written from ``toml`` and the one-line error loading it gives."""
    config = tmp_path / "molva.toml"
    config.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigFileError) as info:
        load_settings(config)
    return config, str(info.value)


@pytest.mark.parametrize(("toml", "line", "words"), BAD_TOML)
def test_bad_value_in_the_file_names_its_line(tmp_path: Path, toml: str, line: int, words: str) -> None:
    config, message = _load_error(tmp_path, toml)
    assert message.startswith(f"{config}:{line}: "), message
    assert words in message and "\n" not in message


@pytest.mark.parametrize(("variable", "value"), [
    ("MOLVA_ALERTS__DIGEST_HOUR", "99"),
    ("MOLVA_ALERTS__TIMEZONE", "Mars/Olympus"),
    ("MOLVA_ALERTS__QUIET_HOURS", "25:99-banana"),
    ("MOLVA_CRAWL__MAX_PAGES", "-1"),
])
def test_bad_environment_value_names_the_variable_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    config = tmp_path / "molva.toml"
    config.write_text('[alerts]\ndigest_hour = 9\ntimezone = "Europe/Moscow"\n[crawl]\nmax_pages = 5\n',
                      encoding="utf-8")
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigFileError) as info:
        load_settings(config)
    assert str(info.value).startswith(f"environment variable {variable}: "), str(info.value)
    assert str(config) not in str(info.value)


def test_good_values_still_load(tmp_path: Path) -> None:
    config = tmp_path / "molva.toml"
    config.write_text('[alerts]\nquiet_hours = "23:00-08:00"\ntimezone = "Asia/Yekaterinburg"\n'
                      'urgency_threshold = 1\ndigest_hour = 0\n[crawl]\ndownload_delay = 0\nretry_times = 0\n',
                      encoding="utf-8")
    settings = load_settings(config)
    assert settings.alerts.quiet_hours == "23:00-08:00" and settings.alerts.digest_hour == 0


def test_cli_reports_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "molva.toml"
    config.write_text('[alerts]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "report"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"molva: error: {config}:2: "), result.output


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("MOLVA_SOURCES", "not json", "invalid JSON"),
    ("MOLVA_ALERTS__INTENTS", "problem", "invalid JSON"),
    ("MOLVA_DASHBOARD__BOGUS", "1", "dashboard.bogus: Extra inputs are not permitted"),
])
def test_bad_environment_json_or_name_is_one_line(monkeypatch: pytest.MonkeyPatch, variable: str, value: str,
                                                   words: str) -> None:
    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(main, ["report"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"molva: error: environment variable {variable}: "), result.output
    assert words in lines[0]


def test_assignees_merge_with_the_defaults(tmp_path: Path) -> None:
    config = tmp_path / "molva.toml"
    config.write_text('[alerts.assignees]\nproblem = "Дежурная смена"\nidea = ""\n', encoding="utf-8")
    assignees = load_settings(config).alerts.assignees
    assert assignees == {
        "problem": "Дежурная смена",
        "question": "Линия консультаций",
        "idea": "",  # an empty name leaves the type without an owner, on purpose
        "thanks": "Команда SMM",
    }
    assert load_settings().alerts.assignees["question"] == "Линия консультаций"


@pytest.mark.parametrize(
    ("toml", "line", "key"),
    [
        ('[alerts.assignees]\nproblem = "Смена"\nproblme = "Опечатка"\n', 3, "problme"),
        ('[alerts]\nurgency_threshold = 0.5\n\n[alerts.assignees]\ncards = "Павел"\n', 5, "cards"),
        ('[alerts.brands."Сбербанк".assignees]\nquestoin = "Линия"\n', 2, "questoin"),
    ],
)
def test_unknown_assignee_key_names_its_line(tmp_path: Path, toml: str, line: int, key: str) -> None:
    config, message = _load_error(tmp_path, toml)
    assert message.startswith(f"{config}:{line}: "), message
    assert f"unknown topic type '{key}'" in message and "[alerts.owners]" in message
    assert "[key]" not in message and "\n" not in message


def test_unknown_assignee_key_is_one_line_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "molva.toml"
    config.write_text('[alerts.assignees]\nproblme = "Опечатка"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "alerts", "list"])
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"molva: error: {config}:2: ") and "problme" in line
