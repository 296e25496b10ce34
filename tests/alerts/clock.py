"""The fixed "now" of the alerts tests."""

from datetime import UTC, datetime

# Wednesday 12 March 2025, 10:00 UTC (13:00 in Moscow): a working day, outside any quiet hours.
NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)
