"""Negativity spike episodes per brand, compared like with like, and the daily digest for PR.

Every check looks at the brand's classified mentions by **published** time (a crawl backfill of old posts
lands where they were published, not "now"), counted in ``spike_bucket`` steps over the last
``spike_lookback`` (so a check after a pause or a first crawl still finds an episode, placed where it happened).
A window of ``spike_window`` ending at each step is **elevated** when all of these hold:

- volume: at least ``spike_min_count`` negatives, at least ``spike_ratio`` times the expected count and a
  Poisson z-score of ``spike_z`` or more. The expected count is the brand's own negatives over its history
  (``spike_baseline`` before the lookback, past episodes left out), scaled by how much the *other* brands were
  mentioned in the window versus that history: the whole feed speeding up (a live feed, more crawl targets,
  daytime against night, weekday against weekend) raises the expectation of every brand alike, while an
  outage of one brand does not;
- share: the brand's negative share is ``spike_share_delta`` above its usual share, with a binomial z of 2;
- coverage: only sources with history count — a source whose posts start in the second half of the history
  (a newly added feed) and sources the brand was never seen in are left out.

Consecutive elevated windows make one **episode** (a row of ``spikes``: ``window_start`` is the first
negative post of the burst, ``window_end`` the end of its last elevated step; ``status`` open/ended). An
episode ends after half a window without elevation; elevation again within ``spike_cooldown`` of its end
reopens it. PR gets one notification when it starts, an update when it has grown by half (at most once per
window), and one when it ends — each carrying the cause (``alerts.spike_cause``).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.rules import rule_for
from alerts.spike_cause import build_cause
from molva.board import as_utc
from molva.models import AlertOutbox, BrandMention, Mention, Spike, SupportTopic
from molva.settings import AlertsSettings

MIN_HISTORY = timedelta(hours=6)  # less history than this: no spike is judged
SHARE_Z = 2.0
UPDATE_GROWTH = 1.5


def robust_z(current: int, baseline: list[int]) -> tuple[float, float]:
    """(median of the baseline, robust z-score of ``current``)."""
    if not baseline:
        return 0.0, float(current)
    median = statistics.median(baseline)
    mad = statistics.median(abs(x - median) for x in baseline)
    scale = max(1.4826 * mad, math.sqrt(max(median, 1.0)))
    return float(median), (current - median) / scale


@dataclass
class History:
    """One brand's baseline over ``seconds``: its negatives and mentions, and per source
    ``[its negatives there, the other brands' mentions there]``."""

    negatives: int = 0
    mentions: int = 0
    seconds: float = 0.0
    sources: dict[int, list[int]] = field(default_factory=dict)

    def expected(self, others: dict[int, int], window_s: float) -> float:
        """Negatives expected in a window: per source, the brand's history scaled by how much the other
        brands were mentioned there in the window (by time where that source has too little)."""
        total = 0.0
        for source, (negatives, others_before) in self.sources.items():
            if others_before >= 30:
                total += negatives * others.get(source, 0) / others_before
            else:
                total += negatives * window_s / max(self.seconds, 1.0)
        return total


@dataclass
class Judgement:
    elevated: bool
    negatives: int
    mentions: int
    expected: float
    z: float
    share: float
    usual_share: float


@dataclass
class Episode:
    start: datetime
    last_elevated: datetime
    end: datetime | None = None  # None: still going at the last step
    last_post: datetime | None = None  # the last negative post of the last step with a burst
    peak_z: float = 0.0
    expected: float = 0.0  # expected negatives per window at the peak
    usual_share: float = 0.0
    peak_share: float = 0.0
    steps: list[datetime] = field(default_factory=list)


def judge(
    settings: AlertsSettings, history: History, negatives: int, mentions: int, others: dict[int, int], window_s: float
) -> Judgement:
    """Is one window elevated against the brand's history (see the module doc)?"""
    expected = history.expected(others, window_s)
    z = (negatives - expected) / math.sqrt(max(expected, 1.0))
    usual = (history.negatives + 1) / (history.mentions + 2)
    share = negatives / mentions if mentions else 0.0
    share_z = (share - usual) / math.sqrt(usual * (1 - usual) / max(mentions, 1))
    elevated = (
        negatives >= settings.spike_min_count
        and negatives >= settings.spike_ratio * expected
        and z >= settings.spike_z
        and share >= usual + settings.spike_share_delta
        and share_z >= SHARE_Z
    )
    return Judgement(elevated, negatives, mentions, expected, z, share, usual)


# --- reading the database ---------------------------------------------------------------------------------


def _episode_ranges(session: Session, since: datetime) -> dict[str, list[tuple[datetime, datetime]]]:
    ranges: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for brand, start, end in session.execute(
        select(Spike.brand, Spike.window_start, Spike.window_end).where(Spike.window_end >= since)
    ):
        ranges[brand].append((as_utc(start), as_utc(end)))
    return ranges


def _counts(
    session: Session, since: datetime, until: datetime
) -> list[tuple[str, int, int, int, datetime | None]]:
    """(brand, source id, mentions, negatives, first published) of classified non-official mentions."""
    negative = func.sum((BrandMention.sentiment == "negative").cast(BrandMention.id.type))
    rows = session.execute(
        select(
            BrandMention.brand,
            Mention.source_id,
            func.count(BrandMention.id),
            negative,
            func.min(BrandMention.published_at),
        )
        .join(Mention, Mention.id == BrandMention.mention_id)
        .where(
            BrandMention.published_at > since,
            BrandMention.published_at <= until,
            BrandMention.sentiment.is_not(None),
            Mention.official_brand.is_(None),
        )
        .group_by(BrandMention.brand, Mention.source_id)
    ).all()
    return [(b, s, int(n), int(neg or 0), as_utc(first) if first else None) for b, s, n, neg, first in rows]


def _recent(session: Session, since: datetime, until: datetime) -> list[tuple[str, int, datetime, bool]]:
    """(brand, source id, published, negative) of each classified non-official mention in the range."""
    rows = session.execute(
        select(BrandMention.brand, Mention.source_id, BrandMention.published_at, BrandMention.sentiment)
        .join(Mention, Mention.id == BrandMention.mention_id)
        .where(
            BrandMention.published_at > since,
            BrandMention.published_at <= until,
            BrandMention.sentiment.is_not(None),
            Mention.official_brand.is_(None),
        )
    ).all()
    return [(b, s, as_utc(p), sentiment == "negative") for b, s, p, sentiment in rows]


@dataclass
class Coverage:
    """Which sources have history (for everyone, and per brand), and each brand's baseline."""

    sources: set[int]
    brand_sources: dict[str, set[int]]
    histories: dict[str, History]
    start: datetime


def coverage(
    session: Session, settings: AlertsSettings, base_start: datetime, base_end: datetime
) -> Coverage | None:
    counts = _counts(session, base_start, base_end)
    firsts = [first for *_, first in counts if first is not None]
    if not firsts:
        return None
    data_start = max(base_start, min(firsts))
    if base_end - data_start < MIN_HISTORY:
        return None
    midpoint = data_start + (base_end - data_start) / 2
    source_first: dict[int, datetime] = {}
    for _, source, _, _, first in counts:
        if first is not None and (source not in source_first or first < source_first[source]):
            source_first[source] = first
    sources = {s for s, first in source_first.items() if first <= midpoint}
    brand_sources: dict[str, set[int]] = defaultdict(set)
    histories: dict[str, History] = defaultdict(History)
    source_total: dict[int, int] = defaultdict(int)
    seconds = (base_end - data_start).total_seconds()
    for brand, source, n, neg, _ in counts:
        if source in sources:
            brand_sources[brand].add(source)
            history = histories[brand]
            history.negatives += neg
            history.mentions += n
            history.seconds = seconds
            history.sources[source] = [neg, -n]
            source_total[source] += n
    for history in histories.values():
        for source, pair in history.sources.items():
            pair[1] += source_total[source]  # the other brands' mentions in that source
    # past episodes are not "usual": take their posts out of the brand's history
    for brand, ranges in _episode_ranges(session, data_start).items():
        found = histories.get(brand)
        if found is None:
            continue
        for start, end in ranges:
            lo, hi = max(start, data_start), min(end, base_end)
            if hi <= lo:
                continue
            for b, source, n, neg, _ in _counts(session, lo, hi):
                own = found.sources.get(source)
                if own is None:
                    continue
                if b == brand:
                    found.negatives -= neg
                    found.mentions -= n
                    own[0] -= neg
                else:
                    own[1] -= n
            found.seconds -= (hi - lo).total_seconds()
    return Coverage(sources, dict(brand_sources), dict(histories), data_start)


# --- episodes --------------------------------------------------------------------------------------------


def onset(times: list[datetime], lo: datetime, hi: datetime, step: timedelta) -> datetime | None:
    """The first negative post in ``[lo, hi)`` that starts a dense run (at least three in half a step), so a
    stray complaint early in the bucket does not move the episode's start; None when no post does."""
    for i, t in enumerate(times):
        if t < lo or t >= hi:
            continue
        if i + 2 < len(times) and times[i + 2] - t <= step / 2:
            return t
    return None


def find_episodes(session: Session, settings: AlertsSettings, now: datetime) -> dict[str, list[Episode]]:
    """Episodes per brand over the lookback, replayed step by step (the same data gives the same episodes)."""
    step = timedelta(seconds=settings.spike_bucket)
    window = timedelta(seconds=max(settings.spike_window, settings.spike_bucket))
    k = max(1, round(window / step))
    steps = max(1, settings.spike_lookback // settings.spike_bucket)
    recent_start = now - step * (steps + k)
    base_start = recent_start - timedelta(seconds=settings.spike_baseline)
    cover = coverage(session, settings, base_start, recent_start)
    if cover is None:
        return {}
    n_buckets = steps + k
    neg: dict[str, list[int]] = defaultdict(lambda: [0] * n_buckets)
    tot: dict[str, list[int]] = defaultdict(lambda: [0] * n_buckets)
    first_neg: dict[tuple[str, int], datetime] = {}
    neg_times: dict[str, list[datetime]] = defaultdict(list)
    last_neg: dict[tuple[str, int], datetime] = {}
    everyone: dict[int, list[int]] = defaultdict(lambda: [0] * n_buckets)
    per_brand_all: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0] * n_buckets)
    for brand, source, published, negative in _recent(session, recent_start, now):
        index = min(n_buckets - 1, int((published - recent_start) / step))
        if source in cover.sources:
            everyone[source][index] += 1
            per_brand_all[(brand, source)][index] += 1
        if source not in cover.brand_sources.get(brand, set()):
            continue
        tot[brand][index] += 1
        if negative:
            neg[brand][index] += 1
            key = (brand, index)
            if key not in first_neg or published < first_neg[key]:
                first_neg[key] = published
            neg_times[brand].append(published)
            if key not in last_neg or published > last_neg[key]:
                last_neg[key] = published
    found: dict[str, list[Episode]] = {}
    for brand, history in cover.histories.items():
        if brand not in neg:
            continue
        episodes: list[Episode] = []
        current: Episode | None = None
        for j in range(k, n_buckets + 1):  # the window of buckets [j-k, j) ends at recent_start + j*step
            t = recent_start + step * j
            lo = j - k
            others = {
                source: sum(everyone[source][lo:j]) - sum(per_brand_all[(brand, source)][lo:j])
                for source in history.sources
            }
            verdict = judge(
                settings, history, sum(neg[brand][lo:j]), sum(tot[brand][lo:j]), others, window.total_seconds()
            )
            if verdict.elevated:
                if current is None:
                    last = episodes[-1] if episodes else None
                    cooldown = timedelta(seconds=settings.spike_cooldown)
                    if last is not None and last.end is not None and t - last.end <= cooldown:
                        current, last.end = last, None
                    else:
                        per_step = verdict.expected / k
                        limit = max(2.0, per_step + 2 * math.sqrt(max(per_step, 0.25)))
                        first = next((i for i in range(lo, j) if neg[brand][i] >= limit), j - 1)
                        start = onset(
                            sorted(neg_times[brand]),
                            recent_start + step * first,
                            recent_start + step * (first + 1),
                            step,
                        ) or first_neg.get((brand, first), recent_start + step * first)
                        current = Episode(start=start, last_elevated=t)
                        episodes.append(current)
                current.last_elevated = t
                current.steps.append(t)
                per_step = verdict.expected / k
                limit = max(2.0, per_step + 2 * math.sqrt(max(per_step, 0.25)))
                excess = [i for i in range(lo, j) if neg[brand][i] >= limit]
                if excess:
                    current.last_post = last_neg.get((brand, excess[-1]), t)
                if verdict.z >= current.peak_z:
                    current.peak_z, current.expected = verdict.z, verdict.expected
                    current.usual_share, current.peak_share = verdict.usual_share, verdict.share
            elif current is not None and t - current.last_elevated >= window / 2:
                current.end = max(current.start, min(current.last_post or current.last_elevated, current.last_elevated))
                current = None
        if episodes:
            found[brand] = episodes
    return found


