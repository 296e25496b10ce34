"""Brand matching: micro precision/recall on the labelled set, and speed in texts per second.

    python benchmarks/brand_matching.py [--data tests/data/brand_match_set.jsonl] [--n 10000]

Quality is scored over (text, brand) pairs: a brand found in a text where the label lists it is a true
positive. Speed: ``Catalog.match`` over ``--n`` sentences (the labelled set repeated and shuffled),
best of ``--repeat`` runs. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from molva.catalog import Catalog, load_catalog  # noqa: E402


def load_set(path: Path) -> list[tuple[str, set[str]]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append((row["text"], set(row["brands"])))
    return rows


def score(catalog: Catalog, rows: list[tuple[str, set[str]]]) -> dict[str, object]:
    tp = fp = fn = 0
    errors = []
    for text, expected in rows:
        found = {m.brand for m in catalog.match(text)}
        tp += len(found & expected)
        fp += len(found - expected)
        fn += len(expected - found)
        if found != expected:
            errors.append({"text": text, "missed": sorted(expected - found), "extra": sorted(found - expected)})
    return {
        "texts": len(rows),
        "pairs": tp + fn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
        "errors": errors,
    }


def speed(catalog: Catalog, texts: list[str], n: int, repeat: int) -> dict[str, float]:
    rng = random.Random(0)
    sample = [texts[i % len(texts)] for i in range(n)]
    rng.shuffle(sample)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for text in sample:
            catalog.match(text)
        best = min(best, time.perf_counter() - t0)
    return {"n": n, "seconds": round(best, 4), "texts_per_s": round(n / best), "mean_chars": round(
        sum(map(len, sample)) / n, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "brand_match_set.jsonl")
    parser.add_argument("--catalog", type=Path, default=None)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    catalog = load_catalog(args.catalog)
    load_s = time.perf_counter() - t0
    rows = load_set(args.data)
    result = {
        "benchmark": "brand_matching",
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()} {platform.processor() or platform.system()}, python {platform.python_version()}",
        "brands": len(catalog.brands),
        "catalog_load_s": round(load_s, 3),
        "quality": score(catalog, rows),
        "speed": speed(catalog, [t for t, _ in rows], args.n, args.repeat),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
