"""Streaming JSONL analysis: rows ``{"id", "text", "brand"?}`` in, one result row out per input row.

A row's own ``label``, ``scores`` and judgment are those toward its ``brand`` when it names one found in the text,
else toward the only catalog brand the text names, else the whole text's; ``brands`` holds every brand found."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from classifier.arch import LABELS
from classifier.aspects import AspectClassifier
from classifier.inference import SentimentModel
from classifier.judge import judge_mention
from classifier.structure import predict_brands
from classifier.text import Span
from classifier.urgency import URGENT_THRESHOLD
from molva.aspects import load_aspects
from molva.memory import release_free_memory

DEFAULT_MAX_LINE_CHARS = 20_000  # a longer input line gets an error row (``molva analyze --max-line-chars``)
MAX_ERRORS = 20  # error messages kept in ``Stats.errors`` for the summary
_HEAD_CHARS = 2_000  # what is kept of a too-long line: enough to find its "id"
_ID_RE = re.compile(r'"id"\s*:\s*("(?:[^"\\]|\\.){0,200}"|-?\d{1,30}(?![\d.eE]))')


@dataclass(frozen=True)
class LongLine:
    """An input line over the size limit, not read into memory: its first characters and its length."""

    head: str
    length: int


def read_lines(stream: Any, max_chars: int = DEFAULT_MAX_LINE_CHARS, block: int = 1 << 16
               ) -> Iterator[str | LongLine]:
    """The lines of a text stream; a line longer than ``max_chars`` (without its newline) comes as a
    :class:`LongLine` and is skipped over in blocks, so memory stays bounded whatever its length."""
    while True:
        line = stream.readline(max_chars + 1)
        if not line:
            return
        if len(line) <= max_chars or line.endswith("\n") and len(line) == max_chars + 1:
            yield line
            continue
        length = len(line)
        head = line[:_HEAD_CHARS]
        while not line.endswith("\n"):
            line = stream.readline(block)
            if not line:
                break
            length += len(line)
        yield LongLine(head, length - (1 if line.endswith("\n") else 0))


class MatchLike(Protocol):
    brand: str
    brand_id: str
    start: int
    end: int


class CatalogLike(Protocol):
    def match(self, text: str) -> Any: ...

    def get(self, key: str) -> Any: ...


@dataclass
class Stats:
    rows: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)  # first few, for the summary
    load_seconds: float = 0.0  # loading torch, the model and the catalog (set by the CLI)


@dataclass
class _Row:
    line_no: int
    row_id: Any
    text: str
    brand: str | None
    extra: dict[str, Any]
    warning: str | None = None
    requests: list[tuple[str, tuple[Span, ...] | None, tuple[Span, ...], str | None]] = field(default_factory=list)
    brand_names: list[str] = field(default_factory=list)
    brand_spans: list[Span] = field(default_factory=list)
    brand_groups: list[str | None] = field(default_factory=list)
    brand_others: list[tuple[Span, ...]] = field(default_factory=list)
    main: int = 0


def label_of(scores: dict[str, float]) -> str:
    return max(LABELS, key=lambda k: scores.get(k, 0.0))


def _parse(line_no: int, line: str) -> _Row | str:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"malformed JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(obj, dict):
        return "a row must be a JSON object"
    text = obj.get("text")
    if not isinstance(text, str):
        return "missing 'text'" if text is None else "'text' must be a string"
    brand = obj.get("brand")
    if brand is not None and not isinstance(brand, str):
        return "'brand' must be a string"
    return _Row(line_no, obj.get("id"), text, brand or None, obj)


def _plan(row: _Row, catalog: CatalogLike, groups: _GroupCache | None = None) -> None:
    """Find every catalog brand and decide the model requests for the row."""
    by_brand: dict[str, list[Span]] = {}
    for m in catalog.match(row.text):
        by_brand.setdefault(m.brand, []).append((m.start, m.end))
    lookup = groups or _GroupCache(catalog)
    all_spans = [s for spans in by_brand.values() for s in spans]
    for name, spans in by_brand.items():
        own = set(spans)  # a set: linear time however many mentions a long text has
        others = tuple(s for s in all_spans if s not in own)
        row.requests.append((row.text, tuple(spans), others, lookup.group(name)))
        row.brand_names.append(name)
        row.brand_spans.append(spans[0])
        row.brand_groups.append(lookup.group(name))
        row.brand_others.append(others)
    main = -1
    if row.brand is not None:
        brand = catalog.get(row.brand)
        if brand is None:
            row.warning = f"unknown brand {row.brand!r}: whole-text sentiment"
        else:
            name = getattr(brand, "name", row.brand)
            if name in by_brand:
                main = row.brand_names.index(name)
            else:
                row.warning = f"brand {row.brand!r} not found in the text: whole-text sentiment"
    if main < 0 and row.brand is None and len(row.brand_names) == 1:
        main = 0  # a text about one brand: its feeling toward that brand is the row's (no second request)
    if main < 0:
        row.requests.append((row.text, None, (), None))
        main = len(row.requests) - 1
    row.main = main


@dataclass(frozen=True)
class Judging:
    """How each brand of a row is judged besides sentiment: intent, urgency, urgent, aspects."""

    urgent_threshold: float = URGENT_THRESHOLD
    aspects: AspectClassifier | None = None  # None: the shipped aspect configuration

    @classmethod
    def configured(cls, urgent_threshold: float, catalog_path: Path | None) -> Judging:
        """The settings' threshold and the aspects of the catalog file (shipped defaults merged with its own)."""
        return cls(urgent_threshold, AspectClassifier(load_aspects(catalog_path), catalog_path=catalog_path))


