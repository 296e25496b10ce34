"""PR notifications (spikes, digests) as a JSON POST to a webhook, e.g. a chat bot.

At-least-once: the body and the ``Idempotency-Key`` header (percent-encoded) carry the outbox key so a receiver can drop a
repeat after a crash between the POST and the database commit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from alerts.errors import PermanentError, RateLimited, TransientError
from molva.escaping import response_excerpt


def post_json(http: httpx.Client, url: str, idempotency_key: str, body: dict[str, Any]) -> None:
    try:
        response = http.post(url, json=body, headers={"Idempotency-Key": quote(idempotency_key, safe=":-_.")})
    except httpx.TimeoutException as exc:
        raise TransientError(f"вебхук: таймаут ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise TransientError(f"вебхук недоступен: {exc}") from exc
    status = response.status_code
    if status == 429:
        try:
            wait = float(response.headers.get("Retry-After", "30"))
        except ValueError:
            wait = 30.0
        raise RateLimited(f"вебхук 429 (ждать {wait:.0f} с)", max(1.0, wait))
    excerpt = response_excerpt(response.text) or "пустой ответ"
    if status >= 500 or status == 408:
        raise TransientError(f"вебхук {status}: {excerpt}")
    if status >= 400:
        raise PermanentError(f"вебхук {status}: {excerpt}")
