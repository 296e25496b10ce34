"""The fast model (``--model fast``) distilled from the accurate teacher (``molva train --distil``).

The student is the numpy-runnable network of ``classifier.model`` (same shape as the earlier default:
96 dims, one convolution). It trains on the teacher's class probabilities ("soft labels", averaged over
the teacher runs given) for every example of the distillation sets built by
``classifier.teacher_train.distill_sets``: the teacher's own training examples (the four corpora and the
synthetic two-brand posts), SentiRuEval texts with the target renamed to another brand, and more
synthetic posts; loss = alpha * soft cross-entropy + (1 - alpha) * gold cross-entropy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.arch import ModelConfig
from classifier.teacher_train import SOFT_FILE, distill_sets, fingerprint

SET_ORDER = ("train", "swap", "synth2")


def load_soft(paths: Sequence[Path], sizes: dict[str, int],
              fingerprints: dict[str, str] | None = None) -> np.ndarray:
    """Mean teacher probabilities over ``paths`` (``soft.npz`` files or the folders holding them), the sets
    concatenated in ``SET_ORDER``. Checks row counts (and fingerprints in the teacher's ``teacher.json``
    when present) so soft labels cannot silently be misaligned with the examples."""
    total: np.ndarray | None = None
    for p in paths:
        f = p / SOFT_FILE if p.is_dir() else p
        conf_path = f.parent / "teacher.json"
        if fingerprints is not None and conf_path.exists():
            metrics = json.loads(conf_path.read_text(encoding="utf-8")).get("metrics") or {}
            for name in SET_ORDER:
                want = metrics.get(f"fingerprint_{name}")
                if want is not None and want != fingerprints[name]:
                    raise ValueError(f"{f}: soft labels of '{name}' were made for other examples")
        with np.load(f) as z:
            for name in SET_ORDER:
                if len(z[name]) != sizes[name]:
                    raise ValueError(f"{f}: {len(z[name])} soft labels for '{name}', expected {sizes[name]}")
            arr = np.concatenate([z[name].astype(np.float32) for name in SET_ORDER])
        total = arr if total is None else total + arr
    if total is None:
        raise ValueError("no soft-label files")
    total /= total.sum(1, keepdims=True)
    return total


def distil_fast(data_dir: Path, soft_paths: Sequence[Path], out_dir: Path, seed: int = 13,
                epochs: int = 8, alpha: float = 0.7, device: str | None = None,
                model: ModelConfig | None = None, limit: int | None = None, deadline: float | None = None,
                log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train the fast student and save it (``weights-0.pt`` + ``weights-0.npz``, ``config.json``,
    ``metrics.json``) into ``out_dir``. ``limit``: first n examples only (dry runs)."""
    import torch

    from classifier.embeddings import load_navec
    from classifier.text import Featurizer
    from classifier.training import TrainConfig, evaluate, save_model, train_member

    t0 = time.perf_counter()
    _, _, val, sets = distill_sets(data_dir)
    examples = [e for name in SET_ORDER for e in sets[name]]
    soft = load_soft(soft_paths, {k: len(v) for k, v in sets.items()},
                     {k: fingerprint(v) for k, v in sets.items()})
    if limit is not None:
        examples, soft = examples[:limit], soft[:limit]
        val = {d: v[:limit] for d, v in val.items()}
    cfg = TrainConfig(student=True, student_model=model or ModelConfig(dim=96, layers=1), student_epochs=epochs,
                      distill_alpha=alpha)
    cfg.model = cfg.student_model
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    nav = load_navec()
    feat = Featurizer(nav.vocab, nav.unk, nav.pad)
    log(f"distilling into the fast model: {len(examples)} examples ({', '.join(f'{k} {len(v)}' for k, v in sets.items())})"
        f", {len(soft_paths)} teacher run(s), device {dev}")
    net, score = train_member(examples, val, feat, cfg, seed + 7777, dev, log, soft=soft, deadline=deadline)
    version = f"molva-sentiment-fast-{time.strftime('%Y%m%d')}-s{seed}-d{cfg.model.dim}l{cfg.model.layers}-distilled"
    save_model([net.cpu()], cfg, out_dir, version, inference_members=[0])
    metrics: dict[str, Any] = {
        "version": version, "seed": seed, "validation": evaluate([net.cpu()], feat, val, torch.device("cpu")),
        "inference_members": [0], "member_scores": [score], "validation_all_members": {},
        "train_examples": len(examples), "seconds": round(time.perf_counter() - t0, 1), "device": str(dev),
        "train_config": {k: v for k, v in vars(cfg).items() if k not in ("model", "student_model")},
        "model": cfg.model.to_dict(), "student_model": cfg.student_model.to_dict(),
        "distilled_from": [str(p) for p in soft_paths],
    }
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    log("fast model: " + " ".join(f"{d} F1pn={m['macro_f1_pn']:.3f}" for d, m in metrics["validation"].items()))
    return metrics
