"""Brand matching speed before and after the one-automaton matcher, measured in the same run.

    python benchmarks/brand_matching_speed.py [--before REV] [--n 10000] [--repeat 5]

"before" is ``molva/catalog.py`` as of git revision ``--before`` (default: the per-word dict matcher of
2026-11-23, commit e825a18), loaded from git into a module of its own; "after" is the working tree's.
Both load the same shipped catalog file and score the same sentences: quality on
``tests/data/brand_match_set.jsonl`` (micro precision / recall over (text, brand) pairs) and speed over
``--n`` sentences (the set repeated and shuffled), interleaved runs, best of ``--repeat``. Also times a
long text (200 KB of posts joined) to show the cost stays linear. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from brand_matching import load_set, score  # noqa: E402

from molva import catalog as after_module  # noqa: E402


def load_before(rev: str) -> Any:
    source = subprocess.run(["git", "show", f"{rev}:molva/catalog.py"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    spec = importlib.util.spec_from_loader("molva_catalog_before", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["molva_catalog_before"] = module
    exec(compile(source, f"{rev}:molva/catalog.py", "exec"), module.__dict__)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="e825a18")
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "brand_match_set.jsonl")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    before_module = load_before(args.before)
    path = after_module.default_catalog_path()
    catalogs = {}
    load_s = {}
    for name, module in (("before", before_module), ("after", after_module)):
        t0 = time.perf_counter()
        catalogs[name] = module.load_catalog(path)
        load_s[name] = round(time.perf_counter() - t0, 3)
    rows = load_set(args.data)
    rng = random.Random(0)
    sample = [rows[i % len(rows)][0] for i in range(args.n)]
    rng.shuffle(sample)
    long_text = " ".join(sample)[:200_000]
    best = {name: float("inf") for name in catalogs}
    best_long = {name: float("inf") for name in catalogs}
    for _ in range(args.repeat):  # interleaved, so that both see the same load on the machine
        for name, catalog in catalogs.items():
            t0 = time.perf_counter()
            for text in sample:
                catalog.match(text)
            best[name] = min(best[name], time.perf_counter() - t0)
            t0 = time.perf_counter()
            catalog.match(long_text)
            best_long[name] = min(best_long[name], time.perf_counter() - t0)
    result: dict[str, Any] = {
        "benchmark": "brand_matching_speed",
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, python {platform.python_version()}",
        "before_rev": args.before,
        "sentences": args.n,
        "mean_chars": round(sum(map(len, sample)) / len(sample), 1),
    }
    for name, catalog in catalogs.items():
        quality = score(catalog, rows)
        quality.pop("errors")
        result[name] = {"texts_per_s": round(args.n / best[name]), "catalog_load_s": load_s[name],
                        "long_text_200k_chars_s": round(best_long[name], 4), "quality": quality}
    result["speedup"] = round(best["before"] / best["after"], 2)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
