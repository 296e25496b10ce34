"""The built-in support community: topics created from public complaints, answered by support staff.

Repository functions over ``support_topics``, ``topic_mentions`` and ``topic_comments``. They take a
:class:`Session` and never commit: the caller owns the transaction. Used by the alert dispatcher (which
creates topics and links posts) and by the dashboard's support-queue page (which lists, assigns, comments
and changes status).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from molva.errors import MolvaError
from molva.models import BrandMention, Mention, SupportTopic, TopicComment, TopicMention, as_utc

TOPIC_TYPES: dict[str, str] = {
    "problem": "Проблема",
    "question": "Вопрос",
    "idea": "Идея",
    "thanks": "Благодарность",
}
TOPIC_STATUSES: dict[str, str] = {
    "new": "Новая",
    "in_progress": "В работе",
    "answered": "Отвечено",
    "resolved": "Решено",
    "duplicate": "Дубликат",
}
OPEN_STATUSES: tuple[str, ...] = ("new", "in_progress")
BUILTIN = "builtin"

__all__ = [
    "BUILTIN",
    "OPEN_STATUSES",
    "TOPIC_STATUSES",
    "TOPIC_TYPES",
    "BoardError",
    "LinkedPost",
    "TopicDetail",
    "TopicSummary",
    "add_comment",
    "answer_deadline",
    "as_utc",
    "assign",
    "create_topic",
    "get_topic",
    "link_mention",
    "list_topics",
    "set_status",
    "topics_json",
]


class BoardError(MolvaError):
    """A support-board operation that cannot be done (unknown topic, bad status...)."""


@dataclass(frozen=True)
class TopicSummary:
    id: int
    adapter: str
    type: str
    status: str
    brand: str
    title: str
    url: str | None
    assignee: str | None
    due_at: datetime | None
    created_at: datetime
    mention_count: int
    mention_urls: list[str] = field(default_factory=list)

    def overdue(self, now: datetime) -> bool:
        return self.status in OPEN_STATUSES and self.due_at is not None and self.due_at < as_utc(now)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "adapter": self.adapter,
            "type": self.type,
            "status": self.status,
            "brand": self.brand,
            "title": self.title,
            "url": self.url,
            "mention_urls": list(self.mention_urls),
            "created_at": self.created_at.isoformat(),
            "assignee": self.assignee,
            "due_at": self.due_at.isoformat() if self.due_at else None,
        }


@dataclass(frozen=True)
class LinkedPost:
    mention_id: int
    url: str
    author: str | None
    text: str
    published_at: datetime
    kind: str
    sentiment: str | None
    urgency: float | None


@dataclass(frozen=True)
class TopicDetail:
    topic: TopicSummary
    body: str
    posts: list[LinkedPost]
    comments: list[tuple[str, str, datetime]]  # (author, text, created_at)


WORKDAY_START = 9  # local hour when the support team's working day starts (the answer clock starts then)
WORKDAY_END = 18  # ... and ends: a topic created later waits for the next working morning


def answer_deadline(
    created_at: datetime, business_days: int = 1, timezone: str = "Europe/Moscow"
) -> datetime:
    """The answer-by time: ``business_days`` working days (Mon-Fri) after the clock starts.

    The clock starts at ``created_at`` during working hours (09:00-18:00 local time, Mon-Fri); a topic created
    at night, before 09:00 or after 18:00, or at the weekend starts it at the next working morning, 09:00. So a
    later topic never gets an earlier deadline, and no deadline falls at night. Public holidays are not known.
    Returned in UTC.
    """
    tz = ZoneInfo(timezone)
    local = as_utc(created_at).astimezone(tz)
    opening = local.replace(hour=WORKDAY_START, minute=0, second=0, microsecond=0)
    if local.hour >= WORKDAY_END:  # after hours: the next morning
        local = opening + timedelta(days=1)
    elif local < opening:
        local = opening
    while local.weekday() >= 5:  # the weekend: Monday morning
        local = (local + timedelta(days=1)).replace(hour=WORKDAY_START, minute=0, second=0, microsecond=0)
    remaining = max(0, business_days)
    while remaining:
        local += timedelta(days=1)
        if local.weekday() < 5:
            remaining -= 1
    return local.astimezone(UTC)


def _summaries(session: Session, topics: list[SupportTopic]) -> list[TopicSummary]:
    if not topics:
        return []
    ids = [t.id for t in topics]
    urls: dict[int, list[str]] = {i: [] for i in ids}
    rows = session.execute(
        select(TopicMention.topic_id, Mention.url)
        .join(Mention, Mention.id == TopicMention.mention_id)
        .where(TopicMention.topic_id.in_(ids))
        .order_by(TopicMention.topic_id, TopicMention.id)
    ).all()
    for topic_id, url in rows:
        urls[topic_id].append(url)
    return [
        TopicSummary(
            id=t.id,
            adapter=t.adapter,
            type=t.type,
            status=t.status,
            brand=t.brand,
            title=t.title,
            url=t.url,
            assignee=t.assignee,
            due_at=as_utc(t.due_at) if t.due_at else None,
            created_at=as_utc(t.created_at),
            mention_count=len(urls[t.id]),
            mention_urls=urls[t.id],
        )
        for t in topics
    ]


def list_topics(
    session: Session,
    *,
    brand: str | None = None,
    status: str | None = None,
    type: str | None = None,
    adapter: str | None = None,
    assignee: str | None = None,
    open_only: bool = False,
    overdue_at: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[TopicSummary]:
    """Topics, newest first, filtered by brand, status, type, adapter, assignee; ``overdue_at`` keeps
    open topics whose answer-by time has passed at that moment."""
    query = select(SupportTopic).order_by(SupportTopic.created_at.desc(), SupportTopic.id.desc())
    if brand:
        query = query.where(SupportTopic.brand == brand)
    if status:
        _check_status(status)
        query = query.where(SupportTopic.status == status)
    if type:
        query = query.where(SupportTopic.type == type)
    if adapter:
        query = query.where(SupportTopic.adapter == adapter)
    if assignee:
        query = query.where(SupportTopic.assignee == assignee)
    if open_only or overdue_at is not None:
        query = query.where(SupportTopic.status.in_(OPEN_STATUSES))
    if overdue_at is not None:
        query = query.where(SupportTopic.due_at.is_not(None), SupportTopic.due_at < as_utc(overdue_at))
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return _summaries(session, list(session.scalars(query)))


def count_topics(session: Session, *, status: str | None = None) -> int:
    query = select(func.count(SupportTopic.id))
    if status:
        query = query.where(SupportTopic.status == status)
    return int(session.scalar(query) or 0)


def get_topic(session: Session, topic_id: int) -> TopicDetail | None:
    """A topic with its linked public posts (oldest first) and staff comments."""
    topic = session.get(SupportTopic, topic_id)
    if topic is None:
        return None
    (summary,) = _summaries(session, [topic])
    rows = session.execute(
        select(Mention, BrandMention)
        .select_from(TopicMention)
        .join(Mention, Mention.id == TopicMention.mention_id)
        .outerjoin(BrandMention, BrandMention.id == TopicMention.brand_mention_id)
        .where(TopicMention.topic_id == topic_id)
        .order_by(TopicMention.id)
    ).all()
    posts = [
        LinkedPost(
            mention_id=m.id,
            url=m.url,
            author=m.author,
            text=m.text,
            published_at=as_utc(m.published_at),
            kind=m.kind,
            sentiment=bm.sentiment if bm else None,
            urgency=bm.urgency if bm else None,
        )
        for m, bm in rows
    ]
    comments = [
        (c.author, c.text, as_utc(c.created_at))
        for c in session.scalars(
            select(TopicComment).where(TopicComment.topic_id == topic_id).order_by(TopicComment.id)
        )
    ]
    return TopicDetail(topic=summary, body=topic.body, posts=posts, comments=comments)


def _require(session: Session, topic_id: int) -> SupportTopic:
    topic = session.get(SupportTopic, topic_id)
    if topic is None:
        raise BoardError(f"тема #{topic_id} не найдена")
    return topic


def _check_status(status: str) -> None:
    if status not in TOPIC_STATUSES:
        known = ", ".join(TOPIC_STATUSES)
        raise BoardError(f"неизвестный статус {status!r} (допустимы: {known})")


def set_status(session: Session, topic_id: int, status: str, *, by: str | None = None) -> SupportTopic:
    """Change a topic's status; a staff member's name (``by``) leaves a comment in the history."""
    _check_status(status)
    topic = _require(session, topic_id)
    if topic.status != status:
        old = topic.status
        topic.status = status
        if by:
            note = f"Статус изменён: {TOPIC_STATUSES.get(old, old)} → {TOPIC_STATUSES[status]}"
            session.add(TopicComment(topic_id=topic.id, author=by, text=note))
    session.flush()
    return topic


def assign(session: Session, topic_id: int, assignee: str | None) -> SupportTopic:
    """Make ``assignee`` responsible for the topic (``None`` clears it)."""
    topic = _require(session, topic_id)
    topic.assignee = assignee.strip() if assignee and assignee.strip() else None
    session.flush()
    return topic


def add_comment(session: Session, topic_id: int, author: str, text: str) -> TopicComment:
    """A staff comment; empty text or author is refused."""
    if not text.strip():
        raise BoardError("пустой комментарий")
    if not author.strip():
        raise BoardError("не указан автор комментария")
    _require(session, topic_id)
    comment = TopicComment(topic_id=topic_id, author=author.strip(), text=text.strip())
    session.add(comment)
    session.flush()
    return comment


def create_topic(
    session: Session,
    *,
    adapter: str,
    external_id: str,
    type: str,
    brand: str,
    title: str,
    body: str,
    created_at: datetime,
    url: str | None = None,
    remote_id: str | None = None,
    assignee: str | None = None,
    due_at: datetime | None = None,
    group_key: str | None = None,
) -> SupportTopic:
    """A new topic with status ``new`` (flushed, not committed)."""
    if type not in TOPIC_TYPES:
        raise BoardError(f"неизвестный тип темы {type!r}")
    topic = SupportTopic(
        adapter=adapter,
        external_id=external_id,
        remote_id=remote_id,
        url=url,
        type=type,
        status="new",
        brand=brand,
        title=title[:500],
        body=body,
        group_key=group_key,
        assignee=assignee,
        due_at=due_at,
        created_at=as_utc(created_at),
        updated_at=as_utc(created_at),
    )
    session.add(topic)
    session.flush()
    return topic


def link_mention(
    session: Session, topic_id: int, mention_id: int, brand_mention_id: int | None, linked_at: datetime
) -> bool:
    """Link a public post to a topic; False when it was already linked."""
    exists = session.scalar(
        select(TopicMention.id).where(
            TopicMention.topic_id == topic_id, TopicMention.mention_id == mention_id
        )
    )
    if exists is not None:
        return False
    session.add(
        TopicMention(
            topic_id=topic_id,
            mention_id=mention_id,
            brand_mention_id=brand_mention_id,
            linked_at=as_utc(linked_at),
        )
    )
    session.flush()
    return True


def topics_json(session: Session, **filters: Any) -> dict[str, Any]:
    """The JSON of ``molva topics --json``."""
    return {"topics": [t.as_json() for t in list_topics(session, **filters)]}
