"""Alert rules: which classified brand mentions become support topics, and when they may be sent.

``enqueue_alerts`` runs inside the transaction that stores the classification (the caller commits), so a
classified urgent complaint and its outbox row exist together or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from molva import fmt
from molva.board import as_utc
from molva.errors import ConfigFileError
from molva.models import AlertOutbox, BrandMention, Mention, Source
from molva.settings import AlertsSettings, BrandAlertRule

_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Rule:
    """The effective rule for one brand (global settings with the brand's overrides)."""

    brand: str
    enabled: bool
    urgency_threshold: float
    intents: frozenset[str]
    sources: frozenset[str]
    quiet_hours: tuple[time, time] | None
    timezone: str
    adapter: str
    assignees: dict[str, str]
    owners: dict[str, str]
    webhook_url: str | None


def parse_quiet_hours(value: str | None) -> tuple[time, time] | None:
    """``"23:00-08:00"`` -> (23:00, 08:00); None or empty -> None."""
    if not value:
        return None
    match = _HOURS.match(value)
    if not match:
        raise ConfigFileError("alerts.quiet_hours", None, f"expected HH:MM-HH:MM, got {value!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ConfigFileError("alerts.quiet_hours", None, f"not a time range: {value!r}")
    return time(h1, m1), time(h2, m2)


def rule_for(settings: AlertsSettings, brand: str) -> Rule:
    override = settings.brands.get(brand) or BrandAlertRule()
    return Rule(
        brand=brand,
        enabled=override.enabled,
        urgency_threshold=(
            override.urgency_threshold
            if override.urgency_threshold is not None
            else settings.urgency_threshold
        ),
        intents=frozenset(override.intents if override.intents is not None else settings.intents),
        sources=frozenset(override.sources if override.sources is not None else settings.sources),
        quiet_hours=parse_quiet_hours(override.quiet_hours or settings.quiet_hours),
        timezone=settings.timezone,
        adapter=override.adapter or settings.adapter,
        assignees={**settings.assignees, **(override.assignees or {})},
        owners={**settings.owners, **(override.owners or {})},
        webhook_url=override.webhook_url or settings.webhook_url,
    )


def quiet_until(rule: Rule, moment: datetime) -> datetime | None:
    """When ``moment`` falls in the brand's quiet hours, the UTC time they end; else None."""
    if rule.quiet_hours is None:
        return None
    start, end = rule.quiet_hours
    tz = ZoneInfo(rule.timezone)
    local = as_utc(moment).astimezone(tz)
    t = local.time().replace(tzinfo=None)
    if start == end:
        return None
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_local = datetime.combine(local.date(), end, tzinfo=tz)
    if end_local <= local:
        end_local += timedelta(days=1)
    return end_local.astimezone(UTC)


# The classifier's reason code for a post that reports its problem fixed (and aliases other versions may use).
RESOLVED_CODES = frozenset({"resolved", "fixed", "problem_fixed", "problem_solved"})
_RESOLVED = re.compile(
    r"проблем\w*\s+(?:уже\s+)?(?:был[аио]?\s+)?(?:успешно\s+)?(?:устранен|решен|исправлен|ликвидирован)"
    r"|(?:сбой|неполадк\w*|авари\w*|неисправност\w*)\s+(?:уже\s+)?(?:был[аио]?\s+)?(?:устранен|ликвидирован|исправлен)"
    r"|(?:связь|работа|доступ|сервис|приложение|интернет)\s+(?:\S+\s+)?(?:полностью\s+)?восстановлен"
    r"|(?<!не )(?:вс[её]\s+)?(?:уже\s+)?(?:починили|исправили|восстановили)\b"
    r"|(?<!не )(?:вс[её]\s+)?уже\s+(?:снова\s+)?(?:заработал|работает|пришл|вернули|разблокировали)"
    r"|(?<!не )(?:снова|опять)\s+заработал|вопрос\s+(?:уже\s+)?(?:решен|закрыт)|(?<!не )решили\s+(?:мою\s+)?проблему",
    re.IGNORECASE,
)
_STILL_BROKEN = re.compile(
    r"(?:но|однако|а)\s+(?:\S+\s+){0,3}?(?:опять|снова|вс[её]\s+равно|до\s+сих\s+пор|по-прежнему)\b"
    r"|(?:опять|снова)\s+(?:не\s+работа|нет\s+связи|пропал|сломал|лежит|упал)",
    re.IGNORECASE,
)


def reports_fixed(text: str, reasons: Sequence[object] | None = None) -> bool:
    """The post says the problem is already fixed ("проблема устранена", "всё починили", "уже заработало").

    The classifier's ``resolved`` reason decides when present; the phrases are the fallback."""
    if any(str(r) in RESOLVED_CODES for r in (reasons or [])):
        return True
    flat = text.lower().replace("ё", "е")
    found = _RESOLVED.search(flat)
    return found is not None and _STILL_BROKEN.search(flat, found.end()) is None


def owner_for(rule: Rule, aspects: Sequence[object] | None, type_: str) -> str | None:
    """The responsible person: the owner of the first aspect that has one, else the topic type's assignee."""
    for code in aspects or []:
        owner = rule.owners.get(str(code))
        if owner:
            return owner
    return rule.assignees.get(type_)


def matches(rule: Rule, bm: BrandMention, mention: Mention, source_name: str | None) -> list[str]:
    """Why the rule fires for ``bm`` (a list of Russian reasons), or an empty list when it does not."""
    if not rule.enabled or mention.official_brand is not None or bm.sentiment is None:
        return []
    if reports_fixed(f"{mention.title or ''}\n{mention.text}", bm.urgency_reasons):
        return []
    if bm.urgency is None or bm.urgency < rule.urgency_threshold:
        return []
    if rule.intents and (bm.intent or "") not in rule.intents:
        return []
    if rule.sources and mention.kind not in rule.sources and (source_name or "") not in rule.sources:
        return []
    return [f"срочность {fmt.number(bm.urgency, 2)} при пороге {fmt.number(rule.urgency_threshold, 2)}"]


def topic_key(brand_mention_id: int) -> str:
    """The outbox idempotency key of a topic alert (one per brand mention, whatever the adapter)."""
    return f"topic:bm:{brand_mention_id}"


def enqueue_alerts(
    session: Session, brand_mentions: Sequence[BrandMention], settings: AlertsSettings, now: datetime
) -> int:
    """Write outbox rows for the brand mentions that match their brand's rule; returns how many.

    Runs in the caller's transaction (flushes, never commits). A brand mention already in the outbox is
    skipped, so classifying twice enqueues once. During quiet hours the row is delayed, not dropped.
    """
    candidates = [bm for bm in brand_mentions if bm.sentiment is not None and bm.urgency is not None]
    if not candidates:
        return 0
    session.flush()  # make sure new brand mentions have ids
    keys = {topic_key(bm.id): bm for bm in candidates}
    existing = set(
        session.scalars(
            select(AlertOutbox.idempotency_key).where(AlertOutbox.idempotency_key.in_(list(keys)))
        )
    )
    mention_ids = {bm.mention_id for bm in candidates}
    rows = session.execute(
        select(Mention, Source.name)
        .outerjoin(Source, Source.id == Mention.source_id)
        .where(Mention.id.in_(mention_ids))
    ).all()
    mentions = {m.id: (m, name) for m, name in rows}
    now = as_utc(now)
    rules: dict[str, Rule] = {}
    added = 0
    for key, bm in keys.items():
        if key in existing or bm.mention_id not in mentions:
            continue
        rule = rules.get(bm.brand) or rules.setdefault(bm.brand, rule_for(settings, bm.brand))
        mention, source_name = mentions[bm.mention_id]
        reasons = matches(rule, bm, mention, source_name)
        if not reasons:
            continue
        delayed = quiet_until(rule, now)
        payload: dict[str, object] = {"brand_mention_id": bm.id, "mention_id": mention.id, "rule": reasons}
        if delayed is not None:
            payload["delayed_by_quiet_hours"] = True
        session.add(
            AlertOutbox(
                kind="topic",
                adapter=rule.adapter,  # as configured now; the adapter configured at dispatch decides (and is stored when sent)
                brand=bm.brand,
                idempotency_key=key,
                payload=payload,
                status="pending",
                attempts=0,
                next_attempt_at=delayed or now,
                brand_mention_id=bm.id,
                created_at=now,
            )
        )
        existing.add(key)
        added += 1
    session.flush()
    return added
