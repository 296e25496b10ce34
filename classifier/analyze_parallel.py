"""``molva analyze --workers N``: the same rows, in the same order, scored by N worker processes.

The fast model's path is Python-bound (brand matching, the two-brand rules, intent / urgency / aspects), so
one process uses about one core whatever the threads. Here the input is cut into chunks of ``batch_size``
lines; each chunk goes to a worker process (``spawn``: nothing forked from a process that holds threads), which
loads the model, the catalog and the judging settings once and runs :func:`classifier.analyze.analyze_lines` on
it. Results come back in input order. At most ``2 × workers`` chunks are in flight, so memory stays constant
whatever the input's length. A worker that dies ends the run with one clear error (rows already written stay).
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.analyze import MAX_ERRORS, Judging, LongLine, Stats, analyze_lines


class WorkerError(RuntimeError):
    """A worker process died (killed, out of memory) or could not load the model."""


@dataclass(frozen=True)
class WorkerSetup:
    """What each worker loads once: ``load_model``'s argument, the catalog file, the urgency threshold."""

    model: str | None
    catalog_path: Path | None
    urgent_threshold: float
    batch_size: int
    max_line_chars: int


_LOADED: tuple[Any, Any, Judging, WorkerSetup] | None = None
_FAILED: str | None = None  # why this worker could not load (reported with its first chunk)


def _load(setup: WorkerSetup) -> None:
    """Worker initializer: one thread for the numpy runtime (the processes are the parallelism)."""
    global _LOADED, _FAILED
    from classifier.inference import MolvaSentimentModel, load_model
    from molva.catalog import load_catalog

    try:
        model = load_model(setup.model)
        if isinstance(model, MolvaSentimentModel) and model.runtime == "numpy":
            model.threads = 1
        judging = Judging.configured(setup.urgent_threshold, setup.catalog_path)
        _LOADED = (model, load_catalog(setup.catalog_path), judging, setup)
    except Exception as exc:  # reported as one line by the parent, not as a broken pool
        _FAILED = str(exc) or type(exc).__name__


def _chunk(first_line: int, lines: list[str | LongLine]) -> tuple[list[dict[str, Any]], Stats]:
    """One chunk's output rows and its counts (line numbers continue from ``first_line``)."""
    if _LOADED is None:
        raise WorkerError(f"an analysis worker could not load: {_FAILED or 'not initialised'}")
    model, catalog, judging, setup = _LOADED
    stats = Stats()
    rows = list(analyze_lines(lines, model, catalog, stats, batch_size=setup.batch_size, judging=judging,
                              max_line_chars=setup.max_line_chars, first_line=first_line))
    return rows, stats


def analyze_in_workers(lines: Iterable[str | LongLine], setup: WorkerSetup, stats: Stats,
                       workers: int) -> Iterator[dict[str, Any]]:
    """Like ``analyze_lines``: one output row per non-blank input line, in order; ``stats`` gets the counts."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_load,
                               initargs=(setup,))
    in_flight: deque[Future[tuple[list[dict[str, Any]], Stats]]] = deque()

    def collect() -> Iterator[dict[str, Any]]:
        try:
            rows, counted = in_flight.popleft().result()
        except BrokenProcessPool as exc:
            raise WorkerError("an analysis worker stopped (killed, out of memory, or the model failed to load); "
                              "the rows written so far are complete") from exc
        stats.rows += counted.rows
        stats.skipped += counted.skipped
        stats.errors.extend(counted.errors[:max(0, MAX_ERRORS - len(stats.errors))])
        yield from rows

    try:
        chunk: list[str | LongLine] = []
        first = 1
        for line in lines:
            chunk.append(line)
            if len(chunk) >= setup.batch_size:
                in_flight.append(pool.submit(_chunk, first, chunk))
                first += len(chunk)
                chunk = []
                while len(in_flight) > 2 * workers:
                    yield from collect()
        if chunk:
            in_flight.append(pool.submit(_chunk, first, chunk))
        while in_flight:
            yield from collect()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
