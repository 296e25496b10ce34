"""Personal-data duties (152-FZ, GDPR): retention, posts deleted at the source, erasure of one author,
pseudonymised exports.

Molva stores public posts with their authors' names and ids. This module removes them when they are no longer
needed (``privacy.retention_days``), when the post is gone at the source (:func:`recheck_deleted`), or when a
person asks (:func:`erase_author`). Erasure removes the mentions with everything derived from them: brand
mentions (sentiment, intent, aspects), manual corrections, official replies to them, links to support topics;
support topics keep their link and status but lose the post's text (title and body); outbox payloads lose the
text too, and pending alerts for the erased posts are skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Delete, delete, func, or_, select, update
from sqlalchemy.orm import Session

from molva import rollups, source_counts
from molva.errors import MolvaError
from molva.models import (
    AlertOutbox,
    BrandMention,
    Mention,
    OfficialReply,
    SentimentCorrection,
    Source,
    Spike,
    SupportTopic,
    TopicMention,
)
from molva.recheck import CHECKERS, SourceAccess, page_deleted, real_sleep

log = logging.getLogger(__name__)

ERASED_TEXT = "Текст публикации удалён (требования о персональных данных)."
CHUNK = 500
# Kinds whose deletion at the source is observable (see :mod:`molva.recheck` for how each is asked).
RECHECKABLE_KINDS = tuple(CHECKERS)


@dataclass
class ErasureResult:
    mentions: int = 0
    brand_mentions: int = 0
    corrections: int = 0
    replies: int = 0
    topics_scrubbed: int = 0
    alerts_scrubbed: int = 0

    def add(self, other: ErasureResult) -> None:
        for key, value in asdict(other).items():
            setattr(self, key, getattr(self, key) + value)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def erase_mentions(session: Session, mention_ids: Iterable[int]) -> ErasureResult:
    """Remove these mentions and everything derived from them (the caller commits)."""
    result = ErasureResult()
    ids = sorted(set(mention_ids))
    for start in range(0, len(ids), CHUNK):
        result.add(_erase_chunk(session, ids[start:start + CHUNK]))
    return result


def _erase_chunk(session: Session, ids: Sequence[int]) -> ErasureResult:
    result = ErasureResult(mentions=len(ids))
    if not ids:
        return result
    bm_ids = list(session.scalars(select(BrandMention.id).where(BrandMention.mention_id.in_(ids))))
    topic_ids = list(session.scalars(select(TopicMention.topic_id).where(TopicMention.mention_id.in_(ids))
                                     .distinct()))
    # Support topics keep their link, type, brand and status; the post's words go.
    for topic in session.scalars(select(SupportTopic).where(SupportTopic.id.in_(topic_ids))):
        topic.title = f"Обращение №{topic.id} · {topic.brand}: текст удалён"
        topic.body = ERASED_TEXT
        result.topics_scrubbed += 1
    outbox = select(AlertOutbox).where(or_(AlertOutbox.brand_mention_id.in_(bm_ids), AlertOutbox.topic_id.in_(topic_ids)))
    for alert in session.scalars(outbox):
        alert.payload = {"erased": True, "kind": alert.kind}
        if alert.status == "pending":
            alert.status = "skipped"
        result.alerts_scrubbed += 1
    if bm_ids:
        result.corrections = _deleted(session, delete(SentimentCorrection)
                                      .where(SentimentCorrection.brand_mention_id.in_(bm_ids)))
        session.execute(update(AlertOutbox).where(AlertOutbox.brand_mention_id.in_(bm_ids))
                        .values(brand_mention_id=None))
        session.execute(update(TopicMention).where(TopicMention.brand_mention_id.in_(bm_ids))
                        .values(brand_mention_id=None))
    session.execute(delete(TopicMention).where(TopicMention.mention_id.in_(ids)))
    result.replies = _deleted(session, delete(OfficialReply).where(OfficialReply.mention_id.in_(ids)))
    session.execute(update(OfficialReply).where(OfficialReply.reply_mention_id.in_(ids)).values(reply_mention_id=None))
    rollups.apply(session, rollups.recount(session, ids, sign=-1))  # the rollups forget them too
    result.brand_mentions = _deleted(session, delete(BrandMention).where(BrandMention.mention_id.in_(ids)))
    session.execute(update(Mention).where(Mention.parent_id.in_(ids)).values(parent_id=None))
    session.execute(update(Mention).where(Mention.near_duplicate_of_id.in_(ids)).values(near_duplicate_of_id=None))
    erased = set(ids)
    for spike in session.scalars(select(Spike).where(Spike.mention_ids.is_not(None))):
        kept = [m for m in (spike.mention_ids or []) if m not in erased]
        if len(kept) != len(spike.mention_ids or []):
            spike.mention_ids = kept
    source_counts.add(session, {k: -n for k, n in source_counts.of_mentions(session, ids).items()})
    session.execute(delete(Mention).where(Mention.id.in_(ids)))
    session.flush()
    return result


def _deleted(session: Session, statement: Delete) -> int:
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def erase_author(session: Session, source_name: str, author: str) -> ErasureResult:
    """Every mention of ``source_name`` whose author name or author id is ``author`` (the caller commits)."""
    source = session.scalar(select(Source).where(Source.name == source_name))
    if source is None:
        known = ", ".join(session.scalars(select(Source.name).order_by(Source.name))) or "нет"
        raise MolvaError(f"источник {source_name!r} не найден (известны: {known})")
    ids = session.scalars(select(Mention.id).where(
        Mention.source_id == source.id, or_(Mention.author == author, Mention.author_id == author)
    ))
    return erase_mentions(session, list(ids))


def purge_expired(session: Session, retention_days: int | None, now: datetime | None = None) -> ErasureResult:
    """Erase mentions published more than ``retention_days`` ago (None: keep everything)."""
    if not retention_days:
        return ErasureResult()
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    ids = session.scalars(select(Mention.id).where(Mention.published_at < cutoff))
    return erase_mentions(session, list(ids))


def deleted_at_source(client: httpx.Client, mention: Mention, base_url: str) -> bool | None:
    """True when the source says the post is gone (404/410), False when it is there, None when unknown
    (Mastodon, review and RSS pages; Telegram and VK are asked by :func:`recheck_deleted`)."""
    return page_deleted(client, mention, base_url)


def recheck_access(settings: Any) -> dict[str, SourceAccess]:
    """How to ask each configured source (``settings``: :class:`molva.settings.Settings`): its effective base
    URL and, for VK, the token (``MOLVA_VK_TOKEN`` wins over ``options.token``) and ``options.rps``."""
    token = settings.vk_token.get_secret_value() if settings.vk_token else ""
    access: dict[str, SourceAccess] = {}
    for source in settings.sources:
        options = dict(source.options or {})
        if source.kind == "vk":
            access[source.name] = SourceAccess(source.effective_base_url, token or str(options.get("token") or ""),
                                               float(options.get("rps") or 3.0))
        else:
            access[source.name] = SourceAccess(source.effective_base_url)
    return access


def recheck_deleted(
    session: Session, sources: Mapping[str, str | SourceAccess], client: httpx.Client, days: int,
    now: datetime | None = None, limit: int = 1000, sleep: Callable[[float], None] = real_sleep,
) -> tuple[int, ErasureResult]:
    """Ask the sources about posts of the last ``days`` days (kinds in :data:`RECHECKABLE_KINDS`) and erase
    those the source positively says are gone (an error or an unreadable answer erases nothing).
    ``sources``: source name -> its effective base URL, or a :class:`molva.recheck.SourceAccess` (see
    :func:`recheck_access`). Returns (checked: posts with a definite answer, erased)."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    query = (
        select(Mention, Source.name).join(Source, Source.id == Mention.source_id)
        .where(Mention.kind.in_(RECHECKABLE_KINDS), Mention.published_at >= since)
        .order_by(Mention.published_at.desc()).limit(limit)
    )
    groups: dict[tuple[str, str], list[Mention]] = {}
    for mention, source_name in session.execute(query).all():
        groups.setdefault((source_name, mention.kind), []).append(mention)
    gone: list[int] = []
    checked = 0
    for (source_name, kind), mentions in groups.items():
        given = sources.get(source_name)
        access = SourceAccess(given) if isinstance(given, str) else given
        verdicts = CHECKERS[kind](client, mentions, access, sleep)
        checked += sum(verdict is not None for verdict in verdicts.values())
        gone += [mention_id for mention_id, verdict in verdicts.items() if verdict]
    return checked, erase_mentions(session, gone)


def pseudonym(value: str | None, key: bytes) -> str | None:
    """A stable pseudonym for an author (HMAC-SHA256 with ``key``): the same author maps to the same pseudonym
    in every export made with that key; without the key it cannot be reversed or recomputed from a name."""
    if value is None or value == "":
        return value
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"anon-{digest[:16]}"


def pseudonymise_rows(rows: Iterable[dict[str, Any]], key: bytes,
                      fields: Sequence[str] = ("author", "author_id", "corrected_by")) -> list[dict[str, Any]]:
    return [{k: pseudonym(v, key) if k in fields and isinstance(v, str) else v for k, v in row.items()}
            for row in rows]


def count_mentions(session: Session) -> int:
    return int(session.scalar(select(func.count(Mention.id))) or 0)
