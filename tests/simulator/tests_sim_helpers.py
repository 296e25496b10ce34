"""Constants shared by the simulator tests."""

from datetime import UTC, datetime

START = datetime(2025, 3, 1, tzinfo=UTC)