def _spike_key(brand: str, start: datetime, event: str) -> str:
    return f"spike:{brand}:{as_utc(start).isoformat()}:{event}"


def _count_negatives(session: Session, brand: str, start: datetime, end: datetime) -> list[int]:
    return list(
        session.scalars(
            select(BrandMention.mention_id)
            .join(Mention, Mention.id == BrandMention.mention_id)
            .where(
                BrandMention.brand == brand,
                BrandMention.sentiment == "negative",
                BrandMention.published_at >= start,
                BrandMention.published_at <= end,
                Mention.official_brand.is_(None),
            )
            .order_by(BrandMention.published_at)
        )
    )


def _refresh(
    session: Session, settings: AlertsSettings, spike: Spike, episode: Episode, now: datetime
) -> None:
    """Fill a spike row from a replayed episode (counts, figures, cause)."""
    start = min(as_utc(spike.window_start), episode.start) if spike.id else episode.start
    end = episode.end or episode.last_post or now
    end = max(end, as_utc(spike.window_end)) if spike.id and spike.window_end else end
    ids = _count_negatives(session, spike.brand, start, end)
    spike.window_start, spike.window_end = start, end
    spike.negative_count = len(ids)
    spike.mention_ids = ids[:500]
    spike.baseline = round(episode.expected, 3)
    spike.score = round(max(episode.peak_z, spike.score or 0.0), 3)
    cause = build_cause(
        session, spike.brand, start, end, start - timedelta(seconds=settings.spike_baseline), settings.spike_terms
    )
    spike.terms = cause["words"]
    details = dict(spike.details or {})
    details.update(cause)
    details["usual_share"] = round(episode.usual_share, 3)
    details["peak_share"] = round(max(episode.peak_share, float(details.get("peak_share", 0.0))), 3)
    details["expected_per_window"] = round(episode.expected, 3)
    spike.details = details
    spike.status = "open" if episode.end is None else "ended"
    spike.updated_at = now


