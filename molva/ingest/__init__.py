"""Repository functions of the crawlers and of ``molva import``: sources, crawl runs, mentions, brand mentions,
official replies. One module per job:

* :mod:`molva.ingest.data` — the plain items the spiders hand over (``MentionData``, ``ReplyData``) and results;
* :mod:`molva.ingest.urls` — canonical URLs and text fingerprints;
* :mod:`molva.ingest.dedup` — near-duplicate search (MinHash LSH over a bounded window);
* :mod:`molva.ingest.store` — the :class:`Ingestor`: bulk statements, no ORM object per row;
* :mod:`molva.ingest.runs` — sources, crawl runs, health and incremental state.
"""

from molva.ingest.data import MentionData, ReplyData, StoreResult
from molva.ingest.dedup import (
    COMMON_SHINGLE,
    MIN_SHINGLE_WORDS,
    NEAR_DUPLICATE_CONTAINMENT,
    ShingleIndex,
    shingles,
)
from molva.ingest.runs import (
    MAX_BACKOFF,
    enable_source,
    finish_run,
    get_or_create_source,
    known_external_ids,
    replied_mentions,
    set_state,
    start_run,
    unavailable_reason,
)
from molva.ingest.store import PRELOAD_TEXTS, Ingestor, brands_of, store_all
from molva.ingest.urls import canonical_url, content_hash, normalize_text

__all__ = [
    "COMMON_SHINGLE", "MAX_BACKOFF", "MIN_SHINGLE_WORDS", "NEAR_DUPLICATE_CONTAINMENT", "PRELOAD_TEXTS",
    "Ingestor", "MentionData", "ReplyData", "ShingleIndex", "StoreResult", "brands_of", "canonical_url",
    "content_hash", "enable_source", "finish_run", "get_or_create_source", "known_external_ids",
    "normalize_text", "replied_mentions", "set_state", "shingles", "start_run", "store_all",
    "unavailable_reason",
]
