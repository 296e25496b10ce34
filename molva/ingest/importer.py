"""``molva import``: mentions from a JSON Lines or CSV file, through the same path as crawled posts.

One object (or CSV row) a line: ``source``, ``kind`` (vk | telegram | rss | reviews | mastodon), ``external_id``,
``url``, ``text``, ``published_at`` (ISO-8601; without a zone it is UTC), ``author``; optionally ``author_id``,
``followers``, ``likes``, ``reposts``, ``comments``, ``views``, ``rating``, ``title``, ``language``,
``parent_external_id``, ``forwarded_from``. A row by a brand's official account with a parent is that brand's
official reply to the parent (as the crawlers store it). A source named in the file that is not configured
is created. Bad lines are reported with their line number and skipped; the rest is stored (committed every
batch, so a killed import keeps what it stored and a second run adds only the rest).

The work per line that needs no database (JSON or the CSV row's fields, validation, the source's name) is
:class:`LineParser`'s; the ingestor prepares the mentions it stores (canonical URL, content hash, brand spans,
shingles: :mod:`molva.ingest.prepare`), a batch at a time. The cyclic garbage collector scans less while an
import runs (:func:`fewer_collections`).
"""

from __future__ import annotations

import csv
import gc
import json
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from molva import sources as source_kinds
from molva.catalog import Catalog
from molva.ingest.bulk import driver_connection
from molva.ingest.data import MentionData, ReplyData
from molva.ingest.runs import finish_run, get_or_create_source, start_run
from molva.ingest.store import Ingestor
from molva.models import Source
from molva.settings import SourceConfig
from molva.textio import decode_lines

REQUIRED = ("source", "kind", "external_id", "url", "text", "published_at")
_INTS = {"followers": "author_followers", "author_followers": "author_followers", "likes": "likes",
         "reposts": "reposts", "comments": "comments", "views": "views", "rating": "rating"}
_STRINGS = ("title", "author", "author_id", "language", "parent_external_id", "thread_external_id",
            "forwarded_from")
