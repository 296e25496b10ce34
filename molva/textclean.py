"""Text hygiene before storage and matching: NUL bytes, zero-width and other invisible characters.

PostgreSQL rejects NUL in text columns, and ``С\u200bбербанк`` (a zero-width space inside a word) would
slip past the brand matcher. Every collected text goes through :func:`clean_text` once, on its way in.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

# Invisible format characters that only split words: zero-width space / non-joiner / joiner, word joiner,
# BOM / zero-width no-break space, soft hyphen, invisible operators, Mongolian vowel separator.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b\u200c\u200d\u2060-\u2064\ufeff]")
# C0 and C1 control characters except tab and line feed (a carriage return becomes a line feed).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    """``value`` without NUL bytes, control characters and zero-width characters (line breaks kept)."""
    if not value:
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _INVISIBLE.sub("", value)
    return _CONTROL.sub("", value)


def clean_optional(value: str | None) -> str | None:
    return clean_text(value) if value else value


def clean_fields(item: Any) -> Any:
    """A dataclass instance with its string fields (and lists of strings) cleaned in place."""
    if not dataclasses.is_dataclass(item) or isinstance(item, type):
        return item
    for field in dataclasses.fields(item):
        value = getattr(item, field.name)
        if isinstance(value, str):
            setattr(item, field.name, clean_text(value))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            setattr(item, field.name, [clean_text(v) for v in value])
    return item
