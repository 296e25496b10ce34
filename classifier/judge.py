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


JUDGED_CHARS = 8_000  # the most of a post the rules read for one brand: the part around its mention


def around_mention(text: str, target: tuple[int, int] | None, others: Sequence[tuple[int, int]],
                   limit: int = JUDGED_CHARS) -> tuple[str, tuple[int, int] | None, list[tuple[int, int]]]:
    """A post longer than ``limit`` cut to ``limit`` characters around the brand's mention (from the start of
    the sentence it opens in), with the spans moved to match: the rules' cost stays linear in ``limit``, not
    in the post (a 1 MB text naming six brands), and what is said about the brand is next to its name."""
    if len(text) <= limit:
        return text, target, list(others)
    start = 0
    if target is not None:
        start = max(0, min(target[0] - limit // 2, len(text) - limit))
        sentence = max(text.rfind(mark, start, target[0]) for mark in ".!?\n")
        start = sentence + 1 if sentence >= start and target[0] - sentence < limit else start
    end = start + limit
    moved = (target[0] - start, target[1] - start) if target is not None else None
    kept = [(o[0] - start, o[1] - start) for o in others if start <= o[0] and o[1] <= end]
    return text[start:end], moved, kept


def judge_mention(text: str, sentiment: Mapping[str, float], *, target: tuple[int, int] | None = None,
                  others: Sequence[tuple[int, int]] = (), group: str | None = None, brand: str | None = None,
                  urgent_threshold: float = URGENT_THRESHOLD, author_followers: int | None = None,
                  engagement: int | None = None, published_at: datetime | None = None,
                  now: datetime | None = None, aspects: AspectClassifier | None = None) -> Judgment:
    """Judge the mention of ``brand`` (its span ``target``, its catalog ``group``) in ``text``; ``others``:
    the spans of the other brands the post mentions (intent and aspects then come from this brand's part)."""
    text, target, others = around_mention(text, target, others)
    intent = classify_intent(own_part(text, target, others), sentiment)
    if is_switch_target(text, target):
        intent = "other"
    value, reasons = urgency_score(text, sentiment, intent, author_followers, engagement, published_at, now,
                                   target=target)
    codes = (aspects or default_classifier()).classify(own_part(text, target, others), group, brand)
    return Judgment(intent, round(value, 4), value >= urgent_threshold, reasons, codes)
