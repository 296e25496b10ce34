"""The frozen labelled set tests/data/support_posts_set.jsonl: its shape (the numbers are benchmarks).

Each row is one post (VK comment, Telegram post, tweet, banki.ru-style review, news item) written for Molva,
labelled per catalog brand it mentions: intent, urgent, aspects (most relevant first), and ``resolved`` for
posts that report the problem fixed. ``split`` is "dev" (rules may be tuned on it) or "heldout" (reported
only, never tuned on). Frozen: the labels were committed before any tuning."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from classifier.intent import INTENTS
from molva.aspects import DEFAULT_ASPECTS
from molva.catalog import load_catalog

SET = Path(__file__).resolve().parents[1] / "data" / "support_posts_set.jsonl"
EXTRA = Path(__file__).resolve().parents[1] / "data" / "support_posts_dev_extra.jsonl"  # dev only, after the freeze


def _rows(path: Path = SET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_extra_dev_posts_are_dev_only_and_labelled_with_known_codes() -> None:
    rows = _rows(EXTRA)
    assert len(rows) >= 90 and {r["split"] for r in rows} == {"dev"}
    catalog = load_catalog()
    for row in rows:
        matched = {m.brand for m in catalog.match(row["text"])}
        for label in row["labels"]:
            assert label["brand"] in matched and label["intent"] in INTENTS
            assert set(label["aspects"]) <= set(DEFAULT_ASPECTS[label["group"]])


def test_set_is_large_balanced_and_labelled_with_known_codes() -> None:
    rows = _rows()
    assert len(rows) >= 420
    assert len({r["id"] for r in rows}) == len(rows)
    splits = Counter(r["split"] for r in rows)
    assert set(splits) == {"dev", "heldout"} and abs(splits["dev"] - splits["heldout"]) <= 2
    catalog = load_catalog()
    per_split: dict[str, Counter[str]] = {"dev": Counter(), "heldout": Counter()}
    for row in rows:
        matched = {m.brand for m in catalog.match(row["text"])}
        for label in row["labels"]:
            assert label["brand"] in matched, (row["id"], label["brand"])
            assert label["intent"] in INTENTS
            assert isinstance(label["urgent"], bool)
            assert label["aspects"] and set(label["aspects"]) <= set(DEFAULT_ASPECTS[label["group"]]), row["id"]
            per_split[row["split"]][label["intent"]] += 1
    for split in per_split.values():  # every intent on both sides, in like numbers
        assert set(split) == set(INTENTS)
        assert all(n >= 15 for n in split.values())
    assert sum(1 for r in rows for lb in r["labels"] if lb.get("resolved")) >= 10
