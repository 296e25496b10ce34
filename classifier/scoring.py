"""Scoring stored brand mentions: sentiment, intent and urgency, written into ``brand_mentions``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import String, exists, select
from sqlalchemy.orm import Session, selectinload

from classifier.arch import LABELS
from classifier.aspects import AspectClassifier
from classifier.inference import SentimentModel
from classifier.judge import judge_mention
from classifier.structure import predict_brands
from classifier.text import Span
from molva.models import BrandMention, SentimentCorrection


@lru_cache(maxsize=1)
def _shipped_catalog() -> Any:
    from molva.catalog import load_catalog

    return load_catalog()


def brand_group(catalog: Any, brand: str) -> str | None:
    """The catalog group (``banks``, ``telecom``, ...) of a brand display name; None when unknown."""
    found = catalog.get(brand)
    return getattr(found, "group", None) if found is not None else None


_VERSION_LENGTH: int = cast(String, BrandMention.__table__.c.model_version.type).length or 100


def stored_version(version: str, limit: int | None = None) -> str:
    """``version`` as ``brand_mentions.model_version`` holds it (``limit``: the column's length): unchanged when it
    fits, else its head, ``~`` and 8 hex digits of the whole, so that distinct versions stay distinct (a model
    loaded from a long path, or a long mix suffix, must not fail the write on PostgreSQL)."""
    limit = limit or _VERSION_LENGTH
    if len(version) <= limit:
        return version
    return version[:limit - 9] + "~" + hashlib.sha256(version.encode("utf-8")).hexdigest()[:8]


def _engagement(likes: int | None, reposts: int | None, comments: int | None) -> int | None:
    parts = [v for v in (likes, reposts, comments) if v is not None]
    return sum(parts) if parts else None


def classify_pending(session: Session, model: SentimentModel, *, limit: int, now: datetime,
                     batch_size: int = 256, catalog: Any = None,
                     aspects: AspectClassifier | None = None) -> list[BrandMention]:
    """Score up to ``limit`` unclassified brand mentions (``sentiment IS NULL``), oldest first.

    Each mention is scored in its brand's catalog domain (``banks`` / ``telecom`` group, as ``molva analyze``
    does); ``catalog`` defaults to the shipped one. Mentions with a manual ``SentimentCorrection`` are never
    touched. Fills sentiment, scores, intent, urgency (+ reasons, "resolved" for a post that reports the
    problem fixed), aspects (``aspects``: the catalog's configuration, default the shipped one),
    model_version and classified_at, then flushes. Does not commit: the caller owns the transaction."""
    catalog = catalog if catalog is not None else _shipped_catalog()
    corrected = exists().where(SentimentCorrection.brand_mention_id == BrandMention.id)
    rows: Sequence[BrandMention] = session.scalars(
        select(BrandMention)
        .where(BrandMention.sentiment.is_(None), ~corrected)
        .order_by(BrandMention.id)
        .limit(limit)
        .options(selectinload(BrandMention.mention))
        .with_for_update(skip_locked=True, of=BrandMention)  # PostgreSQL: workers claim disjoint batches
    ).all()
    if not rows:
        return []
    siblings: dict[int, list[Span]] = {}
    for bm in rows:
        siblings.setdefault(bm.mention_id, [])
    for bm in session.scalars(select(BrandMention).where(BrandMention.mention_id.in_(list(siblings)))):
        siblings[bm.mention_id].append((bm.span_start, bm.span_end))
    version = stored_version(model.version)
    for start in range(0, len(rows), batch_size):
        chunk = rows[start:start + batch_size]
        texts = [bm.mention.text or "" for bm in chunk]
        targets: list[Sequence[Span] | None] = []
        others: list[Sequence[Span] | None] = []
        for bm, text in zip(chunk, texts, strict=True):
            valid = 0 <= bm.span_start < bm.span_end <= len(text)
            own = (bm.span_start, bm.span_end)
            targets.append([own] if valid else None)
            others.append([s for s in siblings.get(bm.mention_id, []) if s != own])
        groups = [brand_group(catalog, bm.brand) for bm in chunk]
        scores = predict_brands(model, texts, targets, others=others, groups=groups)
        for bm, text, sc, span, other in zip(chunk, texts, scores, targets, others, strict=True):
            m = bm.mention
            label = max(LABELS, key=lambda k: sc[k])
            target = span[0] if span else None
            j = judge_mention(text, sc, target=target, others=other or (), group=brand_group(catalog, bm.brand), brand=bm.brand,
                              author_followers=m.author_followers,
                              engagement=_engagement(m.likes, m.reposts, m.comments), published_at=m.published_at,
                              now=now, aspects=aspects)
            bm.sentiment = label
            bm.score_negative = sc["negative"]
            bm.score_neutral = sc["neutral"]
            bm.score_positive = sc["positive"]
            bm.intent = j.intent
            bm.urgency = j.urgency
            bm.urgency_reasons = j.reasons
            bm.aspects = j.aspects
            bm.model_version = version
            bm.classified_at = now
    session.flush()
    return list(rows)
