"""``molva import``: mentions from a JSON Lines or CSV file, through the same path as crawled posts.

One object (or CSV row) a line: ``source``, ``kind`` (vk | telegram | rss | reviews | mastodon), ``external_id``,
``url``, ``text``, ``published_at`` (ISO-8601; without a zone it is UTC), ``author``; optionally ``author_id``,
``followers``, ``likes``, ``reposts``, ``comments``, ``views``, ``rating``, ``title``, ``language``,
``parent_external_id``, ``forwarded_from``. A row by a brand's official account with a parent is that brand's
official reply to the parent (as the crawlers store it). A source named in the file that is not configured
is created. Bad lines are reported with their line number and skipped; the rest is stored (committed every
batch, so a killed import keeps what it stored and a second run adds only the rest).

The work per line that needs no database and no shared state — JSON (or the CSV row's fields), validation,
text cleaning, canonical URL, content hash, brand spans, shingles and MinHash keys (:class:`LinePreparer`) —
runs on chunks of lines, in ``jobs`` - 1 worker processes when ``jobs`` > 1 (the chunks come back in order;
``jobs`` counts this process, which has the other half of the work). This process keeps everything stateful:
the near-duplicate index and decisions, the statements, counts, errors with their line numbers and the
progress. When ``jobs`` is 1 the same functions run in this process (the mentions are prepared by the
ingestor, only those not stored yet), so the stored rows are the same either way.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import json
import multiprocessing
import os
import pickle
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from molva import sources as source_kinds
from molva.catalog import Catalog
from molva.ingest.bulk import driver_connection
from molva.ingest.data import MentionData, ReplyData
from molva.ingest.prepare import Prepared, Preparer
from molva.ingest.runs import finish_run, get_or_create_source, start_run
from molva.ingest.store import Ingestor
from molva.models import Source
from molva.settings import SourceConfig

REQUIRED = ("source", "kind", "external_id", "url", "text", "published_at")
_INTS = {"followers": "author_followers", "author_followers": "author_followers", "likes": "likes",
         "reposts": "reposts", "comments": "comments", "views": "views", "rating": "rating"}
_STRINGS = ("title", "author", "author_id", "language", "parent_external_id", "thread_external_id",
            "forwarded_from")
MAX_ERRORS_KEPT = 100
SQLITE_CACHE_KIB = 256 * 1024  # the import's own SQLite page cache
SQLITE_CHECKPOINT_PAGES = 16_384  # the import's WAL is checkpointed at 64 MB (SQLite's default: 4 MB)
STALE_RUN = timedelta(hours=6)  # another process's run older than this was killed (as crawlers.runner)
CHUNK_LINES = 500  # lines handed to a worker at once
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


def read_lines(stream: IO[str], fmt: str) -> Iterator[tuple[int, str | dict[str, Any]]]:
    """``(line number, raw line)`` of a JSON Lines stream (blank lines left out), ``(line number, row)`` of a
    CSV one (a quoted CSV field may span lines: the reader must see the stream in order)."""
    if fmt == "csv":
        reader = csv.DictReader(stream)
        for row in reader:
            yield reader.line_num, {k: v for k, v in row.items() if k is not None}
        return
    for number, line in enumerate(stream, 1):
        if line.strip():
            yield number, line


def decode_line(raw: str | dict[str, Any]) -> dict[str, Any] | RowError:
    """The row of a raw line (a CSV row is one already), or why it is unreadable."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return RowError(f"не JSON: {exc.msg}")
    return value if isinstance(value, dict) else RowError("нужен JSON-объект")


