"""Small parsing helpers shared by the spiders: visible text of markup (parsel / lxml), counts, dates,
the declared charset of a page.

:func:`html_to_text` walks the parsed tree (never regular expressions over markup): ``<br>`` and block
elements give line breaks, the editor's whitespace (indentation, wrapped lines) collapses to one space,
emoji images become their ``alt`` text, links keep their text, Telegram polls keep the question and the
options, scripts and styles are dropped; the result is cleaned by :func:`molva.textclean.clean_text`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from parsel import Selector
from w3lib.encoding import html_body_declared_encoding, resolve_encoding
from w3lib.html import replace_entities

from molva.textclean import clean_text

_COUNT = re.compile(r"^\s*([\d.,]+)\s*([KMkmКМкм]?)\s*$")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_SPACES_IN_LINE = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")  # _SPACES but line breaks
_RU_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
MSK = timezone(timedelta(hours=3), "MSK")

# What reading one entry of a page may raise on data of an unexpected shape (a text where a number belongs,
# a list where an object does, a missing key): the entry is malformed, the page's other entries are fine.
MALFORMED_ENTRY = (AttributeError, IndexError, KeyError, OverflowError, TypeError, ValueError)

BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
    "p", "pre", "section", "summary", "table", "tbody", "td", "th", "thead", "tfoot", "tr", "ul", "caption",
})
SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "title", "button", "iframe"})
# Parts of a Telegram message that are not its text (counters, voters, "Anonymous Poll", percentages).
_SKIP_CLASSES = ("tgme_widget_message_poll_type", "tgme_widget_message_poll_option_percent",
                 "tgme_widget_message_voters", "copyonly")

_NL = "\x00NL\x00"  # a <br>: a line break decided by the markup (survives whitespace collapsing)
_BL = "\x00BL\x00"  # a block boundary: a line break unless the line is already empty


def _tag(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _walk(element: Any, out: list[str], pre: bool = False) -> None:
    tag = _tag(element)
    if not tag:  # comments, processing instructions
        if element.tail:
            out.append(element.tail if pre else _SPACES.sub(" ", element.tail))
        return
    classes = element.get("class") or ""
    if tag in SKIP or any(c in classes for c in _SKIP_CLASSES):
        pass
    elif tag == "br":
        out.append(_NL)
    elif tag == "img":
        alt = element.get("alt") or ""
        if alt and ("emoji" in classes or not any(ch.isalnum() for ch in alt)):
            out.append(alt)  # an emoji drawn as an image
    else:
        block = tag in BLOCKS or "tgme_widget_message_poll_option" in classes.split()
        inner_pre = pre or tag in ("pre", "textarea")
        if block:
            out.append(_BL)
        if element.text:
            out.append(element.text if inner_pre else _SPACES.sub(" ", element.text))
        for child in element:
            _walk(child, out, inner_pre)
        if block:
            out.append(_BL)
    if element.tail:
        out.append(element.tail if pre else _SPACES.sub(" ", element.tail))


def _finish(parts: Iterable[str]) -> str:
    text = "".join(parts).replace("\n", _NL)  # a newline kept in <pre> is a line break too
    lines: list[str] = []
    current = ""
    for token in re.split(f"({re.escape(_NL)}|{re.escape(_BL)})", text):
        if token == _NL:
            lines.append(current)
            current = ""
        elif token == _BL:
            if current.strip():
                lines.append(current)
            current = ""
        else:
            current += token
    lines.append(current)
    out: list[str] = []
    for line in lines:
        line = re.sub(r" {2,}", " ", line).strip(" ")
        if line or (out and out[-1]):  # at most one blank line in a row
            out.append(line)
    return clean_text("\n".join(out).strip())


def selector_text(selector: Any) -> str:
    """Visible text of a parsel selector (or a selector list: its first element; empty: "")."""
    if isinstance(selector, list):
        return selector_text(selector[0]) if selector else ""
    root = getattr(selector, "root", None)
    if root is None or isinstance(root, str):
        return clean_text(str(root or ""))
    out: list[str] = []
    if root.text:
        out.append(_SPACES.sub(" ", root.text))
    for child in root:
        _walk(child, out)
    return _finish(out)


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment (see the module doc)."""
    if not markup:
        return ""
    if "<" not in markup:  # plain text (maybe with entities): its line breaks are line breaks (feeds, review APIs)
        return plain_text(_SPACES_IN_LINE.sub(" ", replace_entities(markup)))  # plain_text settles "\r\n"
    selector = Selector(text=f"<div>{markup}</div>", type="html")
    body = selector.xpath("//body/div[1]")
    return selector_text(body[0]) if body else ""


