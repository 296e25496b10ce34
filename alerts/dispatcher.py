"""The outbox dispatcher: delivers due alerts, retries with exponential back-off, never duplicates.

Each outbox row is handled in its own short transactions, so one bad alert never blocks the others and a
killed dispatcher resumes where it stopped. An alert that keeps failing ends as ``failed`` with its last
error; ``retry_alerts`` (``molva alerts retry``) puts it back in the queue.

A board (adapter; for Discourse each forum and user) is paused for the rest of a run after a rate limit, after
``BLOCK_AFTER_TRANSIENT`` network errors in a row, or at once after a configuration error (401/403, a missing
or empty API key, an address that is not the forum): its alerts stay pending, and after a configuration error
keep their attempts, so fixing the setting sends them all.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alerts.content import digest_text, spike_text
from alerts.errors import ConfigurationError, DeliveryError, PermanentError, RateLimited, TransientError
from alerts.rules import rule_for
from alerts.topics import (
    DISCOURSE,
    Conflict,
    DiscourseClientFactory,
    deliver_topic,
    discourse_target,
    effective_adapter,
)
from alerts.webhook import post_json
from molva.board import as_utc
from molva.models import AlertOutbox
from molva.redaction import redact
from molva.settings import Settings

log = logging.getLogger(__name__)
BLOCK_AFTER_TRANSIENT = 3  # consecutive transient failures that pause an adapter for the rest of a run


@dataclass
class DispatchResult:
    processed: int = 0
    topics_created: int = 0
    linked: int = 0
    notifications_sent: int = 0
    retry_scheduled: int = 0
    failed: int = 0
    skipped: int = 0
    postponed: int = 0  # not tried this run: its adapter was rate limited or unreachable
    remaining: int = 0  # still pending and due after the run (a --limit, a paused adapter, new alerts)
    waiting: int = 0  # pending with a later attempt time (back-off, quiet hours)
    errors: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Alerts delivered in this run (new topics, posts linked to open topics, notifications)."""
        return self.topics_created + self.linked + self.notifications_sent

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sent": self.sent}


def backoff_seconds(attempts: int, base: int, maximum: int) -> float:
    """base * 2^(attempts-1), capped: 30 s, 60 s, 120 s ... up to ``maximum``."""
    return float(min(maximum, base * 2 ** max(0, attempts - 1)))


def _due_ids(
    factory: sessionmaker[Session],
    moment: datetime,
    limit: int,
    after: tuple[datetime, int] | None = None,
) -> list[tuple[datetime, int]]:
    """The next due pending rows, oldest first, after the ``(next_attempt_at, id)`` cursor ``after``."""
    query = select(AlertOutbox.next_attempt_at, AlertOutbox.id).where(
        AlertOutbox.status == "pending", AlertOutbox.next_attempt_at <= moment
    )
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(
                AlertOutbox.next_attempt_at > at,
                and_(AlertOutbox.next_attempt_at == at, AlertOutbox.id > last_id),
            )
        )
    with factory() as session:
        rows = session.execute(
            query.order_by(AlertOutbox.next_attempt_at, AlertOutbox.id).limit(limit)
        ).all()
    return [(at, row_id) for at, row_id in rows]


def _batches(
    factory: sessionmaker[Session], moment: datetime, batch_size: int, limit: int | None
) -> Iterator[int]:
    """Every row due at ``moment``, fetched in batches (a keyset cursor, so a row rescheduled or skipped in
    this run is never fetched twice); at most ``limit`` rows when given."""
    after: tuple[datetime, int] | None = None
    given = 0
    while limit is None or given < limit:
        size = batch_size if limit is None else min(batch_size, limit - given)
        batch = _due_ids(factory, moment, size, after)
        for _, row_id in batch:
            yield row_id
        given += len(batch)
        if len(batch) < size:
            return
        after = batch[-1]


def queue_counts(factory: sessionmaker[Session], moment: datetime) -> tuple[int, int]:
    """(pending rows due at ``moment``, pending rows due later)."""
    with factory() as session:
        due = session.scalar(
            select(func.count(AlertOutbox.id)).where(
                AlertOutbox.status == "pending", AlertOutbox.next_attempt_at <= moment
            )
        )
        later = session.scalar(
            select(func.count(AlertOutbox.id)).where(
                AlertOutbox.status == "pending", AlertOutbox.next_attempt_at > moment
            )
        )
    return int(due or 0), int(later or 0)


def _record_failure(
    factory: sessionmaker[Session], row_id: int, exc: Exception, settings: Settings, moment: datetime
) -> str:
    """Store the error; returns the row's new status (pending with a later attempt, or failed)."""
    with factory() as session, session.begin():
        row = session.get(AlertOutbox, row_id)
        if row is None or row.status != "pending":
            return "skipped"
        message = redact(str(exc) or type(exc).__name__)  # a webhook URL or API error may carry a token
        if isinstance(exc, ConfigurationError):  # not this alert's fault: due again once the setting is fixed
            row.last_error = message[:2000]
            return "pending"
        if isinstance(exc, RateLimited):
            row.next_attempt_at = moment + timedelta(seconds=exc.wait_seconds)
            row.last_error = message
            return "pending"
        row.attempts = (row.attempts or 0) + 1
        row.last_error = message[:2000]
        if isinstance(exc, PermanentError) or row.attempts >= settings.alerts.max_attempts:
            row.status = "failed"
            return "failed"
        delay = backoff_seconds(row.attempts, settings.alerts.backoff_base, settings.alerts.backoff_max)
        row.next_attempt_at = moment + timedelta(seconds=delay)
        return "pending"


