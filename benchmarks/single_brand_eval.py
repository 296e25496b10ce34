"""Sentiment toward the brand and intent on one-brand posts, written by an independent writer (session 13).

    python benchmarks/single_brand_eval.py [--model fast|PATH|hub-id] [--data FILE] [--errors dev] [--json]

``tests/data/single_brand_fresh.jsonl``: 150 posts, each naming one catalog brand (given in the row's ``brand``
field, as SentiRuEval rows give theirs), with a gold sentiment toward it and a gold intent as a support team
would file it, and a ``kind``: ``sarcasm`` (praise or thanks that mean a complaint), ``genuine_positive`` (the
same words in earnest), ``negative``, ``neutral``, ``mixed``. Written by a writer who saw no code or data,
committed before anything was measured on it. **Odd ids are dev** (changes are compared there), **even ids
are held back** (reported, never used to choose).

The rows run through ``molva analyze`` itself (same model selection, catalog and rules): the row's ``label``
and ``intent`` are compared with the gold ones. Prints accuracy per split, and per kind with ``--kinds``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "single_brand_fresh.jsonl"


def split_of(row_id: str) -> str:
    return "dev" if int(row_id.lstrip("sb")) % 2 else "held"


def run_analyze(rows: list[dict[str, Any]], model: str | None) -> dict[str, dict[str, Any]]:
    """{row id: analyze's output row} from ``molva analyze`` run in a subprocess."""
    with tempfile.TemporaryDirectory(prefix="molva-single-brand-") as tmp:
        inp, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        inp.write_text("".join(json.dumps({"id": r["id"], "text": r["text"], "brand": r["brand"]},
                                          ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        cmd = [sys.executable, "-m", "molva", "analyze", str(inp), "-o", str(out)]
        if model:
            cmd += ["--model", model]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ})
        if proc.returncode not in (0, 1):
            raise SystemExit(f"molva analyze failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return {str(o.get("id")): o for o in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


def score(rows: list[dict[str, Any]], pred: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    total: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # key -> [right, all]
    errors: list[str] = []
    for row in rows:
        got, split = pred.get(row["id"], {}), split_of(row["id"])
        for what, gold, guess in (("sentiment", row["label"], got.get("label")),
                                  ("intent", row["intent"], got.get("intent"))):
            for key in (f"{what}:{split}", f"{what}:{split}:{row['kind']}"):
                total[key][0] += gold == guess
                total[key][1] += 1
            if gold != guess:
                errors.append(f"{split} {row['id']} {what} {gold}->{guess} [{row['kind']}] {row['text']}")
    acc = {k: {"accuracy": round(r / n, 3), "right": r, "rows": n} for k, (r, n) in sorted(total.items())}
    return acc, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="as `molva analyze --model` (default: the default model)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--kinds", action="store_true", help="also per kind")
    parser.add_argument("--errors", choices=("dev",), help="list the dev half's mistakes (never the held half's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    start = time.perf_counter()
    acc, errors = score(rows, run_analyze(rows, args.model))
    result = {"benchmark": "single_brand_eval", "date": time.strftime("%Y-%m-%d"), "model": args.model or "default",
              "seconds": round(time.perf_counter() - start, 1), "accuracy": acc}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"model {result['model']}  rows {len(rows)}  ({result['seconds']} s incl. model load)")
    for key, v in acc.items():
        if args.kinds or key.count(":") == 1:
            print(f"  {key:<32} {v['accuracy']:.3f}  ({v['right']}/{v['rows']})")
    if args.errors:
        print("\n".join(f"  {e}" for e in errors if e.startswith("dev ")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
