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
# Anything clean_text would change: most texts have none, and one search is all they cost.
_DIRTY = re.compile("[\r\u00ad\u180e\u200b\u200c\u200d\u2060-\u2064\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass -> the names of its fields


def clean_text(value: str) -> str:
    """``value`` without NUL bytes, control characters and zero-width characters (line breaks kept)."""
    if not value:
        return value
    if _DIRTY.search(value) is None:
        return value if type(value) is str else str(value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _INVISIBLE.sub("", value)
    return _CONTROL.sub("", value)


_PLAIN = frozenset({str, type(None)})


def is_clean(*values: str | None) -> bool:
    """Whether every value is ``None`` or a plain ``str`` that :func:`clean_text` leaves as it is (one search,
    no Python loop: the usual case of every collected item)."""
    if not _PLAIN.issuperset(map(type, values)):
        return False
    joined = " ".join(filter(None, values))
    # every character of _DIRTY is unprintable: a printable text needs no search (line breaks and tabs do)
    return joined.isprintable() or _DIRTY.search(joined) is None


def clean_optional(value: str | None) -> str | None:
    return clean_text(value) if value else value


def clean_fields(item: Any) -> Any:
    """A dataclass instance with its string fields (and lists of strings) cleaned in place."""
    if not dataclasses.is_dataclass(item) or isinstance(item, type):
        return item
    names = _FIELDS.get(type(item))
    if names is None:
        names = _FIELDS[type(item)] = tuple(field.name for field in dataclasses.fields(item))
    for name in names:
        value = getattr(item, name)
        if isinstance(value, str):
            setattr(item, name, clean_text(value))
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            setattr(item, name, [clean_text(v) for v in value])
    return item
