"""Speed of `molva analyze` end to end on 10,000 generated tweet-like texts, against rubert-tiny2
(or rubert-base: `--anchor rubert-base`, for the accurate default).

    python benchmarks/sentiment_speed.py [--n 10000] [--threads 2] [--model fast] [--anchor rubert-base]

Runs `molva analyze` in a subprocess (JSON in and out, catalog brand matching, the shipped model), and
../shared/bench/transformer_speed.py --only rubert-tiny2 just before and just after it (their mean is the
anchor), and prints texts/s end to end (process start to exit) and after loading (the summary line of
`molva analyze`: what a long file runs at), the ratios, and the peak RSS of the analyze process."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANCHOR = next((p / "shared" / "bench" / "transformer_speed.py" for p in (ROOT.parent, ROOT.parent.parent)
               if (p / "shared" / "bench" / "transformer_speed.py").exists()),
              ROOT.parent / "shared" / "bench" / "transformer_speed.py")  # a worktree sits one level deeper
BRANDS = ["Сбербанк", "сбер", "МТС", "мтс", "Билайн", "билайну", "ВТБ", "втб24", "Тинькофф", "МегаФон",
          "мегафоне", "Альфа-Банк", "альфу", "Tele2", "теле2", "Ростелеком", "Газпромбанк"]
OPENERS = ["", "@support ", "RT @user: ", "Короче, ", "Блин, ", "Ну вот, ", "Господи, "]
BODIES = [
    "{b} опять списал деньги за непонятную подписку", "спасибо {b} за быстрый ответ в чате",
    "кто-нибудь знает, {b} работает в праздники?", "{b} интернет не работает с утра",
    "взял кредитку в {b}, пока норм", "{b} поднял тарифы, ну такое", "в {b} очередь на час",
    "перевёл маме через {b}, дошло за минуту", "новое приложение {b} огонь", "{b} заблокировал карту без причины",
    "сегодня в новостях: {b} отчитался о прибыли", "{b} vs {c}: у кого дешевле роуминг?",
    "ушёл из {b} в {c}, пока доволен", "связь {b} в метро отвратительная", "{b} дал кэшбэк 10% на кафе",
]
TAILS = ["", " http://t.co/abc123", " 😡", " 👍", "!!!", " #банки", " ((", " )))", "..."]


def make_texts(n: int, seed: int = 7, unique: bool = False) -> list[dict[str, object]]:
    """Tweet-like rows; about 11% of the texts repeat (as retweets do). ``unique``: every text differs
    (a numbered hashtag is appended), so no request can be answered from a duplicate."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(n):
        b, c = rng.sample(BRANDS, 2)
        text = rng.choice(OPENERS) + rng.choice(BODIES).format(b=b, c=c) + rng.choice(TAILS)
        if rng.random() < 0.3:
            text += ". " + rng.choice(BODIES).format(b=rng.choice(BRANDS), c=c)
        if unique:
            text += f" #{i}"
        row: dict[str, object] = {"id": i, "text": text}
        if rng.random() < 0.5:
            row["brand"] = rng.choice(["Сбербанк", "МТС", "Билайн", "ВТБ", "МегаФон"])
        rows.append(row)
    return rows


def run_analyze(path: Path, out: Path, threads: int, model: str | None = None, workers: int = 1) -> dict[str, float]:
    env = dict(os.environ, MOLVA_THREADS=str(threads), OMP_NUM_THREADS=str(threads), HF_HUB_OFFLINE="1")
    cmd = [sys.executable, "-m", "molva", "analyze", str(path), "-o", str(out)] + (["--model", model] if model else [])
    cmd += ["--workers", str(workers)] if workers > 1 else []
    with tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS (not the rubert-tiny2 runs')
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read()
    if proc.returncode != 0:
        raise SystemExit(f"molva analyze failed ({proc.returncode}): {stderr[-2000:]}")
    summary = re.search(r"([\d.]+)s \(model loaded in ([\d.]+)s, then (\d+) rows/s\)", stderr)
    if summary is None:
        raise SystemExit(f"no summary line in: {stderr[-500:]}")
    peak_kb = usage.ru_maxrss
    return {"wall": wall, "inner": float(summary.group(1)), "load": float(summary.group(2)),
            "steady": float(summary.group(3)), "peak_kb": peak_kb}


def rubert_tiny2(threads: int, arch: str = "rubert-tiny2") -> float:
    anchor = subprocess.run([sys.executable, str(ANCHOR), "--only", arch], capture_output=True, text=True,
                            env=dict(os.environ, OMP_NUM_THREADS=str(threads)), check=True)
    return float(json.loads(anchor.stdout.strip().splitlines()[-1])["texts_per_second"][arch])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--unique", action="store_true", help="no repeated texts in the input")
    p.add_argument("--workers", type=int, default=1, help="`molva analyze --workers` (processes; peak RSS is the largest one process, not their sum)")
    p.add_argument("--model", default=None, help="`molva analyze --model`: fast, a directory (default: shipped)")
    p.add_argument("--anchor", default="rubert-tiny2", choices=("rubert-tiny2", "rubert-base"),
                   help="reference architecture (the accurate default is compared with rubert-base)")
    a = p.parse_args()
    load_before = os.getloadavg()[0]
    tiny_before = rubert_tiny2(a.threads, a.anchor)
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in make_texts(a.n, unique=a.unique)),
                       encoding="utf-8")
        run = run_analyze(src, out, a.threads, a.model, a.workers)
        assert sum(1 for _ in out.open(encoding="utf-8")) == a.n
    tiny_after = rubert_tiny2(a.threads, a.anchor)
    tiny = (tiny_before + tiny_after) / 2  # measured just before and just after: the same conditions
    result = {
        "model": a.model or "shipped", "texts": a.n, "threads": a.threads, "workers": a.workers, "unique_texts": a.unique,
        "runtime": os.environ.get("MOLVA_RUNTIME", "default"),  # numpy (weights-*.npz) unless MOLVA_RUNTIME=torch
        "analyze_texts_per_s_end_to_end": round(a.n / run["wall"], 1),  # process start to exit
        "analyze_load_seconds": run["load"],  # importing torch, loading the model and the catalog
        "analyze_texts_per_s_after_load": run["steady"],  # what a long (1M-line) file runs at
        "peak_rss_mb": round(run["peak_kb"] / 1024, 1),
        "anchor": a.anchor, "anchor_texts_per_s": round(tiny, 1), "anchor_before_after": [tiny_before, tiny_after],
        "ratio_end_to_end": round(a.n / run["wall"] / tiny, 2),
        "ratio_after_load": round(run["steady"] / tiny, 2),
        "date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
        "load_avg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
