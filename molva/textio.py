"""Reading users' text files: a named encoding, strict decoding (no silent replacement characters), and
JSON output of finite numbers only."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Iterator
from typing import Any

from molva.errors import UsageError


def check_encoding(name: str) -> str:
    """The codec's canonical name; an unknown one is a :class:`UsageError`."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UsageError(f"unknown encoding {name!r} (e.g. utf-8, cp1251, koi8-r)") from None


def decode_lines(raw: Iterable[bytes], encoding: str, name: str) -> Iterator[str]:
    """Lines of a binary stream decoded strictly; the first undecodable line is a one-line :class:`UsageError`
    naming ``name:LINE`` and the byte, never text with replacement characters. A UTF-8 BOM is dropped."""
    codec = check_encoding(encoding)
    for line_no, line in enumerate(raw, start=1):
        if line_no == 1 and codec == "utf-8" and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8):]
        try:
            yield line.decode(codec)
        except UnicodeDecodeError as exc:
            hint = "; give the file's encoding, e.g. --encoding cp1251" if codec == "utf-8" else ""
            raise UsageError(
                f"{name}:{line_no}: not valid {codec} text (byte 0x{line[exc.start]:02x} at column {exc.start + 1})"
                f"{hint}"
            ) from None


def dumps_finite(obj: Any) -> str:
    """JSON text, refusing ``Infinity`` / ``NaN`` (not JSON)."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)
