"""Dashboard speed on 1,000,000 generated mentions, SQLite and PostgreSQL.

For each page: the time of its data functions on a cold cache (every query runs), and the time of a full
``AppTest`` render after the cache is warm (what a user waits for when switching pages or filters that were
seen in the last ``TTL`` seconds). Results are printed as a Markdown table (kept in BENCHMARKS.md, "Dashboard speed").

    nice python benchmarks/dashboard_speed.py --count 1000000 \\
        --sqlite /tmp/bench1m.db --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from benchmarks.generate_mentions import generate  # noqa: E402
from molva.db import make_engine, throwaway_database, upgrade  # noqa: E402
from molva.metrics import MetricsFilter  # noqa: E402
from molva.metrics.explorer import ExplorerQuery  # noqa: E402
from molva.models import Mention  # noqa: E402

PAGES = ("overview", "competitors", "explorer", "support", "sources")


def default_filters() -> MetricsFilter:
    today = datetime.now(UTC).date()
    since = datetime.combine(today - timedelta(days=29), datetime.min.time(), tzinfo=UTC)
    return MetricsFilter(since=since, until=since + timedelta(days=30))


def page_functions(url: str) -> dict[str, Callable[[], Any]]:
    from dashboard import data

    f = default_filters()
    groups = data.group_of()
    members = tuple(data.known_brands(url))
    return {
        "overview": lambda: (data.known_brands(url), data.known_sources(url), data.comparison(url, f),
                             data.timeseries(url, f, "day"), data.spike_markers(url, f),
                             data.brands_table(url, f, groups), data.sources_breakdown(url, f)),
        "competitors": lambda: (data.voice(url, f, members, groups), data.responses(url, f),
                                data.response_breakdown(url, f, "week")),
        "explorer": lambda: (data.explore(url, ExplorerQuery(filters=f), 100),
                             data.explore(url, ExplorerQuery(text="списали деньги", filters=f), 100)),
        "support": lambda: (data.topics(url, (), True), data.urgent(url, f, 0.6)),
        "sources": lambda: (data.health(url), data.runs(url)),
    }


def cold_times(url: str) -> tuple[dict[str, float], dict[str, float]]:
    """Per page: wall and CPU seconds (this process, all threads) of its data functions on an empty cache."""
    import streamlit as st

    wall, cpu = {}, {}
    for page, run in page_functions(url).items():
        st.cache_data.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        wall[page], cpu[page] = time.perf_counter() - started, time.process_time() - started_cpu
    return wall, cpu


def renders(url: str, repeats: int = 3) -> tuple[dict[str, float], dict[str, float]]:
    """Per page: a full AppTest run on an empty data cache, and the median of runs once it is warm."""
    import streamlit as st
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    config.set_option("server.address", "127.0.0.1")  # as `molva dashboard` binds it: no login on loopback
    cold, warm = {}, {}
    renders.cpu = {}  # type: ignore[attr-defined]
    for page in PAGES:
        app = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=600)
        app.run()
        if page != "overview":
            app.switch_page(f"pages/{page}.py")
        app.run()  # warm-up: imports, the engine, this page's widgets
        st.cache_data.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        app.run()
        cold[page] = time.perf_counter() - started
        renders.cpu[page] = time.process_time() - started_cpu  # type: ignore[attr-defined]
        assert not app.exception, [e.value for e in app.exception]
        assert app.title and app.dataframe, f"{page} did not render its data"
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            app.run()
            times.append(time.perf_counter() - started)
        warm[page] = statistics.median(times)
    return cold, warm


def ensure_data(url: str, count: int) -> float:
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        have = int(conn.scalar(select(func.count(Mention.id))) or 0)
    engine.dispose()
    if have >= count:
        return 0.0
    return generate(url, count - have, seed=have + 1, migrate=False).seconds


def measure(label: str, url: str, count: int) -> dict[str, Any]:
    import streamlit as st

    os.environ["MOLVA_DATABASE_URL"] = url
    generated = ensure_data(url, count)
    st.cache_data.clear()
    st.cache_resource.clear()
    load_before = os.getloadavg()[0]
    cold, warm = renders(url)
    render_cpu = dict(renders.cpu)  # type: ignore[attr-defined]
    data_wall, data_cpu = cold_times(url)
    result = {"backend": label, "generated_s": generated, "cold": data_wall, "cold_cpu": data_cpu,
              "cold_render": cold, "cold_render_cpu": render_cpu, "warm": warm,
              "load": (load_before + os.getloadavg()[0]) / 2}
    print(label, result, flush=True)
    return result


def write_report(results: list[dict[str, Any]], count: int, path: Path) -> None:
    cpu = platform.processor() or platform.machine()
    lines = [
        "# Dashboard speed",
        "",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: {platform.node()}, {cpu}, "
        f"{os.cpu_count()} CPUs (shared), Python {platform.python_version()}, {platform.system()} "
        f"{platform.release()}. Load average (1 min) while measuring: "
        + ", ".join(f"{r['backend']} {r['load']:.1f}" for r in results)
        + " (the machine is shared; cold numbers vary with it).",
        "",
        f"{count:,} generated mentions (`benchmarks/generate_mentions.py`: ~1.12 brand mentions each, 90 days, "
        "7 brands, 5 sources, official replies), default filters (last 30 days, all brands and sources). "
        "Command: `nice python benchmarks/dashboard_speed.py --count "
        f"{count}` (see the script's docstring).",
        "",
        "- **cold data**: the page's data functions one after another on an empty cache;",
        "- **cold render**: a full `AppTest` run of the page on an empty data cache (the first visitor after "
        "the 5-minute TTL or a new filter); the overview and competitors pages run their queries side by side;",
        "- **warm render**: a full `AppTest` run after the cache is warm (median of 3): what a user waits for "
        "when switching pages or returning to filters seen in the last 5 minutes. Target: < 2 s.",
        "",
        "| backend | page | cold data, s (CPU-s) | cold render, s (CPU-s) | warm render, s |",
        "|---|---|---:|---:|---:|",
    ]
    for result in results:
        for page in PAGES:
            lines.append(f"| {result['backend']} | {page} | {result['cold'][page]:.2f} ({result['cold_cpu'][page]:.2f}) | "
                         f"{result['cold_render'][page]:.2f} ({result['cold_render_cpu'][page]:.2f}) | "
                         f"{result['warm'][page]:.2f} |")
    generated = [f"{r['backend']} {r['generated_s']:.0f} s" for r in results if r["generated_s"]]
    if generated:
        lines += ["", f"Generating {count:,} mentions: " + ", ".join(generated) + "."]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--sqlite", type=Path, default=Path("/tmp/molva-bench-1m.db"))
    parser.add_argument("--postgres", default=None, help="admin URL; a throwaway database is created and dropped")
    parser.add_argument("--postgres-db", default=None,
                        help="an existing, filled PostgreSQL database URL to measure instead (e.g. pg_bulk_fill.py's)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "out" / "dashboard.md")
    args = parser.parse_args()
    if args.postgres_db:
        results = [measure("PostgreSQL", args.postgres_db, args.count)]
    else:
        results = [measure("SQLite", f"sqlite:///{args.sqlite.resolve()}", args.count)]
    if args.postgres:
        with throwaway_database(args.postgres, "molva_bench") as url:
            results.append(measure("PostgreSQL", url, args.count))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_report(results, args.count, args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