def read_rows(stream: IO[str], fmt: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """``(line number, row or the reason it is unreadable)`` for each line of a JSON Lines or CSV stream."""
    for number, raw in read_lines(stream, fmt):
        yield number, decode_line(raw)


# (line number, error message) | (line number, source name, item, its Prepared values or None for a reply)
Parsed = tuple[int, str] | tuple[int, str, MentionData | ReplyData, Prepared | None]


class LinePreparer:
    """Turns chunks of raw lines into items with their :class:`Prepared` values, or error messages; no
    database, no state that the result depends on (runs in worker processes, or in the importer's own)."""

    def __init__(self, catalog: Catalog, kinds: Collection[str], *, prepare: bool = True) -> None:
        self.catalog = catalog
        self.prepare = prepare  # False: the items only (the ingestor prepares those it stores, in one process)
        self.kinds = frozenset(kinds)
        self.preparer = Preparer(catalog)
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
        if data.parent_external_id and data.author_id and self.preparer.official(data.kind, data.author_id):
            return number, name, ReplyData(
                kind=data.kind, parent_external_id=data.parent_external_id, account=data.author_id,
                reply_external_id=data.external_id, replied_at=data.published_at, text=data.text, url=data.url,
            ), None
        return number, name, data, None

    def __call__(self, chunk: list[tuple[int, str | dict[str, Any]]]) -> list[Parsed]:
        parsed = [self.parse(number, decode_line(raw)) for number, raw in chunk]
        if not self.prepare:
            return parsed
        mentions = [i for i, one in enumerate(parsed) if len(one) == 4 and isinstance(one[2], MentionData)]
        # one pass over the chunk's mentions (the shingles and MinHash keys are computed a chunk at a time)
        prepared = self.preparer.prepare([parsed[i][2] for i in mentions])  # type: ignore[misc]
        for i, prep in zip(mentions, prepared, strict=True):
            number, name, data, _ = parsed[i]  # type: ignore[misc]
            parsed[i] = (number, name, data, prep)
        return parsed


def _serve(connection: Connection, preparer: LinePreparer, parent: int) -> None:
    """A worker process: prepare each chunk that comes through ``connection`` and send the result back, until
    an empty message (or the importer's end)."""

    def watch() -> None:  # a killed importer leaves no worker behind (a sibling may hold its pipe open)
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="molva-import-parent", daemon=True).start()
    gc.freeze()  # what the worker was forked with, once
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
    while True:
        try:
            message = connection.recv_bytes()
        except EOFError:
            return
        if not message:
            return
        try:
            preparer.prepare, chunk = pickle.loads(message)
            answer = pickle.dumps((True, preparer(chunk)), pickle.HIGHEST_PROTOCOL)
        except Exception:  # handed to the importer, which raises it
            answer = pickle.dumps((False, traceback.format_exc()), pickle.HIGHEST_PROTOCOL)
        connection.send_bytes(answer)


