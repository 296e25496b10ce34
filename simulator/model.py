"""Data classes of the simulated web: authors, posts, official replies, containers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Telegram channels that are not brand channels: news and complaint aggregators.
NEWS_CHANNELS: dict[str, tuple[str, str]] = {
    # channel -> (title, domain it writes about)
    "bankinform": ("Банкинформ | новости банков", "bank"),
    "svyaz_segodnya": ("Связь сегодня", "telecom"),
    "narodnye_zhaloby": ("Народные жалобы", "any"),
    "pokupki_i_servis": ("Покупки и сервис", "generic"),
}

# Feeds: path -> (format, title, domain). Paths are relative to the simulator's base URL.
FEEDS: dict[str, tuple[str, str, str]] = {
    "/rss/finance.xml": ("rss", "Финансовый вестник — новости банков", "bank"),
    "/rss/telecom.xml": ("rss", "Телеком-обозрение", "telecom"),
    "/atom/consumer.xml": ("atom", "Блог потребителя: сервисы и покупки", "any"),
}

GROUP_TAGS: dict[str, str] = {"bank": "банки", "telecom": "связь", "generic": "покупки"}


@dataclass
class Author:
    id: int  # VK user id / Mastodon account id
    name: str  # display name "Имя Фамилия"
    username: str  # nickname (Mastodon username, review-site login)
    city: str
    followers: int


@dataclass
class Reply:
    """An official account's reply to a post (not a mention itself)."""

    brand: str  # display name
    account: str  # the official account (VK owner id, Mastodon acct, review slug)
    author_name: str  # who signed it
    text: str
    published: datetime
    local_id: int = 0  # VK comment id / Mastodon status id; 0 for review answers
    external_id: str = ""


@dataclass
class Post:
    """One post as served; its truth fields follow docs/architecture.md "Simulator truth"."""

    kind: str  # telegram | vk | rss | reviews | mastodon
    sub: str  # finer kind: tg_channel, tg_official, vk_wall, vk_comment, vk_user, rss, atom, review, question,
    # status (a banki.ru "question" is of kind "reviews": the same source, the bank's Q&A service)
    target: str  # channel / VK owner id / feed path / bank slug / "" (mastodon: see tags)
    published: datetime
    author: Author
    text: str
    title: str
    brand: str | None
    brands: tuple[str, ...]
    sentiment: str
    intent: str
    urgent: bool
    addressed: bool
    is_official: bool = False
    category: str = ""
    duplicate_of: Post | None = None
    reply: Reply | None = None
    parent: Post | None = None  # VK comment: the wall post it sits under
    local_id: int = 0  # telegram message id, VK post/comment id, review id, mastodon status id
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def external_id(self) -> str:
        if self.kind == "telegram":
            return f"{self.target}/{self.local_id}"
        if self.kind == "vk":
            if self.parent is not None:
                return f"{self.target}_{self.parent.local_id}_{self.local_id}"
            return f"{self.target}_{self.local_id}"
        if self.kind == "rss":
            return str(self.meta["guid"])
        if self.sub == "question":
            return f"qa-{self.local_id}"
        return str(self.local_id)

    def url(self, base_url: str) -> str:
        """The permalink a crawler stores as ``mentions.url``."""
        base = base_url.rstrip("/")
        if self.kind == "telegram":
            return f"{base}/{self.target}/{self.local_id}"
        if self.kind == "vk":
            if self.parent is not None:
                return f"https://vk.com/wall{self.target}_{self.parent.local_id}?reply={self.local_id}"
            return f"https://vk.com/wall{self.target}_{self.local_id}"
        if self.kind == "rss":
            return f"{base}{self.meta['path']}"
        if self.sub == "question":
            return f"{base}/services/questions-answers/?questionId={self.local_id}"
        if self.kind == "reviews":
            return f"{base}/services/responses/bank/response/{self.local_id}/"
        return f"{base}/@{self.author.username}/{self.local_id}"

    def answered_at(self, now: datetime) -> datetime | None:
        if self.reply is not None and self.reply.published <= now:
            return self.reply.published
        return None
