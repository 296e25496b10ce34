"""Helpers for spider tests: responses built from the fixture files in tests/fixtures/crawl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse, Request, TextResponse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "crawl"


def fixture_response(name: str, url: str, meta: dict[str, Any] | None = None, status: int = 200,
                     headers: dict[str, str] | None = None) -> TextResponse:
    body = (FIXTURES / name).read_bytes()
    request = Request(url, meta=dict(meta or {}))
    cls = HtmlResponse if name.endswith(".html") else TextResponse
    if headers is None:
        headers = {"Content-Type": "text/html; charset=windows-1251"} if name.startswith("reviews") else {
            "Content-Type": "text/html; charset=utf-8" if name.endswith(".html") else "application/json; charset=utf-8"
        }
    return cls(url=url, body=body, request=request, status=status, headers=headers)
