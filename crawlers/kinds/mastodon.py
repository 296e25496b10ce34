"""Mastodon-compatible public API: hashtag timelines and status contexts. Official accounts: ``acct``
(``user@host`` or ``user``)."""

from __future__ import annotations

from molva.sources import LooseOptions, SourceKind

SOURCE = SourceKind(
    name="mastodon",
    title="Mastodon",
    spider="crawlers.spiders.mastodon:MastodonSpider",
    default_base_url="https://mastodon.social",
    options=LooseOptions,
    target_pattern=r"#?[^\s#/]+",
    target_hint="a hashtag without '#'",
    account_pattern=r"@?[^\s@]+(?:@[^\s@]+)?",
    account_hint="user@host or user",
    normalize_account=lambda a: a.lstrip("@").lower(),
    simulator=None,  # served by simulator.server itself (built in)
)
