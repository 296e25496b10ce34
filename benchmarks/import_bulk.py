"""Benchmark: ``molva import`` of N new mentions (JSON Lines) end to end, beside plain ``sqlite3``
``executemany(INSERT … ON CONFLICT DO NOTHING)`` of the same rows into the same schema, measured in the same run;
then the re-import of the same file (must add zero rows). With ``--postgres``, the same on a throwaway
PostgreSQL database beside ``COPY`` of the same rows. With ``--slices``, the CPU time of each 10,000 lines (in process) (the last
slice must be as fast as the first: the cost per post does not grow with the table).

With ``--old TREE`` (a source tree, e.g. ``git archive main | tar -x -C /tmp/old``) the import runs with that
code first on ``PYTHONPATH`` and with this tree's, alternating, ``--rounds`` times, each round with its own reference; the load average before
each run is reported (the machine may be shared).

    .venv/bin/python benchmarks/import_bulk.py --count 100000 [--postgres] [--slices]
    .venv/bin/python benchmarks/import_bulk.py --count 100000 --postgres --old /tmp/old --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from sqlalchemy import create_engine, text  # noqa: E402

from molva.db import throwaway_database, upgrade  # noqa: E402
from molva.ingest.urls import canonical_url, content_hash  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
OLD_TREE = Path()  # --old
DB_PREFIX = "molva_bench"  # --db-prefix: throwaway PostgreSQL databases are named after it
T0 = datetime(2025, 3, 1, tzinfo=UTC)
BRANDS = ["Сбербанк", "Сбера", "ВТБ", "Т-Банк", "Тинькофф", "Альфа-Банк", "МТС", "Билайн", "МегаФон", "Tele2",
          "Ростелеком", "Газпромбанк", "Совкомбанк", "Почта Банк", "Yota", "Райффайзенбанк", None, None]
OPENERS = ["Третий день", "Уже неделю", "Сегодня утром", "Вчера вечером", "Опять", "Снова", "В который раз",
           "Честно говоря,", "Друзья,", "Коллеги,", "Внимание:", "Кто знает,"]
EVENTS = ["не могу войти в приложение", "списали деньги дважды", "не работает перевод по СБП",
          "заблокировали карту без объяснения", "пропал интернет во всём районе", "поддержка не отвечает",
          "одобрили кредит за пять минут", "вернули комиссию после звонка", "подняли тариф без предупреждения",
          "отличная скорость мобильного интернета", "очередь в отделении на два часа", "кешбэк так и не пришёл"]
TAILS = ["Что делать?", "Спасибо за помощь!", "Больше не вернусь.", "Рекомендую.", "Кто сталкивался?",
         "Пишу уже пятое обращение.", "Очень довольна.", "Это просто издевательство.", "Посоветуйте, куда жаловаться."]
COLUMNS = ("source_id", "kind", "external_id", "url", "canonical_url", "author", "author_id", "text",
           "published_at", "fetched_at", "likes", "views", "content_hash")


def rows(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Import rows of one VK source: unique ids; 3% reposts of an earlier text (near-duplicates)."""
    rng = random.Random(seed)
    texts: list[str] = []
    for i in range(count):
        brand = rng.choice(BRANDS)
        if texts and rng.random() < 0.03:
            body = "Репост: " + rng.choice(texts[-2000:])
        else:
            words = " ".join(rng.choice(EVENTS) for _ in range(rng.randint(1, 3)))
            about = f"{brand}: " if brand else ""
            body = f"{about}{rng.choice(OPENERS)} {words} (№{i}, {rng.randint(1, 10**6)}). {rng.choice(TAILS)}"
            texts.append(body)
        owner = 1000 + i % 977
        yield {"source": "bench-import", "kind": "vk", "external_id": f"{owner}_{i}",
               "url": f"https://vk.com/wall{owner}_{i}", "text": body,
               "published_at": (T0 + timedelta(seconds=30 * i)).isoformat(), "author": f"user{i % 5000}",
               "author_id": str(owner), "likes": rng.randint(0, 50), "views": rng.randint(0, 10_000)}


