"""Combining the accurate and the fast sentiment model without retraining (issue 9), with an honest protocol.

    python benchmarks/sentiment_mix.py cache  [--data ../shared/data/sentiment]   # model probabilities, once
    python benchmarks/sentiment_mix.py tune                                      # instant, from the cache
    python benchmarks/sentiment_mix.py verify                                    # the shipped default path
    python benchmarks/sentiment_mix.py speed [--n 1000] [--rounds 2]             # CPU cost, before / after

``cache`` scores every validation row of the fixed time split (``classifier/data.py``) with the accurate model
(the shipped default runtime) and the fast model, and every brand request of the two-brand set
(``tests/data/two_brand_set.jsonl``, as ``molva analyze`` builds them, before the structure layer), and saves
the probabilities under ``var/`` (gitignored; no texts are stored, only probabilities, gold labels and times).

``tune``: protocol. Each domain's validation rows are ordered by publication time and cut in two halves: the
earlier half **tunes** (weights, per-class log-prior offsets), the later half is **held back** and only
reported. A candidate is worth shipping only if it gains on the held-back half of both domains.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "sentiment_mix_cache.npz"
DATA = ROOT.parent.parent / "shared" / "data" / "sentiment"
sys.path.insert(0, str(ROOT))


def macro_pn(gold: np.ndarray, pred: np.ndarray) -> float:
    """SentiRuEval macro-F1 over negative (0) and positive (2)."""
    f = []
    for c in (0, 2):
        tp = float(np.sum((pred == c) & (gold == c)))
        p = tp / max(1.0, float(np.sum(pred == c)))
        r = tp / max(1.0, float(np.sum(gold == c)))
        f.append(0.0 if p + r == 0 else 2 * p * r / (p + r))
    return float(np.mean(f))


def cache(data: Path, out: Path) -> None:
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from classifier.data import FILES, VALIDATION_CUTOFF, load_sentirueval

    arrays: dict[str, np.ndarray] = {}
    val_rows: dict[str, Any] = {}
    for domain in ("banks", "telecom"):
        _, val = load_sentirueval(data, domain)
        rows = [json.loads(line) for line in (data / FILES[domain]).open(encoding="utf-8") if line.strip()]
        published = [str(r["published"]) for r in rows if str(r["published"]) >= VALIDATION_CUTOFF[domain]]
        assert len(published) == len(val)
        val_rows[domain] = val
        arrays[f"{domain}_gold"] = np.array([e.label for e in val])
        arrays[f"{domain}_order"] = np.argsort(np.array(published), kind="stable")
    timing: dict[str, float] = {}
    from classifier.inference import ACCURATE_MODEL_DIR, FAST_MODEL_DIR, MolvaSentimentModel
    from classifier.teacher import TeacherSentimentModel

    for name in ("fast", "accurate"):
        # the networks alone: the transformer's mix.json and the fast model's class_log_prior are what this tunes
        # (the fast network without its multi-brand variant, as the mix runs it)
        model: Any = (MolvaSentimentModel(FAST_MODEL_DIR, priors=False, multi=False) if name == "fast"
                      else TeacherSentimentModel(ACCURATE_MODEL_DIR, mix=False))
        for domain, val in val_rows.items():
            c0, t0 = time.process_time(), time.perf_counter()
            arrays[f"{domain}_{name}"] = model.predict_domains(
                [e.text for e in val], [e.target for e in val], [e.others for e in val], [e.domain for e in val])
            timing[f"{domain}_{name}"] = round(time.perf_counter() - t0, 1)
            timing[f"{domain}_{name}_cpu"] = round(time.process_time() - c0, 1)
            print(name, domain, timing[f"{domain}_{name}"], "s", flush=True)
        arrays.update(_two_brand_raw(model, name))
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **arrays)
    print(json.dumps(timing))


class _Recorder:
    """A SentimentModel that records its inner model's raw scores per request (text, target, others, group)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.version, self.seen = inner, getattr(inner, "version", "?"), []

    def predict(self, texts: Any, targets: Any, *, others: Any = None, groups: Any = None) -> list[dict[str, float]]:
        scores = self.inner.predict(texts, targets, others=others, groups=groups)
        self.seen += list(zip(texts, targets, others, groups, scores, strict=True))
        return list(scores)


