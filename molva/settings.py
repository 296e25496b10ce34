"""One settings object: ``MOLVA_*`` environment variables over a TOML config file.

Read once at the edge (the CLI, the scheduler, the dashboard) and passed down as plain values.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from molva.errors import ConfigFileError

SourceKind = Literal["telegram", "vk", "rss", "reviews", "mastodon"]

DEFAULT_BASE_URLS: dict[str, str] = {
    "telegram": "https://t.me",
    "vk": "https://api.vk.com",
    "rss": "",
    "reviews": "https://www.banki.ru",
    "mastodon": "https://mastodon.social",
}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> int:
    """Seconds from ``900``, ``"900"``, ``"15m"``, ``"1h"`` or ``"1d"``."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 900, '15m' or '1h'")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"expected a duration such as 900, '15m' or '1h', got {value!r}")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return int(seconds)


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceConfig(StrictModel):
    """One crawled source: its kind, its targets and how often to crawl it."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    kind: SourceKind
    targets: list[str] = Field(min_length=1)
    interval: int = 900
    base_url: str | None = None
    enabled: bool = True
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: object) -> int:
        return parse_duration(value)

    @property
    def effective_base_url(self) -> str:
        return (self.base_url or DEFAULT_BASE_URLS[self.kind]).rstrip("/")


class CrawlSettings(StrictModel):
    """Politeness and robustness of the crawlers (Scrapy settings are derived from these)."""

    user_agent: str = "MolvaBot/0.1 (+https://github.com/molva/molva)"
    obey_robots: bool = True
    download_delay: float = 0.5
    concurrent_requests_per_domain: int = 4
    autothrottle: bool = True
    retry_times: int = 3
    download_timeout: float = 20.0
    max_pages: int = 20
    disable_after_failures: int = 5
    redis_url: str | None = None  # scale-out: processes share a scrapy-redis queue + dupefilter (crawlers.shared)
    redis_key_prefix: str = "molva"


class SchedulerSettings(StrictModel):
    classify_interval: int = 60
    dispatch_interval: int = 60
    classify_batch_size: int = 256
    misfire_grace_time: int = 3600

    @field_validator("classify_interval", "dispatch_interval", mode="before")
    @classmethod
    def _duration(cls, value: object) -> int:
        return parse_duration(value)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine ("" and host names count as the network)."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DashboardSettings(StrictModel):
    host: str = "127.0.0.1"
    port: int = 8501
    password: SecretStr | None = None
    require_login: bool | None = None  # None: on when bound to a non-loopback address

    def login_required(self, host: str | None = None) -> bool:
        """Explicit ``require_login``, else: on for any address reachable from the network."""
        if self.require_login is not None:
            return self.require_login
        return not is_loopback(self.host if host is None else host)


DEFAULT_ASSIGNEES: dict[str, str] = {
    "problem": "Дежурная смена поддержки",
    "question": "Линия консультаций",
    "idea": "Продуктовая команда",
    "thanks": "Команда SMM",
}


class BrandAlertRule(StrictModel):
    """Per-brand overrides of the alert rules (``[alerts.brands."Сбербанк"]``); unset fields inherit."""

    enabled: bool = True
    urgency_threshold: float | None = None
    intents: list[str] | None = None
    sources: list[str] | None = None  # source names or kinds
    quiet_hours: str | None = None  # "23:00-08:00" in alerts.timezone
    adapter: Literal["builtin", "discourse"] | None = None
    assignees: dict[str, str] | None = None  # topic type -> responsible person
    owners: dict[str, str] | None = None  # aspect code -> responsible person (over alerts.owners)
    discourse_url: str | None = None
    discourse_api_key: SecretStr | None = None
    discourse_api_username: str | None = None
    discourse_category: int | str | None = None
    webhook_url: str | None = None


class AlertsSettings(StrictModel):
    """Alert rules and adapters; see ``alerts/`` for their meaning."""

    urgency_threshold: float = 0.6
    intents: list[str] = Field(default_factory=lambda: ["problem", "question"])
    sources: list[str] = Field(default_factory=list)
    quiet_hours: str | None = None
    timezone: str = "Europe/Moscow"
    adapter: Literal["builtin", "discourse"] = "builtin"
    webhook_url: str | None = None
    brands: dict[str, BrandAlertRule] = Field(default_factory=dict)
    assignees: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_ASSIGNEES))
    owners: dict[str, str] = Field(default_factory=dict)  # aspect code -> responsible person (else assignees)
    answer_business_days: int = 1
    group_window: int = 6 * 3600  # similar complaints this close in time join one open topic
    group_similarity: float = 0.3
    discourse_category: int | str | None = None
    http_timeout: float = 10.0
    backoff_base: int = 30
    backoff_max: int = 3600
    batch_size: int = 500
    spike_window: int = 3600
    spike_baseline: int = 7 * 86400  # the brand's own history the current window is compared with
    spike_bucket: int = 900  # time step of the spike check (a window is spike_window / spike_bucket steps)
    spike_lookback: int = 6 * 3600  # how far back an episode is looked for (catches up after a backfill)
    spike_min_count: int = 5
    spike_z: float = 3.5
    spike_ratio: float = 2.0  # negatives at least this many times the expected count
    spike_share_delta: float = 0.15  # the negative share at least this much above the brand's usual share
    spike_cooldown: int = 6 * 3600
    spike_terms: int = 8
    digest_hour: int = 9  # local hour after which the previous day's digest is sent
    max_attempts: int = 8

    @field_validator(
        "group_window", "backoff_base", "backoff_max", "spike_window", "spike_baseline", "spike_cooldown",
        "spike_bucket", "spike_lookback",
        mode="before",
    )
    @classmethod
    def _alert_duration(cls, value: object) -> int:
        return parse_duration(value)


_config_data: ContextVar[dict[str, Any] | None] = ContextVar("molva_config_data", default=None)


class _TomlDataSource(PydanticBaseSettingsSource):
    """Values from the already-parsed TOML config file (lowest priority)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        data = _config_data.get() or {}
        return data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_config_data.get() or {})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOLVA_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Path("var")
    database_url: str | None = None
    catalog_path: Path | None = None
    model_path: str | None = None
    log_level: str = "INFO"
    vk_token: SecretStr | None = None
    discourse_url: str | None = None
    discourse_api_key: SecretStr | None = None
    discourse_api_username: str | None = None
    sources: list[SourceConfig] = Field(default_factory=list)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    config_path: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _TomlDataSource(settings_cls)

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'molva.db').resolve()}"

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise KeyError(f"unknown source {name!r} (known: {known})")


