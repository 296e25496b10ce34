"""Speed of `molva analyze` end to end on 10,000 generated tweet-like texts, against rubert-tiny2.

    python benchmarks/sentiment_speed.py [--n 10000] [--threads 2]

Runs `molva analyze` in a subprocess (JSON in and out, catalog brand matching, the shipped model), then
../shared/bench/transformer_speed.py --only rubert-tiny2 in the same run, and prints texts/s, the
ratio and the peak RSS of the analyze process."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANCHOR = ROOT.parent / "shared" / "bench" / "transformer_speed.py"
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


def make_texts(n: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(n):
        b, c = rng.sample(BRANDS, 2)
        text = rng.choice(OPENERS) + rng.choice(BODIES).format(b=b, c=c) + rng.choice(TAILS)
        if rng.random() < 0.3:
            text += ". " + rng.choice(BODIES).format(b=rng.choice(BRANDS), c=c)
        row: dict[str, object] = {"id": i, "text": text}
        if rng.random() < 0.5:
            row["brand"] = rng.choice(["Сбербанк", "МТС", "Билайн", "ВТБ", "МегаФон"])
        rows.append(row)
    return rows


def run_analyze(path: Path, out: Path, threads: int) -> tuple[float, float, int]:
    env = dict(os.environ, MOLVA_THREADS=str(threads), OMP_NUM_THREADS=str(threads), HF_HUB_OFFLINE="1")
    cmd = [sys.executable, "-m", "molva", "analyze", str(path), "-o", str(out)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"molva analyze failed ({proc.returncode}): {proc.stderr[-2000:]}")
    inner = re.search(r"([\d.]+)s\s*$", proc.stderr.strip())
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, float(inner.group(1)) if inner else wall, peak_kb


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in make_texts(a.n)), encoding="utf-8")
        wall, inner, peak_kb = run_analyze(src, out, a.threads)
        assert sum(1 for _ in out.open(encoding="utf-8")) == a.n
    anchor = subprocess.run([sys.executable, str(ANCHOR), "--only", "rubert-tiny2"], capture_output=True, text=True,
                            env=dict(os.environ, OMP_NUM_THREADS=str(a.threads)), check=True)
    tiny = json.loads(anchor.stdout.strip().splitlines()[-1])["texts_per_second"]["rubert-tiny2"]
    result = {
        "texts": a.n, "threads": a.threads,
        "analyze_texts_per_s_incl_startup": round(a.n / wall, 1),
        "analyze_texts_per_s_after_load": round(a.n / inner, 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "rubert_tiny2_texts_per_s": tiny,
        "ratio_incl_startup": round(a.n / wall / tiny, 2),
        "ratio_after_load": round(a.n / inner / tiny, 2),
        "date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
