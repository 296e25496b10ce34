"""Telegram public channels through the web preview ``t.me/s/<channel>``."""

from __future__ import annotations

import re

from molva.sources import LooseOptions, SourceKind

_CHANNEL_URL = re.compile(r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/(?:s/)?@?([A-Za-z0-9_]+)/?(?:\?.*)?",
                          re.IGNORECASE)


def check_target(target: str, base_url: str) -> str | None:
    """A channel given as its t.me link: name the channel instead (the spider builds the URL)."""
    found = _CHANNEL_URL.fullmatch(target.strip())
    return f"give the channel name {found.group(1)!r}, not its link" if found else None


SOURCE = SourceKind(
    name="telegram",
    title="Telegram",
    spider="crawlers.spiders.telegram:TelegramSpider",
    default_base_url="https://t.me",
    options=LooseOptions,
    target_pattern=r"@?[A-Za-z0-9_]+/?",
    target_hint="a channel name such as 'bankinform'",
    check_target=check_target,
    account_pattern=r"@?[A-Za-z0-9_]+",
    account_hint="a channel name",
    normalize_account=lambda a: a.lstrip("@").lower(),
    simulator=None,  # served by simulator.server itself (built in)
)
