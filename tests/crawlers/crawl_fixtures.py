"""Helpers for spider tests: responses built from the fixture files in tests/fixtures/crawl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse, Request, TextResponse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "crawl"


def fixture_response(name: str, url: str, meta: dict[str, Any] | None = None, status: int = 200,
                     headers: dict[str, str] | None = None) -> TextResponse:
    cls = HtmlResponse if name.endswith(".html") else TextResponse
    if headers is None:
        headers = {"Content-Type": "text/html; charset=windows-1251"} if name.startswith("reviews") else {
            "Content-Type": "text/html; charset=utf-8" if name.endswith(".html") else "application/json; charset=utf-8"
        }
    return body_response((FIXTURES / name).read_bytes(), url, meta, status, headers, cls)


def body_response(body: bytes | Any, url: str, meta: dict[str, Any] | None = None, status: int = 200,
                  headers: dict[str, str] | None = None, cls: type[TextResponse] = TextResponse) -> TextResponse:
    """A response with ``body``: bytes as they are, anything else as JSON (UTF-8)."""
    if not isinstance(body, bytes):
        body = json.dumps(body, ensure_ascii=False).encode()
        headers = headers or {"Content-Type": "application/json; charset=utf-8"}
    return cls(url=url, body=body, request=Request(url, meta=dict(meta or {})), status=status, headers=headers or {})
