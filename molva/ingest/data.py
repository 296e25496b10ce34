"""Plain data handed over by the spiders (and ``molva import``) to the ingestor, and what it hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from molva.textclean import clean_fields, is_clean

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from molva.models import Mention


@dataclass
class MentionData:
    """One collected post or comment, as the spiders produce it."""

    kind: str
    external_id: str
    url: str
    text: str
    published_at: datetime
    title: str | None = None
    author: str | None = None
    author_id: str | None = None  # the account in the source's own terms (channel, owner id, acct, slug)
    author_followers: int | None = None
    likes: int | None = None
    reposts: int | None = None
    comments: int | None = None
    views: int | None = None
    rating: int | None = None
    language: str | None = None
    parent_external_id: str | None = None
    thread_external_id: str | None = None
    forwarded_from: str | None = None
    addressed_accounts: list[str] = field(default_factory=list)  # official accounts the post is addressed to

    def __post_init__(self) -> None:
        # NUL, control and zero-width characters out before storage and matching (one search when there are none)
        if self.addressed_accounts or not is_clean(
                self.kind, self.external_id, self.url, self.text, self.title, self.author, self.author_id,
                self.language, self.parent_external_id, self.thread_external_id, self.forwarded_from):
            clean_fields(self)


@dataclass
class ReplyData:
    """An official account's reply to a collected mention."""

    kind: str
    parent_external_id: str
    account: str
    reply_external_id: str
    replied_at: datetime
    text: str | None = None
    url: str | None = None
    replied_at_known: bool = True  # False: ``replied_at`` is only when the reply was first seen (no date shown)

    def __post_init__(self) -> None:
        if not is_clean(self.kind, self.parent_external_id, self.account, self.reply_external_id, self.text,
                        self.url):
            clean_fields(self)


class StoreResult:
    """The outcome of storing one item: ``status`` is new | known | duplicate_url.

    The ingestor writes with bulk statements and builds no ORM object per row: ``mention_id`` is the stored
    row's id, and :attr:`mention` loads the row (fresh from the database) only when someone asks for it.
    """

    __slots__ = ("_session", "mention_id", "near_duplicate_of", "status")

    def __init__(self, status: str, mention_id: int | None = None, near_duplicate_of: int | None = None,
                 session: Session | None = None) -> None:
        self.status = status
        self.mention_id = mention_id
        self.near_duplicate_of = near_duplicate_of
        self._session = session

    @property
    def mention(self) -> Mention | None:
        if self.mention_id is None or self._session is None:
            return None
        from molva.models import Mention

        return self._session.get(Mention, self.mention_id, populate_existing=True)

    def __repr__(self) -> str:
        return f"StoreResult({self.status!r}, mention_id={self.mention_id}, near_duplicate_of={self.near_duplicate_of})"