def _matching(stored: list[Spike], episode: Episode, cooldown: timedelta, now: datetime) -> Spike | None:
    end = episode.end or now
    for spike in stored:
        if as_utc(spike.window_start) <= end and as_utc(spike.window_end) + cooldown >= episode.start:
            return spike
    return None


def detect_spikes(
    session: Session, settings: AlertsSettings, now: datetime, *, digest: bool = True
) -> list[Spike]:
    """Check every brand at ``now``: store new episodes, move open ones on, end finished ones, and write one
    notification per start / big update / end. Returns the episodes that started at this check.
    Also enqueues the daily digest (``digest=False``: not)."""
    now = as_utc(now)
    cooldown = timedelta(seconds=settings.spike_cooldown)
    window = timedelta(seconds=settings.spike_window)
    since = now - timedelta(seconds=settings.spike_lookback) - window - cooldown
    stored_by_brand: dict[str, list[Spike]] = defaultdict(list)
    for spike in session.scalars(
        select(Spike).where(Spike.window_end >= since).order_by(Spike.window_start)
    ):
        stored_by_brand[spike.brand].append(spike)
    started: list[Spike] = []
    touched: set[int] = set()
    for brand, episodes in sorted(find_episodes(session, settings, now).items()):
        for episode in episodes:
            match = _matching(stored_by_brand[brand], episode, cooldown, now)
            if match is None:
                spike = Spike(brand=brand, window_start=episode.start, window_end=episode.end or now,
                              negative_count=0, baseline=0.0, score=0.0, detected_at=now, status="open")
                _refresh(session, settings, spike, episode, now)
                session.add(spike)
                session.flush()
                stored_by_brand[brand].append(spike)
                _notify(session, settings, spike, "start" if spike.status == "open" else "past", now)
                started.append(spike)
            elif match.status == "ended" and episode.end is not None and episode.end <= as_utc(match.window_end):
                spike = match  # nothing new about an episode that is over
            else:
                spike = match
                was = spike.status
                notified = int((spike.details or {}).get("notified_count", 0))
                _refresh(session, settings, spike, episode, now)
                if was == "open" and spike.status == "ended":
                    _notify(session, settings, spike, "end", now)
                elif spike.status == "open" and (
                    was == "ended" or spike.negative_count >= UPDATE_GROWTH * max(notified, 1)
                ):
                    last = (spike.details or {}).get("notified_at")
                    if was == "ended" or last is None or now - datetime.fromisoformat(last) >= window:
                        _notify(session, settings, spike, "update", now)
            touched.add(spike.id)
    for spikes in stored_by_brand.values():
        for spike in spikes:
            if spike.status == "open" and spike.id not in touched:
                spike.status, spike.updated_at = "ended", now
                _notify(session, settings, spike, "end", now)
    session.flush()
    if digest:
        enqueue_digest(session, settings, now)
    return started


