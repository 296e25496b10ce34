"""``molva report --json`` in a fresh process: wall and CPU seconds, against a reference tree in the same run.

Each run is a new ``python -m molva report --json`` (interpreter, imports, schema check, queries, output), so
the numbers are what a user or a cron job waits for. With ``--reference DIR`` (an unpacked older commit, e.g.
``git archive <commit> | tar -x -C DIR``) the same commands run from that tree alternately with this one, and
their all-time JSON outputs must be equal (the same numbers, however they are computed).

``--bytecode both`` measures each tree twice per round: with its modules compiled to bytecode first (as
``pip install .`` in the Dockerfile leaves them) and with no bytecode at all (an editable install in an
environment with ``PYTHONDONTWRITEBYTECODE=1``, as this machine's, compiles every Molva module from source in
every process). The compiled files go to the trees' ``__pycache__`` folders (ignored by git) and are removed at
the end.

    python benchmarks/report_speed.py --db /tmp/bench1m.db --reference /tmp/base --repeats 5 --bytecode both
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("molva", "crawlers", "classifier", "alerts", "dashboard", "simulator")


_STATE: dict[Path, bool] = {}


def set_bytecode(tree: Path, compiled: bool) -> None:
    """Compile the tree's packages to bytecode, or remove every compiled file of them."""
    if _STATE.get(tree) is compiled:
        return
    _STATE[tree] = compiled
    for package in PACKAGES:
        if not (tree / package).is_dir():
            continue
        for cache in (tree / package).rglob("__pycache__"):
            shutil.rmtree(cache)
        if compiled:
            compileall.compile_dir(str(tree / package), quiet=1)


def run_once(tree: Path, url: str, args: list[str]) -> tuple[float, float, Any]:
    """Wall and CPU seconds (user + system of the child) of one fresh ``molva report --json``, and its output."""
    env = {**os.environ, "MOLVA_DATABASE_URL": url}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "molva", "report", "--json", *args], cwd=tree, env=env,
                            capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench1m.db"), help="a SQLite file (see dashboard_speed)")
    parser.add_argument("--url", default=None, help="a database URL instead of --db (e.g. PostgreSQL)")
    parser.add_argument("--reference", type=Path, default=None, help="an older tree to compare with")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bytecode", choices=("both", "compiled", "none"), default="both",
                        help="compile the trees' modules first, leave them uncompiled, or measure both")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{args.db.resolve()}"
    trees = {"this tree": ROOT}
    if args.reference is not None:
        trees = {"reference": args.reference.resolve(), **trees}
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    modes = {"both": (True, False), "compiled": (True,), "none": (False,)}[args.bytecode]
    for label, options in (("all time", []), ("--period 7d", ["--period", "7d"])):
        outputs = {}
        times: dict[tuple[str, bool], list[tuple[float, float]]] = {(n, c): [] for n in trees for c in modes}
        for _ in range(args.repeats):
            for compiled in modes:
                for name, tree in trees.items():
                    set_bytecode(tree, compiled)
                    wall, cpu, output = run_once(tree, url, options)
                    times[(name, compiled)].append((wall, cpu))
                    outputs[name] = output
        for (name, compiled), runs in times.items():
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            kind = "bytecode" if compiled else "no bytecode"
            print(f"{label:12} {name:10} {kind:12} wall {wall:.2f} s, CPU {cpu:.2f} s (median of {len(runs)})")
        if len(outputs) == 2 and not options:  # a period ends "now": its edge moves between runs
            first, second = outputs.values()
            same = all(first[key] == second[key] for key in ("brands", "mentions_total", "sources"))
            print(f"{label:12} outputs equal: {same}")
            if not same:
                return 1
        print(f"load average: {os.getloadavg()[0]:.1f}", flush=True)
    set_bytecode(ROOT, modes[0])
    imports = []
    for _ in range(args.repeats):  # the floor of a fresh process: interpreter and imports, no database
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", "import molva.cli, molva.metrics, molva.db"], cwd=ROOT, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        imports.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    print(f"imports only (this tree, {'bytecode' if modes[0] else 'no bytecode'}): "
          f"CPU {statistics.median(imports):.2f} s (median of {len(imports)})")
    for tree in trees.values():
        set_bytecode(tree, False)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
