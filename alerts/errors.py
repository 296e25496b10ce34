"""How a delivery failed decides what the dispatcher does next."""

from __future__ import annotations


class DeliveryError(Exception):
    """A failed delivery; ``str()`` is what ``molva alerts list`` shows as the last error."""


class TransientError(DeliveryError):
    """Worth retrying with back-off (5xx, timeouts, connection errors)."""


class RateLimited(TransientError):
    """HTTP 429: retry after ``wait_seconds`` (``Retry-After`` or ``extras.wait_seconds``)."""

    def __init__(self, message: str, wait_seconds: float) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


class PermanentError(DeliveryError):
    """Retrying will not help (422 validation, 401/403 credentials): the alert is marked failed at once
    and stays visible until ``molva alerts retry``."""