def spike_payload(settings: AlertsSettings, spike: Spike, event: str) -> dict[str, Any]:
    details = spike.details or {}
    return {
        "spike_id": spike.id,
        "event": event,
        "brand": spike.brand,
        "status": spike.status,
        "window_start": as_utc(spike.window_start).isoformat(),
        "window_end": as_utc(spike.window_end).isoformat(),
        "window_minutes": settings.spike_window // 60,
        "timezone": settings.timezone,
        "negative_count": spike.negative_count,
        "baseline": spike.baseline,
        "score": spike.score,
        "usual_share": details.get("usual_share"),
        "peak_share": details.get("peak_share"),
        "terms": spike.terms or [],
        "aspects": details.get("aspects", []),
        "sources": details.get("sources", []),
        "posts": details.get("samples", []),
        "authors": details.get("authors", []),
    }


def _notify(session: Session, settings: AlertsSettings, spike: Spike, event: str, now: datetime) -> None:
    """One outbox notification about the episode (start, update n, end, or past: found after it ended)."""
    details = dict(spike.details or {})
    updates = int(details.get("updates", 0))
    if event == "update":
        updates += 1
        key = _spike_key(spike.brand, spike.window_start, f"update:{updates}")
    else:
        key = _spike_key(spike.brand, spike.window_start, event)
    if session.scalar(select(AlertOutbox.id).where(AlertOutbox.idempotency_key == key)) is not None:
        return
    details.update(notified_count=spike.negative_count, notified_at=now.isoformat(), updates=updates)
    spike.details = details
    rule = rule_for(settings, spike.brand)
    session.add(
        AlertOutbox(
            kind="spike",
            adapter="webhook" if rule.webhook_url else "log",
            brand=spike.brand,
            idempotency_key=key,
            payload=spike_payload(settings, spike, event),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
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
