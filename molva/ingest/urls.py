"""Canonical URLs (w3lib) and normalised-text fingerprints."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

_TRACKING_PARAMS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id", "utm_referrer",
                    "utm_name", "utm_place", "utm_reader", "utm_social", "utm_social-type", "fbclid", "gclid",
                    "yclid", "_openstat", "from", "ref", "ref_src", "share", "igshid")
_TRACKING_RE = re.compile(r"(?:^|[?&])(?:utm_\w+|fbclid|gclid|yclid|_openstat|from|ref|ref_src|share|igshid)=", re.I)
_URL_RE = re.compile(r"https?://\S+")
_WORD_RE = re.compile(r"[^\W_]+")
_SLASHES = re.compile(r"/{2,}")
# Already canonical: a lower-case host without www., default port or userinfo; a plain path without a trailing
# slash or doubled slashes; no query, no fragment (most post URLs): returned as they are.
_PLAIN = re.compile(r"https?://(?!www\.)[a-z0-9][a-z0-9.-]*(?:/(?!/)[A-Za-z0-9_.~-]+)*")


_TME_PREVIEW = ("https://t.me/s/", "http://t.me/s/")


def canonical_url(url: str) -> str:
    """The URL without tracking parameters, fragment, default port, ``www.`` or trailing slash; sorted query
    (w3lib's ``canonicalize_url``: percent-encoding normalised, query sorted, fragment dropped)."""
    if _PLAIN.fullmatch(url) and not url.startswith(_TME_PREVIEW):  # most post URLs: before the cache (an
        return url  # import's URLs are all new: looking them up and keeping them cost more than this check)
    return _canonical_url(url)


@lru_cache(maxsize=65_536)
def _canonical_url(url: str) -> str:
    url = url.strip()
    if _PLAIN.fullmatch(url) and not url.startswith(_TME_PREVIEW):
        return url
    if "?" in url and _TRACKING_RE.search(url):
        url = url_query_cleaner(url, _TRACKING_PARAMS, remove=True, unique=False, keep_fragments=True)
        if _TRACKING_RE.search(url):  # utm_* parameters outside the list above
            parts = urlsplit(url)
            kept = "&".join(p for p in parts.query.split("&") if not re.match(r"utm_\w+=", p, re.I))
            url = urlunsplit(parts._replace(query=kept))
    url = canonicalize_url(url if "://" in url else f"https://{url}")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port is None or (parts.scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = _SLASHES.sub("/", parts.path or "/")
    if host == "t.me" and path.startswith("/s/"):
        path = path[2:]
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def canonical_or_text(value: str | None) -> str | None:
    return canonical_url(value) if value and "://" in value else value


def normalize_text(text: str) -> str:
    """Lower case, ``ё`` → ``е``, no URLs, words only, single spaces."""
    return normalize_lowered(text.lower().replace("ё", "е"))


def normalize_lowered(text: str) -> str:
    """:func:`normalize_text` of a text lower-cased with ``ё`` → ``е`` already."""
    if "http" in text:
        text = _URL_RE.sub(" ", text)
    return " ".join(_WORD_RE.findall(text))


def content_hash(text: str, title: str | None = None) -> str:
    return hash_normalized(normalize_text(f"{title or ''} {text}"))


def hash_normalized(normalized: str) -> str:
    """:func:`content_hash` of a text already normalised (the ingestor normalises each text once)."""
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()
