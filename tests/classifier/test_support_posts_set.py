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


def test_floors_on_the_whole_set(shipped_model) -> None:  # type: ignore[no-untyped-def]
    """Regression floors (the measured numbers per half are in BENCHMARKS.md, not here)."""
    from classifier.judge import judge_mention

    catalog = load_catalog()
    requests = []
    for row in _rows():
        spans: dict[str, list[tuple[int, int]]] = {}
        for m in catalog.match(row["text"]):
            spans.setdefault(m.brand, []).append((m.start, m.end))
        for label in row["labels"]:
            others = [s for b, ss in spans.items() if b != label["brand"] for s in ss]
            requests.append((row["text"], label, spans[label["brand"]], others))
    scores = shipped_model.predict([r[0] for r in requests], [r[2] for r in requests],
                                   others=[r[3] for r in requests], groups=[r[1]["group"] for r in requests])
    gold, pred, urgent, top = [], [], [], 0
    for (text, label, own, others), sc in zip(requests, scores, strict=True):
        j = judge_mention(text, sc, target=own[0], others=others, group=label["group"], brand=label["brand"])
        gold.append(label["intent"])
        pred.append(j.intent)
        urgent.append((label["urgent"], j.urgent))
        top += bool(j.aspects) and j.aspects[0] == label["aspects"][0]
        if label.get("resolved"):
            assert j.resolved and not j.urgent, text

    def f1(k: str) -> float:
        tp = sum(g == p == k for g, p in zip(gold, pred, strict=True))
        wrong = sum((g == k) != (p == k) for g, p in zip(gold, pred, strict=True))
        return 2 * tp / (2 * tp + wrong) if tp else 0.0

    assert sum(f1(k) for k in INTENTS) / len(INTENTS) >= 0.85
    tp = sum(g and p for g, p in urgent)
    assert tp / sum(p for _, p in urgent) >= 0.85 and tp / sum(g for g, _ in urgent) >= 0.9
    assert top / len(requests) >= 0.8
