"""Telegram public channels through the web preview ``t.me/s/<channel>``."""

from __future__ import annotations

from molva.sources import LooseOptions, SourceKind

SOURCE = SourceKind(
    name="telegram",
    title="Telegram",
    spider="crawlers.spiders.telegram:TelegramSpider",
    default_base_url="https://t.me",
    options=LooseOptions,
    target_pattern=r"@?[A-Za-z0-9_]+/?",
    target_hint="a channel name such as 'bankinform'",
    account_pattern=r"@?[A-Za-z0-9_]+",
    account_hint="a channel name",
    normalize_account=lambda a: a.lstrip("@").lower(),
    simulator=None,  # served by simulator.server itself (built in)
)
