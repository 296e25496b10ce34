"""Engine, the one sessionmaker, and migrations."""

from __future__ import annotations

import ast
import logging
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.orm import Session, sessionmaker

from molva.errors import UsageError

if TYPE_CHECKING:  # Alembic is imported only when the schema has to change (about 0.2 s)
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
LOST_CONNECTION_RETRIES = 6  # a lost database connection: roll back, reconnect, do the work again
LOST_CONNECTION_BACKOFF = (0.2, 5.0)  # first and longest wait between attempts, seconds

log = logging.getLogger(__name__)
T = TypeVar("T")


def connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` means the connection is gone or unusable (server restarted, backend terminated, network
    cut, database not accepting connections): the transaction is lost, and a new connection may succeed."""
    if isinstance(exc, PendingRollbackError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    text = str(exc).lower()
    return "prepared' state" in text or ("connection" in text and "closed" in text)


def _unreachable(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(marker in text for marker in ("connection refused", "could not translate host", "name or service",
                                             "no such host", "unable to open database file"))


def backoff_seconds(attempt: int, first: float = LOST_CONNECTION_BACKOFF[0],
                    longest: float = LOST_CONNECTION_BACKOFF[1]) -> float:
    """The pause before retry ``attempt`` (0-based): ``first``, doubling each time, at most ``longest``; the one
    back-off of lost connections and of remote rate limits (VK error 6)."""
    return float(min(first * 2**attempt, longest))


def retry_lost_connection(work: Callable[[], T], what: str, attempts: int = LOST_CONNECTION_RETRIES) -> T:
    """``work()``, done again (after a growing pause) when the database connection was lost meanwhile.

    ``work`` must be one transaction (all or nothing): it is repeated from the start."""
    for attempt in range(attempts + 1):
        try:
            return work()
        except Exception as exc:
            if not connection_lost(exc) or attempt == attempts or (attempt == 0 and _unreachable(exc)):
                raise  # a server that was never reachable is reported at once
            wait = backoff_seconds(attempt)
            log.warning("%s: lost the database connection (%s); retrying in %.1fs", what, type(exc).__name__, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover

import molva.rollups  # noqa: E402  (counts every ORM change of a brand mention into the rollups)
import molva.source_counts  # noqa: E402,F401  (counts every mention the ORM adds or deletes per source)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, start transactions (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_bind_none_and_bool_directly() -> None:
    """Register the identity adapter for ``None`` and ``int`` for ``bool`` in Python's ``sqlite3`` module (once
    per process; the values bound stay the same: NULL, and the integers 0 and 1 the driver binds for booleans).

    The driver binds ``int``, ``float``, ``str`` and ``bytes`` directly, but looks every other parameter up as an
    adapter, and a miss costs a formatted ``AttributeError`` (``PrepareProtocol.__adapt__``) per parameter: a
    mention row binds about a dozen ``None`` values, which made about a fifth of its INSERT's cost."""
    adapters = getattr(sqlite3, "adapters", {})
    if (type(None), sqlite3.PrepareProtocol) not in adapters:
        nothing: Callable[[None], None] = {}.get  # type: ignore[assignment]  # {}.get(None) is None: NULL
        sqlite3.register_adapter(type(None), nothing)
    if (bool, sqlite3.PrepareProtocol) not in adapters:
        sqlite3.register_adapter(bool, int)


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred transaction that later writes fails at once with "database is locked" when another
    # process writes meanwhile (WAL cannot upgrade its snapshot); BEGIN IMMEDIATE waits for the write
    # lock instead (up to busy_timeout), so crawls, classification and alerts can run side by side.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def safe_url(url: str) -> str:
    """``url`` for messages: the password hidden (an unparsable URL is shown without anything after ``@``)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.rsplit("@", 1)[-1]


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get WAL mode, foreign keys and a busy timeout.

    On SQLite, transactions take the write lock when they begin, except on a ``read_only`` engine
    (the dashboard), whose readers never block writers in WAL mode. An unknown scheme or driver, or an
    unparsable URL, is a :class:`UsageError` (one line, exit code 2).
    """
    try:
        return _make_engine(url, read_only=read_only, **kwargs)
    except (ArgumentError, ModuleNotFoundError) as exc:  # NoSuchModuleError is an ArgumentError
        raise UsageError(
            f"database_url {safe_url(url)!r} cannot be used ({str(exc).splitlines()[0]}); expected e.g. "
            "sqlite:///var/molva.db or postgresql+psycopg://user:password@host/molva"
        ) from None


def _make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        _sqlite_bind_none_and_bool_directly()
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        if not read_only:
            event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_sessionmaker(engine_or_url: Engine | str) -> sessionmaker[Session]:
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (creating the SQLite file if needed)."""
    from alembic import command

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


_REVISION_LINE = re.compile(r"^(down_revision|revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


def head_revisions() -> frozenset[str]:
    """The head revision(s) of the migrations, read from the ``revision``/``down_revision`` lines of the files in
    ``migrations/versions`` without importing Alembic; empty when a file cannot be read that way."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((m.group(1), m.group(2)) for m in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return frozenset()
        if not isinstance(revision, str):
            return frozenset()
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else down or ())
    return frozenset(revisions - parents)


def at_head(engine: Engine) -> bool:
    """Whether the database's Alembic revision is the migrations' head (then there is nothing to upgrade)."""
    heads = head_revisions()
    if not heads:
        return False
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        current = {row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")}
    return current == heads


def upgrade_if_needed(url: str, engine: Engine | None = None) -> None:
    """:func:`upgrade` ``url`` unless it is already at the head revision (checked without Alembic, on ``engine``
    when given): a command that only reads starts faster."""
    own = engine is None
    engine = engine or make_engine(url)
    try:
        if at_head(engine):
            return
    finally:
        if own:
            engine.dispose()
    upgrade(url)


def missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file ``url`` names when it does not exist (only ``molva db upgrade`` creates one)."""
    try:
        parsed = make_url(url)
    except ArgumentError:  # not a URL: make_engine says so in one line
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    return None if path.exists() else path.resolve()


def is_current(engine: Engine) -> bool:
    """Whether the schema exists (at least the ``mentions`` table)."""
    return inspect(engine).has_table("mentions")


@contextmanager
def throwaway_database(admin_url: str, prefix: str = "molva_tmp") -> Iterator[str]:
    """Create an empty PostgreSQL database next to ``admin_url``'s, yield its URL, drop it afterwards.

    For tests and benchmarks that need a real server without touching anyone's data.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
