"""One judgment per brand mention: intent, urgency (0..1), urgent, reasons and aspects.

The single entry point that ``molva classify`` (``classifier.scoring``), ``molva analyze`` and the
benchmarks share, so a stored mention and an analyze row always agree."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from classifier.aspects import AspectClassifier, default_classifier
from classifier.intent import classify_intent
from classifier.urgency import URGENT_THRESHOLD, is_switch_target, urgency_score


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


_BOUNDARY = re.compile(r"[.!?;\n]+\s*|,?\s+(?:а|но|зато|однако|в\s+отличие\s+от)\s+|\s+[—–-]\s+", re.IGNORECASE)


def own_part(text: str, target: tuple[int, int] | None, others: Sequence[tuple[int, int]]) -> str:
    """The part of a post about the brand at ``target`` when other brands are mentioned too: from the clause
    that names it up to the next clause naming another brand ("Сбер заблокировал карту, а МТС молодцы")."""
    if target is None or not others or not 0 <= target[0] < len(text):
        return text
    cuts = [0, *(m.end() for m in _BOUNDARY.finditer(text)), len(text)]
    starts = sorted(set(cuts))
    own_start = max(c for c in starts if c <= target[0])
    before = [o for o in others if o[0] < own_start]
    after = [o for o in others if o[0] > target[1]]
    begin = own_start
    if not before:  # nothing about another brand precedes: keep the opening too
        begin = 0
    end = len(text)
    if after:
        first = min(o[0] for o in after)
        end = max((c for c in starts if c <= first), default=len(text))
        if end <= target[1]:  # the other brand is in the same clause: keep the whole clause
            end = min((c for c in starts if c > first), default=len(text))
    return text[begin:end] or text


def judge_mention(text: str, sentiment: Mapping[str, float], *, target: tuple[int, int] | None = None,
                  others: Sequence[tuple[int, int]] = (), group: str | None = None, brand: str | None = None,
                  urgent_threshold: float = URGENT_THRESHOLD, author_followers: int | None = None,
                  engagement: int | None = None, published_at: datetime | None = None,
                  now: datetime | None = None, aspects: AspectClassifier | None = None) -> Judgment:
    """Judge the mention of ``brand`` (its span ``target``, its catalog ``group``) in ``text``; ``others``:
    the spans of the other brands the post mentions (intent and aspects then come from this brand's part)."""
    intent = classify_intent(own_part(text, target, others), sentiment)
    if is_switch_target(text, target):
        intent = "other"
    value, reasons = urgency_score(text, sentiment, intent, author_followers, engagement, published_at, now,
                                   target=target)
    codes = (aspects or default_classifier()).classify(own_part(text, target, others), group, brand)
    return Judgment(intent, round(value, 4), value >= urgent_threshold, reasons, codes)
