"""Shared helpers of the per-brand rule tests: each catalog brand's spans in a text, and a rule asked per brand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Span = tuple[int, int]
T = TypeVar("T")


def spans(catalog: Any, text: str) -> dict[str, list[Span]]:
    """Each brand the catalog finds in ``text`` -> its mentions' spans."""
    out: dict[str, list[Span]] = {}
    for m in catalog.match(text):
        out.setdefault(m.brand, []).append((m.start, m.end))
    return out


def per_brand(catalog: Any, text: str, rule: Callable[[str, Sequence[Span], Sequence[Span]], T],
              *, brands: int | None = None) -> dict[str, T]:
    """``rule(text, the brand's spans, the other brands' spans)`` for each brand found (``brands``: how many
    must be found, checked)."""
    found = spans(catalog, text)
    assert brands is None or len(found) == brands, found
    return {brand: rule(text, own, [s for b, ss in found.items() if b != brand for s in ss])
            for brand, own in found.items()}
