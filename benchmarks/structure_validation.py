"""Does the two-brand structure layer hurt single-brand tweets? Validation macro-F1 without and with it.

    python benchmarks/structure_validation.py [--model fast] [--data ../shared/data/sentiment] [--show]

Scores every validation row of the fixed time split (``classifier/data.py``) of each SentiRuEval-2016 domain
with the model alone (``model.predict``) and through ``classifier.structure.predict_brands`` (what ``molva
analyze`` and ``molva classify`` run), and prints macro-F1 (positive/negative, the SentiRuEval measure, and
3-class) for both, and how many rows the layer changed (``--show`` lists them). Model requests are memoized
within the run, so the layer's own extra requests are the only extra cost.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifier.data import load_sentirueval
from classifier.inference import SentimentModel, load_model
from classifier.metrics import classification_report
from classifier.model import DOMAINS, LABELS
from classifier.structure import predict_brands

Span = tuple[int, int]


class Memo:
    """``model.predict`` with every request remembered (same text, spans and group: same scores)."""

    def __init__(self, model: SentimentModel) -> None:
        self.model, self.version, self.requests = model, model.version, 0
        self.own_part_split = bool(getattr(model, "own_part_split", False))  # as the wrapped model says
        self.seen: dict[Any, dict[str, float]] = {}

    def predict(self, texts: Sequence[str], targets: Sequence[Sequence[Span] | None], *,
                others: Sequence[Sequence[Span] | None] | None = None,
                groups: Sequence[str | None] | None = None) -> list[dict[str, float]]:
        keys = [(t, tuple(targets[i] or ()), tuple((others[i] if others else None) or ()),
                 groups[i] if groups else None) for i, t in enumerate(texts)]
        miss = [i for i, k in enumerate(keys) if k not in self.seen]
        if miss:
            got = self.model.predict([texts[i] for i in miss], [targets[i] for i in miss],
                                     others=[others[i] for i in miss] if others else None,
                                     groups=[groups[i] for i in miss] if groups else None)
            self.seen.update({keys[i]: dict(g) for i, g in zip(miss, got, strict=True)})
            self.requests += len(miss)
        return [dict(self.seen[k]) for k in keys]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=None, help="as `molva analyze --model` (default: the default model)")
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/sentiment")
    p.add_argument("--show", action="store_true", help="list the rows the layer changed")
    a = p.parse_args()
    memo = Memo(load_model(a.model))
    result: dict[str, Any] = {"model": memo.version}
    for domain in ("banks", "telecom"):
        _, val = load_sentirueval(a.data, domain)
        texts, targets = [e.text for e in val], [e.target for e in val]
        others, groups = [e.others for e in val], [DOMAINS[e.domain] for e in val]
        gold = [LABELS[e.label] for e in val]
        start = time.perf_counter()
        alone = memo.predict(texts, targets, others=others, groups=groups)
        before = memo.requests
        layered = predict_brands(memo, texts, targets, others=others, groups=groups)
        row: dict[str, Any] = {"rows": len(val), "extra_requests": memo.requests - before,
                               "seconds": round(time.perf_counter() - start, 1)}
        for name, scores in (("model_only", alone), ("with_structure", layered)):
            rep = classification_report(gold, [max(s, key=lambda k: s[k]) for s in scores])
            row[name] = {"macro_f1_pn": round(rep["macro_f1_pn"], 4), "macro_f1": round(rep["macro_f1"], 4)}
        changed = [(e.text, max(x, key=lambda k: x[k]), max(y, key=lambda k: y[k]), g)
                   for e, x, y, g in zip(val, alone, layered, gold, strict=True)
                   if max(x, key=lambda k: x[k]) != max(y, key=lambda k: y[k])]
        row["rows_changed"] = len(changed)
        if a.show:
            row["changed"] = [f"{x}->{y} (gold {g}) {t[:160]}" for t, x, y, g in changed]
        result[domain] = row
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
