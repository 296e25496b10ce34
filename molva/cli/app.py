"""The ``molva`` click group: settings are read here, once, and handed to each command."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from molva import redaction
from molva.errors import MolvaError
from molva.settings import Settings, load_settings

if TYPE_CHECKING:  # SQLAlchemy is imported only by the commands that use the database
    from sqlalchemy.orm import Session, sessionmaker


@dataclass
class CliState:
    config_path: Path | None
    _settings: Settings | None = None
    _factory: sessionmaker[Session] | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from molva.redaction import register_settings_secrets

            self._settings = load_settings(self.config_path)
            register_settings_secrets(self._settings)
        return self._settings

    @property
    def session_factory(self) -> sessionmaker[Session]:
        if self._factory is None:
            from molva.db import make_sessionmaker

            self._factory = make_sessionmaker(self.settings.db_url)
        return self._factory


class MolvaGroup(click.Group):
    """Turns :class:`MolvaError` (and an unreachable database) into one clear line on stderr and its exit code.

    Exit codes: 2 for the user's mistakes (a bad option value, config value or database URL), 1 for runtime
    failures (an unreachable database, a failed crawl); a bug still shows its traceback.
    """

    lazy_commands: dict[str, str] = {}  # command name -> module under molva.cli, imported on first use
    lazy_short_help: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            import importlib

            importlib.import_module(f"molva.cli.{self.lazy_commands[cmd_name]}")
        command = self.commands.get(cmd_name)
        if command is not None and cmd_name in self.lazy_short_help:
            command.short_help = self.lazy_short_help[cmd_name]
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.BadParameter as exc:
            click.echo(f"molva: error: {redaction.redact(exc.format_message())}", err=True)
            sys.exit(2)
        except Exception as exc:
            error = exc if isinstance(exc, MolvaError) else database_error(exc)
            if error is None:
                raise
            click.echo(f"molva: error: {redaction.redact(str(error))}", err=True)
            sys.exit(error.exit_code)


DAMAGED_SQLITE = ("file is not a database", "database disk image is malformed")  # sqlite3's words for them


def database_error(exc: BaseException) -> MolvaError | None:
    """One clear error for a database that cannot be reached or a SQLite file that is damaged or not a
    database (no traceback), else None."""
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import DatabaseError, DBAPIError, InterfaceError, OperationalError

    original = getattr(exc, "orig", None) or exc
    reason = " ".join(str(original).split()) or type(original).__name__
    from molva.errors import DatabaseUnavailable

    if isinstance(exc, DatabaseError) and any(words in reason for words in DAMAGED_SQLITE):
        return DatabaseUnavailable(f"the database file is damaged or is not an SQLite database ({reason[:200]}): "
                                   "restore it from a backup, or point the database URL at another file")
    if not isinstance(exc, OperationalError | InterfaceError) and not (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return None
    return DatabaseUnavailable(f"the database is unavailable: {reason[:400]}")


class DurationType(click.ParamType[int]):
    """``900``, ``15m``, ``24h``, ``7d``: a positive duration, in seconds."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from molva.settings import parse_duration

        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(f"{value!r} is not a duration such as 24h, 7d or 900 ({exc})", param, ctx)


DURATION = DurationType()


@click.group(cls=MolvaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="MOLVA_CONFIG",
    help="TOML config file (default: $MOLVA_CONFIG; MOLVA_* environment variables override it).",
)
@click.version_option(package_name="molva")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """Molva: social listening and brand sentiment for Russian-language markets."""
    ctx.obj = CliState(config_path=config_path)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redaction.install()  # no token, key or password in any log line or traceback of this process


def state(ctx: click.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):  # a command invoked outside the group (tests)
        obj = CliState(config_path=None)
        ctx.find_root().obj = obj
    return obj


def get_settings(ctx: click.Context) -> Settings:
    """The settings, loaded once per invocation (a broken file raises ConfigFileError, exit code 2)."""
    return state(ctx).settings


def get_session_factory(ctx: click.Context) -> sessionmaker[Session]:
    return state(ctx).session_factory


@contextmanager
def session_scope(ctx: click.Context) -> Iterator[Session]:
    """A session whose transaction commits when the block succeeds and rolls back otherwise."""
    from molva.db import session_scope as scope

    with scope(get_session_factory(ctx)) as session:
        yield session


def load_catalog_for(ctx: click.Context) -> Any:
    from molva.catalog import load_catalog

    return load_catalog(get_settings(ctx).catalog_path)


def canonical_brands(ctx: click.Context, names: Sequence[str]) -> tuple[str, ...]:
    """The catalog's display names of ``names`` (any alias: "Сбер" -> "Сбербанк"); an unknown one is a usage
    error naming it (a filter that matched nothing would print an empty list without a word)."""
    if not names:
        return ()
    from molva.errors import UsageError

    catalog = load_catalog_for(ctx)
    found = {name: catalog.get(name) for name in names}
    unknown = [name for name, brand in found.items() if brand is None]
    if unknown:
        raise UsageError(f"неизвестный бренд: {', '.join(unknown)} (бренды каталога: molva brands list)")
    return tuple(dict.fromkeys(brand.name for brand in found.values() if brand is not None))


def database_label(url: str) -> str:
    """The database a command reads, for its users: the SQLite file path, or the URL without its password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return str(Path(parsed.database).resolve())
    return parsed.render_as_string(hide_password=True)


def require_schema(ctx: click.Context, announce: bool = True) -> None:
    """Upgrade the schema of an existing database; refuse (exit 2) to invent an empty SQLite file.

    Says on stderr which database the command reads, so a user never wonders why a number is 0.
    """
    from molva.db import upgrade_if_needed

    settings = get_settings(ctx)
    refuse_missing_database(ctx)
    factory = get_session_factory(ctx)
    upgrade_if_needed(settings.db_url, factory.kw["bind"])
    # Named once reached: an unreachable database or a bad URL stays the one error line.
    if announce and not ctx.params.get("as_json"):  # JSON output stays pure even when 2>&1 joins the streams
        click.echo(f"molva: база данных: {database_label(settings.db_url)}", err=True)


def announce_database(ctx: click.Context) -> None:
    """Refuse a missing SQLite file (exit 2), check the database answers, then name it on stderr (``crawl``,
    ``run``); an unreachable database is the group's one error line."""
    from molva.db import make_engine

    refuse_missing_database(ctx)
    url = get_settings(ctx).db_url
    engine = make_engine(url)
    try:
        with engine.connect():
            pass
    finally:
        engine.dispose()
    click.echo(f"molva: база данных: {database_label(url)}", err=True)


def refuse_missing_database(ctx: click.Context) -> None:
    """Exit 2 with one line when the configured SQLite file does not exist (nothing is created)."""
    from molva.db import missing_sqlite_file

    settings = get_settings(ctx)
    missing = missing_sqlite_file(settings.db_url)
    if missing is not None:
        raise NoDatabaseError(missing, settings.config_path or state(ctx).config_path)


class NoDatabaseError(MolvaError):
    """The configured SQLite file does not exist: one line naming it and the two ways out."""

    exit_code = 2

    def __init__(self, path: Path, config: Path | None) -> None:
        where = f"config {config}" if config else "no --config/MOLVA_CONFIG, data_dir from the environment or ./var"
        super().__init__(
            f"no database at {path} ({where}); create it with `molva db upgrade`"
            " or point --config at an existing one (the demo prints its command)"
        )