def analyze_lines(lines: Iterable[str | LongLine], model: SentimentModel, catalog: CatalogLike, stats: Stats,
                  batch_size: int = 1024, background: bool = False,
                  judging: Judging | None = None, max_line_chars: int = DEFAULT_MAX_LINE_CHARS,
                  first_line: int = 1) -> Iterator[dict[str, Any]]:
    """Yield one output dict per non-blank input line, in order; bad lines yield an ``error`` row.

    ``background``: run the model on one chunk in a worker thread while the next chunk is read and its
    brands matched (torch releases the GIL in its kernels). At most two chunks are held: constant memory.
    A line over ``max_line_chars`` characters gets an error row (pass :func:`read_lines` output so that
    such a line is never read whole). ``first_line``: the number of the first line (a chunk of a longer input)."""
    groups = _GroupCache(catalog)
    judging = judging or Judging()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="molva-model") if background else None
    in_flight: tuple[list[_Row | tuple[int, str, Any]], Future[list[dict[str, float]]]] | None = None
    pending: list[_Row | tuple[int, str, Any]] = []

    def submit(chunk: list[_Row | tuple[int, str, Any]]) -> Iterator[dict[str, Any]]:
        nonlocal in_flight
        if executor is None:
            yield from _emit(chunk, _score(chunk, model), stats, judging)
            return
        future = executor.submit(_score, chunk, model)
        if in_flight is not None:
            done_chunk, done = in_flight
            in_flight = None
            yield from _emit(done_chunk, done.result(), stats, judging)
        in_flight = (chunk, future)

    try:
        for line_no, line in enumerate(lines, start=first_line):
            if isinstance(line, str) and len(line) > max_line_chars and len(line.rstrip("\r\n")) > max_line_chars:
                line = LongLine(line[:_HEAD_CHARS], len(line.rstrip("\r\n")))
            if isinstance(line, LongLine):
                stats.rows += 1
                pending.append((line_no, f"line too long: {line.length} characters (limit {max_line_chars})",
                                _id_from_head(line.head)))
                if len(pending) >= batch_size:
                    yield from submit(pending)
                    pending = []
                continue
            if not line.strip():
                continue
            stats.rows += 1
            parsed = _parse(line_no, line)
            if isinstance(parsed, str):
                pending.append((line_no, parsed, _guess_id(line)))
            else:
                _plan(parsed, catalog, groups)
                pending.append(parsed)
            if len(pending) >= batch_size:
                yield from submit(pending)
                pending = []
        if pending:
            yield from submit(pending)
        if in_flight is not None:
            chunk, future = in_flight
            in_flight = None
            yield from _emit(chunk, future.result(), stats, judging)
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


