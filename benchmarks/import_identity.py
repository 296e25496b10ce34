"""Check: ``molva import`` of the same file by another source tree (e.g. ``main``) and by this one stores the same
rows, table by table (SQLite).

Each tree imports the file into its own fresh database in a fresh process (``--old TREE`` first on
``PYTHONPATH``, as ``benchmarks/import_bulk.py --old`` runs it), then imports it again (must add nothing); the
two databases are compared table by table: every column but the import's own clock (``fetched_at`` of
mentions, the crawl runs' times), rows in key order. Prints one line per table and exits 1 on a difference.

    git archive main | tar -x -C /tmp/old
    .venv/bin/python benchmarks/import_identity.py --old /tmp/old --count 100000
    .venv/bin/python benchmarks/import_identity.py --old /tmp/old --file some.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from import_bulk import write_file  # noqa: E402

from molva.db import upgrade  # noqa: E402

# the columns left out of the comparison: the import's own clock
SKIPPED = {"mentions": {"fetched_at"}, "crawl_runs": {"started_at", "finished_at", "stats"},
           "sources": {"created_at", "last_success_at", "last_attempt_at", "next_run_at", "updated_at"}}
# the tables the import writes (others are compared too, they must stay empty or equal)
WRITTEN = ("sources", "mentions", "brand_mentions", "brand_rollups", "source_counts", "official_replies",
           "crawl_runs")


def run_import(tree: Path, data: Path, db: Path, batch: int) -> str:
    upgrade(f"sqlite:///{db}")
    config = db.with_suffix(".toml")
    config.write_text("")
    env = {**os.environ, "MOLVA_DATABASE_URL": f"sqlite:///{db}", "MOLVA_CONFIG": str(config),
           "PYTHONPATH": str(tree)}
    command = [str(ROOT / ".venv/bin/python"), "-m", "molva", "import", str(data), "--quiet", "--batch", str(batch)]
    # from the file's folder: ``python -m`` puts the working directory first on sys.path
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=data.parent)
    return done.stdout.strip()


def table_digest(conn: sqlite3.Connection, table: str) -> tuple[int, str, list[str]]:
    """Rows, a digest of them in key order, and the columns compared."""
    columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
    kept = [c for c in columns if c not in SKIPPED.get(table, set())]
    names = ", ".join(f'"{c}"' for c in kept)
    digest = hashlib.sha256()
    count = 0
    for row in conn.execute(f'SELECT {names} FROM "{table}" ORDER BY {names}'):
        digest.update(repr(row).encode())
        count += 1
    return count, digest.hexdigest(), kept


def first_difference(old: sqlite3.Connection, new: sqlite3.Connection, table: str, columns: list[str]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    query = f'SELECT {names} FROM "{table}" ORDER BY {names}'
    for a, b in zip(old.execute(query), new.execute(query), strict=False):
        if a != b:
            return f"old {a!r} / new {b!r}"
    return "one table has more rows"


def compare(old_db: Path, new_db: Path) -> bool:
    old, new = sqlite3.connect(old_db), sqlite3.connect(new_db)
    tables = [name for (name,) in old.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    same = True
    for table in tables:
        count_old, digest_old, columns = table_digest(old, table)
        count_new, digest_new, _ = table_digest(new, table)
        equal = (count_old, digest_old) == (count_new, digest_new)
        if count_old or count_new or table in WRITTEN:
            print(f"{table:24} rows {count_old:>9} / {count_new:>9}  {'same' if equal else 'DIFFERENT'}")
        if not equal:
            print("  first difference:", first_difference(old, new, table, columns))
            same = False
    return same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=Path, required=True, help="the other source tree (e.g. git archive of main)")
    parser.add_argument("--count", type=int, default=100_000, help="lines of the benchmark's generated file")
    parser.add_argument("--file", type=Path, help="a JSON Lines file to import instead of the generated one")
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        data = args.file.resolve() if args.file else tmp / "mentions.jsonl"
        if not args.file:
            write_file(data, args.count)
        summaries = {}
        for variant, tree in (("old", args.old.resolve()), ("new", ROOT)):
            db = tmp / f"{variant}.db"
            summaries[variant] = [run_import(tree, data, db, args.batch), run_import(tree, data, db, args.batch)]
            print(variant, "first:", summaries[variant][0].splitlines()[-1])
            print(variant, "again:", summaries[variant][1].splitlines()[-1])
        same = compare(tmp / "old.db", tmp / "new.db")
        same = same and summaries["old"] == summaries["new"]
        print("identical" if same else "DIFFERENT")
        sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
