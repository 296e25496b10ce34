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
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from molva.errors import ConfigFileError

SourceKind = str  # a kind registered in molva.sources (entry-point group "molva.sources")

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


_QUIET_HOURS = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$")
Fraction = Field(ge=0.0, le=1.0)


def check_quiet_hours(value: str | None) -> str | None:
    """``"23:00-08:00"`` (hours 00..23, minutes 00..59) or nothing."""
    if value is None or not value.strip():
        return None
    if not _QUIET_HOURS.match(value):
        raise ValueError(f"expected quiet hours as HH:MM-HH:MM (e.g. \"23:00-08:00\"), got {value!r}")
    return value.strip()


def check_http_url(value: str | None) -> str | None:
    """An ``http://`` or ``https://`` URL with a host (or nothing)."""
    if value is None or value == "":
        return value
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return value


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (expected an IANA name such as \"Europe/Moscow\")") from None
    return value


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
    options: dict[str, Any] = Field(default_factory=dict, validate_default=True)

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: object) -> int:
        return parse_duration(value)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        """A kind registered in molva.sources (Molva's own or a plugin's)."""
        from molva import sources

        try:
            sources.get(value)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        return value

    @field_validator("options")
    @classmethod
    def _options(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """The kind's options model checks them and fills defaults."""
        from molva import sources

        kind = info.data.get("kind")
        return sources.get(kind).validate_options(value) if kind else value

    _base_url = field_validator("base_url")(check_http_url)

    @property
    def effective_base_url(self) -> str:
        from molva import sources

        default = DEFAULT_BASE_URLS.get(self.kind)
        if default is None:
            default = sources.get(self.kind).default_base_url
        return (self.base_url or default).rstrip("/")


class CrawlSettings(StrictModel):
    """Politeness and robustness of the crawlers (Scrapy settings are derived from these)."""

    user_agent: str = "MolvaBot/0.1 (+https://github.com/molva/molva)"
    obey_robots: bool = True
    download_delay: float = Field(default=0.5, ge=0)  # 0: no delay (local simulator)
    concurrent_requests_per_domain: int = Field(default=4, gt=0)
    autothrottle: bool = True
    retry_times: int = Field(default=3, ge=0)  # 0: no retries
    download_timeout: float = Field(default=20.0, gt=0)
    max_pages: int = Field(default=20, gt=0)
    disable_after_failures: int = Field(default=5, ge=0)  # 0: never disable
    redis_url: str | None = None  # scale-out: processes share a scrapy-redis queue + dupefilter (crawlers.shared)
    redis_key_prefix: str = "molva"

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value and value.partition("://")[0].lower() not in ("redis", "rediss", "unix"):
            raise ValueError(f"expected a redis://, rediss:// or unix:// URL, got {value!r}")
        return value


class SchedulerSettings(StrictModel):
    classify_interval: int = 60
    dispatch_interval: int = 60
    classify_batch_size: int = Field(default=256, gt=0)
    misfire_grace_time: int = Field(default=3600, gt=0)
    weekly_report: bool = False  # every weekly_report_interval: write <data_dir>/reports/weekly-YYYY-MM-DD.html (molva report --html)
    weekly_report_interval: int = 7 * 86400
    weekly_report_webhook: str | None = None  # POST {"text": ..., "path": ...} when a report is written

    @field_validator("classify_interval", "dispatch_interval", "weekly_report_interval", mode="before")
    @classmethod
    def _duration(cls, value: object) -> int:
        return parse_duration(value)


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is provably reachable only from this machine: a loopback IP literal.

    ``None`` and ``""`` (Streamlit then binds every interface), ``0.0.0.0``, ``::`` and host names (even
    ``localhost``, which resolves through the system's configuration) count as the network.
    """
    if host is None:
        return False
    host = host.strip().strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DashboardSettings(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8501, ge=0, le=65535)
    password: SecretStr | None = None
    require_login: bool | None = None  # true: also on loopback; the network always needs the login
    login_attempts: int = Field(default=5, gt=0)  # failed logins allowed per window before a lock-out
    login_window: int = Field(default=300, gt=0)  # seconds
    focus_brand: str | None = None  # "my brand": every page leads with it and compares it within its group

    def login_required(self, host: str | None = None) -> bool:
        """On for any address not provably loopback (``require_login = false`` cannot open the network),
        and on loopback too when ``require_login`` is true."""
        if self.require_login:
            return True
        return not is_loopback(host)


DEFAULT_ASSIGNEES: dict[str, str] = {
    "problem": "Дежурная смена поддержки",
    "question": "Линия консультаций",
    "idea": "Продуктовая команда",
    "thanks": "Команда SMM",
}


def check_topic_type(value: str) -> str:
    """A key of ``[alerts.assignees]``: a topic type (the intents a topic is filed under)."""
    if value not in DEFAULT_ASSIGNEES:
        raise ValueError(
            f"unknown topic type {value!r} (expected {', '.join(DEFAULT_ASSIGNEES)}; "
            "owners of aspects such as cards or coverage go under [alerts.owners])"
        )
    return value


# topic type -> responsible person; an unknown key is refused at load (a typo would leave topics unowned)
Assignees = dict[Annotated[str, AfterValidator(check_topic_type)], str]


class BrandAlertRule(StrictModel):
    """Per-brand overrides of the alert rules (``[alerts.brands."Сбербанк"]``); unset fields inherit."""

    enabled: bool = True
    urgency_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    intents: list[str] | None = None
    sources: list[str] | None = None  # source names or kinds
    quiet_hours: str | None = None  # "23:00-08:00" in alerts.timezone
    adapter: Literal["builtin", "discourse"] | None = None
    assignees: Assignees | None = None  # topic type -> responsible person (over alerts.assignees)
    owners: dict[str, str] | None = None  # aspect code -> responsible person (over alerts.owners)
    discourse_url: str | None = None
    discourse_api_key: SecretStr | None = None
    discourse_api_username: str | None = None
    discourse_category: int | str | None = None
    webhook_url: str | None = None

    _quiet_hours = field_validator("quiet_hours")(check_quiet_hours)
    _urls = field_validator("discourse_url", "webhook_url")(check_http_url)


class AlertsSettings(StrictModel):
    """Alert rules and adapters; see ``alerts/`` for their meaning."""

    urgency_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    intents: list[str] = Field(default_factory=lambda: ["problem", "question"])
    sources: list[str] = Field(default_factory=list)
    quiet_hours: str | None = None
    timezone: str = "Europe/Moscow"
    adapter: Literal["builtin", "discourse"] = "builtin"
    webhook_url: str | None = None
    brands: dict[str, BrandAlertRule] = Field(default_factory=dict)
    assignees: Assignees = Field(default_factory=lambda: dict(DEFAULT_ASSIGNEES))  # merged over the defaults
    owners: dict[str, str] = Field(default_factory=dict)  # aspect code -> responsible person (else assignees)
    answer_business_days: int = Field(default=1, ge=0)
    group_window: int = 6 * 3600  # similar complaints this close in time join one open topic
    group_similarity: float = Field(default=0.3, ge=0.0, le=1.0)
    discourse_category: int | str | None = None
    http_timeout: float = Field(default=10.0, gt=0)
    backoff_base: int = 30
    backoff_max: int = 3600
    batch_size: int = Field(default=500, gt=0)
    spike_window: int = 3600
    spike_baseline: int = Field(default=7 * 86400, gt=0)  # the brand's own history the current window is compared with
    spike_bucket: int = Field(default=900, gt=0)  # time step of the spike check (a window is spike_window / spike_bucket steps)
    spike_lookback: int = Field(default=6 * 3600, gt=0)  # how far back an episode is looked for (catches up after a backfill)
    spike_min_count: int = Field(default=5, gt=0)
    spike_z: float = Field(default=3.5, gt=0)
    spike_ratio: float = Field(default=2.0, gt=0)  # negatives at least this many times the expected count
    spike_share_delta: float = Field(default=0.15, ge=0, le=1)  # the negative share at least this much above the usual
    spike_cooldown: int = 6 * 3600
    spike_terms: int = Field(default=8, gt=0)
    digest_hour: int = Field(default=9, ge=0, le=23)  # local hour after which the previous day's digest is sent
    max_attempts: int = Field(default=8, gt=0)

    _quiet_hours = field_validator("quiet_hours")(check_quiet_hours)
    _timezone = field_validator("timezone")(check_timezone)
    _webhook_url = field_validator("webhook_url")(check_http_url)

    @field_validator("assignees", mode="after")
    @classmethod
    def _merge_assignees(cls, value: dict[str, str]) -> dict[str, str]:
        """``[alerts.assignees]`` changes the types it names; the others keep their default owner
        (an empty string leaves a type without one)."""
        return {**DEFAULT_ASSIGNEES, **value}

    @model_validator(mode="after")
    def _backoff_order(self) -> AlertsSettings:
        if self.backoff_max < self.backoff_base:
            raise ValueError(f"backoff_max ({self.backoff_max}) is below backoff_base ({self.backoff_base})")
        return self

    @field_validator(
        "group_window", "backoff_base", "backoff_max", "spike_window", "spike_baseline", "spike_cooldown",
        "spike_bucket", "spike_lookback",
        mode="before",
    )
    @classmethod
    def _alert_duration(cls, value: object) -> int:
        return parse_duration(value)


class PrivacySettings(StrictModel):
    """Personal data (see README, "Personal data"): all off by default."""

    retention_days: int | None = Field(default=None, gt=0)  # erase mentions published longer ago (scheduler)
    recheck_days: int | None = Field(default=None, gt=0)  # re-ask the sources about posts this recent
    recheck_interval: int = 24 * 3600  # how often the scheduler runs the privacy job
    pseudonym_key: SecretStr | None = None  # HMAC key of pseudonymised exports
    pseudonymize_exports: bool = False  # dashboard exports with authors pseudonymised

    @field_validator("recheck_interval", mode="before")
    @classmethod
    def _interval(cls, value: object) -> int:
        return parse_duration(value)

    @model_validator(mode="after")
    def _key_for_exports(self) -> PrivacySettings:
        if self.pseudonymize_exports and not (self.pseudonym_key and self.pseudonym_key.get_secret_value()):
            raise ValueError("pseudonymize_exports needs pseudonym_key (MOLVA_PRIVACY__PSEUDONYM_KEY)")
        return self


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
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    config_path: Path | None = None

    _discourse_url = field_validator("discourse_url")(check_http_url)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {value!r}")
        return value.upper()

    @field_validator("sources")
    @classmethod
    def _unique_source_names(cls, sources: list[SourceConfig]) -> list[SourceConfig]:
        seen: dict[str, int] = {}
        for index, source in enumerate(sources):
            if source.name in seen:
                raise ValueError(f"two sources are named {source.name!r} (entries {seen[source.name]} and {index})")
            seen[source.name] = index
        return sources

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


def env_variable_for(loc: tuple[int | str, ...]) -> str | None:
    """The ``MOLVA_*`` variable that set the value at ``loc`` (the most specific one present), if any."""
    names: list[str] = []
    for part in loc:
        if not isinstance(part, str):
            break
        names.append(part.upper())
    present = {key.upper(): key for key in os.environ}
    for end in range(len(names), 0, -1):
        name = "MOLVA_" + "__".join(names[:end])
        if name in present:
            return present[name]
    return None


def _variables_of(settings_error: str) -> str:
    """'environment variable MOLVA_ALERTS__INTENTS' for pydantic-settings' 'error parsing value for field
    "alerts" …': the set variables of that field (its JSON value or its nested names)."""
    field = re.search(r'field "([^"]+)"', settings_error)
    prefix = "MOLVA_" + (field.group(1).upper() if field else "")
    names = sorted(name for name in os.environ
                   if name.upper() == prefix or name.upper().startswith(prefix + "__"))
    return f"environment variable {', '.join(names) or prefix}"


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
    except SettingsError as exc:  # a MOLVA_* value that should be JSON and is not
        raise ConfigFileError(_variables_of(str(exc)), None, "invalid JSON") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        where = ".".join(str(p) for p in loc if p != "[key]") or "config"  # "[key]": a dict key's error
        problem = f"{where}: {error['msg']}"
        variable = env_variable_for(loc)
        if variable is not None:  # the environment overrides the file: blame the variable that set it
            raise ConfigFileError(f"environment variable {variable}", None, problem) from None
        in_file = path is not None and loc and loc[0] in data
        if in_file and path is not None:
            duplicate = re.search(r"\(entries \d+ and (\d+)\)", str(error["msg"]))
            if loc == ("sources",) and duplicate:
                loc = ("sources", int(duplicate.group(1)), "name")
            raise ConfigFileError(path, line_of(text, loc), problem) from None
        raise ConfigFileError("environment (MOLVA_*)", None, problem) from None
    finally:
        _config_data.reset(token)
    settings.config_path = path
    return settings