class _GroupCache:
    """Catalog lookups (display name -> group) memoized per run: the catalog is immutable meanwhile."""

    def __init__(self, catalog: CatalogLike) -> None:
        self.catalog = catalog
        self._groups: dict[str, str | None] = {}

    def group(self, name: str) -> str | None:
        try:
            return self._groups[name]
        except KeyError:
            brand = self.catalog.get(name)
            group = self._groups[name] = getattr(brand, "group", None)
            return group


def _id_from_head(head: str) -> Any:
    """The "id" of a JSON row from its first characters (None when it is not there)."""
    m = _ID_RE.search(head)
    if m is None:
        return None
    try:
        return json.loads(m.group(1))
    except json.JSONDecodeError:
        return None


def _guess_id(line: str) -> Any:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return None
    return obj.get("id") if isinstance(obj, dict) else None


def _score(pending: list[_Row | tuple[int, str, Any]], model: SentimentModel) -> list[dict[str, float]]:
    """Model scores of every request of the chunk's rows, in order."""
    texts: list[str] = []
    targets: list[tuple[Span, ...] | None] = []
    others: list[tuple[Span, ...] | None] = []
    groups: list[str | None] = []
    for item in pending:
        if isinstance(item, _Row):
            for text, tgt, oth, grp in item.requests:
                texts.append(text)
                targets.append(tgt)
                others.append(oth)
                groups.append(grp)
    return predict_brands(model, texts, targets, others=others, groups=groups) if texts else []


def _judged(text: str, scores: dict[str, float], span: Span | None, others: tuple[Span, ...], group: str | None,
            brand: str | None, judging: Judging) -> dict[str, Any]:
    j = judge_mention(text, scores, target=span, others=others, group=group, brand=brand,
                      urgent_threshold=judging.urgent_threshold, aspects=judging.aspects)
    return {"intent": j.intent, "urgency": j.urgency, "urgent": j.urgent, "reasons": j.reasons,
            "aspects": j.aspects}


def _emit(pending: list[_Row | tuple[int, str, Any]], scores: list[dict[str, float]], stats: Stats,
          judging: Judging) -> Iterator[dict[str, Any]]:
    k = 0
    for item in pending:
        if not isinstance(item, _Row):
            line_no, message, row_id = item
            stats.skipped += 1
            if len(stats.errors) < MAX_ERRORS:
                stats.errors.append(f"line {line_no}: {message}")
            yield {"id": row_id, "line": line_no, "error": message}
            continue
        row_scores = scores[k:k + len(item.requests)]
        k += len(item.requests)
        main = row_scores[item.main]
        out: dict[str, Any] = {"id": item.row_id, "label": label_of(main), "scores": main}
        if item.brand is not None:
            out["brand"] = item.brand
        brands = [
            {"brand": name, "label": label_of(s), "scores": s, "span": [span[0], span[1]],
             **_judged(item.text, s, span, others, group, name, judging)}
            for name, s, span, group, others in zip(item.brand_names, row_scores, item.brand_spans,
                                                    item.brand_groups, item.brand_others, strict=False)
        ]
        if item.main < len(brands):  # the row's own brand: its judgment; else the whole text's
            own = brands[item.main]
            out.update({k: own[k] for k in ("intent", "urgency", "urgent", "reasons", "aspects")})
        else:
            out.update(_judged(item.text, main, None, (), None, None, judging))
        out["brands"] = brands
        if item.warning:
            out["warning"] = item.warning
        if "label" in item.extra:
            out["gold"] = item.extra["label"]
        yield out
    release_free_memory()  # the chunk's buffers are freed: give them back (peak RSS stays flat)
