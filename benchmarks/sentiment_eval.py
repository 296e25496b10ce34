"""Validation metrics of a sentiment model on the fixed time-based SentiRuEval-2016 split.

    python benchmarks/sentiment_eval.py [--data ../shared/data/sentiment] [--model DIR] [--members N]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from classifier.data import load_sentirueval
from classifier.inference import DEFAULT_MODEL_DIR, MolvaSentimentModel
from classifier.metrics import classification_report
from classifier.model import DOMAINS, LABELS


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/sentiment")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    p.add_argument("--members", type=int, default=None, help="ensemble members to use (default: config)")
    a = p.parse_args()
    torch.set_num_threads(2)
    model = MolvaSentimentModel(a.model, members=a.members)
    result: dict[str, object] = {"model": model.version, "members": len(model.nets)}
    for domain in ("banks", "telecom"):
        _, val = load_sentirueval(a.data, domain)
        start = time.perf_counter()
        scores = model.predict([e.text for e in val], [e.target for e in val], others=[e.others for e in val],
                               groups=[DOMAINS[e.domain] for e in val])
        pred = [max(s, key=lambda k: s[k]) for s in scores]
        report = classification_report([LABELS[e.label] for e in val], pred)
        report["seconds"] = round(time.perf_counter() - start, 2)
        result[domain] = {k: round(v, 4) for k, v in report.items()}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