def _two_brand_requests() -> tuple[list[dict[str, Any]], Any]:
    from benchmarks.two_brand_eval import load_set
    from molva.catalog import load_catalog
    from molva.settings import load_settings

    rows = load_set(ROOT / "tests" / "data" / "two_brand_set.jsonl")
    return rows, load_catalog(load_settings().catalog_path)


def run_two_brand(model: Any) -> dict[str, dict[str, str]]:
    """{row id: {brand: label}} of the two-brand set through ``analyze_lines`` (structure layer included)."""
    from classifier.analyze import Stats, analyze_lines

    rows, catalog = _two_brand_requests()
    lines = [json.dumps({"id": r["id"], "text": r["text"]}, ensure_ascii=False) for r in rows]
    pred: dict[str, dict[str, str]] = {}
    for obj in analyze_lines(lines, model, catalog, Stats()):
        pred[str(obj.get("id"))] = {b["brand"]: b["label"] for b in obj.get("brands", [])}
    return pred


def _two_brand_raw(model: Any, name: str) -> dict[str, np.ndarray]:
    rec = _Recorder(model)
    run_two_brand(rec)
    keys = [json.dumps([t, tg, ot, g], ensure_ascii=False) for t, tg, ot, g, _ in rec.seen]
    probs = np.array([[s["negative"], s["neutral"], s["positive"]] for *_, s in rec.seen])
    return {f"tb_{name}_keys": np.array(keys), f"tb_{name}": probs}


class Replay:
    """A SentimentModel that answers from cached probabilities: the mix ``mix(accurate, fast)``."""

    version = "replay"

    def __init__(self, table: dict[str, np.ndarray], fallback: Any = None) -> None:
        self.table, self.fallback = table, fallback

    def predict(self, texts: Any, targets: Any, *, others: Any = None, groups: Any = None) -> list[dict[str, float]]:
        out = []
        others = others if others is not None else [None] * len(texts)
        groups = groups if groups is not None else [None] * len(texts)
        for key in zip(texts, targets, others, groups, strict=True):
            k = json.dumps([key[0], key[1], key[2], key[3]], ensure_ascii=False)
            if k not in self.table:  # a request the cache never saw (the structure layer's own): the real model
                if self.fallback is None:
                    raise KeyError(k)
                self.table[k] = np.array([self.fallback.predict([key[0]], [key[1]], others=[key[2]],
                                                                groups=[key[3]])[0][c]
                                          for c in ("negative", "neutral", "positive")])
            p = self.table[k]
            out.append({"negative": float(p[0]), "neutral": float(p[1]), "positive": float(p[2])})
        return out


def combine(acc: np.ndarray, fast: np.ndarray, w: float, bias: np.ndarray) -> np.ndarray:
    """The shipped log-linear mix (``classifier.teacher.mix_probs``), plus log-prior offsets ``bias``."""
    from classifier.teacher import mix_probs

    p = mix_probs(acc, fast, w) * np.exp(bias)
    return np.asarray(p / p.sum(1, keepdims=True))


