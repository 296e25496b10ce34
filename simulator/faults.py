"""Injected faults: 429 with Retry-After, 5xx, slow responses, truncated/malformed bodies, changed markup.

A spec string such as ``"429=0.1,5xx=0.05,timeout=0.02,truncated=0.02,malformed=0.02,markup=0.05"``
(or ``"all=0.1"``) gives each fault a probability per request. The draw is deterministic: it depends
on the seed, the request path+query and how many times that URL was requested before, so the n-th
attempt at a URL fails or succeeds the same way on every run, and retries eventually succeed.
Options: ``retry_after=S`` (seconds sent with 429, default 1), ``slow=S`` (delay of a "timeout", default 3).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, replace

from molva.errors import MolvaError

FAULT_KINDS: tuple[str, ...] = ("429", "5xx", "timeout", "truncated", "malformed", "markup")
_ALIASES = {"429": "429", "rate": "429", "5xx": "5xx", "500": "5xx", "503": "5xx", "timeout": "timeout",
            "slow": "timeout", "truncated": "truncated", "truncate": "truncated", "malformed": "malformed",
            "markup": "markup"}

# Renamed CSS classes for the "markup" fault (as if the site had been redesigned).
MARKUP_CHANGES: tuple[tuple[str, str], ...] = (
    ("tgme_widget_message_text", "tgme_widget_message_content"),
    ("tgme_widget_message_date", "tgme_widget_message_datetime"),
    ('data-post="', 'data-message="'),
    ("responses__item__title", "response-card__title"),
    ("responses__item", "response-card"),
    ("response-page__text", "response-page__body"),
    ("bank-answer__text", "official-answer__text"),
    ("data-module-options", "data-widget-props"),
    ("qaBlock", "qa-card"),
    ('class="question"', 'class="qa-card__question"'),
)


@dataclass
class Faults:
    rates: dict[str, float] = field(default_factory=dict)  # fault kind -> probability
    retry_after: int = 1
    slow_seconds: float = 3.0
    seed: int = 0
    _attempts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def parse(cls, spec: str | None, seed: int = 0) -> Faults:
        """Parse ``"429=0.1,5xx=0.05,..."``; a :class:`MolvaError` names a bad part."""
        faults = cls(seed=seed)
        if not spec or spec.strip().lower() in ("", "none", "off"):
            return faults
        for part in spec.split(","):
            key, sep, value = part.strip().partition("=")
            key = key.strip().lower()
            try:
                number = float(value) if sep else float("nan")
            except ValueError:
                number = float("nan")
            if number != number:
                raise MolvaError(f"--faults: ожидается ВИД=ЧИСЛО, получено {part.strip()!r}")
            if key == "retry_after":
                faults.retry_after = int(number)
            elif key == "slow":
                faults.slow_seconds = number
            elif key == "all":
                faults.rates = dict.fromkeys(FAULT_KINDS, number / len(FAULT_KINDS))
            elif key in _ALIASES and 0 <= number <= 1:
                faults.rates[_ALIASES[key]] = number
            else:
                raise MolvaError(f"--faults: неизвестный вид сбоя или вероятность вне 0..1: {part.strip()!r}"
                                 f" (виды: {', '.join(FAULT_KINDS)}, retry_after=S, slow=S)")
        if sum(faults.rates.values()) > 1:
            raise MolvaError("--faults: сумма вероятностей больше 1")
        return faults

    def with_seed(self, seed: int) -> Faults:
        return replace(self, seed=seed, _attempts={}, _lock=threading.Lock())

    @property
    def active(self) -> bool:
        return any(v > 0 for v in self.rates.values())

    def draw(self, key: str) -> str | None:
        """The fault for this request (``None``: serve normally)."""
        if not self.active:
            return None
        with self._lock:
            n = self._attempts.get(key, 0)
            self._attempts[key] = n + 1
        x = random.Random(f"{self.seed}:{key}:{n}").random()
        for kind in FAULT_KINDS:
            rate = self.rates.get(kind, 0.0)
            if x < rate:
                return kind
            x -= rate
        return None


def change_markup(body: str) -> str:
    for old, new in MARKUP_CHANGES:
        body = body.replace(old, new)
    return body
