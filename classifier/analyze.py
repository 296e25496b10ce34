"""Streaming JSONL analysis: rows ``{"id", "text", "brand"?}`` in, one result row out per input row."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from classifier.inference import SentimentModel
from classifier.model import LABELS
from classifier.text import Span


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


def _plan(row: _Row, catalog: CatalogLike) -> None:
    """Find every catalog brand and decide the model requests for the row."""
    by_brand: dict[str, list[Span]] = {}
    ids: dict[str, str] = {}
    groups: dict[str, str | None] = {}
    for m in catalog.match(row.text):
        by_brand.setdefault(m.brand, []).append((m.start, m.end))
        ids[m.brand] = m.brand_id
    for name in by_brand:
        brand = catalog.get(name)
        groups[name] = getattr(brand, "group", None)
    all_spans = [s for spans in by_brand.values() for s in spans]
    for name, spans in by_brand.items():
        others = tuple(s for s in all_spans if s not in spans)
        row.requests.append((row.text, tuple(spans), others, groups[name]))
        row.brand_names.append(name)
        row.brand_spans.append(spans[0])
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
    if main < 0:
        row.requests.append((row.text, None, (), None))
        main = len(row.requests) - 1
    row.main = main


def analyze_lines(lines: Iterable[str], model: SentimentModel, catalog: CatalogLike, stats: Stats,
                  batch_size: int = 512) -> Iterator[dict[str, Any]]:
    """Yield one output dict per non-blank input line, in order; bad lines yield an ``error`` row."""
    pending: list[_Row | tuple[int, str, Any]] = []
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        stats.rows += 1
        parsed = _parse(line_no, line)
        if isinstance(parsed, str):
            pending.append((line_no, parsed, _guess_id(line)))
        else:
            _plan(parsed, catalog)
            pending.append(parsed)
        if len(pending) >= batch_size:
            yield from _flush(pending, model, stats)
            pending = []
    if pending:
        yield from _flush(pending, model, stats)


def _guess_id(line: str) -> Any:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return None
    return obj.get("id") if isinstance(obj, dict) else None


def _flush(pending: list[_Row | tuple[int, str, Any]], model: SentimentModel, stats: Stats
           ) -> Iterator[dict[str, Any]]:
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
    scores = model.predict(texts, targets, others=others, groups=groups) if texts else []
    k = 0
    for item in pending:
        if not isinstance(item, _Row):
            line_no, message, row_id = item
            stats.skipped += 1
            if len(stats.errors) < 20:
                stats.errors.append(f"line {line_no}: {message}")
            yield {"id": row_id, "line": line_no, "error": message}
            continue
        row_scores = scores[k:k + len(item.requests)]
        k += len(item.requests)
        main = row_scores[item.main]
        out: dict[str, Any] = {"id": item.row_id, "label": label_of(main), "scores": main}
        if item.brand is not None:
            out["brand"] = item.brand
        out["brands"] = [
            {"brand": name, "label": label_of(s), "scores": s, "span": [span[0], span[1]]}
            for name, s, span in zip(item.brand_names, row_scores, item.brand_spans, strict=False)
        ]
        if item.warning:
            out["warning"] = item.warning
        if "label" in item.extra:
            out["gold"] = item.extra["label"]
        yield out
