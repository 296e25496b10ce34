"""One spider per source kind."""

from __future__ import annotations

from crawlers.spiders.base import MolvaSpider
from crawlers.spiders.mastodon import MastodonSpider
from crawlers.spiders.reviews import ReviewsSpider
from crawlers.spiders.rss import RssSpider
from crawlers.spiders.telegram import TelegramSpider
from crawlers.spiders.vk import VkSpider

SPIDERS: dict[str, type[MolvaSpider]] = {
    "telegram": TelegramSpider,
    "vk": VkSpider,
    "rss": RssSpider,
    "reviews": ReviewsSpider,
    "mastodon": MastodonSpider,
}

__all__ = ["SPIDERS", "MastodonSpider", "MolvaSpider", "ReviewsSpider", "RssSpider", "TelegramSpider", "VkSpider"]