def write_file(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows(count):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def reference_tuples(path: Path) -> list[tuple[Any, ...]]:
    now = datetime.now(UTC).isoformat(sep=" ")
    out = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            out.append((1, row["kind"], row["external_id"], row["url"], canonical_url(row["url"]), row["author"],
                        row["author_id"], row["text"], row["published_at"].replace("T", " "), now, row["likes"],
                        row["views"], content_hash(row["text"])))
    return out


def sqlite_reference(tmp: Path, tuples: list[tuple[Any, ...]], batch: int, every: int = 0) -> dict[str, Any]:
    """Plain sqlite3 executemany of the same rows into a fresh database of the same schema (WAL, NORMAL);
    with ``every``, also the CPU seconds of each ``every`` rows."""
    db = tmp / "reference.db"
    upgrade(f"sqlite:///{db}")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("INSERT INTO sources (id, name, kind, enabled, consecutive_failures, created_at) "
                 "VALUES (1, 'ref', 'vk', 1, 0, '2025-01-01 00:00:00')")
    sql = (f"INSERT INTO mentions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
           "ON CONFLICT (source_id, external_id) DO NOTHING")
    times: list[float] = []
    cpu, wall = time.process_time(), time.perf_counter()
    t = cpu
    for start in range(0, len(tuples), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, tuples[start:start + batch])
        conn.execute("COMMIT")
        if every and (start + batch) % every == 0:
            times.append(round(time.process_time() - t, 3))
            t = time.process_time()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    conn.close()
    out: dict[str, Any] = {"rows_per_s": round(len(tuples) / wall), "rows_per_cpu_s": round(len(tuples) / cpu)}
    if every:
        out["seconds_per_slice"] = times
    return out


def molva_import(url: str, path: Path, config: Path, batch: int, variant: str = "") -> dict[str, Any]:
    """``molva import`` in a fresh process, end to end (interpreter start and imports included); CPU seconds
    of it. ``variant``: "new" (this tree) or "old" (the tree of ``--old`` first on ``PYTHONPATH``)."""
    env = {**os.environ, "MOLVA_DATABASE_URL": url, "MOLVA_CONFIG": str(config)}
    command = [str(ROOT / ".venv/bin/python"), "-m", "molva", "import", str(path), "--quiet", "--batch", str(batch)]
    if variant == "old":
        env["PYTHONPATH"] = str(OLD_TREE)
    load = round(os.getloadavg()[0], 2)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    # run from the file's folder: ``python -m`` puts the working directory first on sys.path, before PYTHONPATH
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=path.parent)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "load_before": load,
            "summary": done.stdout.strip()}


