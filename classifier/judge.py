"""One judgment per brand mention: intent, urgency (0..1), urgent, reasons and aspects.

The single entry point that ``molva classify`` (``classifier.scoring``), ``molva analyze`` and the
benchmarks share, so a stored mention and an analyze row always agree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from classifier.aspects import AspectClassifier, default_classifier
from classifier.intent import classify_intent
from classifier.urgency import URGENT_THRESHOLD, urgency_score


@dataclass(frozen=True)
class Judgment:
    intent: str
    urgency: float
    urgent: bool
    reasons: list[str] = field(default_factory=list)
    aspects: list[str] = field(default_factory=list)

    @property
    def resolved(self) -> bool:
        """The post reports the problem fixed ("проблема устранена"): no support topic is needed."""
        return "resolved" in self.reasons


def judge_mention(text: str, sentiment: Mapping[str, float], *, target: tuple[int, int] | None = None,
                  group: str | None = None, brand: str | None = None,
                  urgent_threshold: float = URGENT_THRESHOLD, author_followers: int | None = None,
                  engagement: int | None = None, published_at: datetime | None = None,
                  now: datetime | None = None, aspects: AspectClassifier | None = None) -> Judgment:
    """Judge the mention of ``brand`` (its span ``target``, its catalog ``group``) in ``text``."""
    intent = classify_intent(text, sentiment, target)
    value, reasons = urgency_score(text, sentiment, intent, author_followers, engagement, published_at, now,
                                   target=target)
    codes = (aspects or default_classifier()).classify(text, group, brand)
    return Judgment(intent, round(value, 4), value >= urgent_threshold, reasons, codes)
