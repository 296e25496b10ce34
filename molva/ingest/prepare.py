"""The per-post work that needs no database and no shared state: canonical URL, normalised text and its
content hash, the official account, catalog brand spans, word shingles and MinHash band keys.

The :class:`~molva.ingest.store.Ingestor` prepares the new mentions of each batch it stores (crawls and
``molva import`` alike) in one pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from molva.catalog import Catalog
from molva.ingest.data import MentionData
from molva.ingest.dedup import ShingleIndex
from molva.ingest.urls import (
    canonical_or_text,
    canonical_url,
    hash_normalized,
    normalize_lowered,
    normalize_text,
)

OFFICIALS_KEPT = 100_000  # (kind, account) answers remembered per preparer


class Prepared(NamedTuple):
    """What the ingestor needs of one new mention besides the item itself."""

    canonical: str  # canonical URL
    forwarded: str | None  # ``forwarded_from``, canonical when it is a URL
    content_hash: str  # SHA-256 of the normalised title and text
    official: str | None  # the brand whose official account posted it
    spans: list[tuple[int, int, int]]  # Catalog.spans of the text
    title_spans: list[tuple[int, int, int]]  # ... and of the title
    grams: frozenset[int]  # word 3-shingles (empty for brands' own posts and short texts)
    keys: tuple[int, ...] | None  # their MinHash LSH band keys


class Preparer:
    """Prepares batches of mentions for one catalog; ``hasher`` (the ingestor's near-duplicate index) makes the
    shingles and MinHash keys."""

    def __init__(self, catalog: Catalog, hasher: ShingleIndex) -> None:
        self.catalog = catalog
        self.hasher = hasher
        self._officials: dict[tuple[str, str], str | None] = {}

    def official(self, kind: str, account: str) -> str | None:
        """The brand whose official account ``account`` is (``Catalog.official_brand``, remembered)."""
        key = (kind, account)
        officials = self._officials
        if key in officials:
            return officials[key]
        if len(officials) > OFFICIALS_KEPT:
            officials.clear()
        brand = self.catalog.official_brand(kind, account)
        name = officials[key] = brand.name if brand is not None else None
        return name

    def prepare(self, items: Sequence[MentionData]) -> list[Prepared]:
        spans = self.catalog.spans
        official = self.official
        heads: list[tuple[str, str | None, str, str | None, list[tuple[int, int, int]],
                          list[tuple[int, int, int]]]] = []
        compared: list[str | None] = []
        for data in items:
            text = data.text
            lowered = text.lower().replace("ё", "е")  # once for the content hash and the brand matcher
            # normalize_text(f" {text}"): a space before the text changes neither its lower case nor its words
            normalized = normalize_text(f"{data.title} {text}") if data.title else normalize_lowered(lowered)
            owner = official(data.kind, data.author_id) if data.author_id else None
            heads.append((canonical_url(data.url), canonical_or_text(data.forwarded_from), hash_normalized(normalized),
                          owner, spans(text, lowered), spans(data.title) if data.title else []))
            compared.append(normalized if owner is None else None)  # brands' own posts are not reposts
        shingled = self.hasher.prepare(compared)
        return [Prepared(*head, grams, keys) for head, (grams, keys) in zip(heads, shingled, strict=True)]
