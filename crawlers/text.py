"""Small parsing helpers shared by the spiders."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_BR = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>|</?(?:p|div|li|h\d)[^>]*>", re.I)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")
_COUNT = re.compile(r"^\s*([\d.,]+)\s*([KMkmКМкм]?)\s*$")


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment: line breaks kept, tags dropped, entities decoded, spaces squeezed."""
    if not markup:
        return ""
    text = _BR.sub("\n", markup)
    text = html.unescape(_TAG.sub("", text))
    text = _SPACES.sub(" ", text)
    text = _LINES.sub("\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def parse_count(value: str | None) -> int | None:
    """``"33.4K"`` -> 33400, ``"1.2M"`` -> 1200000, ``"987"`` -> 987."""
    if not value:
        return None
    match = _COUNT.match(value)
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    scale = {"k": 1_000, "к": 1_000, "m": 1_000_000, "м": 1_000_000}.get(match.group(2).lower(), 1)
    return int(round(number * scale))


def parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601 (``Z`` allowed) or RFC 2822 dates, as aware UTC datetimes; ``None`` if unparsable."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def from_timestamp(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return None
