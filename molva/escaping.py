"""Escaping of collected (untrusted) text for the places it leaves Molva.

* Spreadsheets (every CSV / Excel export): :func:`spreadsheet_cell` neutralises formulas — a cell starting with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or their full-width forms) gets a leading apostrophe,
  so ``=HYPERLINK(…)`` or ``+cmd|…`` is shown as text, never run.
* Markdown for Discourse: :func:`markdown_inert` makes a post's text render as the text it is — no raw HTML, no
  images or links (URLs become code spans), no @mentions (they become code spans too), no markdown markup, no
  character references, no bidi controls. :func:`plain_title` does the same for a one-line title.
* Error messages: :func:`response_excerpt` turns an HTTP answer's body (often an HTML error page) into one short
  line of its text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# Bidirectional controls (embeddings, overrides, isolates, marks) and other invisible format characters that can
# disguise text, plus C0/C1 controls other than the line break and the tab.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE = re.compile(f"[{_BIDI}\u200b\u2060\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")
_URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)\S+|\b(?:javascript|data|vbscript|mailto):\S+")
_MENTION = re.compile(r"(?<![\w`])[@\uff20][\w.-]+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>!|~&])")
_LINE_START = re.compile(r"(?m)^(\s*\d*)([#>=+-]|(?<=\d)[.)])")


def spreadsheet_cell(value: Any) -> Any:
    """A value safe for a spreadsheet cell: text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def spreadsheet_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: spreadsheet_cell(value) for key, value in row.items()}


def spreadsheet_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [spreadsheet_row(row) for row in rows]


def strip_invisible(text: str) -> str:
    """``text`` without bidi controls, zero-width and control characters (line breaks and tabs stay)."""
    return _INVISIBLE.sub("", text)


def _code_span(text: str) -> str:
    return "`" + text.replace("`", "") + "`"


def _escape_markdown(text: str) -> str:
    return _LINE_START.sub(r"\1\\\2", _MARKDOWN_SPECIAL.sub(r"\\\1", text))


def markdown_inert(text: str) -> str:
    """Markdown that shows ``text`` literally: URLs and @mentions as code spans, everything else escaped."""
    text = strip_invisible(text)
    out: list[str] = []
    position = 0
    spans = sorted([*_URL.finditer(text), *_MENTION.finditer(text)], key=lambda m: m.start())
    for match in spans:
        if match.start() < position:  # a mention inside a URL (user@host): already in the URL's span
            continue
        out.append(_escape_markdown(text[position:match.start()]))
        out.append(_code_span(match.group(0)))
        position = match.end()
    out.append(_escape_markdown(text[position:]))
    return "".join(out)


def plain_title(text: str) -> str:
    """One line of plain text for a topic title: no controls, no HTML brackets, no @mentions."""
    text = re.sub(r"\s+", " ", strip_invisible(text)).strip()
    text = text.replace("<", "\u2039").replace(">", "\u203a")
    return re.sub(r"@(?=[\w.-])", "\uff20", text)


_HIDDEN_HTML = re.compile(r"(?is)<(script|style|head)\b[^>]*>.*?</\1\s*>|<!--.*?-->")
_TAG = re.compile(r"(?s)<[^>]*>")


def response_excerpt(body: str | bytes | None, limit: int = 120) -> str:
    """One line of an HTTP answer's body for an error message: markup, scripts and styles removed, character
    references decoded, whitespace collapsed, cut at ``limit`` characters with an ellipsis."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    text = _TAG.sub(" ", _HIDDEN_HTML.sub(" ", body or ""))
    text = re.sub(r"\s+", " ", strip_invisible(html.unescape(text))).strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"