def chunked(lines: Iterable[tuple[int, str | dict[str, Any]]],
            size: int | None = None) -> Iterator[list[tuple[int, str | dict[str, Any]]]]:
    """Lists of ``size`` (default ``CHUNK_LINES``) lines."""
    size = size or CHUNK_LINES
    chunk: list[tuple[int, str | dict[str, Any]]] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def prepared_chunks(chunks: Iterable[list[tuple[int, str | dict[str, Any]]]], preparer: LinePreparer,
                    workers: int = 0, prepare: Callable[[], bool] = lambda: True) -> Iterator[list[Parsed]]:
    """``preparer`` of each chunk, in order: in this process (``workers`` 0), or in ``workers`` worker
    processes started once (each gets ``preparer``, catalog included, at its start: forked where the platform
    can). ``prepare()``, asked per chunk sent: whether the workers also prepare its mentions (else they only
    parse them, and the ingestor prepares those it stores).

    Chunk *k* goes to worker *k* mod ``workers``, which has one chunk at a time: the next is sent to it as
    soon as its result has been read, so the file is read ``workers`` chunks ahead of what is stored, and no
    pipe can fill up both ways. Plain pipes read in this thread: no helper threads here competing for the
    interpreter (``ProcessPoolExecutor``'s cost ~30 µs of this process's CPU per line in a measurement).
    """
    if workers <= 0:
        for chunk in chunks:
            yield preparer(chunk)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    connections: list[Connection] = []
    processes = []
    try:
        for _ in range(workers):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, preparer, os.getpid()), daemon=True,
                                      name="molva-import-worker")
            process.start()
            theirs.close()
            connections.append(ours)
            processes.append(process)
        source = iter(chunks)
        sent = 0
        for connection in connections:  # one chunk for each worker to start with
            chunk = next(source, [])
            if not chunk:
                break
            connection.send_bytes(pickle.dumps((prepare(), chunk), pickle.HIGHEST_PROTOCOL))
            sent += 1
        for number in itertools.count():
            if number >= sent:
                break
            connection = connections[number % workers]
            ok, result = pickle.loads(connection.recv_bytes())
            if not ok:
                raise RuntimeError(f"import worker failed:\n{result}")
            chunk = next(source, [])
            if chunk:
                connection.send_bytes(pickle.dumps((prepare(), chunk), pickle.HIGHEST_PROTOCOL))
                sent += 1
            yield result
        for connection in connections:
            connection.send_bytes(b"")
        for process in processes:
            process.join()
    finally:
        for connection in connections:
            connection.close()
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()


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
        self.buffers: dict[str, list[tuple[int, MentionData | ReplyData, Prepared | None]]] = {}
        self.late_replies: list[tuple[str, int, ReplyData]] = []
        self.stored = 0
        self.new_share = 1.0  # of the mentions of the latest batch stored
        self.analyze_at = 2 * batch
        # Molva's own kinds and those of installed plugins
        self.lines = LinePreparer(catalog, source_kinds.kinds())

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

    def mostly_new(self) -> bool:
        """Whether most mentions of the latest stored batch were new (before the first batch: yes)."""
        return self.new_share >= 0.5

    def add(self, number: int, row: dict[str, Any] | RowError) -> None:
        """One decoded row (its mention is prepared by the ingestor, with its batch)."""
        self.add_parsed(self.lines.parse(number, row))

    def add_parsed(self, parsed: Parsed) -> None:
        """One line as :class:`LinePreparer` made it (in this process or a worker's)."""
        self.summary.lines += 1
        if len(parsed) == 2:
            self.summary.error(*parsed)
            return
        number, name, item, prep = parsed
        ingestor = self._ingestor(name, item.kind)
        buffer = self.buffers.setdefault(ingestor.source.name, [])
        buffer.append((number, item, prep))
        if len(buffer) >= self.batch:
            self.flush(ingestor.source.name)

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
        mentions = [(item, prep) for _, item, prep in items if isinstance(item, MentionData)]
        new = ingestor.counts["new"]
        ingestor.store_many([item for item, _ in mentions], [prep for _, prep in mentions])
        if mentions:
            self.new_share = (ingestor.counts["new"] - new) / len(mentions)
        self._analyze_as_it_grows(len(mentions))
        for number, item, _ in items:
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
                *, fmt: str | None = None, batch: int = 2000, progress: Callable[[int], None] | None = None,
                jobs: int = 1) -> ImportSummary:
    """Import ``path`` (``-`` is standard input); ``progress(bytes read)`` is called as lines are stored;
    ``jobs``: processes in all (this one stores; ``jobs`` - 1 workers parse and prepare the lines; 1: all in
    this process; the same results)."""
    importer = Importer(factory, catalog, configured, batch)
    fmt = fmt or detect_format(path)
    raw: IO[bytes] = open(path, "rb")
    try:
        with fewer_collections():
            stream = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace",
                                      newline="" if fmt == "csv" else None)
            positions: deque[int] = deque()  # the file position after each chunk read, for the progress bar

            def chunks() -> Iterator[list[tuple[int, str | dict[str, Any]]]]:
                for chunk in chunked(read_lines(stream, fmt)):
                    positions.append(raw.tell())
                    yield chunk

            last = 0
            # one process: the ingestor prepares the mentions it stores (not those stored already); with
            # workers, they prepare every mention while most of the lines read are new (a re-import: they only
            # parse, and the ingestor prepares the few new ones)
            importer.lines.prepare = False
            for parsed in prepared_chunks(chunks(), importer.lines, jobs - 1, importer.mostly_new):
                for one in parsed:
                    importer.add_parsed(one)
                position = positions.popleft()
                if progress is not None and position > last:
                    progress(position - last)
                    last = position
            if progress is not None:
                progress(raw.tell() - last)
            return importer.finish()
    finally:
        raw.close()
