"""One spider per source kind. The kinds (and which spider each uses) are registered in
:mod:`molva.sources`; :func:`spider_for` finds the spider of any registered kind, ``SPIDERS`` lists
Molva's own."""

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



def spider_for(kind: str) -> type[MolvaSpider]:
    """The spider class of a registered kind (Molva's own or a plugin's)."""
    from molva import sources

    spider = sources.get(kind).spider_class()
    if not (isinstance(spider, type) and issubclass(spider, MolvaSpider)):
        raise TypeError(f"the spider of source kind {kind!r} is not a MolvaSpider: {spider!r}")
    return spider


__all__ = ["SPIDERS", "spider_for", "MastodonSpider", "MolvaSpider", "ReviewsSpider", "RssSpider", "TelegramSpider", "VkSpider"]
