"""CPU seconds per 1,000 multi-brand requests of the fast model, without and with its multi-brand variant.

    python benchmarks/fast_multi_speed.py [--model models/molva-sentiment] [--rounds 3]

The requests: every labelled brand of the written two-brand posts (``classifier/training_posts``), each with
the post's other brands marked, as ``molva analyze`` asks. Each round scores them with a cold token cache (as
at the start of ``molva analyze``) and again warm, best of three, alternating the two models in fresh
processes so that machine load hits both alike. Reports process CPU time (user + system), not wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(model_dir: Path, multi: bool) -> dict[str, float]:
    from classifier.adapt import read_posts, written_examples
    from classifier.inference import MolvaSentimentModel
    from molva.catalog import load_catalog

    ex = written_examples(read_posts([ROOT / "classifier" / "training_posts"]), load_catalog())
    args = ([e.text for e in ex], [e.target for e in ex], [e.others for e in ex], [e.domain for e in ex])
    c0 = time.process_time()
    model = MolvaSentimentModel(model_dir, multi=multi)
    load = time.process_time() - c0
    cold, warm = [], []
    for _ in range(3):
        model.featurizer._reset_table()  # a cold token cache
        c0 = time.process_time()
        model.predict_domains(*args)
        cold.append(time.process_time() - c0)
        c0 = time.process_time()
        model.predict_domains(*args)
        warm.append(time.process_time() - c0)
    per = 1000 / len(ex)
    return {"requests": len(ex), "variant": bool(model.multi_members), "load_cpu_s": round(load, 2),
            "cold_cpu_s_per_1000": round(min(cold) * per, 3), "warm_cpu_s_per_1000": round(min(warm) * per, 3)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=ROOT / "models" / "molva-sentiment")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--one", choices=("0", "1"), help=argparse.SUPPRESS)  # a child process: one measurement
    a = p.parse_args()
    if a.one is not None:
        print(json.dumps(measure(a.model, a.one == "1")))
        return
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    rows: dict[str, list[dict[str, float]]] = {"without": [], "with": []}
    for _ in range(a.rounds):
        for name, flag in (("without", "0"), ("with", "1")):
            out = subprocess.run([sys.executable, __file__, "--model", str(a.model), "--one", flag], cwd=ROOT,
                                 env=env, capture_output=True, text=True, check=True)
            rows[name].append(json.loads(out.stdout))
    print(json.dumps({"load_average": os.getloadavg(), **rows}, indent=2))


if __name__ == "__main__":
    main()