def _deliver_notification(
    factory: sessionmaker[Session], row_id: int, settings: Settings, http: httpx.Client, moment: datetime
) -> str:
    with factory() as session, session.begin():
        row = session.get(AlertOutbox, row_id)
        if row is None or row.status != "pending":
            return "skipped"
        payload = dict(row.payload or {})
        key, kind, adapter, brand = row.idempotency_key, row.kind, row.adapter, row.brand
    text = (
        spike_text(payload) if kind == "spike" else digest_text(payload) if kind == "digest" else str(payload)
    )
    if adapter == "webhook":
        url = rule_for(settings.alerts, brand).webhook_url if brand else settings.alerts.webhook_url
        if not url:
            raise ConfigurationError("вебхук не настроен: укажите alerts.webhook_url")
        post_json(
            http,
            url,
            key,
            {"type": kind, "brand": brand, "text": text, "idempotency_key": key, "data": payload},
        )
    else:
        log.warning("%s", text)
    with factory() as session, session.begin():
        result = session.execute(
            update(AlertOutbox)
            .where(AlertOutbox.id == row_id, AlertOutbox.status == "pending")
            .values(status="sent", sent_at=moment, last_error=None)
        )
        if getattr(result, "rowcount", 1) != 1:
            raise Conflict(row_id)
    return "sent"


def _adapter_of(factory: sessionmaker[Session], row_id: int, settings: Settings) -> str:
    """The board a row goes to, as paused for a run: the adapter, and for Discourse the forum and user (a
    brand with its own forum or key is paused on its own)."""
    with factory() as session:
        row = session.get(AlertOutbox, row_id)
        if row is None:
            return "?"
        if row.kind != "topic":
            return row.adapter
        adapter = effective_adapter(settings, row.brand)
        if adapter != DISCOURSE:
            return adapter
        try:
            target = discourse_target(settings, row.brand)
        except ConfigurationError:
            return f"{DISCOURSE} (не настроен)"
        return f"{DISCOURSE} {target.url} {target.api_username} {hash(target.api_key)}"


def dispatch(
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    now: datetime | None = None,
    http_client: httpx.Client | None = None,
    limit: int | None = None,
) -> DispatchResult:
    """Deliver every outbox row due at the start (oldest first, in batches of ``alerts.batch_size``), or at
    most ``limit`` of them; ``now`` fixes the clock (tests, simulations). The result says how many remain."""
    result = DispatchResult()
    own_client = http_client is None
    http = http_client or httpx.Client(timeout=settings.alerts.http_timeout)
    clients = DiscourseClientFactory(http)
    start = as_utc(now) if now is not None else datetime.now(UTC)
    transient: Counter[str] = Counter()
    blocked: set[str] = set()
    try:
        for row_id in _batches(session_factory, start, max(1, settings.alerts.batch_size), limit):
            moment = as_utc(now) if now is not None else datetime.now(UTC)
            adapter = _adapter_of(session_factory, row_id, settings)
            if adapter in blocked:
                result.postponed += 1
                continue
            result.processed += 1
            try:
                with session_factory() as session:
                    row = session.get(AlertOutbox, row_id)
                    kind = row.kind if row is not None else "?"
                if kind == "topic":
                    outcome = deliver_topic(session_factory, row_id, settings, moment, clients)
                    status = outcome.status
                else:
                    status = _deliver_notification(session_factory, row_id, settings, http, moment)
                transient[adapter] = 0
            except (Conflict, IntegrityError):
                log.info("alert %s was handled by another dispatcher", row_id)
                result.skipped += 1
                continue
            except Exception as exc:  # one bad row never stops the run
                if not isinstance(exc, DeliveryError):
                    log.exception("alert %s: unexpected error", row_id)
                    exc = TransientError(f"{type(exc).__name__}: {exc}")
                new_status = _record_failure(session_factory, row_id, exc, settings, moment)
                result.errors.append(f"#{row_id}: {exc}")
                if new_status == "failed":
                    result.failed += 1
                else:
                    result.retry_scheduled += 1
                if isinstance(exc, RateLimited | ConfigurationError):
                    blocked.add(adapter)
                elif isinstance(exc, TransientError):
                    transient[adapter] += 1
                    if transient[adapter] >= BLOCK_AFTER_TRANSIENT:
                        blocked.add(adapter)
                continue
            if status == "created":
                result.topics_created += 1
            elif status == "linked":
                result.linked += 1
            elif status == "sent":
                result.notifications_sent += 1
            else:
                result.skipped += 1
    finally:
        if own_client:
            http.close()
    end = as_utc(now) if now is not None else datetime.now(UTC)
    result.remaining, result.waiting = queue_counts(session_factory, end)
    return result


def retry_alerts(
    session: Session, ids: list[int] | None = None, *, all_failed: bool = False, now: datetime | None = None
) -> int:
    """Put failed (or still pending) alerts back in the queue, due now; returns how many."""
    moment = as_utc(now) if now is not None else datetime.now(UTC)
    query = select(AlertOutbox)
    if ids:
        query = query.where(AlertOutbox.id.in_(ids), AlertOutbox.status.in_(("failed", "pending")))
    elif all_failed:
        query = query.where(AlertOutbox.status == "failed")
    else:
        return 0
    count = 0
    for row in session.scalars(query):
        row.status = "pending"
        row.attempts = 0
        row.next_attempt_at = moment
        count += 1
    session.flush()
    return count


__all__ = ["DISCOURSE", "DispatchResult", "backoff_seconds", "dispatch", "retry_alerts"]
