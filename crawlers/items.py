"""Items: the plain dataclasses of :mod:`molva.ingest` (Scrapy handles dataclass items natively)."""

from __future__ import annotations

from molva.ingest import MentionData, ReplyData

__all__ = ["MentionData", "ReplyData"]
