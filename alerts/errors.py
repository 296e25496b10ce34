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


class ConfigurationError(DeliveryError):
    """The adapter itself is misconfigured (a wrong or missing API key, a URL that is not the forum): no alert
    can be sent until someone fixes it. The dispatcher stops using that adapter for the run and leaves the
    alerts pending with their attempts untouched; the message says what to fix."""
