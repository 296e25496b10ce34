"""The mentions explorer: Russian-aware full-text search with filters, one brand mention per row.

Search is portable (SQLite and PostgreSQL, no extension): each query word is reduced to a stem shared by
its inflected forms (pymorphy3 lexeme, else suffix stripping), ``ё`` is folded to ``е``, and the stem is
looked for with ``LIKE`` in its lower-case, capitalised and upper-case spellings, with ``_`` in place of
``е`` so that ``счет`` finds ``счёт``. Every word must occur (AND).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from molva import morphology
from molva.metrics.filters import MetricsFilter
from molva.models import BrandMention, Mention, OfficialReply, SentimentCorrection, Source, as_utc

_WORD_RE = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_SUFFIXES = tuple(
    sorted(
        """иями ями ами ией ого его ому ему ыми ими ых их ую юю ая яя ое ее ой ей ый ий ом ем ам ям ах ях ов ев
        ие ые ия ью ья ии ию ть ти ет ит ут ют ат ят ешь ишь ем им ла ло ли ую а я о е ы и у ю ь й""".split(),
        key=len,
        reverse=True,
    )
)
MAX_COUNT = 10_000


@dataclass(frozen=True)
class ExplorerQuery:
    """What the explorer shows: a search text plus filters. Empty tuples mean "all"."""

    text: str = ""
    filters: MetricsFilter = field(default_factory=MetricsFilter)
    sentiments: tuple[str, ...] = ()  # "negative" | "neutral" | "positive" | "none" (unclassified)
    intents: tuple[str, ...] = ()
    min_urgency: float | None = None
    authors: tuple[str, ...] = ()  # only these authors (who & where)
    places: tuple[str, ...] = ()  # only posts whose link starts with one of these (molva.metrics.reach.Place)


@dataclass(frozen=True)
class ExplorerRow:
    brand_mention_id: int
    mention_id: int
    brand: str
    source: str
    kind: str
    published_at: datetime
    author: str | None
    title: str | None
    text: str
    url: str | None  # http(s) only; None when the stored link is anything else
    span_start: int
    span_end: int
    sentiment: str | None
    corrected: bool
    intent: str | None
    urgency: float | None
    addressed: bool
    answered: bool


@dataclass(frozen=True)
class ExplorerPage:
    rows: list[ExplorerRow]
    total: int  # capped at MAX_COUNT + 1 ("more than MAX_COUNT")
    total_capped: bool


def fold(text: str) -> str:
    """Lower case with ``ё`` read as ``е``."""
    return text.lower().replace("ё", "е")


def _strip_suffix(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _common_prefix(words: list[str]) -> str:
    first, last = min(words), max(words)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    """The part of ``word`` shared by its inflected forms (``карту`` -> ``карт``), folded."""
    word = fold(word)
    if not re.search(r"[а-я]", word) or len(word) <= 3:
        return word
    parsed = morphology.parse(word)
    if parsed.is_known:
        prefix = _common_prefix([fold(f.word) for f in parsed.lexeme])
        if len(prefix) >= 3 and word.startswith(prefix):
            return prefix
    return _strip_suffix(word)


def search_terms(text: str) -> list[str]:
    """Stems of the words of a search query, without duplicates, in order."""
    seen: dict[str, None] = {}
    for word in _WORD_RE.findall(text):
        term = stem(word)
        if term:
            seen.setdefault(term, None)
    return list(seen)


def like_patterns(term: str) -> list[str]:
    """``LIKE`` patterns (escape character ``\\``) finding ``term`` in any usual letter case, ё = е."""
    variants = {term, term[:1].upper() + term[1:], term.upper()}
    patterns = []
    for variant in sorted(variants):
        escaped = variant.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        escaped = escaped.replace("е", "_").replace("Е", "_")
        patterns.append(f"%{escaped}%")
    return patterns


def safe_url(url: str | None) -> str | None:
    """The link only when it is an absolute http(s) URL (never ``javascript:`` and the like)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


_LITERAL_RUN = re.compile(r"(?:[^%_\\]|\\.){3}")  # three characters a pattern takes literally, in a row


def _like(column: Any, pattern: str) -> Any:
    """``column LIKE pattern``; a pattern without three literal characters in a row (``д_н``: "ден" with ``е``
    open) is put on ``coalesce(column, '')`` — the same rows — so that PostgreSQL does not read a whole trigram
    index for it (migration 0108: pg_trgm has no trigram to look up, and a full index scan of 10,000,000 posts
    took twice as long as reading them)."""
    if _LITERAL_RUN.search(pattern) is None:
        column = func.coalesce(column, "")
    return column.like(pattern, escape="\\")


def _where(query: Any, spec: ExplorerQuery) -> Any:
    query = spec.filters.apply(query)
    for term in search_terms(spec.text):
        patterns = like_patterns(term)
        query = query.where(or_(*(or_(_like(Mention.text, p), _like(Mention.title, p)) for p in patterns)))
    if spec.sentiments:
        labels = [s for s in spec.sentiments if s != "none"]
        conditions = [BrandMention.sentiment.in_(labels)] if labels else []
        if "none" in spec.sentiments:
            conditions.append(BrandMention.sentiment.is_(None))
        query = query.where(or_(*conditions))
    if spec.intents:
        query = query.where(BrandMention.intent.in_(spec.intents))
    if spec.min_urgency is not None:
        query = query.where(BrandMention.urgency >= spec.min_urgency)
    if spec.authors:
        query = query.where(Mention.author.in_(spec.authors))
    if spec.places:
        escaped = [p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for p in spec.places]
        query = query.where(or_(*(Mention.url.like(p, escape="\\") for p in escaped)))
    return query


def _base(*columns: Any) -> Any:
    return (
        select(*columns)
        .join(Mention, Mention.id == BrandMention.mention_id)
        .join(Source, Source.id == Mention.source_id)
    )


def search_mentions(session: Session, spec: ExplorerQuery, limit: int = 200, offset: int = 0) -> ExplorerPage:
    """Matching brand mentions, newest first, and how many match (counted up to ``MAX_COUNT``)."""
    answered = (
        select(OfficialReply.id)
        .where(and_(OfficialReply.mention_id == BrandMention.mention_id, OfficialReply.brand == BrandMention.brand))
        .exists()
    )
    query = _base(
        BrandMention, Mention.text, Mention.title, Mention.url, Mention.author, Source.name, Source.kind,
        SentimentCorrection.id, answered,
    ).outerjoin(SentimentCorrection, SentimentCorrection.brand_mention_id == BrandMention.id)
    query = _where(query, spec).order_by(BrandMention.published_at.desc(), BrandMention.id.desc())
    rows = []
    for bm, text, title, url, author, source, kind, correction_id, was_answered in session.execute(
        query.limit(limit).offset(offset)
    ):
        rows.append(
            ExplorerRow(
                brand_mention_id=bm.id,
                mention_id=bm.mention_id,
                brand=bm.brand,
                source=source,
                kind=kind,
                published_at=as_utc(bm.published_at),
                author=author,
                title=title,
                text=text,
                url=safe_url(url),
                span_start=bm.span_start,
                span_end=bm.span_end,
                sentiment=bm.sentiment,
                corrected=correction_id is not None,
                intent=bm.intent,
                urgency=bm.urgency,
                addressed=bm.addressed,
                answered=bool(was_answered),
            )
        )
    counted = _where(_base(BrandMention.id), spec).limit(MAX_COUNT + 1).subquery()
    total = int(session.scalar(select(func.count()).select_from(counted)) or 0)
    return ExplorerPage(rows=rows, total=total, total_capped=total > MAX_COUNT)
