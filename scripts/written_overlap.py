"""Drop written training posts that overlap an evaluation post (issue 9's data hygiene).

    python scripts/written_overlap.py NEW.jsonl [NEW2.jsonl ...] [--eval tests/data/two_brand_dev4.jsonl ...]
                                      [--threshold 0.6] [--write]

A post overlaps when the Jaccard similarity of its lower-cased word set with an evaluation post's is above
``--threshold`` (0.6, as in sessions 6 and 7). Without ``--eval`` the evaluation sets are every
``tests/data/two_brand_dev4.jsonl`` and ``two_brand_fresh2..N.jsonl``. ``--write`` rewrites each file without
its overlapping posts; otherwise the script only reports (ids and counts, never texts).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from classifier.adapt import read_posts

ROOT = Path(__file__).resolve().parents[1]
_WORD = re.compile(r"\w+")


def words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def default_eval_sets() -> list[Path]:
    data = ROOT / "tests" / "data"
    fresh = [p for p in sorted(data.glob("two_brand_fresh*.jsonl")) if p.stem != "two_brand_fresh"]
    return [data / "two_brand_dev4.jsonl", *fresh]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("posts", nargs="+", type=Path)
    parser.add_argument("--eval", dest="eval_sets", action="append", type=Path)
    parser.add_argument("--threshold", type=float, default=0.6)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    eval_words = [(p.name, str(r["id"]), words(str(r["text"])))
                  for p in (args.eval_sets or default_eval_sets()) for r in read_posts([p])]
    for path in args.posts:
        rows = read_posts([path])
        kept: list[tuple[dict[str, Any], tuple[float, str, str]]] = []
        dropped: list[tuple[dict[str, Any], tuple[float, str, str]]] = []
        for row in rows:
            own = words(str(row["text"]))
            hit = max(((jaccard(own, w), name, rid) for name, rid, w in eval_words), default=(0.0, "", ""))
            (dropped if hit[0] > args.threshold else kept).append((row, hit))
        print(f"{path}: {len(rows)} posts, {len(dropped)} overlap an evaluation post")
        for row, (score, name, rid) in dropped:
            print(f"  {row['id']}: {score:.2f} with {name} {rid}")
        if args.write and dropped:
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r, _ in kept), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
