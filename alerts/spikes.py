"""Negativity spikes per brand against the brand's own baseline, and the daily digest for PR.

For each brand: negative mentions in the last ``spike_window`` versus the counts of the same-length
windows over the previous ``spike_baseline``. Robust z-score: (current - median) / scale where
scale = max(1.4826 * MAD, sqrt(max(median, 1))) (the square root keeps a quiet brand's few posts from
looking like a storm). A spike needs at least ``spike_min_count`` posts and z >= ``spike_z``; after a
spike the brand is silent for ``spike_cooldown``. Each spike is stored (unique brand + window start) and
a notification naming the posts and the words that drive it is written to the outbox.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.content import snippet
from alerts.rules import rule_for
from alerts.text import brand_stems, top_terms
from molva.board import as_utc
from molva.models import AlertOutbox, BrandMention, Mention, Spike, SupportTopic
from molva.settings import AlertsSettings

POSTS_IN_ALERT = 10


def robust_z(current: int, baseline: list[int]) -> tuple[float, float]:
    """(median of the baseline, robust z-score of ``current``)."""
    if not baseline:
        return 0.0, float(current)
    median = statistics.median(baseline)
    mad = statistics.median(abs(x - median) for x in baseline)
    scale = max(1.4826 * mad, math.sqrt(max(median, 1.0)))
    return float(median), (current - median) / scale


def _negatives(
    session: Session, since: datetime, until: datetime
) -> list[tuple[str, int, datetime, str, str | None, str]]:
    rows = session.execute(
        select(
            BrandMention.brand,
            Mention.id,
            Mention.published_at,
            Mention.text,
            Mention.url,
            BrandMention.alias,
        )
        .join(Mention, Mention.id == BrandMention.mention_id)
        .where(
            BrandMention.sentiment == "negative",
            BrandMention.published_at > since,
            BrandMention.published_at <= until,
            Mention.official_brand.is_(None),
        )
        .order_by(Mention.published_at)
    ).all()
    return [(b, mid, as_utc(p), text, url, alias) for b, mid, p, text, url, alias in rows]


def _in_cooldown(session: Session, brand: str, now: datetime, cooldown: int) -> bool:
    last = session.scalar(select(func.max(Spike.window_end)).where(Spike.brand == brand))
    return last is not None and as_utc(last) > now - timedelta(seconds=cooldown)


def detect_spikes(
    session: Session, settings: AlertsSettings, now: datetime, *, digest: bool = True
) -> list[Spike]:
    """New spikes at ``now`` (stored, with their outbox notifications); also enqueues the daily digest."""
    now = as_utc(now)
    window = timedelta(seconds=settings.spike_window)
    buckets = max(1, settings.spike_baseline // settings.spike_window)
    window_start = now - window
    since = window_start - window * buckets
    per_brand: dict[str, list[tuple[int, datetime, str, str | None, str]]] = defaultdict(list)
    for brand, mention_id, published, text, url, alias in _negatives(session, since, now):
        per_brand[brand].append((mention_id, published, text, url, alias))
    found: list[Spike] = []
    for brand, posts in sorted(per_brand.items()):
        current = [p for p in posts if p[1] > window_start]
        if len(current) < settings.spike_min_count:
            continue
        counts = [0] * buckets
        for p in posts:
            if p[1] <= window_start:
                index = min(buckets - 1, int((window_start - p[1]) / window))
                counts[index] += 1
        median, z = robust_z(len(current), counts)
        if z < settings.spike_z or _in_cooldown(session, brand, now, settings.spike_cooldown):
            continue
        exists = session.scalar(
            select(Spike.id).where(Spike.brand == brand, Spike.window_start == window_start)
        )
        if exists is not None:
            continue
        base_texts = [p[2] for p in posts if p[1] <= window_start]
        exclude = brand_stems(brand, *{p[4] for p in posts})
        terms = top_terms([p[2] for p in current], base_texts, 1.0 / buckets, settings.spike_terms, exclude)
        spike = Spike(
            brand=brand,
            window_start=window_start,
            window_end=now,
            negative_count=len(current),
            baseline=median,
            score=round(z, 3),
            terms=terms,
            mention_ids=[p[0] for p in current],
            detected_at=now,
        )
        session.add(spike)
        session.flush()
        _enqueue_spike(session, settings, spike, current)
        found.append(spike)
    if digest:
        enqueue_digest(session, settings, now)
    return found


def _enqueue_spike(
    session: Session,
    settings: AlertsSettings,
    spike: Spike,
    posts: list[tuple[int, datetime, str, str | None, str]],
) -> None:
    rule = rule_for(settings, spike.brand)
    recent = sorted(posts, key=lambda p: p[1], reverse=True)[:POSTS_IN_ALERT]
    payload: dict[str, Any] = {
        "spike_id": spike.id,
        "brand": spike.brand,
        "window_start": as_utc(spike.window_start).isoformat(),
        "window_end": as_utc(spike.window_end).isoformat(),
        "window_minutes": settings.spike_window // 60,
        "negative_count": spike.negative_count,
        "baseline": spike.baseline,
        "score": spike.score,
        "terms": spike.terms,
        "posts": [{"mention_id": p[0], "url": p[3], "snippet": snippet(p[2], 100)} for p in recent],
    }
    session.add(
        AlertOutbox(
            kind="spike",
            adapter="webhook" if rule.webhook_url else "log",
            brand=spike.brand,
            idempotency_key=f"spike:{spike.brand}:{as_utc(spike.window_start).isoformat()}",
            payload=payload,
            status="pending",
            attempts=0,
            next_attempt_at=as_utc(spike.detected_at),
            created_at=as_utc(spike.detected_at),
        )
    )
    session.flush()


def digest_payload(session: Session, day_start: datetime, day_end: datetime, day: str) -> dict[str, Any]:
    """Per brand for one day: mentions, negative share, topics created, spikes."""
    rows = session.execute(
        select(BrandMention.brand, BrandMention.sentiment, func.count(BrandMention.id))
        .where(BrandMention.published_at >= day_start, BrandMention.published_at < day_end)
        .group_by(BrandMention.brand, BrandMention.sentiment)
    ).all()
    stats: dict[str, dict[str, int]] = defaultdict(
        lambda: {"mentions": 0, "negative": 0, "topics": 0, "spikes": 0}
    )
    for brand, sentiment, count in rows:
        stats[brand]["mentions"] += count
        if sentiment == "negative":
            stats[brand]["negative"] += count
    for brand, count in session.execute(
        select(SupportTopic.brand, func.count(SupportTopic.id))
        .where(SupportTopic.created_at >= day_start, SupportTopic.created_at < day_end)
        .group_by(SupportTopic.brand)
    ).all():
        stats[brand]["topics"] = count
    for brand, count in session.execute(
        select(Spike.brand, func.count(Spike.id))
        .where(Spike.detected_at >= day_start, Spike.detected_at < day_end)
        .group_by(Spike.brand)
    ).all():
        stats[brand]["spikes"] = count
    brands = [
        {
            "brand": brand,
            **values,
            "negative_share": values["negative"] / values["mentions"] if values["mentions"] else 0.0,
        }
        for brand, values in sorted(stats.items(), key=lambda kv: -kv[1]["mentions"])
    ]
    return {"day": day, "brands": brands}


def enqueue_digest(session: Session, settings: AlertsSettings, now: datetime) -> AlertOutbox | None:
    """Once per local day, after ``digest_hour``: the previous day's digest (None when already queued)."""
    tz = ZoneInfo(settings.timezone)
    local = as_utc(now).astimezone(tz)
    if local.hour < settings.digest_hour:
        return None
    day = (local - timedelta(days=1)).date()
    key = f"digest:{day.isoformat()}"
    if session.scalar(select(AlertOutbox.id).where(AlertOutbox.idempotency_key == key)) is not None:
        return None
    start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    payload = digest_payload(session, start, start + timedelta(days=1), day.strftime("%d.%m.%Y"))
    row = AlertOutbox(
        kind="digest",
        adapter="webhook" if settings.webhook_url else "log",
        brand=None,
        idempotency_key=key,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=as_utc(now),
        created_at=as_utc(now),
    )
    session.add(row)
    session.flush()
    return row