# values orjson reads exactly as json does (it reads an integer past 64 bits as a float; nested values may
# hold one): a row with any other value is read again by json
_ORJSON_SAME = frozenset({str, int, bool, type(None)})
MAX_ERRORS_KEPT = 100
SQLITE_CACHE_KIB = 256 * 1024  # the import's own SQLite page cache
SQLITE_CHECKPOINT_PAGES = 16_384  # the import's WAL is checkpointed at 64 MB (SQLite's default: 4 MB)
STALE_RUN = timedelta(hours=6)  # another process's run older than this was killed (as crawlers.runner)
GC_YOUNG = 50_000  # allocations between young-generation collections during an import (Python's default: 700)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's cyclic garbage collector, made to scan less during an import: what exists before it
    (modules, the catalog, SQLAlchemy's metadata) is frozen out of the collections, and the young generation
    is collected every ``GC_YOUNG`` allocations instead of 700. With the defaults, the full collections
    that the import's long-lived objects (the near-duplicate index holds 50,000 texts) trigger over and over
    took ~25% of its CPU time. Reference cycles are still collected; the settings are restored afterwards."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, thresholds[1], thresholds[2])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


class RowError(ValueError):
    """A line that cannot be imported (the message says why, in Russian)."""


@dataclass
class ImportSummary:
    lines: int = 0
    new: int = 0
    known: int = 0
    duplicate_url: int = 0
    near_duplicate: int = 0
    replies: int = 0
    ignored_replies: int = 0
    errors: int = 0
    created_sources: list[str] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_ERRORS_KEPT:
            self.error_samples.append(f"строка {line}: {message}")


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise RowError("published_at: нужна дата ISO-8601")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise RowError(f"published_at: не дата ISO-8601: {value!r}") from exc
    if parsed.tzinfo is UTC:  # "+00:00" gives the UTC singleton: nothing to convert
        return parsed
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _int(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RowError(f"{name}: нужно целое число")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise RowError(f"{name}: нужно целое число, а не {value!r}") from exc


def parse_row(row: dict[str, Any], known: Collection[str] | None = None) -> tuple[str, MentionData]:
    """The source name and the mention of one row (``RowError`` says what is wrong).

    ``known``: the source kinds (default: Molva's own and those of installed plugins, looked up per call).
    """
    missing = [key for key in REQUIRED if row.get(key) in (None, "")]
    if missing:
        raise RowError(f"нет обязательных полей: {', '.join(missing)}")
    kind = str(row["kind"]).strip()
    if known is None:
        known = source_kinds.kinds()
    if kind not in known:
        raise RowError(f"kind: {kind!r} не из {', '.join(sorted(known))}")
    extra: dict[str, Any] = {}
    for key, attr in _INTS.items():
        if key in row:
            value = row[key]
            extra[attr] = value if type(value) is int else _int(key, value)
    for key in _STRINGS:
        value = row.get(key)
        if value is not None and value != "":
            extra[key] = value if type(value) is str else str(value)
    data = MentionData(kind=kind, external_id=str(row["external_id"]), url=str(row["url"]), text=str(row["text"]),
                       published_at=_parse_time(row["published_at"]), **extra)
    return str(row["source"]).strip(), data


def read_lines(stream: Iterable[str], fmt: str) -> Iterator[tuple[int, str | dict[str, Any]]]:
    """``(line number, raw line)`` of JSON Lines (blank lines left out), ``(line number, row)`` of CSV (a quoted
    CSV field may span lines: the reader must see the lines in order, with their line endings)."""
    if fmt == "csv":
        reader = csv.DictReader(stream)
        for row in reader:
            yield reader.line_num, {k: v for k, v in row.items() if k is not None}
        return
    for number, line in enumerate(stream, 1):
        if line and not line.isspace():  # what strip() would empty (isspace stops at the first other character)
            yield number, line


def decode_line(raw: str | dict[str, Any]) -> dict[str, Any] | RowError:
    """The row of a raw line (a CSV row is one already), or why it is unreadable."""
    if isinstance(raw, dict):
        return raw
    try:
        value = orjson.loads(raw)  # ~3x faster than json; json reads what it refuses or may read otherwise
        if type(value) is dict and not _ORJSON_SAME.issuperset(map(type, value.values())):
            raise orjson.JSONDecodeError("", "", 0)  # a float may be an integer past 64 bits to json
    except orjson.JSONDecodeError:
        # NaN/Infinity, lone surrogates, integers past 64 bits: as json reads them; a broken line gets json's
        # own message, so the errors read as before
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            return RowError(f"не JSON: {exc.msg}")
    return value if isinstance(value, dict) else RowError("нужен JSON-объект")


def read_rows(stream: Iterable[str], fmt: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """``(line number, row or the reason it is unreadable)`` for each line of a JSON Lines or CSV stream."""
    for number, raw in read_lines(stream, fmt):
        yield number, decode_line(raw)


# (line number, error message) | (line number, source name, item)
Parsed = tuple[int, str] | tuple[int, str, MentionData | ReplyData]


class LineParser:
    """Turns decoded rows into items (a mention, or a brand's official reply) or error messages; no database."""

    def __init__(self, catalog: Catalog, kinds: Collection[str]) -> None:
        self.catalog = catalog
        self.kinds = frozenset(kinds)
        self.names: dict[tuple[str, str], str | None] = {}  # (source, kind) -> why it is not a valid source

    def _check_source(self, name: str, kind: str) -> None:
        """``RowError`` when ``name`` cannot name a source (checked once per name and kind)."""
        key = (name, kind)
        if key not in self.names:
            try:
                SourceConfig(name=name, kind=kind, targets=["import"])
            except ValueError:
                self.names[key] = f"source: недопустимое имя источника {name!r}"
            else:
                self.names[key] = None
        problem = self.names[key]
        if problem is not None:
            raise RowError(problem)

    def parse(self, number: int, row: dict[str, Any] | RowError) -> Parsed:
        """One decoded row: its source name and item (a mention, or a brand's official reply), or the error."""
        try:
            if isinstance(row, RowError):
                raise row
            name, data = parse_row(row, self.kinds)
            self._check_source(name, data.kind)
        except RowError as exc:
            return number, str(exc)
        if data.parent_external_id and data.author_id and self.catalog.official_brand(data.kind, data.author_id):
            return number, name, ReplyData(
                kind=data.kind, parent_external_id=data.parent_external_id, account=data.author_id,
                reply_external_id=data.external_id, replied_at=data.published_at, text=data.text, url=data.url,
            )
        return number, name, data


def detect_format(path: Path) -> str:
    return "csv" if path.suffix.lower() in (".csv", ".tsv") else "jsonl"


class Importer:
    """Feeds rows to one :class:`Ingestor` per source, ``batch`` mentions per transaction."""

    def __init__(self, factory: sessionmaker[Session], catalog: Catalog, configured: dict[str, SourceConfig],
                 batch: int = 2000) -> None:
        self.session = factory()
        self.catalog = catalog
        self.configured = configured
        self.batch = batch
        self.summary = ImportSummary()
        self.ingestors: dict[str, Ingestor] = {}
        self.buffers: dict[str, list[tuple[int, MentionData | ReplyData]]] = {}
        self.late_replies: list[tuple[str, int, ReplyData]] = []
        self.stored = 0
        self.analyze_at = 2 * batch
        # Molva's own kinds and those of installed plugins
        self.lines = LineParser(catalog, source_kinds.kinds())

    def _ingestor(self, name: str, kind: str) -> Ingestor:
        ingestor = self.ingestors.get(name)
        if ingestor is None:
            config = self.configured.get(name)
            if config is None:
                config = SourceConfig(name=name, kind=kind, targets=["import"])
                if self.session.scalar(select(Source.id).where(Source.name == name)) is None:
                    self.summary.created_sources.append(name)
            source = get_or_create_source(self.session, config)
            run = start_run(self.session, source, stale_after=STALE_RUN)  # a crawl of it may be running now
            ingestor = self.ingestors[name] = Ingestor(self.session, self.catalog, source, run)
            self.session.commit()
        return ingestor

    def add(self, number: int, row: dict[str, Any] | RowError) -> None:
        """One decoded row (its mention is prepared by the ingestor, with its batch)."""
        parsed = self.lines.parse(number, row)
        self.summary.lines += 1
        if len(parsed) == 2:
            self.summary.error(*parsed)
            return
        number, name, item = parsed
        buffer = self.buffers.get(name)
        if buffer is None:  # the source's first line: its ingestor (its source is named ``name``)
            self._ingestor(name, item.kind)
            buffer = self.buffers[name] = []
        buffer.append((number, item))
        if len(buffer) >= self.batch:
            self.flush(name)

    def flush(self, name: str) -> None:
        items, self.buffers[name] = self.buffers.get(name, []), []
        if not items:
            return
        ingestor = self.ingestors[name]
        if self.session.get_bind().dialect.driver == "pysqlite":
            # this connection's page cache (default 2 MB) holds the indexes a bulk load writes at random
            # places (ids, URLs, hashes); without it each insert reads their pages back from the OS. Its
            # WAL is copied back into the database every SQLITE_CHECKPOINT_PAGES instead of every 1,000 pages:
            # a batch dirties a page of each random-keyed index per row, and the same pages again in the next
            # batches, which one checkpoint then writes back once (each commit is in the WAL as before: the
            # same durability). Temporary B-trees (sorting the IN lists) stay in memory.
            cursor = driver_connection(self.session).cursor()
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES}")
            cursor.execute("PRAGMA temp_store = MEMORY")
        mentions = [item for _, item in items if isinstance(item, MentionData)]
        ingestor.store_many(mentions)
        self._analyze_as_it_grows(len(mentions))
        for number, item in items:
            if isinstance(item, ReplyData) and not ingestor.store_reply(item):
                ingestor.counts["ignored_replies"] -= 1  # retried at the end: the parent may come later
                self.late_replies.append((name, number, item))
        self.session.commit()

    def _analyze_as_it_grows(self, stored: int) -> None:
        """PostgreSQL: refresh the planner's statistics when the import has grown the tables 4-fold (a bulk
        load outruns autovacuum, and a planner that believes the table is empty scans it for every lookup)."""
        self.stored += stored
        if self.stored >= self.analyze_at and self.session.get_bind().dialect.name == "postgresql":
            self.session.commit()
            self.session.execute(text("ANALYZE mentions, brand_mentions"))
            self.analyze_at = self.stored * 4

    def finish(self) -> ImportSummary:
        for name in list(self.buffers):
            self.flush(name)
        for name, _number, reply in self.late_replies:
            self.ingestors[name].store_reply(reply)
        for ingestor in self.ingestors.values():
            run = ingestor.run
            assert run is not None
            counts = ingestor.counts
            run.items_seen = counts["new"] + counts["known"] + counts["duplicate_url"]
            run.items_new = counts["new"]
            finish_run(self.session, ingestor.source, run, errors=0, error_message=None, fatal=False, pages_ok=1,
                       interval=0, disable_after=0, stats={**counts, "import": True})
            for key in ("new", "known", "duplicate_url", "near_duplicate", "replies", "ignored_replies"):
                setattr(self.summary, key, getattr(self.summary, key) + counts[key])
        self.session.commit()
        self.session.close()
        return self.summary


def import_file(path: Path, factory: sessionmaker[Session], catalog: Catalog, configured: dict[str, SourceConfig],
                *, fmt: str | None = None, batch: int = 2000, encoding: str = "utf-8",
                progress: Callable[[int], None] | None = None) -> ImportSummary:
    """Import ``path``; ``progress(bytes read)`` is called as lines are read. The file is decoded strictly
    (``encoding``; a UTF-8 BOM is dropped): a line that is not valid text stops the import with a
    :class:`~molva.errors.UsageError` naming it, never stored with replacement characters (the batches before it
    stay stored; a second run with the right encoding adds only the rest)."""
    importer = Importer(factory, catalog, configured, batch)
    fmt = fmt or detect_format(path)
    raw: IO[bytes] = open(path, "rb")
    try:
        with fewer_collections():
            last = 0
            for number, row in read_rows(decode_lines(raw, encoding, str(path)), fmt):
                importer.add(number, row)
                if progress is not None and number % 1000 == 0:
                    position = raw.tell()
                    progress(position - last)
                    last = position
            if progress is not None:
                progress(raw.tell() - last)
            return importer.finish()
    finally:
        raw.close()
