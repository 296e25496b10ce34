"""The one metrics layer behind ``molva report`` and the dashboard.

Functions take a :class:`~sqlalchemy.orm.Session` and plain filter values and return plain data.
"""

from molva.metrics.filters import MetricsFilter
from molva.metrics.report import (
    BrandStats,
    ResponseStats,
    SourceHealth,
    brand_stats,
    build_report,
    response_stats,
    source_health,
)

__all__ = [
    "BrandStats",
    "MetricsFilter",
    "ResponseStats",
    "SourceHealth",
    "brand_stats",
    "build_report",
    "response_stats",
    "source_health",
]