def plain_text(value: str | None) -> str:
    """A text field of an API (VK, JSON): no markup, only cleaning and trimmed line ends."""
    if not value:
        return ""
    lines = [line.strip() for line in clean_text(value).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


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


def parse_datetime(value: str | None, naive_tz: timezone = UTC) -> datetime | None:
    """ISO 8601 (``Z`` allowed, ``YYYY-MM-DD HH:MM:SS`` too) or RFC 2822 dates, as aware UTC datetimes;
    ``None`` if unparsable. A date without a zone is in ``naive_tz``."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed.replace(tzinfo=naive_tz).astimezone(UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_ru_datetime(value: str | None, tz: timezone = MSK) -> datetime | None:
    """``"09.04.2021 15:41"`` (Moscow time unless ``tz``) as an aware UTC datetime; ISO dates too."""
    if not value:
        return None
    match = _RU_DATE.search(value)
    if match is None:
        return parse_datetime(value, naive_tz=tz)
    day, month, year, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=tz).astimezone(UTC)
    except ValueError:
        return None


def from_timestamp(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return None


_SINGLE_BYTE = {"cp1251", "windows-1251", "koi8-r", "koi8-u", "cp866", "iso8859-5", "latin-1", "iso8859-1",
                "cp1252", "windows-1252", "ascii"}


def response_text(response: Any) -> str:
    """The page's text, decoded by its declared charset (HTTP header, then ``<meta>``: Scrapy's
    ``response.text``) — unless the body is valid UTF-8 with non-ASCII bytes while it declares a
    single-byte charset (a page saved again as UTF-8 that kept its ``windows-1251`` meta): text in a
    single-byte Cyrillic charset is practically never valid UTF-8, so then UTF-8 is right."""
    body: bytes = response.body
    encoding = str(getattr(response, "encoding", "") or "").lower().replace("_", "-")
    if encoding in _SINGLE_BYTE or encoding.startswith(("cp", "windows-", "koi8")):
        try:
            decoded = body.decode("utf-8")
        except UnicodeDecodeError:
            return str(response.text)
        if any(b >= 0x80 for b in body[:200_000]):
            return decoded
    return str(response.text)


# A decoded page is garbage when U+FFFD (what a byte the charset cannot read becomes) is this common among its
# non-ASCII characters: a page in another charset than it declares (windows-1251 sent as UTF-8).
UNDECODABLE_MIN = 16
UNDECODABLE_SHARE = 0.05
FALLBACK_ENCODINGS = ("cp1251",)  # what Russian pages that lie about their charset are usually in


def undecodable(text: str) -> bool:
    """Whether ``text`` is mostly U+FFFD where it is not ASCII (see ``UNDECODABLE_SHARE``)."""
    bad = text.count("\ufffd")
    if bad < UNDECODABLE_MIN:
        return False
    return bad >= UNDECODABLE_SHARE * sum(1 for ch in text if ch > "\x7f")


def decode_page(response: Any) -> tuple[str, str | None]:
    """The page's text (:func:`response_text`) and, when that is undecodable, the text in the charset the
    body declares (``<meta charset>``, ``<?xml encoding?>``) or in windows-1251, whichever reads; the second
    value is the problem (one line, in Russian) when none does."""
    text = response_text(response)
    if not undecodable(text):
        return text, None
    body: bytes = response.body
    declared = str(getattr(response, "encoding", "") or "")
    tried = [resolve_encoding(declared) or declared]
    for candidate in (html_body_declared_encoding(body), *FALLBACK_ENCODINGS):
        encoding = resolve_encoding(candidate) if candidate else None
        if not encoding or encoding in tried:
            continue
        tried.append(encoding)
        decoded = body.decode(encoding, errors="replace")
        if not undecodable(decoded):
            return decoded, None
    return text, (f"текст страницы {response.url} не читается ни в одной кодировке ({', '.join(tried)}): "
                  f"{text.count(chr(0xFFFD))} нечитаемых символов")


def page_selector(response: Any) -> Selector:
    """A selector over :func:`response_text` (``response.selector`` when the declared charset is right)."""
    text = response_text(response)
    if text is getattr(response, "text", None) or text == getattr(response, "text", None):
        return response.selector  # type: ignore[no-any-return]
    return Selector(text=text, type="html")