def tune(path: Path) -> None:
    c = dict(np.load(path))
    halves: dict[str, dict[str, np.ndarray]] = {}
    for d in ("banks", "telecom"):
        order = c[f"{d}_order"]
        cut = len(order) // 2
        halves[d] = {"tune": order[:cut], "held": order[cut:], "all": order}
    ws = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    grid = [-0.6, -0.4, -0.2, 0.0, 0.2, 0.4, 0.6]

    def score(d: str, part: str, w: float, bias: np.ndarray) -> float:
        idx = halves[d][part]
        p = combine(c[f"{d}_accurate"][idx], c[f"{d}_fast"][idx], w, bias)
        return macro_pn(c[f"{d}_gold"][idx], p.argmax(1))

    def row(name: str, w: float, biases: dict[str, np.ndarray]) -> None:
        cells = [f"{score(d, part, w, biases[d]):.3f}" for d in ("banks", "telecom") for part in ("tune", "held", "all")]
        print(f"| {name} | " + " | ".join(cells) + " |")

    zero = np.zeros(3)
    print("| candidate | banks tune | banks held | banks all | telecom tune | telecom held | telecom all |")
    print("|---|---|---|---|---|---|---|")
    row("accurate alone", 0.0, {"banks": zero, "telecom": zero})
    row("fast alone", 1.0, {"banks": zero, "telecom": zero})
    # 1. weight only, shared across domains, tuned on the tune halves (mean of the two domains)
    best_w = max(ws, key=lambda w: np.mean([score(d, "tune", w, zero) for d in ("banks", "telecom")]))
    row(f"mix w={best_w} (shared)", best_w, {"banks": zero, "telecom": zero})
    for w in ws:
        row(f"  mix w={w}", w, {"banks": zero, "telecom": zero})
    # 1b. the protocol's choice: one weight per domain from the same grid, each on its own tune half
    per = {d: max(ws, key=lambda w, d=d: score(d, "tune", w, zero)) for d in ("banks", "telecom")}
    cells = [f"{score(d, part, per[d], zero):.3f}" for d in ("banks", "telecom") for part in ("tune", "held", "all")]
    print(f"| **per-domain weights {per} (shipped when it gains on held)** | " + " | ".join(cells) + " |")
    # 2. per-domain log-prior offsets on negative / positive (neutral fixed 0), weight 0 and best weight
    for w in sorted({0.0, best_w}):
        biases = {}
        for d in ("banks", "telecom"):
            biases[d] = np.array(max(((b0, 0.0, b2) for b0, b2 in itertools.product(grid, grid)),
                                     key=lambda b: score(d, "tune", w, np.array(b))))
        row(f"w={w} + per-domain priors {json.dumps({d: b.tolist() for d, b in biases.items()})}", w, biases)
        shared = np.array(max(((b0, 0.0, b2) for b0, b2 in itertools.product(grid, grid)),
                              key=lambda b: np.mean([score(d, "tune", w, np.array(b)) for d in ("banks", "telecom")])))
        row(f"w={w} + shared priors {shared.tolist()}", w, {"banks": shared, "telecom": shared})
    # 3. the fast model alone (weight 1): class log-prior offsets, shared (2 numbers) or per domain (4)
    print("| fast model alone | | | | | | |")
    fgrid = [-0.6, -0.4, -0.2, 0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    cands = [np.array((b0, 0.0, b2)) for b0, b2 in itertools.product(fgrid, fgrid)]
    shared = max(cands, key=lambda b: float(np.mean([score(d, "tune", 1.0, b) for d in ("banks", "telecom")])))
    row(f"**fast + shared priors {shared.tolist()} (shipped)**", 1.0, {"banks": shared, "telecom": shared})
    per_fast = {d: max(cands, key=lambda b, d=d: score(d, "tune", 1.0, b)) for d in ("banks", "telecom")}
    row(f"fast + per-domain priors {json.dumps({d: b.tolist() for d, b in per_fast.items()})}", 1.0, per_fast)
    for d in ("banks", "telecom"):
        gold = c[f"{d}_gold"]
        acc = c[f"{d}_accurate"].argmax(1)
        print(d, "gold counts", np.bincount(gold, minlength=3).tolist(), "accurate pred counts",
              np.bincount(acc, minlength=3).tolist(), "fast pred counts",
              np.bincount(c[f"{d}_fast"].argmax(1), minlength=3).tolist())


def verify(data: Path) -> None:
    """The shipped default (``load_model(None)``, mix included) on both halves, and the two-brand set through
    ``analyze_lines`` (structure layer included)."""
    from benchmarks.two_brand_eval import load_set, score
    from classifier.data import FILES, VALIDATION_CUTOFF, load_sentirueval
    from classifier.inference import load_model

    model: Any = load_model(None)
    print("model", model.version)
    for domain in ("banks", "telecom"):
        _, val = load_sentirueval(data, domain)
        rows = [json.loads(line) for line in (data / FILES[domain]).open(encoding="utf-8") if line.strip()]
        published = np.array([str(r["published"]) for r in rows if str(r["published"]) >= VALIDATION_CUTOFF[domain]])
        order = np.argsort(published, kind="stable")
        c0, t0 = time.process_time(), time.perf_counter()
        pred = model.predict_domains([e.text for e in val], [e.target for e in val], [e.others for e in val],
                                     [e.domain for e in val]).argmax(1)
        gold = np.array([e.label for e in val])
        cut = len(order) // 2
        print(domain, {part: round(macro_pn(gold[idx], pred[idx]), 4)
                       for part, idx in (("tune", order[:cut]), ("held", order[cut:]), ("all", order))},
              f"{time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU", flush=True)
    rows2 = load_set(ROOT / "tests" / "data" / "two_brand_set.jsonl")
    pred2 = run_two_brand(model)
    for split in ("dev", "heldout"):
        res = score([r for r in rows2 if r["split"] == split], pred2)
        print("two-brand", split, res["accuracy"]["all"])
    print("two-brand all", score(rows2, pred2)["accuracy"]["all"])


def speed(n: int, rounds: int) -> None:
    """CPU cost of the mix and of the new structure rules: the same generated rows (``sentiment_speed``'s
    generator, unique texts) through ``analyze_lines`` with the transformer alone and the layer of the
    commit before this work (``--old-structure`` file), and with the shipped default; interleaved rounds."""
    import importlib.util
    import os
    import subprocess

    from benchmarks.sentiment_speed import make_texts
    from classifier import analyze as an
    from classifier.analyze import Stats, analyze_lines
    from classifier.inference import ACCURATE_MODEL_DIR, load_model
    from classifier.teacher import TeacherSentimentModel
    from molva.catalog import load_catalog
    from molva.settings import load_settings

    old_src = subprocess.run(["git", "show", "e2f1f74:classifier/structure.py"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    old_path = ROOT / "var" / "structure_before.py"
    old_path.write_text(old_src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("structure_before", old_path)
    assert spec is not None and spec.loader is not None
    old_mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old_mod)
    new_predict = an.predict_brands
    catalog = load_catalog(load_settings().catalog_path)
    lines = [json.dumps(r, ensure_ascii=False) for r in make_texts(n, seed=11, unique=True)]
    before, after = TeacherSentimentModel(ACCURATE_MODEL_DIR, mix=False), load_model(None)
    print("threads", os.environ.get("OMP_NUM_THREADS"), "load average", os.getloadavg())
    for r in range(rounds):
        for name, model, fn in (("before", before, old_mod.predict_brands), ("after", after, new_predict)):
            an.predict_brands = fn
            c0, t0 = time.process_time(), time.perf_counter()
            out = list(analyze_lines(lines, model, catalog, Stats()))
            print(f"round {r} {name}: {len(out)} rows {time.perf_counter() - t0:.1f} s wall "
                  f"{time.process_time() - c0:.1f} s CPU", flush=True)
    an.predict_brands = new_predict


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("step", choices=("cache", "tune", "verify", "speed"))
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--cache", type=Path, default=CACHE)
    a = p.parse_args()
    if a.step == "cache":
        cache(a.data, a.cache)
    elif a.step == "verify":
        verify(a.data)
    elif a.step == "speed":
        speed(a.n, a.rounds)
    else:
        tune(a.cache)


if __name__ == "__main__":
    main()