def count_rows(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = int(conn.execute(text("SELECT count(*) FROM mentions")).scalar_one())
    engine.dispose()
    return value


def slices(url: str, path: Path, batch: int, every: int = 10_000) -> dict[str, Any]:
    """CPU seconds per ``every`` lines of an in-process import (the first and the last slices are compared)."""
    from molva.catalog import load_catalog
    from molva.db import make_sessionmaker
    from molva.ingest.importer import Importer, read_rows

    catalog = load_catalog()
    spans = catalog.spans  # what the ingestor calls (Catalog.match without its objects)
    spent = [0.0]

    def timed_spans(text: str, lowered: str | None = None) -> Any:  # how much of the per-row cost is brand matching
        t = time.process_time()
        try:
            return spans(text, lowered)
        finally:
            spent[0] += time.process_time() - t

    catalog.spans = timed_spans  # type: ignore[method-assign]
    importer = Importer(make_sessionmaker(url), catalog, {}, batch)
    times: list[float] = []
    cpu = time.process_time()
    t = time.process_time()
    with path.open(encoding="utf-8") as stream:
        for number, row in read_rows(stream, "jsonl"):
            importer.add(number, row)
            if number % every == 0:
                times.append(round(time.process_time() - t, 3))
                t = time.process_time()
    importer.finish()
    cpu = time.process_time() - cpu
    return {"seconds_per_slice": times, "cpu_seconds": round(cpu, 2), "brand_matching_cpu_seconds": round(spent[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--slices", action="store_true", help="time every 10,000 lines (in process)")
    parser.add_argument("--old", type=Path, help="a source tree to compare with (run first on PYTHONPATH)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of the comparison (--old)")
    parser.add_argument("--db-prefix", default="molva_bench", help="name prefix of the throwaway PostgreSQL databases")
    args = parser.parse_args()
    global OLD_TREE, DB_PREFIX
    DB_PREFIX = args.db_prefix
    if args.old:
        OLD_TREE = args.old.resolve()
        compare(args)
        return
    machine = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        data = tmp / "mentions.jsonl"
        write_file(data, args.count)
        config = tmp / "molva.toml"
        config.write_text("")
        result: dict[str, Any] = {"count": args.count, "batch": args.batch, "machine": machine}
        url = f"sqlite:///{tmp / 'molva.db'}"
        upgrade(url)
        if args.slices:
            result["in_process"] = measured = slices(url, data, args.batch)
            times = measured["seconds_per_slice"]
            result["last_vs_first"] = round(times[-1] / times[0], 2)
            result["mentions_per_cpu_s"] = round(args.count / measured["cpu_seconds"])
            result["without_matching_per_cpu_s"] = round(
                args.count / (measured["cpu_seconds"] - measured["brand_matching_cpu_seconds"]))
            print(json.dumps(result, ensure_ascii=False), flush=True)
            # the database alone: plain executemany of the same rows, timed per slice the same way
            reference = sqlite_reference(tmp, reference_tuples(data), args.batch, every=10_000)
            times = reference["seconds_per_slice"]
            reference["last_vs_first"] = round(times[-1] / times[0], 2)
            print(json.dumps({"sqlite_reference": reference}), flush=True)
            return
        tuples = reference_tuples(data)
        result["sqlite_reference"] = sqlite_reference(tmp, tuples, args.batch)
        first = molva_import(url, data, config, args.batch)
        first["mentions_per_s"] = round(args.count / first["seconds"])
        first["mentions_per_cpu_s"] = round(args.count / first["cpu_seconds"])
        rows_first = count_rows(url)
        again = molva_import(url, data, config, args.batch)
        result["sqlite"] = {"first": first, "again": again, "rows": rows_first,
                            "added_by_reimport": count_rows(url) - rows_first,
                            "ratio_to_executemany_wall": round(first["mentions_per_s"]
                                                               / result["sqlite_reference"]["rows_per_s"], 2)}
        print(json.dumps(result, ensure_ascii=False), flush=True)
        if args.postgres:
            print(json.dumps({"postgres": postgres(data, config, tuples, args)}, ensure_ascii=False), flush=True)


def postgres(data: Path, config: Path, tuples: list[tuple[Any, ...]], args: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    out: dict[str, Any] = {}
    with throwaway_database(PG_ADMIN, f"{DB_PREFIX}_ref") as ref_url:
        upgrade(ref_url)
        dsn = ref_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            conn.execute("INSERT INTO sources (id, name, kind, enabled, consecutive_failures, created_at) "
                         "VALUES (1, 'ref', 'vk', true, 0, now())")
            conn.commit()
            wall = time.perf_counter()
            for start in range(0, len(tuples), args.batch):
                with conn.cursor().copy(f"COPY mentions ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in tuples[start:start + args.batch]:
                        copy.write_row(row)
                conn.commit()
            wall = time.perf_counter() - wall
        out["copy_reference_rows_per_s"] = round(len(tuples) / wall)
    with throwaway_database(PG_ADMIN, f"{DB_PREFIX}_import") as url:
        upgrade(url)
        first = molva_import(url, data, config, args.batch)
        first["mentions_per_s"] = round(args.count / first["seconds"])
        rows_first = count_rows(url)
        again = molva_import(url, data, config, args.batch)
        out.update(first=first, again=again, rows=rows_first, added_by_reimport=count_rows(url) - rows_first,
                   ratio_to_copy=round(first["mentions_per_s"] / out["copy_reference_rows_per_s"], 2))
    return out


def copy_reference(tuples: list[tuple[Any, ...]], batch: int) -> int:
    """Rows per second of plain COPY of the same rows into a fresh PostgreSQL database of the same schema."""
    import psycopg

    with throwaway_database(PG_ADMIN, f"{DB_PREFIX}_ref") as ref_url:
        upgrade(ref_url)
        with psycopg.connect(ref_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            conn.execute("INSERT INTO sources (id, name, kind, enabled, consecutive_failures, created_at) "
                         "VALUES (1, 'ref', 'vk', true, 0, now())")
            conn.commit()
            wall = time.perf_counter()
            for start in range(0, len(tuples), batch):
                with conn.cursor().copy(f"COPY mentions ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in tuples[start:start + batch]:
                        copy.write_row(row)
                conn.commit()
            wall = time.perf_counter() - wall
    return round(len(tuples) / wall)


def compare(args: argparse.Namespace) -> None:
    """Rounds of: the reference, then each variant (the old tree, this one) importing the same file into a
    fresh database and importing it again; one JSON line per run."""
    variants = ["old", "new"]
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        data = tmp / "mentions.jsonl"
        write_file(data, args.count)
        config = tmp / "molva.toml"
        config.write_text("")
        tuples = reference_tuples(data)
        print(json.dumps({"count": args.count, "batch": args.batch, "variants": variants, "cpus": os.cpu_count()}),
              flush=True)
        for number in range(args.rounds):
            order = variants if number % 2 == 0 else variants[::-1]  # alternate which runs first
            backends = ["sqlite", "postgres"] if args.postgres else ["sqlite"]
            for backend in backends:
                load = round(os.getloadavg()[0], 2)
                if backend == "sqlite":
                    (tmp / "reference.db").unlink(missing_ok=True)
                    reference = sqlite_reference(tmp, tuples, args.batch)["rows_per_s"]
                else:
                    reference = copy_reference(tuples, args.batch)
                print(json.dumps({"round": number, "backend": backend, "reference_rows_per_s": reference,
                                  "load_before": load}), flush=True)
                for variant in order:
                    result = one_import(backend, tmp, data, config, args, variant)
                    result["ratio_to_reference_wall"] = round(result["first"]["mentions_per_s"] / reference, 3)
                    print(json.dumps({"round": number, "backend": backend, "variant": variant, **result},
                                     ensure_ascii=False), flush=True)


def one_import(backend: str, tmp: Path, data: Path, config: Path, args: argparse.Namespace,
               variant: str) -> dict[str, Any]:
    def measure(url: str) -> dict[str, Any]:
        upgrade(url)
        first = molva_import(url, data, config, args.batch, variant)
        first["mentions_per_s"] = round(args.count / first["seconds"])
        first["mentions_per_cpu_s"] = round(args.count / first["cpu_seconds"])
        first.pop("summary")
        rows_first = count_rows(url)
        again = molva_import(url, data, config, args.batch, variant)
        again.pop("summary")
        return {"first": first, "again": again, "rows": rows_first, "added_by_reimport": count_rows(url) - rows_first}

    if backend == "sqlite":
        db = tmp / f"import-{variant}.db"
        for leftover in tmp.glob(f"import-{variant}.db*"):
            leftover.unlink()
        return measure(f"sqlite:///{db}")
    with throwaway_database(PG_ADMIN, f"{DB_PREFIX}_import") as url:
        return measure(url)


if __name__ == "__main__":
    main()
