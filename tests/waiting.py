"""Waiting for a condition in tests: generous limits that only stop a test that is truly stuck, never
deadlines that a loaded machine can miss."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

GENEROUS = 600.0  # seconds


def wait_for(condition: Callable[[], T], limit: float = GENEROUS, every: float = 0.2) -> T:
    """Call ``condition`` until it returns something truthy and return that; the last value after ``limit``."""
    stop = time.monotonic() + limit
    while True:
        value = condition()
        if value or time.monotonic() >= stop:
            return value
        time.sleep(every)
