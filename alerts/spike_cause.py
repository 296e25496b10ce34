"""What a negativity spike is about: its top aspects, the words that rose, sources, sample posts, loud authors.

Built from the episode's negative posts and the brand's own posts before it; stored in ``spikes.details``
and sent inside the notification, so PR sees the cause without opening the dashboard.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.content import SOURCE_LABELS
from alerts.gist import gist
from alerts.text import brand_lemmas, lemmas, rising_lemmas
from molva.aspects import aspect_name
from molva.models import BrandMention, Mention, as_utc

SAMPLES = 3
AUTHORS = 3
BASELINE_TEXTS = 2000


def _posts(session: Session, brand: str, since: datetime, until: datetime, negative: bool) -> list[Any]:
    query = (
        select(BrandMention.aspects, BrandMention.alias, Mention)
        .join(Mention, Mention.id == BrandMention.mention_id)
        .where(
            BrandMention.brand == brand,
            BrandMention.published_at >= since,
            BrandMention.published_at <= until,
            Mention.official_brand.is_(None),
        )
    )
    if negative:
        query = query.where(BrandMention.sentiment == "negative").order_by(Mention.published_at)
    else:
        query = query.order_by(Mention.published_at.desc()).limit(BASELINE_TEXTS)
    return list(session.execute(query).all())


def top_aspects(aspect_lists: list[list[Any] | None], limit: int = 3) -> list[dict[str, Any]]:
    """The aspects most posts are about (the first, most relevant aspect of each post counts)."""
    firsts = Counter(str(a[0]) for a in aspect_lists if a)
    total = sum(1 for a in aspect_lists if a)
    return [
        {"code": code, "name": aspect_name(code), "count": count, "share": round(count / total, 3)}
        for code, count in firsts.most_common(limit)
    ]


def build_cause(
    session: Session,
    brand: str,
    start: datetime,
    end: datetime,
    baseline_start: datetime,
    terms_limit: int,
) -> dict[str, Any]:
    """The cause of the episode ``start``..``end``: JSON-ready."""
    rows = _posts(session, brand, start, end, negative=True)
    before = _posts(session, brand, baseline_start, start, negative=False)
    aliases = {alias for _, alias, _ in rows} | {brand}
    exclude = brand_lemmas(*aliases)
    texts = [m.text for _, _, m in rows]
    words = rising_lemmas(texts, [m.text for _, _, m in before], terms_limit, exclude)
    sources = Counter(m.kind for _, _, m in rows)
    # samples: the posts that say most of the rising words, one per distinct gist
    wanted = set(words[:5])
    ranked = sorted(
        rows,
        key=lambda r: (-len(lemmas(r[2].text, exclude) & wanted), -(r[2].author_followers or 0), r[2].id),
    )
    samples: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _, alias, m in ranked:
        short = gist(m.text, 100, (brand, alias)) or m.text[:100]
        if short.lower() in seen:
            continue
        seen.add(short.lower())
        samples.append({"mention_id": m.id, "url": m.url, "author": m.author, "text": short})
        if len(samples) == SAMPLES:
            break
    authors: list[dict[str, Any]] = []
    named: set[str] = set()
    for _, _, m in sorted(rows, key=lambda r: (-(r[2].author_followers or 0), r[2].id)):
        who = m.author or m.author_id
        if not who or who in named or not m.author_followers:
            continue
        named.add(who)
        authors.append({"author": who, "followers": int(m.author_followers), "url": m.url})
        if len(authors) == AUTHORS:
            break
    return {
        "aspects": top_aspects([a for a, _, _ in rows]),
        "words": words,
        "sources": [
            {"kind": kind, "name": SOURCE_LABELS.get(kind, kind), "count": count}
            for kind, count in sources.most_common()
        ],
        "samples": samples,
        "authors": authors,
        "first_post_at": as_utc(rows[0][2].published_at).isoformat() if rows else None,
    }
