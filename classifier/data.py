"""Training corpora (../shared/data/sentiment) and the fixed time-based validation split.

Validation: the SentiRuEval-2016 tweets published at or after the cut-offs below (about the last 15% of
each domain's tweets by time) are held out. The cut-offs are fixed here so numbers stay comparable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from classifier.arch import DOMAINS, LABELS
from classifier.brands import find_brand_spans, find_other_spans
from classifier.text import Span

VALIDATION_CUTOFF = {
    "banks": "2014-08-07T17:25:05+00:00",
    "telecom": "2014-08-04T08:08:00+00:00",
}
FILES = {
    "banks": "sentirueval2016_banks_train.jsonl",
    "telecom": "sentirueval2016_telecom_train.jsonl",
    "tweets": "rusentitweet_train.jsonl",
    "news": "rusentne2023_train.jsonl",
}
# RuSentiTweet: `speech` (greetings, congratulations) is positive-leaning small talk -> positive;
# `skip` (noise / unclear) is dropped.
RUSENTITWEET_MAP = {"negative": "negative", "neutral": "neutral", "positive": "positive", "speech": "positive"}


@dataclass(frozen=True)
class Example:
    text: str
    target: tuple[Span, ...] | None
    others: tuple[Span, ...]
    domain: int
    label: int


def _read(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_sentirueval(data_dir: Path, domain: str) -> tuple[list[Example], list[Example]]:
    """(train, validation) examples of one SentiRuEval-2016 domain, split by publication time."""
    train: list[Example] = []
    val: list[Example] = []
    cutoff = VALIDATION_CUTOFF[domain]
    for row in _read(data_dir / FILES[domain]):
        text, brand_id = str(row["text"]), str(row["brand_id"])
        ex = Example(
            text=text,
            target=tuple(find_brand_spans(text, brand_id)),
            others=tuple(find_other_spans(text, brand_id)),
            domain=DOMAINS.index(domain),
            label=LABELS.index(str(row["label"])),
        )
        (val if str(row["published"]) >= cutoff else train).append(ex)
    return train, val


def load_rusentitweet(data_dir: Path) -> list[Example]:
    out = []
    for row in _read(data_dir / FILES["tweets"]):
        label = RUSENTITWEET_MAP.get(str(row["label"]))
        if label is not None:
            out.append(Example(str(row["text"]), None, (), DOMAINS.index("tweets"), LABELS.index(label)))
    return out


def load_rusentne(data_dir: Path) -> list[Example]:
    out = []
    for row in _read(data_dir / FILES["news"]):
        span = (int(str(row["start"])), int(str(row["end"])))
        out.append(Example(str(row["text"]), (span,), (), DOMAINS.index("news"),
                           LABELS.index(str(row["label"]))))
    return out


def load_all(data_dir: Path) -> tuple[list[Example], dict[str, list[Example]]]:
    """All training examples, and the validation examples per SentiRuEval domain."""
    train: list[Example] = []
    val: dict[str, list[Example]] = {}
    for domain in ("banks", "telecom"):
        tr, va = load_sentirueval(data_dir, domain)
        train += tr
        val[domain] = va
    if (data_dir / FILES["tweets"]).exists():
        train += load_rusentitweet(data_dir)
    if (data_dir / FILES["news"]).exists():
        train += load_rusentne(data_dir)
    return train, val