def _read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileError(path, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(path, None, f"cannot read the file: {exc}") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        problem = getattr(exc, "msg", str(exc))
        if line is None:
            found = re.search(r"line (\d+)", str(exc))
            line = int(found.group(1)) if found else None
        raise ConfigFileError(path, line, f"invalid TOML: {problem}") from None


def line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """Best-effort line number of a value addressed by a pydantic error location in TOML text."""
    lines = text.splitlines()
    start = 0
    line_no: int | None = None
    table = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
            seen = -1
            for n in range(start, len(lines)):
                if header.match(lines[n]):
                    seen += 1
                    if seen == part:
                        start, line_no = n, n + 1
                        break
            continue
        table = f"{table}.{part}" if table and i and isinstance(loc[i - 1], str) else str(part)
        key = re.compile(rf"^\s*(\[+\s*)?([\w.\"]*\.)?\"?{re.escape(str(part))}\"?\s*(=|\]|\.)")
        for n in range(start, len(lines)):
            if key.match(lines[n]):
                start, line_no = n, n + 1
                break
    return line_no


def load_settings(config_path: Path | str | None = None, **overrides: Any) -> Settings:
    """Settings from the environment over ``config_path`` (or ``MOLVA_CONFIG``).

    A broken file raises :class:`ConfigFileError` naming the file, the line and the problem.
    """
    path_value = config_path or os.environ.get("MOLVA_CONFIG")
    path = Path(path_value) if path_value else None
    text: str = ""
    data: dict[str, Any] = {}
    if path is not None:
        text, data = _read_toml(path)
    token = _config_data.set(data)
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        where = ".".join(str(p) for p in loc) or "config"
        in_file = path is not None and loc and loc[0] in data
        problem = f"{where}: {error['msg']}"
        if in_file and path is not None:
            raise ConfigFileError(path, line_of(text, loc), problem) from None
        raise ConfigFileError("environment (MOLVA_*)", None, problem) from None
    finally:
        _config_data.reset(token)
    settings.config_path = path
    return settings
